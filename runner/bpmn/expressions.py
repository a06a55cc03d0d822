"""Restricted script environment for SpiffWorkflow BPMN/DMN expressions and scripts.

SpiffWorkflow's default ``TaskDataEnvironment`` runs ``eval``/``exec`` with the full
builtins, so a gateway condition such as ``__import__('os').system(...)`` would run.
This module compiles every expression and script with RestrictedPython
(``compile_restricted_eval`` / ``compile_restricted_exec``) and runs the result with
a small set of guarded builtins.

Rejected at compile time (raised as :class:`~runner.bpmn.errors.ExpressionRejected`):

* syntax errors;
* ``import`` / ``from ... import`` statements;
* names and attributes starting with ``_`` (``__import__``, ``x.__class__``, ...);
* the names ``open``, ``eval``, ``exec``, ``compile``, ``globals``, ``locals``,
  ``vars``, ``dir``, ``breakpoint``, ``input``, ``help``, ``exit``, ``quit``,
  ``memoryview``;
* ``getattr``/``hasattr``/``setattr``/``delattr`` with a literal name starting with ``_``.

Rejected at run time (also :class:`ExpressionRejected`): ``getattr`` with a computed
name that starts with ``_`` and ``str.format`` fields that reach for such attributes.

Limited at run time (also :class:`ExpressionRejected`), so that a model cannot stall a
worker or fill its memory: each evaluation or script gets a budget of ``MAX_STEPS`` steps
(an item of any loop, comprehension or ``*`` unpacking, a turn of a ``while`` loop, a call of
a function defined in the script) and ``MAX_SECONDS`` of wall time; every operation that can
make a value much larger than its inputs (``*``, ``**``, ``<<``, ``+``, ``%``, format widths
in ``str.format``, f-strings and ``%``, ``ljust``/``rjust``/``center``/``zfill``,
``expandtabs``, ``replace``, ``join``, ``range``, ``pow``) is checked before it runs, and
the result of an expression must hold at most ``MAX_SIZE`` characters or elements; ``pow``
with a modulus is refused when its cost (exponent bits times modulus bits squared) passes
``MAX_MODPOW``, ``sum`` of sequences beyond ``MAX_SIZE``; and everything the guarded
operations make in one evaluation or script counts against ``MAX_MADE`` (a loop that keeps
a thousand strings of 1 MB is refused at the tenth). These limits are checked before each C
call runs, in the process (a subprocess per evaluation would cost more than the action
itself); :func:`bounded` and :func:`step` give the same budget to other evaluators (templates).

Ordinary runtime errors (``NameError``, ``KeyError``, ``TypeError``, ...) are left
alone, so SpiffWorkflow wraps them as usual.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import functools
import operator
import re
import string
import time
from _string import formatter_field_name_split  # the helper behind string.Formatter
from collections.abc import Callable, Iterator, Mapping
from types import CodeType
from typing import Any, Literal, TypeVar, cast

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
    safer_getattr_raise,
)
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)

from .errors import ExpressionRejected

__all__ = ["RestrictedEnvironment", "bounded", "check_binary", "check_expression", "grows_text",
           "step"]

Mode = Literal["eval", "exec"]

# Names that are never offered and must not even be mentioned in an expression.
FORBIDDEN_NAMES = frozenset(
    {
        "open",
        "eval",
        "exec",
        "compile",
        "globals",
        "locals",
        "vars",
        "dir",
        "breakpoint",
        "input",
        "help",
        "exit",
        "quit",
        "memoryview",
    }
)

# Builtins that take an attribute name; a literal "_..." name is rejected when compiling.
_ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "hasattr", "setattr", "delattr"})

MAX_STEPS = 100_000  # loop items, while turns and calls of one evaluation or script
MAX_SECONDS = 2.0  # wall time of one evaluation or script (a backstop for the steps)
MAX_SIZE = 1_000_000  # characters or elements of one value
MAX_INT_BITS = 100_000  # bits of one integer (about 30 000 digits)
MAX_WIDTH = 10_000  # a width or precision in a format specification
MAX_MODPOW = 10**9  # exponent bits x modulus bits squared of one pow(a, b, m) (< 50 ms)
MAX_MADE = 10 * MAX_SIZE  # characters or elements all guarded operations of one run make
_CLOCK_EVERY = 256  # steps between two looks at the clock

_MESSAGE_SOURCE_LIMIT = 200
_COMPILE_CACHE_SIZE = 4096
_MISSING: Any = object()


# --------------------------------------------------------------------------- compiling


class _ExpressionPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: no imports, no dangerous builtin names."""

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import is niet toegestaan")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "import is niet toegestaan")
        return node

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is niet toegestaan')
            return node
        return super().visit_Name(node)

    def visit_While(self, node: ast.While) -> Any:
        """Each turn of a ``while`` loop costs a step."""
        node = cast(ast.While, super().visit_While(node))
        node.body.insert(0, _located(ast.Expr(_step_call()), node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        """Each call of a function defined in a script costs a step."""
        node = cast(ast.FunctionDef, super().visit_FunctionDef(node))
        node.body.insert(0, _located(ast.Expr(_step_call()), node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        """Each call of a lambda costs a step (``lambda x: e`` runs ``_step_(e)``)."""
        node = cast(ast.Lambda, super().visit_Lambda(node))
        node.body = _located(_step_call(node.body), node.body)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        """``a * b`` (and ``**``, ``<<``, ``+``, ``%``) runs as ``_binop_("*", a, b)``."""
        node = cast(ast.BinOp, super().visit_BinOp(node))
        symbol = _GUARDED_OPERATORS.get(type(node.op))
        if symbol is None:
            return node
        return _located(ast.Call(ast.Name("_binop_", ast.Load()),
                                 [ast.Constant(symbol), node.left, node.right], []), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        """``f'{v!r:>{w}}'`` runs as ``_format_(v, "r", f'>{w}')``: the width is checked."""
        node = cast(ast.FormattedValue, super().visit_FormattedValue(node))
        spec = node.format_spec or ast.Constant("")
        node.value = _located(ast.Call(ast.Name("_format_", ast.Load()), [
            node.value, ast.Constant(chr(node.conversion) if node.conversion > 0 else ""),
            spec], []), node.value)
        node.conversion, node.format_spec = -1, None
        return node

    def visit_Starred(self, node: ast.Starred) -> Any:
        """``[*a, *b]`` iterates through ``_getiter_``, item by item, like a loop."""
        node = cast(ast.Starred, super().visit_Starred(node))
        if isinstance(node.ctx, ast.Load):
            node.value = _located(ast.Call(ast.Name("_getiter_", ast.Load()), [node.value], []),
                                  node.value)
        return node

    def visit_Call(self, node: ast.Call) -> Any:
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in _ATTRIBUTE_FUNCTIONS
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and node.args[1].value.startswith("_")
        ):
            self.error(
                node,
                f'{node.func.id}() met attribuut "{node.args[1].value}" is niet toegestaan',
            )
            return node
        return super().visit_Call(node)


_GUARDED_OPERATORS = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Add: "+",
                      ast.Mod: "%"}


def _step_call(*args: ast.expr) -> ast.Call:
    return ast.Call(ast.Name("_step_", ast.Load()), list(args), [])


def _located(new: ast.AST, old: ast.AST) -> Any:
    """``new`` (a node the policy made) at the place of ``old``, its parts too."""
    return ast.fix_missing_locations(ast.copy_location(new, old))


@functools.lru_cache(maxsize=_COMPILE_CACHE_SIZE)
def _compile(source: str, mode: Mode) -> tuple[CodeType | None, tuple[str, ...]]:
    """Compile ``source`` once; return the code object or the list of problems.

    The filename stays ``<string>``: SpiffWorkflow looks for that name in the traceback
    to report the line number of a failing script.
    """
    if not isinstance(source, str):
        return None, (f"verwacht tekst, kreeg {type(source).__name__}",)
    if mode == "eval":
        # An expression cannot start with meaningful whitespace, and SpiffWorkflow passes
        # the raw text of e.g. <conditionExpression>, which is often on its own indented line.
        result = compile_restricted_eval(source.strip(), policy=_ExpressionPolicy)
    elif mode == "exec":
        result = compile_restricted_exec(source, policy=_ExpressionPolicy)
    else:
        raise ValueError(f"unknown mode {mode!r}")
    if result.errors or result.code is None:
        return None, tuple(result.errors) or ("kan niet gecompileerd worden",)
    return result.code, ()


def _show(source: object) -> str:
    """Render a source text on one line for an error message."""
    text = str(source).strip().replace("\r\n", "\n").replace("\n", "\\n")
    if len(text) > _MESSAGE_SOURCE_LIMIT:
        text = text[: _MESSAGE_SOURCE_LIMIT - 1] + "…"
    return text


def _rejected(source: object, reason: str) -> ExpressionRejected:
    return ExpressionRejected(f'Expressie geweigerd: "{_show(source)}": {reason}')


def _compiled(source: str, mode: Mode) -> CodeType:
    code, errors = _compile(source, mode)
    if code is None:
        raise _rejected(source, "; ".join(dict.fromkeys(e.rstrip(".") for e in errors)))
    return code


def check_expression(source: str, mode: Mode = "eval") -> None:
    """Compile ``source`` without running it; raise ExpressionRejected on a problem."""
    _compiled(source, mode)


# --------------------------------------------------------------------------- guards


class _Forbidden(Exception):
    """Raised by a runtime guard; turned into ExpressionRejected with the source."""


def _check_attribute_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    if name.startswith("_") or name in INSPECT_ATTRIBUTES:
        raise _Forbidden(f'attribuut "{name}" is niet toegestaan')
    return name


class _SafeFormatter(string.Formatter):
    """``str.format`` whose fields cannot reach private attributes."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, Any]:
        first, rest = formatter_field_name_split(field_name)
        rest = list(rest)
        for is_attribute, key in rest:
            if is_attribute:
                _check_attribute_name(key)
        obj = self.get_value(first, args, kwargs)
        for is_attribute, key in rest:
            obj = _guarded_getattr(obj, key) if is_attribute else obj[key]
        return obj, first

    def format_field(self, value: Any, format_spec: str) -> Any:
        return super().format_field(value, _checked_spec(format_spec))

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        return _sized(super().vformat(format_string, args, kwargs))


_FORMATTER = _SafeFormatter()


def _safe_format(template: str, /, *args: Any, **kwargs: Any) -> str:
    return _FORMATTER.vformat(template, args, kwargs)


def _safe_format_map(template: str, mapping: Mapping[str, Any], /) -> str:
    return _FORMATTER.vformat(template, (), mapping)


_STR_FORMATTERS: dict[str, Callable[..., str]] = {
    "format": _safe_format,
    "format_map": _safe_format_map,
}


# --------------------------------------------------------------------------- size limits


_T = TypeVar("_T")


def _too_large() -> _Forbidden:
    return _Forbidden(f"resultaat te groot (meer dan {MAX_SIZE} tekens of elementen)")


def _sized(value: _T) -> _T:
    """``value`` when it holds at most MAX_SIZE characters or elements (nested: in all)."""
    budget = [MAX_SIZE]

    def count(item: Any) -> None:
        if isinstance(item, str | bytes | bytearray):
            budget[0] -= len(item)
        elif isinstance(item, list | tuple | set | frozenset | dict):
            budget[0] -= len(item)
            if budget[0] >= 0:
                for part in (item.items() if isinstance(item, dict) else item):
                    count(part)
                    if budget[0] < 0:
                        break
        if budget[0] < 0:
            raise _too_large()

    count(value)
    return value


_NUMBERS_IN_SPEC = re.compile(r"\d+")


def _checked_spec(spec: str) -> str:
    """A format specification whose width and precision are at most MAX_WIDTH."""
    if any(int(number) > MAX_WIDTH for number in _NUMBERS_IN_SPEC.findall(spec)):
        raise _Forbidden(f"opmaak te groot (breedte of precisie meer dan {MAX_WIDTH})")
    return spec


_PERCENT_FIELDS = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _checked_percent_template(template: str) -> None:
    for width, precision in _PERCENT_FIELDS.findall(template):
        for number in (width, precision):
            if number == "*":
                raise _Forbidden("opmaak met * is niet toegestaan")
            if number and int(number) > MAX_WIDTH:
                raise _Forbidden(f"opmaak te groot (breedte of precisie meer dan {MAX_WIDTH})")


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _check_multiply(left: Any, right: Any) -> None:
    for sequence, count in ((left, right), (right, left)):
        size = _length(sequence)
        if size is not None and _is_int(count) and size * max(count, 0) > MAX_SIZE:
            raise _too_large()
    if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise _too_large()


def _check_power(base: Any, exponent: Any) -> None:
    if (_is_int(base) and _is_int(exponent) and abs(base) > 1
            and exponent * base.bit_length() > MAX_INT_BITS):
        raise _too_large()


def _check_shift(value: Any, shift: Any) -> None:
    if _is_int(value) and _is_int(shift) and value and shift + value.bit_length() > MAX_INT_BITS:
        raise _too_large()


def _check_add(left: Any, right: Any) -> None:
    left_size, right_size = _length(left), _length(right)
    if left_size is not None and right_size is not None and left_size + right_size > MAX_SIZE:
        raise _too_large()


def _check_percent(template: Any, arguments: Any) -> None:
    if isinstance(template, str):
        _checked_percent_template(template)
        values = arguments if isinstance(arguments, tuple) else (arguments,)
        for value in values:
            _sized(value)


_BINARY_CHECKS: dict[str, Callable[[Any, Any], None]] = {
    "*": _check_multiply, "**": _check_power, "<<": _check_shift, "+": _check_add,
    "%": _check_percent}
_BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "+": operator.add,
    "%": operator.mod}


def _binop(symbol: str, left: Any, right: Any) -> Any:
    """``left symbol right`` after checking that the result cannot be huge."""
    _BINARY_CHECKS[symbol](left, right)
    return _made(_BINARY_OPERATORS[symbol](left, right))


def grows_text(name: str) -> bool:
    """Whether the str method ``name`` can make a text much larger than itself."""
    return name in _STR_GROWERS or name in _STR_FORMATTERS


def check_binary(symbol: str, left: Any, right: Any) -> None:
    """Refuse ``left symbol right`` when its result would be huge (for other evaluators, such
    as the notice templates' sandbox); raises :class:`ExpressionRejected`."""
    check = _BINARY_CHECKS.get(symbol)
    try:
        if check is not None:
            check(left, right)
        if symbol == "**" and _is_int(left) and _is_int(right):
            _check_power(left, right)
    except _Forbidden as exc:
        raise ExpressionRejected(str(exc)) from None


def _format(value: Any, conversion: str, spec: str) -> str:
    """An f-string field: ``!s``/``!r``/``!a``, then ``format`` with a checked spec."""
    converters: dict[str, Callable[[Any], Any]] = {"s": str, "r": repr, "a": ascii}
    converted = converters.get(conversion, lambda v: v)(_sized(value))
    return _made(format(converted, _checked_spec(spec)))


def _guarded_pow(base: Any, exponent: Any, modulus: Any = None) -> Any:
    """``pow`` with its cost checked first: with a modulus, one C call squares numbers of
    the modulus' size once per bit of the exponent (``pow(3, 1 << 20000, (1 << 20000) + 1)``
    ran for 32 s without meeting the step or time budget)."""
    if modulus is None:
        _check_power(base, exponent)
    elif (_is_int(exponent) and _is_int(modulus)
          and abs(exponent).bit_length() * modulus.bit_length() ** 2 > MAX_MODPOW):
        raise _Forbidden("berekening te zwaar (pow met een te grote exponent of modulus)")
    return _made(pow(base, exponent, modulus))


def _guarded_sum(values: Any, start: Any = 0) -> Any:
    """``sum`` that refuses to add up sequences beyond MAX_SIZE (one C call, quadratic)."""
    items = list(values)
    first = _length(start)
    if first is not None and first + sum(_length(item) or 0 for item in items) > MAX_SIZE:
        raise _too_large()
    return _made(sum(items, start))


def _guarded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_SIZE:
        raise _too_large()
    return _made(numbers)  # what list(range(...)) makes


def _padding(method: Callable[..., str]) -> Callable[..., str]:
    def padded(width: int, *args: Any) -> str:
        if _is_int(width) and width > MAX_SIZE:
            raise _too_large()
        return _made(method(width, *args))
    return padded


def _expandtabs(text: str) -> Callable[..., str]:
    def expand(tabsize: int = 8) -> str:
        if _is_int(tabsize) and text.count("\t") * max(tabsize, 0) + len(text) > MAX_SIZE:
            raise _too_large()
        return _made(text.expandtabs(tabsize))
    return expand


def _replace(text: str) -> Callable[..., str]:
    def replace(old: str, new: str, count: int = -1) -> str:
        if isinstance(old, str) and isinstance(new, str):
            found = text.count(old) if count < 0 else min(count, text.count(old))
            if len(text) + found * (len(new) - len(old)) > MAX_SIZE:
                raise _too_large()
        return _made(text.replace(old, new, count))
    return replace


def _join(separator: str) -> Callable[..., str]:
    def join(parts: Any) -> str:
        items = list(parts)
        total = sum(len(i) for i in items if isinstance(i, str))
        if total + len(separator) * max(len(items) - 1, 0) > MAX_SIZE:
            raise _too_large()
        return _made(separator.join(items))
    return join


# str methods that can make a text much larger than itself (guarded here; the notice
# templates' sandbox refuses them).
_STR_GROWERS: dict[str, Callable[[str], Callable[..., str]]] = {
    "ljust": lambda text: _padding(text.ljust),
    "rjust": lambda text: _padding(text.rjust),
    "center": lambda text: _padding(text.center),
    "zfill": lambda text: _padding(text.zfill),
    "expandtabs": _expandtabs,
    "replace": _replace,
    "join": _join,
}


class _Budget:
    """The steps, the time and the size of what guarded operations make that one evaluation
    or script may use."""

    def __init__(self) -> None:
        self.steps = 0
        self.made = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def make(self, size: int) -> None:
        self.made += size
        if self.made > MAX_MADE:
            raise _Forbidden(f"te veel gemaakt (meer dan {MAX_MADE} tekens of elementen in "
                             "één berekening)")

    def step(self, value: Any = None) -> Any:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Forbidden(f"te veel stappen (meer dan {MAX_STEPS})")
        if self.steps % _CLOCK_EVERY == 0 and time.monotonic() > self.deadline:
            raise _Forbidden(f"duurt te lang (meer dan {MAX_SECONDS:g} s)")
        return value

    def iterate(self, iterable: Any) -> Any:
        for item in iterable:
            self.step()
            yield item

    def guards(self) -> dict[str, Any]:
        return {"_getiter_": self.iterate, "_step_": self.step}


_CURRENT: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "expression_budget", default=None)


def _made(value: _T) -> _T:
    """Count what a guarded operation made against the running evaluation's budget: a loop
    of 1 MB strings (each one allowed) must not fill the memory."""
    size = _length(value)
    budget = _CURRENT.get()
    if size and budget is not None:
        budget.make(size)
    return value


@contextlib.contextmanager
def bounded() -> Iterator[_Budget]:
    """A fresh budget for one evaluation (also for the notice templates' sandbox)."""
    budget = _Budget()
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def step(value: Any = None) -> Any:
    """One step of the running budget (a loop item); raises ExpressionRejected when spent."""
    budget = _CURRENT.get()
    if budget is None:
        return value
    try:
        return budget.step(value)
    except _Forbidden as exc:
        raise ExpressionRejected(str(exc)) from None


def _guarded_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """``_getattr_`` and the offered ``getattr``.

    Built on RestrictedPython's ``safer_getattr``, with two differences: a missing
    attribute raises AttributeError (as in plain Python) unless a default is given,
    and ``str.format``/``format_map`` use a formatter that guards field access instead
    of being refused.
    """
    _check_attribute_name(name)
    if isinstance(obj, str) and name in _STR_GROWERS:
        return _STR_GROWERS[name](obj)
    if name in _STR_FORMATTERS:
        if isinstance(obj, str):
            return functools.partial(_STR_FORMATTERS[name], obj)
        if isinstance(obj, type) and issubclass(obj, str):
            return _STR_FORMATTERS[name]
    try:
        if default is _MISSING:
            return safer_getattr_raise(obj, name)
        return safer_getattr(obj, name, default)
    except NotImplementedError as exc:  # safer_getattr refuses string.Formatter & co.
        raise _Forbidden(str(exc)) from None


def _from_guard(source: str, exc: _Forbidden) -> ExpressionRejected:
    """Turn a guard's refusal into ExpressionRejected, keeping the traceback.

    SpiffWorkflow looks for the ``<string>`` frame in the traceback to report the
    line of a failing script, so the original frames are kept.
    """
    return _rejected(source, str(exc)).with_traceback(exc.__traceback__)


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


_INPLACE_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
    "@=": operator.imatmul,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    try:
        function = _INPLACE_OPERATORS[op]
    except KeyError:
        raise _Forbidden(f"operator {op} is niet toegestaan") from None
    check = _BINARY_CHECKS.get(op[:-1])
    if check:
        check(target, value)
    return _made(function(target, value))


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


_GUARDS: dict[str, Any] = {
    "_getattr_": _guarded_getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,  # replaced per evaluation by the budget's counting iterator
    "_step_": lambda value=None: value,  # likewise
    "_binop_": _binop,
    "_format_": _format,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,  # lets scripts write to dicts and lists only
    "_inplacevar_": _inplacevar,
    "_apply_": _apply,
    "_print_": PrintCollector,
}

_OFFERED_BUILTINS: dict[str, Any] = {
    "len": len,
    "min": min,
    "max": max,
    "sum": _guarded_sum,
    "sorted": lambda *args, **kwargs: _made(sorted(*args, **kwargs)),
    "reversed": reversed,
    "any": any,
    "all": all,
    "abs": abs,
    "round": round,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "dict": dict,
    "list": list,
    "set": set,
    "frozenset": frozenset,
    "tuple": tuple,
    "range": _guarded_range,
    "pow": _guarded_pow,
    "enumerate": enumerate,
    "zip": zip,
    "isinstance": isinstance,
    "getattr": _guarded_getattr,
}

# Names the generated code may leave behind in the script's globals (= the task data).
_GENERATED_NAMES = frozenset({"_print"})


def _builtins() -> dict[str, Any]:
    builtins = dict(safe_builtins)
    # Scripts only need to write to dicts and lists; drop the attribute writers.
    builtins.pop("setattr", None)
    builtins.pop("delattr", None)
    builtins.update(_OFFERED_BUILTINS)
    builtins.update(_GUARDS)
    for name in FORBIDDEN_NAMES:
        builtins.pop(name, None)
    return builtins


# --------------------------------------------------------------------------- environment


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that runs RestrictedPython-compiled code.

    Same contract as SpiffWorkflow's ``TaskDataEnvironment``: ``evaluate`` reads the
    task data without changing it; ``execute`` runs a script with the task data as its
    globals, so assignments land in the task data, and afterwards removes the
    builtins, functions and offered names again.

    ``functions`` are extra names offered to expressions and scripts (for example
    helpers such as ``werkdagen_tot``); task data may not overwrite them.
    """

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None):
        offered = dict(functions or {})
        for name in offered:
            if not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"invalid function name for expressions: {name!r}")
        super().__init__(environment_globals=offered)
        self._runtime: dict[str, Any] = {"__builtins__": _builtins(), **_GUARDS}

    def evaluate(
        self,
        expression: str,
        context: dict[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> Any:
        code = _compiled(expression, "eval")
        scope = dict(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        scope.update(self._runtime)  # last, so task data cannot shadow the guards
        budget = _Budget()
        scope.update(budget.guards())
        token = _CURRENT.set(budget)
        try:
            return _sized(eval(code, scope))
        except _Forbidden as exc:
            raise _from_guard(expression, exc) from None
        finally:
            _CURRENT.reset(token)

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> bool:
        external = dict(external_context or {})
        code = _compiled(script, "exec")
        self.check_for_overwrite(context, external)
        shadowed = {name: context[name] for name in self._runtime if name in context}
        context.update(self.globals)
        context.update(external)
        context.update(self._runtime)
        budget = _Budget()
        context.update(budget.guards())
        token = _CURRENT.set(budget)
        try:
            exec(code, context)
            _sized({name: value for name, value in context.items()
                    if name not in self._runtime and not callable(value)})
        except _Forbidden as exc:
            raise _from_guard(script, exc) from None
        finally:
            _CURRENT.reset(token)
            self._clean_context(context, external)
            context.update(shadowed)
        return True

    def _clean_context(self, context: dict[str, Any], external: Mapping[str, Any]) -> None:
        """Remove builtins, guards, functions and offered names from the task data."""
        for name in list(context):
            if (
                name in self._runtime
                or name in _GENERATED_NAMES
                or callable(context[name])
                or name in self.globals
                or name in external
            ):
                del context[name]

    def check_for_overwrite(
        self, context: Mapping[str, Any], external_context: Mapping[str, Any]
    ) -> None:
        """Fail fast when task data would hide an offered function (as TaskDataEnvironment)."""
        overwrites = set(self.globals).intersection(context)
        overwrites.update(set(external_context).intersection(context))
        if overwrites:
            raise ValueError(
                "You have task data that overwrites a predefined function(s). Please change "
                f"the following variable or field name(s) to something else: {overwrites}"
            )
