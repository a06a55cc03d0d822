"""SpiffWorkflow wiring: the restricted script engine, service-task dispatch and the serializer.

Service tasks call operators registered by name (``runner.operators.OPERATORS``). The
operator of a running action gets its context through :func:`operator_context`, so the
script engine itself holds no database session and can be shared.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from . import clock
from .expressions import RestrictedEnvironment

if TYPE_CHECKING:
    from .definitions import Model
    from .operators import OperatorContext

_context: contextvars.ContextVar[OperatorContext | None] = contextvars.ContextVar(
    "klachten_operator_context", default=None
)


@contextmanager
def operator_context(ctx: OperatorContext) -> Iterator[None]:
    token = _context.set(ctx)
    try:
        yield
    finally:
        _context.reset(token)


class ScriptEngine(PythonScriptEngine):
    """Restricted expressions; service tasks dispatched to the operator registry.

    SpiffWorkflow 3.2.0 masks every operator exception in ``call_service`` as a NameError;
    here the real error is raised as a ``WorkflowTaskException`` with the operator's message.
    """

    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def call_service(self, task, **kwargs) -> str:
        from .operators import OPERATORS

        name = kwargs["operation_name"]
        params = {key: spec["value"] for key, spec in kwargs.get("operation_params", {}).items()}
        ctx = _context.get()
        if ctx is None:
            raise WorkflowTaskException(f"operator {name}: geen lopende actie", task=task)
        operator = OPERATORS.get(name)
        if operator is None:
            raise WorkflowTaskException(f"onbekende operator {name}", task=task)
        try:
            result = operator(ctx, task, **params)
        except Exception as err:
            raise WorkflowTaskException(f"{name}: {err}", task=task, exception=err) from err
        return json.dumps(result)


SCRIPT_ENGINE = ScriptEngine()


def _make_serializer() -> BpmnWorkflowSerializer:
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    registry.register(date, lambda value: {"iso": value.isoformat()},
                      lambda value: date.fromisoformat(value["iso"]))
    registry.register(Decimal, lambda value: {"decimal": str(value)},
                      lambda value: Decimal(value["decimal"]))
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _make_serializer()
SERIALIZER_VERSION = SERIALIZER.VERSION
_SPEC_KEYS = ("spec", "subprocess_specs")


def serialize_spec(model: Model) -> str:
    """The spec part of a serialized workflow, stored once per definition version."""
    workflow = BpmnWorkflow(model.spec, model.subprocess_specs)
    dct = SERIALIZER.to_dict(workflow)
    return json.dumps({key: dct[key] for key in _SPEC_KEYS})


def new_workflow(model: Model, data: dict[str, Any]) -> BpmnWorkflow:
    clock.install()
    workflow = BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=SCRIPT_ENGINE)
    workflow.task_tree.data.update(data)
    return workflow


def dump_state(workflow: BpmnWorkflow) -> str:
    """Serialize without the spec (about 60% of the bytes)."""
    dct = SERIALIZER.to_dict(workflow)
    for key in _SPEC_KEYS:
        dct.pop(key, None)
    return json.dumps(dct, separators=(",", ":"))


def load_state(state: str, spec_json: str) -> BpmnWorkflow:
    clock.install()
    dct = json.loads(state)
    dct.update(json.loads(spec_json))
    workflow = SERIALIZER.from_dict(dct)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow
