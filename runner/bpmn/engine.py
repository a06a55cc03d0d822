"""SpiffWorkflow wiring: the restricted script engine, service-task dispatch and the serializer.

Service tasks call the operators the application hands over (:class:`runner.bpmn.plugins.Plugins`),
by name. The engine steps of a running action get the operators and their context through
:func:`operator_context`, so the script engine itself holds no database session, no
application and can be shared.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from . import clock
from .errors import StateUnreadable
from .expressions import RestrictedEnvironment

if TYPE_CHECKING:
    from .definitions import ProcessModel

# A service task's operator: called as ``operator(context, task, **parameters)`` with the
# context the action set (:func:`operator_context`); its JSON-able result is the task's.
Operator = Callable[..., Any]


@dataclass(frozen=True)
class _Running:
    """The operators of the engine steps running now, and what they work with."""

    operators: Mapping[str, Operator]
    context: Any


_running: contextvars.ContextVar[_Running | None] = contextvars.ContextVar(
    "operator_context", default=None)


@contextmanager
def operator_context(ctx: Any, operators: Mapping[str, Operator]) -> Iterator[None]:
    """Let the service tasks of the engine steps run inside this block call ``operators``
    with ``ctx``: what the application gives them to work with (its session, its rows, the
    instant)."""
    token = _running.set(_Running(operators, ctx))
    try:
        yield
    finally:
        _running.reset(token)


class ScriptEngine(PythonScriptEngine):
    """Restricted expressions; service tasks dispatched to the running action's operators.

    SpiffWorkflow 3.2.0 masks every operator exception in ``call_service`` as a NameError;
    here the real error is raised as a ``WorkflowTaskException`` with the operator's message.
    """

    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def call_service(self, task: Task, **kwargs: Any) -> str:
        name = kwargs["operation_name"]
        params = {key: spec["value"] for key, spec in kwargs.get("operation_params", {}).items()}
        running = _running.get()
        if running is None:
            raise WorkflowTaskException(f"operator {name}: geen lopende actie", task=task)
        operator = running.operators.get(name)
        if operator is None:
            raise WorkflowTaskException(f"onbekende operator {name}", task=task)
        try:
            result = operator(running.context, task, **params)
        except Exception as err:
            raise WorkflowTaskException(f"{name}: {err}", task=task, exception=err) from err
        return json.dumps(result)


SCRIPT_ENGINE = ScriptEngine()


class InstanceConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its spec, and restores it onto spec objects.

    The spec is about 60% of a serialized workflow and is the same for every dossier of a
    definition version: it is stored once (``definitions.spec``) and restored once per
    process, not converted at every save and load.
    """

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], specs: StoredSpecs | None = None) -> BpmnWorkflow:
        if specs is None:
            raise ValueError("a stored instance is restored onto the specs of its definition")
        workflow = self.target_class(specs.spec, specs.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


@dataclass(frozen=True)
class StoredSpecs:
    """A definition's specs, restored from ``definitions.spec`` once per process."""

    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]


def _make_serializer() -> BpmnWorkflowSerializer:
    registry = BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, BpmnWorkflow: InstanceConverter})
    registry.register(date, lambda value: {"iso": value.isoformat()},
                      lambda value: date.fromisoformat(value["iso"]))
    registry.register(Decimal, lambda value: {"decimal": str(value)},
                      lambda value: Decimal(value["decimal"]))
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _make_serializer()
SERIALIZER_VERSION = SERIALIZER.VERSION


def serialize_spec(model: ProcessModel) -> str:
    """The definition's specs as JSON, stored once per definition version."""
    registry = SERIALIZER.registry
    return json.dumps({
        "spec": registry.convert(model.spec),
        "subprocess_specs": {name: registry.convert(spec)
                             for name, spec in model.subprocess_specs.items()},
    })


def restore_specs(spec_json: str) -> StoredSpecs:
    dct = json.loads(spec_json)
    registry = SERIALIZER.registry
    spec = registry.restore(dct["spec"])
    wire_message_event_subprocesses(spec)
    return StoredSpecs(
        spec=spec,
        subprocess_specs={name: registry.restore(value)
                          for name, value in dct["subprocess_specs"].items()},
    )


def wire_message_event_subprocesses(spec: BpmnProcessSpec) -> None:
    """Link each event subprocess started by a message to the process end, once, up front.

    SpiffWorkflow 3.2.0 makes these links the first time such a message arrives
    (``BpmnStartTask.trigger_wf``) and also adds the subprocess to the outputs of the start
    task: the shared, cached spec changes, and every workflow created afterwards starts the
    event subprocess at launch and waits in it forever. ``trigger_wf`` skips its changes when
    the start task is already among the subprocess's inputs, so that link is made here
    without adding the subprocess to the start's outputs.
    """
    start = spec.start
    for name in getattr(start, "trigger_specs", ()):
        event_subprocess = spec.task_specs[name]
        if start not in event_subprocess.inputs:
            event_subprocess.inputs = [*event_subprocess.inputs, start]
        if spec.end not in event_subprocess.outputs:
            event_subprocess.connect(spec.end)


def new_workflow(specs: StoredSpecs, data: dict[str, Any]) -> BpmnWorkflow:
    clock.install()
    workflow = BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=SCRIPT_ENGINE)
    workflow.task_tree.data.update(data)
    return workflow


def dump_state(workflow: BpmnWorkflow) -> str:
    """Serialize an instance; its spec is not included (see :class:`InstanceConverter`)."""
    return json.dumps(SERIALIZER.to_dict(workflow), separators=(",", ":"))


def load_state(state: str, specs: StoredSpecs) -> BpmnWorkflow:
    clock.install()
    try:
        workflow = SERIALIZER.from_dict(json.loads(state), specs=specs)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise StateUnreadable(f"opgeslagen toestand onleesbaar: {err!r}") from err
    if not isinstance(workflow, BpmnWorkflow):
        raise StateUnreadable("opgeslagen toestand onleesbaar: geen workflow")
    workflow.script_engine = SCRIPT_ENGINE
    return workflow
