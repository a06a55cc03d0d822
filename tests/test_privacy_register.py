"""The register of processing (art. 30) cannot drift from the schema and the model: every
column that can hold text is classified, and every free-text form field is declared."""

from __future__ import annotations

from sqlalchemy import JSON, LargeBinary, String, Text

from runner.bpmn.case import spec_properties
from runner.bpmn.store import Base
from runner.definition.model import default_processes_dir, parse, read_folder
from runner.privacy.processing_register import NO_PERSONAL_DATA, PERSONAL_COLUMNS, register

TEXT_TYPES = (String, Text, JSON, LargeBinary)


def text_columns() -> set[str]:
    return {f"{table.name}.{column.name}" for table in Base.metadata.sorted_tables
            for column in table.columns
            if isinstance(column.type, TEXT_TYPES)
            or isinstance(getattr(column.type, "impl", None), TEXT_TYPES)}


def test_every_column_that_can_hold_personal_data_is_in_the_register():
    columns = text_columns()
    unclassified = columns - set(PERSONAL_COLUMNS) - NO_PERSONAL_DATA
    assert not unclassified, (f"kolommen zonder plaats in het verwerkingsregister: "
                              f"{sorted(unclassified)} (runner/privacy/processing_register.py)")
    assert not (set(PERSONAL_COLUMNS) | NO_PERSONAL_DATA) - columns, "verouderde kolommen"
    assert not set(PERSONAL_COLUMNS) & NO_PERSONAL_DATA


def _free_text_fields(schema: dict, prefix: str = "") -> set[str]:
    """Form fields that take free text: strings without enum, date or pattern of digits."""
    if schema.get("type") == "array":
        return _free_text_fields(schema.get("items", {}), prefix)
    if "properties" in schema:
        return {field for key, sub in schema["properties"].items()
                for field in _free_text_fields(sub, f"{prefix}.{key}" if prefix else key)}
    free = (schema.get("type") == "string" and "enum" not in schema
            and schema.get("format") not in ("date", "date-time"))
    return {prefix} if free else set()


def _form_targets(model) -> dict[str, str]:
    """Form file -> where its data lands in the process data ('' is the top level)."""
    targets = {"klacht.json": "", "niet_akkoord.json": "niet_akkoord",
               "intrekking.json": "intrekking"}  # the complaint, and the two messages
    for spec in [*model.spec.task_specs.values(),
                 *(s for sub in model.subprocess_specs.values() for s in sub.task_specs.values())]:
        props = spec_properties(spec)
        if props.get("formJsonSchemaFilename"):
            targets[props["formJsonSchemaFilename"]] = props.get("resultaat", "")
    return targets


def test_every_free_text_field_of_the_forms_is_declared_in_the_model():
    model = parse(read_folder(default_processes_dir()))
    privacy = model.settings["privacy"]
    declared = {item["gegeven"] for item in privacy["persoonsgegevens"]}
    declared |= set(privacy["geen_persoonsgegevens"])
    undeclared = []
    for form, target in _form_targets(model).items():
        for field in _free_text_fields(model.form(form)):
            path = f"{target}.{field}" if target else field
            if not any(path == d or path.startswith(d + ".") for d in declared):
                undeclared.append(f"{form}: {path}")
    assert not undeclared, f"niet aangegeven in privacy (instellingen.json): {undeclared}"


def test_the_register_names_the_model_data_and_the_retention_period():
    model = parse(read_folder(default_processes_dir()))
    lines = register(model)
    whats = {line.what for line in lines}
    assert "De tekst van de klacht (kan gezondheidsgegevens bevatten)" in whats
    assert any("instances.archive" in line.where for line in lines)
    member_lines = [line for line in lines if line.whose == "lid"]
    assert all(line.how_long.startswith("5 jaar na de afsluiting") for line in member_lines)
