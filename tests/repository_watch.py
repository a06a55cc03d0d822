"""Notices files that tests leave in the repository: every folder's entries are listed once,
then only the folders whose modification time changed are listed again."""

from __future__ import annotations

import os
from pathlib import Path

# Written by any test run, on purpose: Python's byte code, the npm packages (a symlink in a
# worktree), the browser tests' screenshots (README: test-artifacts/), package metadata.
UNWATCHED = frozenset({"node_modules", "__pycache__", "test-artifacts"})


def watched(name: str) -> bool:
    """Hidden names (.git, .venv, .pytest_cache, an editor's swap file) and build output
    are not the tests' business."""
    return not name.startswith(".") and name not in UNWATCHED \
        and not name.endswith(".egg-info")


def _entries(folder: Path) -> frozenset[str]:
    try:
        return frozenset(name for name in os.listdir(folder) if watched(name))
    except FileNotFoundError:
        return frozenset()


def _mtime(folder: Path) -> int:
    try:
        return folder.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


class RepositoryWatch:
    """The repository's folders as they were; ``new_files()`` tells what appeared since."""

    def __init__(self, root: Path):
        self.root = root
        self.seen: dict[Path, tuple[int, frozenset[str]]] = {}
        self._record(root)

    def _record(self, folder: Path) -> None:
        self.seen[folder] = (_mtime(folder), _entries(folder))
        for name in self.seen[folder][1]:
            if (folder / name).is_dir() and not (folder / name).is_symlink():
                self._record(folder / name)

    def new_files(self) -> list[str]:
        """Paths (relative to the root) that appeared since the last call, sorted; a new
        folder counts once, with its name."""
        found = []
        for folder, (mtime, names) in list(self.seen.items()):
            if _mtime(folder) == mtime:
                continue
            now = _entries(folder)
            self.seen[folder] = (_mtime(folder), now)
            for name in sorted(now - names):
                found.append(str((folder / name).relative_to(self.root)))
                if (folder / name).is_dir():
                    self._record(folder / name)
        return sorted(found)
