"""Every setting of the runner, declared as data (name, default, help).

``tests/test_settings.py`` fails when a setting here is missing from the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS = (
    Setting("KLACHTEN_INSTANCE_PATH", "instance",
            "Folder for the embedded SQLite database and other local files."),
    Setting("KLACHTEN_DATABASE_URL", "",
            "SQLAlchemy URL; empty means a SQLite file klachten.db in the instance folder. "
            "PostgreSQL: postgresql+psycopg://user@host:5432/db"),
    Setting("KLACHTEN_CLOCK", "real",
            "real, or virtual: a clock stored in the database (klachten clock ...) for tests, "
            "demos and simulation."),
    Setting("KLACHTEN_WORKER_INTERVAL", "5", "Seconds between two timer sweeps of the worker."),
    Setting("KLACHTEN_TEST_DATABASE_URL", "",
            "Tests only: also run the suite on this PostgreSQL database."),
)


def get(name: str) -> str:
    setting = next(s for s in SETTINGS if s.name == name)
    return os.environ.get(name, setting.default)


def database_url() -> str:
    url = get("KLACHTEN_DATABASE_URL")
    if url:
        return url
    folder = Path(get("KLACHTEN_INSTANCE_PATH")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'klachten.db'}"
