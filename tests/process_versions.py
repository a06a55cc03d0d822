"""Other versions of processes/ for the migration tests: edits a designer makes in a copy."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from sqlalchemy import select

from runner.bpmn.definitions import content_hash
from runner.bpmn.engine import serialize_spec
from runner.bpmn.store import Definition, transaction
from runner.definition.model import default_processes_dir, parse, read_folder
from runner.service import Klachten

SATISFACTION_FORM = {"title": "Tevredenheid navragen", "type": "object",
                     "properties": {"tevreden": {"type": "string", "title": "Tevreden?",
                                                 "enum": ["ja", "nee"]}},
                     "required": ["tevreden"]}
SATISFACTION_TASK = """
    <bpmn:userTask id="tevredenheid" name="Tevredenheid navragen">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="tevredenheid.json" />
          <spiffworkflow:property name="resultaat" value="tevredenheid" />
          <spiffworkflow:property name="stap" value="8" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f_termijn_aanbeveling</bpmn:incoming>
      <bpmn:outgoing>f_tevredenheid_aanbeveling</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_tevredenheid_aanbeveling" sourceRef="tevredenheid"
      targetRef="aanbeveling" />"""
# Its drawing, in the lane of the mediators below "Aanbeveling voor verbetering".
SATISFACTION_DRAWING = """
      <bpmndi:BPMNShape id="tevredenheid_di" bpmnElement="tevredenheid"><dc:Bounds x="3170"
        y="510" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f_tevredenheid_aanbeveling_di" bpmnElement="f_tevredenheid_aanbeveling">
        <di:waypoint x="3220" y="510" /><di:waypoint x="3220" y="500" /></bpmndi:BPMNEdge>"""


def copy_processes(target: Path) -> Path:
    shutil.copytree(default_processes_dir(), target)
    return target


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{path.name}: {old!r} {text.count(old)} keer gevonden"
    path.write_text(text.replace(old, new), encoding="utf-8")


def remove_element(diagram: Path, element: str, incoming: str, outgoing: str) -> None:
    """Take a task out of the flow: its incoming flow goes to its successor."""
    text = diagram.read_text(encoding="utf-8")
    flow_out = re.search(rf'<bpmn:sequenceFlow id="{outgoing}" sourceRef="{element}" '
                         r'targetRef="([^"]+)"', text)
    successor = flow_out.group(1)
    text, removed = re.subn(rf'\s*<bpmn:(\w+) id="{element}".*?</bpmn:\1>', "", text, flags=re.S)
    assert removed == 1, element
    text = re.sub(rf'\s*<bpmn:sequenceFlow id="{outgoing}"[^>]*/>', "", text)
    text = re.sub(rf'(<bpmn:sequenceFlow id="{incoming}" [^>]*targetRef=")[^"]+"',
                  rf'\g<1>{successor}"', text)
    text = text.replace(f"<bpmn:incoming>{outgoing}</bpmn:incoming>",
                        f"<bpmn:incoming>{incoming}</bpmn:incoming>")
    text = text.replace(f"<bpmn:flowNodeRef>{element}</bpmn:flowNodeRef>", "")
    text, removed = re.subn(rf'\s*<bpmndi:BPMNShape id="{element}_di".*?</bpmndi:BPMNShape>', "",
                            text, flags=re.S)
    assert removed == 1, f"{element}_di"
    text, removed = re.subn(rf'\s*<bpmndi:BPMNEdge id="{outgoing}_di".*?</bpmndi:BPMNEdge>', "",
                            text, flags=re.S)
    assert removed == 1, f"{outgoing}_di"
    diagram.write_text(text, encoding="utf-8")


def version_two(target: Path) -> Path:
    """Adds "Tevredenheid navragen" before the recommendations, removes the admissibility
    pre-check, and shortens the answer target (45 -> 30 days) and the status interval
    (21 -> 14 days)."""
    folder = copy_processes(target)
    diagram = folder / "klachtenprocedure.bpmn"
    remove_element(diagram, "ontvankelijkheid_voorstel", "f_merge_pre", "f_pre_beoordelen")
    _edit(diagram, 'sourceRef="aanbevelingstermijn_berekenen" targetRef="aanbeveling" />',
          'sourceRef="aanbevelingstermijn_berekenen" targetRef="tevredenheid" />'
          + SATISFACTION_TASK)
    _edit(diagram, """<bpmn:incoming>f_termijn_aanbeveling</bpmn:incoming>
      <bpmn:outgoing>f_aanbeveling_reg</bpmn:outgoing>""",
          """<bpmn:incoming>f_tevredenheid_aanbeveling</bpmn:incoming>
      <bpmn:outgoing>f_aanbeveling_reg</bpmn:outgoing>""")
    _edit(diagram, "<bpmn:flowNodeRef>aanbeveling</bpmn:flowNodeRef>",
          "<bpmn:flowNodeRef>aanbeveling</bpmn:flowNodeRef>"
          "<bpmn:flowNodeRef>tevredenheid</bpmn:flowNodeRef>")
    _edit(diagram, "</bpmndi:BPMNPlane>", SATISFACTION_DRAWING + "\n    </bpmndi:BPMNPlane>")
    (folder / "forms" / "tevredenheid.json").write_text(json.dumps(SATISFACTION_FORM),
                                                          encoding="utf-8")
    _edit(folder / "instellingen.json", '"geen_persoonsgegevens": [',
          '"geen_persoonsgegevens": ["tevredenheid.tevreden", ')
    labels_file = folder / "labels.json"
    labels = json.loads(labels_file.read_text(encoding="utf-8"))
    labels["taak"]["tevredenheid"] = {"nl": "Tevredenheid navragen",
                                      "fr": "Demander la satisfaction"}
    labels["tevreden"] = {"ja": {"nl": "ja", "fr": "oui"}, "nee": {"nl": "nee", "fr": "non"}}
    labels_file.write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    rules = folder / "termijnen.dmn"
    _edit(rules, '<outputEntry id="r4_d"><text>45</text>', '<outputEntry id="r4_d"><text>30</text>')
    _edit(rules, '<outputEntry id="r3_d"><text>21</text>', '<outputEntry id="r3_d"><text>14</text>')
    return folder


def without_answer_task(target: Path) -> Path:
    """The investigation's findings go straight into the answer notice: no
    "Gemotiveerd antwoord geven" task any more."""
    folder = copy_processes(target)
    remove_element(folder / "klachtenprocedure.bpmn", "gemotiveerd_antwoord",
                   "f_onderzoek_antwoord", "f_antwoord_versturen")
    _edit(folder / "instellingen.json", '"antwoord": "antwoord"', '"antwoord": null')
    return folder


def broken_status_notice(target: Path) -> Path:
    """The status notice names a placeholder that no dossier has: it fails when it renders."""
    folder = copy_processes(target)
    for language in ("nl", "fr"):
        notice = folder / "notices" / language / "statusbericht.txt"
        notice.write_text(notice.read_text(encoding="utf-8") + "\n{{ behandelaar_naam }}\n",
                          encoding="utf-8")
    return folder


def store_version(klachten: Klachten, folder: Path) -> int:
    """Store ``folder`` as a version the way an older release did, without any lint: how a
    broken version got into production before deploy was gated."""
    files = read_folder(folder)
    with transaction(klachten.factory) as session:
        row = Definition(content_hash=content_hash(files), files=files,
                         spec=serialize_spec(parse(files)),
                         deployed_at=klachten.clock.now(session))
        session.add(row)
        session.flush()
        return row.id


def latest_version(klachten: Klachten) -> int:
    with transaction(klachten.factory) as session:
        return max(session.scalars(select(Definition.id)))


def broken_status_timer(target: Path) -> Path:
    """The status cycle computed as ``'R/' + str(days) + 'D'``: no valid ISO duration (the
    ``P`` is missing), so the timer fails as the investigation starts."""
    folder = copy_processes(target)
    diagram = folder / "klachtenprocedure.bpmn"
    text = diagram.read_text(encoding="utf-8")
    text, count = re.subn(
        r'(<bpmn:boundaryEvent id="statusbericht_timer".*?<bpmn:timeCycle[^>]*>)[^<]*<',
        r"\1'R/' + str(termijnen['statusbericht']['dagen']) + 'D'<", text, flags=re.S)
    assert count == 1
    diagram.write_text(text, encoding="utf-8")
    return folder
