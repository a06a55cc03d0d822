"""Restricted script environment for SpiffWorkflow BPMN/DMN expressions and scripts.

SpiffWorkflow's default ``TaskDataEnvironment`` runs ``eval``/``exec`` with the full
builtins, so a gateway condition such as ``__import__('os').system(...)`` would run.
This module compiles every expression and script with RestrictedPython
(``compile_restricted_eval`` / ``compile_restricted_exec``) and runs the result with
a small set of guarded builtins.

Rejected at compile time (raised as :class:`~runner.errors.ExpressionRejected`):

* syntax errors;
* ``import`` / ``from ... import`` statements;
* names and attributes starting with ``_`` (``__import__``, ``x.__class__``, ...);
* the names ``open``, ``eval``, ``exec``, ``compile``, ``globals``, ``locals``,
  ``vars``, ``dir``, ``breakpoint``, ``input``, ``help``, ``exit``, ``quit``,
  ``memoryview``;
* ``getattr``/``hasattr``/``setattr``/``delattr`` with a literal name starting with ``_``.

Rejected at run time (also :class:`ExpressionRejected`): ``getattr`` with a computed
name that starts with ``_`` and ``str.format`` fields that reach for such attributes.

Ordinary runtime errors (``NameError``, ``KeyError``, ``TypeError``, ...) are left
alone, so SpiffWorkflow wraps them as usual.
"""

from __future__ import annotations

import ast
import functools
import operator
import string
from _string import formatter_field_name_split  # the helper behind string.Formatter
from collections.abc import Callable, Mapping
from types import CodeType
from typing import Any, Literal

from RestrictedPython import (
    PrintCollector,
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    safe_builtins,
)
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
    safer_getattr_raise,
)
from RestrictedPython.transformer import INSPECT_ATTRIBUTES
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)

from runner.errors import ExpressionRejected

__all__ = ["RestrictedEnvironment", "check_expression"]

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


_FORMATTER = _SafeFormatter()


def _safe_format(template: str, /, *args: Any, **kwargs: Any) -> str:
    return _FORMATTER.vformat(template, args, kwargs)


def _safe_format_map(template: str, mapping: Mapping[str, Any], /) -> str:
    return _FORMATTER.vformat(template, (), mapping)


_STR_FORMATTERS: dict[str, Callable[..., str]] = {
    "format": _safe_format,
    "format_map": _safe_format_map,
}


def _guarded_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """``_getattr_`` and the offered ``getattr``.

    Built on RestrictedPython's ``safer_getattr``, with two differences: a missing
    attribute raises AttributeError (as in plain Python) unless a default is given,
    and ``str.format``/``format_map`` use a formatter that guards field access instead
    of being refused.
    """
    _check_attribute_name(name)
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
    return function(target, value)


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


_GUARDS: dict[str, Any] = {
    "_getattr_": _guarded_getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
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
    "sum": sum,
    "sorted": sorted,
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
    "range": range,
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
        try:
            return eval(code, scope)
        except _Forbidden as exc:
            raise _from_guard(expression, exc) from None

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
        try:
            exec(code, context)
        except _Forbidden as exc:
            raise _from_guard(script, exc) from None
        finally:
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
