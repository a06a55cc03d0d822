"""What an application hands the runner besides its model files: the plug-in contract.

An application's :class:`Plugins` name its service-task operators, the hooks that derive its
own rows whenever an instance is saved, its lint checks (a :class:`ModelLinter` subclass)
and its model run (a :class:`ModelExplorer` subclass: where the paths start, what is checked
on the way). The runner reads them from the application (``Application.plugins``) and from
nowhere else: nothing is registered by importing a module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .definitions import ProcessModel, content_hash
from .engine import Operator
from .errors import Problem
from .instances import SaveHook
from .lint import ModelLinter, errors
from .model_run import ModelExplorer, run_model

Parse = Callable[[dict[str, str]], ProcessModel]
# A model's problems by its content and the plug-ins that checked it: deploying a model that
# was just linted does not run it again.
_CHECKED: dict[tuple[object, ...], list[Problem]] = {}


@dataclass(frozen=True)
class Plugins:
    """An application's operators, save hooks, lint checks and model run."""

    operators: Mapping[str, Operator]
    save_hooks: tuple[SaveHook, ...] = ()
    linter: type[ModelLinter[Any]] = ModelLinter
    explorer: type[ModelExplorer] | None = None

    def check(self, files: dict[str, str], parse: Parse, run: bool = True) -> list[Problem]:
        """Every problem of a model's files (``{relative path: text}``), in the order
        found, without duplicates: the linter's, then, when ``run`` and those found no
        error, the model run's."""
        key = (content_hash(files), frozenset(self.operators), run, self.linter, self.explorer)
        if key not in _CHECKED:
            linter = self.linter(files, key[1], parse)
            linter.run()
            problems = list(dict.fromkeys(linter.problems))
            if run and self.explorer and linter.model is not None and not errors(problems):
                ran = run_model(files, parse, self.explorer, self.operators)
                problems += [problem for problem in ran if problem not in problems]
            _CHECKED[key] = problems
        return list(_CHECKED[key])
