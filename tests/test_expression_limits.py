"""Expressions cannot run for seconds or build huge values: a step budget, a time budget
and size caps, each refused with a clear error (issue 14, item 9, first half)."""

from __future__ import annotations

import time

import pytest

from runner.bpmn.errors import ExpressionRejected
from runner.bpmn.expressions import MAX_MADE, MAX_SIZE, MAX_STEPS, RestrictedEnvironment


@pytest.fixture
def env() -> RestrictedEnvironment:
    return RestrictedEnvironment()


@pytest.mark.parametrize("expression", [
    "sum(1 for a in range(15000) for b in range(10000))",  # the 150-million-step generator
    "len([a for a in range(2000) for b in range(2000)])",
    "any(a < 0 for a in range(900000))",
    "(lambda f: f(f, 60))(lambda f, n: 1 if n == 0 else f(f, n - 1) + f(f, n - 1))",
])
def test_long_computations_are_stopped(env, expression):
    # The step budget stops these; on a very busy machine the time budget may come first.
    with pytest.raises(ExpressionRejected,
                       match=f"te veel stappen \\(meer dan {MAX_STEPS}\\)|duurt te lang"):
        env.evaluate(expression, {})


def test_an_endless_loop_in_a_script_is_stopped(env):
    context = {"n": 0}
    with pytest.raises(ExpressionRejected, match=r"te veel stappen|duurt te lang"):
        env.execute("while True:\n    n = n + 1\n", context)


@pytest.mark.parametrize("expression", [
    "'{:>20000000}'.format(1)",
    "f'{1:>20000000}'",
    "f'{1:>{breedte}}'",
    "'%20000000d' % 1",
    "'%*d' % (20000000, 1)",
    "'x' * 20000000",
    "[0] * 20000000",
    "'x'.ljust(20000000)",
    "'x'.center(breedte)",
    "'1'.zfill(20000000)",
    "('\\t' * 1000).expandtabs(100000)",
    "('a' * 10000).replace('', 'b' * 1000)",
    "('b' * 1000).join(['a'] * 100000)",
    "10 ** 10 ** 8",
    "pow(10, 10 ** 8)",
    "1 << 10 ** 9",
    "len(range(10 ** 12))",
    "[*big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big, *big]",
    "big * 20",
])
def test_huge_values_are_refused(env, expression):
    data = {"breedte": 20_000_000, "big": list(range(100_000))}
    with pytest.raises(ExpressionRejected, match=r"te groot|te veel stappen|\* is niet toeg"):
        env.evaluate(expression, data)


def test_doubling_in_a_loop_is_refused(env):
    with pytest.raises(ExpressionRejected, match="te groot"):
        env.execute("s = 'x'\nfor i in range(40):\n    s = s + s\n", {})
    with pytest.raises(ExpressionRejected, match="te groot"):
        env.execute("s = [1]\nfor i in range(40):\n    s += s\n", {})


def test_the_refusal_names_the_expression_on_one_line(env):
    with pytest.raises(ExpressionRejected) as refused:
        env.evaluate("'x' * 20000000", {})
    message = str(refused.value)
    assert message.startswith("Expressie geweigerd: \"'x' * 20000000\": ")
    assert f"te groot (meer dan {MAX_SIZE} tekens of elementen)" in message
    assert "\n" not in message


@pytest.mark.parametrize(("expression", "expected"), [
    ("sum(i for i in range(1000))", 499500),
    ("'{:>6}'.format('ab')", "    ab"),
    ("f'{n:05d}'", "00042"),
    ("'%3d' % n", " 42"),
    ("'-' * 20", "-" * 20),
    ("[0] * 3 + [1]", [0, 0, 0, 1]),
    ("2 ** 64", 2 ** 64),
    ("1 << 10", 1024),
    ("'a'.ljust(3) + 'b'.zfill(2)", "a  0b"),
    ("', '.join(['a', 'b'])", "a, b"),
    ("'a-b'.replace('-', '+')", "a+b"),
    ("[*[1, 2], *[3]]", [1, 2, 3]),
    ("pow(2, 10) + pow(3, 2, 5)", 1028),
    ("len(range(100))", 100),
    ("'P%dD' % 14", "P14D"),
])
def test_ordinary_expressions_are_unaffected(env, expression, expected):
    assert env.evaluate(expression, {"n": 42}) == expected


def test_the_budget_is_per_evaluation(env):
    for _ in range(5):
        assert env.evaluate("sum(1 for a in range(60000))", {}) == 60000


