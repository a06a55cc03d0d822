"""Tests for the restricted BPMN/DMN expression environment."""

from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from runner.bpmn.errors import ExpressionRejected
from runner.bpmn.expressions import RestrictedEnvironment, check_expression
from runner.bpmn.safe_xml import parse_xml


@pytest.fixture
def env() -> RestrictedEnvironment:
    return RestrictedEnvironment()


@pytest.fixture
def data() -> dict:
    return {
        "ontvankelijk": "ja",
        "klager": {"email": "an@example.be", "naam": "An"},
        "termijnen": {"statusbericht": 14},
        "n": 3,
        "aanbevelingen": [{"dienst": "terugbetalingen"}, {"dienst": ""}],
        "x": [{"dienst": "a"}, {"dienst": None}],
    }


# --------------------------------------------------------------------------- rejected

REJECTED_EXPRESSIONS = [
    ("__import__('os')", "__import__"),
    ("__import__('os').getcwd() == ''", "__import__"),
    ("().__class__.__base__.__subclasses__()", "__class__"),
    ("open('/etc/passwd')", "open"),
    ("eval('1')", "eval"),
    ("exec('x = 1')", "exec"),
    ("compile('1', 'f', 'eval')", "compile"),
    ("globals()", "globals"),
    ("getattr(x, '__class__')", "__class__"),
    ("x.__dict__", "__dict__"),
    ("(lambda: 0).__globals__", "__globals__"),
    ("(a for a in x).gi_frame", "gi_frame"),
    ("x._private", "_private"),
    ("1 +", "SyntaxError"),
]


@pytest.mark.parametrize(("expression", "reason"), REJECTED_EXPRESSIONS)
def test_evaluate_rejects(env, data, expression, reason):
    with pytest.raises(ExpressionRejected) as excinfo:
        env.evaluate(expression, data)
    message = str(excinfo.value)
    assert message.startswith(f'Expressie geweigerd: "{expression}": ')
    assert reason in message
    assert "\n" not in message


@pytest.mark.parametrize(("expression", "reason"), REJECTED_EXPRESSIONS)
def test_check_expression_rejects(expression, reason):
    with pytest.raises(ExpressionRejected, match="Expressie geweigerd"):
        check_expression(expression)


@pytest.mark.parametrize(
    "script",
    ["import os", "from os import path", "x = 1\nimport os\n", "import os as _os"],
)
def test_execute_rejects_imports(env, script):
    context = {"a": 1}
    with pytest.raises(ExpressionRejected, match="import is niet toegestaan") as excinfo:
        env.execute(script, context)
    assert "\n" not in str(excinfo.value)
    assert context == {"a": 1}


def test_check_expression_exec_mode():
    check_expression("x = 1\ny = x + 1", mode="exec")
    with pytest.raises(ExpressionRejected, match='"import os"'):
        check_expression("import os", mode="exec")


@pytest.mark.parametrize(
    "expression",
    [
        "getattr(x, '_' + '_class__')",
        "'{0.__class__}'.format(x)",
        "'{0.__class__.__base__}'.format(x)",
        "'{.__class__}'.format_map(klager)",
        "str.format('{0.__class__}', x)",
    ],
)
def test_runtime_guards_reject(env, data, expression):
    with pytest.raises(ExpressionRejected, match='attribuut "__class__" is niet toegestaan'):
        env.evaluate(expression, data)


def test_runtime_rejection_in_script_names_script(env):
    with pytest.raises(ExpressionRejected, match=r'"a = 1\\nb = getattr'):
        env.execute("a = 1\nb = getattr(a, '_' + '_class__')", {})


def test_no_dangerous_builtins_offered(env):
    for name in ("__import__", "type", "object", "setattr", "delattr", "vars"):
        with pytest.raises((NameError, ExpressionRejected)):
            env.evaluate(f"{name}", {})


# --------------------------------------------------------------------------- allowed


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("ontvankelijk == 'ja'", True),
        ("klager.get('email') is not None", True),
        ("klager['naam']", "An"),
        ("'P%dD' % termijnen['statusbericht']", "P14D"),
        ('"R/P" + str(n) + "D"', "R/P3D"),
        ("len(aanbevelingen) > 0", True),
        ("[a['dienst'] for a in aanbevelingen]", ["terugbetalingen", ""]),
        ("[a for a in x if a['dienst']]", [{"dienst": "a"}]),
        ("{k: v for k, v in klager.items()}", {"email": "an@example.be", "naam": "An"}),
        ("sum(i for i in range(n))", 3),
        ("sorted([3, 1, 2], key=lambda v: -v)", [3, 2, 1]),
        ("min(1, 2) + max([1, 5]) + abs(-1) + round(1.4)", 8),
        ("any([False, True]) and all([True])", True),
        ("list(zip([1], [2])) + list(enumerate('a'))", [(1, 2), (0, "a")]),
        ("isinstance(n, int) and bool(1) and float('1.5') == 1.5 and int('2') == 2", True),
        ("tuple(set([1, 1])) == (1,) and dict(a=1) == {'a': 1}", True),
        ("f'P{n}D'", "P3D"),
        ("f\"{klager['naam']:>4}\"", "  An"),
        ("'P{}D'.format(n)", "P3D"),
        ("'{0[naam]} <{0[email]}>'.format(klager)", "An <an@example.be>"),
        ("'{naam}'.format_map(klager)", "An"),
        ("klager.get('telefoon', 'onbekend').upper()", "ONBEKEND"),
        ("getattr(klager, 'get')('naam')", "An"),
        ("  ontvankelijk == 'ja'  ", True),
        ("\n      ontvankelijk == 'ja'\n    ", True),
    ],
)
def test_evaluate_allows(env, data, expression, expected):
    assert env.evaluate(expression, data) == expected


def test_evaluate_does_not_pollute(env, data):
    before = dict(data)
    env.evaluate("[a for a in x]", data, external_context={"extern": 1})
    assert data == before
    assert env.evaluate("extern + 1", data, external_context={"extern": 1}) == 2
    assert data == before


def test_execute_updates_context_without_builtins(env):
    context = {"a": 10}
    assert env.execute("x = 1\ny = x + 1", context) is True
    assert context == {"a": 10, "x": 1, "y": 2}
    assert "__builtins__" not in context
    assert not any(name.startswith("_") for name in context)
    assert not any(callable(value) for value in context.values())


def test_execute_supports_common_statements(env):
    context = {"items": [{"dienst": "a", "n": 1}, {"dienst": "b", "n": 2}]}
    script = (
        "totaal = 0\n"
        "for item in items:\n"
        "    totaal += item['n']\n"
        "diensten = {}\n"
        "for i, item in enumerate(items):\n"
        "    diensten[item['dienst']] = i\n"
        "eerste, tweede = items\n"
        "lijst = []\n"
        "lijst.append(eerste['dienst'])\n"
        "def dubbel(v):\n"
        "    return v * 2\n"
        "verdubbeld = dubbel(totaal)\n"
        "print('wordt opgevangen')\n"
    )
    env.execute(script, context)
    assert context["totaal"] == 3
    assert context["diensten"] == {"a": 0, "b": 1}
    assert context["lijst"] == ["a"]
    assert context["verdubbeld"] == 6
    assert "dubbel" not in context
    assert "_print" not in context


def test_functions_are_offered_and_cleaned_up():
    env = RestrictedEnvironment({"dubbel": lambda v: v * 2})
    assert env.evaluate("dubbel(n)", {"n": 2}) == 4
    context = {"n": 2}
    env.execute("m = dubbel(n)", context, {"extern": 5})
    assert context == {"n": 2, "m": 4}
    with pytest.raises(ValueError, match="overwrites a predefined function"):
        env.execute("m = 1", {"dubbel": 1})


def test_invalid_function_name():
    with pytest.raises(ValueError):
        RestrictedEnvironment({"_secret": len})


def test_task_data_cannot_shadow_guards(env):
    context = {"_getattr_": "not a guard"}
    assert env.evaluate("'abc'.upper()", context) == "ABC"
    env.execute("y = 'abc'.upper()", context)
    assert context == {"_getattr_": "not a guard", "y": "ABC"}


@pytest.mark.parametrize("expression", ["onbekend == 1", "klager2.get('x')"])
def test_unknown_name_is_a_plain_name_error(env, data, expression):
    with pytest.raises(NameError) as excinfo:
        env.evaluate(expression, data)
    assert not isinstance(excinfo.value, ExpressionRejected)


def test_runtime_errors_are_not_rejections(env, data):
    with pytest.raises(KeyError):
        env.evaluate("klager['telefoon']", data)
    with pytest.raises(AttributeError):
        env.evaluate("klager.telefoon", data)
    with pytest.raises(ZeroDivisionError):
        env.execute("y = 1 / 0", {})


def test_compiled_code_is_cached(env):
    from runner.bpmn import expressions

    expressions._compile.cache_clear()
    for _ in range(5):
        env.evaluate("n + 1", {"n": 1})
    info = expressions._compile.cache_info()
    assert info.misses == 1
    assert info.hits == 4


# --------------------------------------------------------------------------- end to end

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="poging" isExecutable="true">
    <bpmn:startEvent id="start">
      <bpmn:outgoing>naar_gateway</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="naar_gateway" sourceRef="start" targetRef="keuze"/>
    <bpmn:exclusiveGateway id="keuze" default="standaard">
      <bpmn:incoming>naar_gateway</bpmn:incoming>
      <bpmn:outgoing>aanval</bpmn:outgoing>
      <bpmn:outgoing>standaard</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="aanval" sourceRef="keuze" targetRef="einde">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="standaard" sourceRef="keuze" targetRef="einde"/>
    <bpmn:endEvent id="einde">
      <bpmn:incoming>aanval</bpmn:incoming>
      <bpmn:incoming>standaard</bpmn:incoming>
    </bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def _workflow(condition: str) -> BpmnWorkflow:
    root = parse_xml(BPMN.format(condition=condition).encode(), "poging.bpmn")
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(root, filename="poging.bpmn")
    engine = PythonScriptEngine(environment=RestrictedEnvironment())
    return BpmnWorkflow(parser.get_spec("poging"), script_engine=engine)


def _chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def test_gateway_condition_with_import_is_rejected():
    workflow = _workflow("__import__('os').getcwd() == ''")
    with pytest.raises(WorkflowTaskException) as excinfo:
        workflow.do_engine_steps()
    wrapped = excinfo.value
    # PythonScriptEngine.evaluate wraps any non-Spiff exception with a generic message;
    # the original is kept only as the implicit __context__ (and its class name).
    assert "Error evaluating expression" in str(wrapped)
    assert wrapped.error_type == "ExpressionRejected"
    rejected = [e for e in _chain(wrapped) if isinstance(e, ExpressionRejected)]
    assert rejected, _chain(wrapped)
    assert "__import__" in str(rejected[0])
    assert not workflow.is_completed()


def test_gateway_condition_that_is_allowed_runs():
    workflow = _workflow("1 == 2")
    workflow.do_engine_steps()
    assert workflow.is_completed()