def test_a_deployed_model_with_an_endless_condition_cannot_stall_the_runner(klachten,
                                                                           processes_copy):
    """Through the real entry points: a model whose admissibility gateway runs a
    150-million-step generator, deployed; completing the task stops at the gateway within
    the budget and becomes an incident that names the reason."""
    from conftest import Harness

    from runner.definition.model import read_folder

    bpmn = processes_copy / "klachtenprocedure.bpmn"
    condition = "ontvankelijkheid['ontvankelijk'] == 'nee'"
    text = bpmn.read_text(encoding="utf-8")
    assert condition in text
    bpmn.write_text(text.replace(condition, "sum(1 for a in range(15000) for b in "
                                 "range(10000)) &gt; 0 and " + condition), encoding="utf-8")
    klachten.deploy_unchecked(read_folder(processes_copy))
    case = Harness(klachten).submit()
    before = case.info
    case.admissible()
    [incident] = case.info.incidents
    assert incident.element == "is_ontvankelijk"
    assert "te veel stappen (meer dan 100000)" in incident.error or (
        "duurt te lang" in incident.error)
    assert before.incidents == ()


# --------------------------------------------------------------- issue 25, item 3 (probe)

@pytest.mark.parametrize(("expression", "reason"), [
    ("pow(3, 1 << 20000, (1 << 20000) + 1)", "berekening te zwaar"),  # 32 s in one C call
    ("pow(3, 10 ** 6000, 10 ** 300 + 7)", "berekening te zwaar"),
    ("'x' * 10 ** 9", "te groot"),
    ("sum([[0] * 999999] * 100, [])", "te groot"),
])
def test_one_c_call_cannot_bypass_the_budget(env, expression, reason):
    started = time.monotonic()
    with pytest.raises(ExpressionRejected, match=reason):
        env.evaluate(expression, {})
    assert time.monotonic() - started < 0.5


def test_a_loop_keeping_strings_of_a_megabyte_is_stopped(env):
    """The probe's loop reached 2.4 GB: each string was allowed, together they were not."""
    script = "kept = []\nfor i in range(3000):\n    kept.append('x' * 999999)\n"
    with pytest.raises(ExpressionRejected, match=f"te veel gemaakt \\(meer dan {MAX_MADE}"):
        env.execute(script, {})


def test_a_modest_modular_power_still_works(env):
    assert env.evaluate("pow(3, 65537, 2 ** 512 + 1)", {}) == pow(3, 65537, 2 ** 512 + 1)
    assert env.evaluate("sum([[1], [2]], [])", {}) == [1, 2]


@pytest.mark.parametrize(("template", "reason"), [
    ("{% for i in range(10**9) %}x{% endfor %}", "Range too big|te veel stappen"),
    ("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
     "te veel stappen"),
    ("{% for a in tekst %}{% for b in tekst %}{% endfor %}{% endfor %}", "te veel stappen"),
    ("{{ 'x' * 10**9 }}", "te groot"),
    ("{% for i in range(1000) %}{{ 'x' * 999999 }}{% endfor %}", "bericht te lang"),
    ("{{ '{:>999999999}'.format(1) }}", "unsafe"),
    ("{{ 'x'.ljust(10**9) }}", "unsafe"),
    ("{{ '%999999999d' % 1 }}", "opmaak te groot"),
    ("{{ 'x' | center(10**9) }}", "No filter named 'center'"),
])
def test_a_notice_template_is_bounded(template, reason):
    from runner.definition.notice_templates import NoticeRenderer

    renderer = NoticeRenderer({"proef.txt": f"Onderwerp\n\n{template}"})
    started = time.monotonic()
    with pytest.raises(Exception, match=reason):
        renderer.render("proef", {"tekst": "y" * 5000})
    assert time.monotonic() - started < 3


def test_a_deployed_template_loop_is_an_incident_not_a_hung_worker(klachten, processes_copy):
    """Through the real entry points: the acknowledgement template loops 10**10 times; the
    complaint is kept, its notice task fails within the budget, an incident names it."""
    from conftest import complaint

    from runner.definition.model import read_folder

    template = processes_copy / "notices" / "nl" / "ontvangstmelding.txt"
    template.write_text(template.read_text(encoding="utf-8") + "{% for i in range(99999) %}"
                        "{% for j in range(99999) %}{% endfor %}{% endfor %}\n",
                        encoding="utf-8")
    klachten.deploy_unchecked(read_folder(processes_copy))
    started = time.monotonic()
    number = klachten.submit(complaint()).dossier_number
    assert time.monotonic() - started < 10
    [incident] = klachten.dossier(number).incidents
    assert incident.element == "ontvangstmelding"
    assert "te veel stappen (meer dan 100000)" in incident.error or (
        "duurt te lang" in incident.error)
