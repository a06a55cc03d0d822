"""A private PostgreSQL cluster for a test that must stop and start its server (the shared
server of the test suite is never restarted): initdb into a temporary folder, on a free
port, as the user ``postgres`` when the tests run as root."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from local_servers import free_port


def postgres_bin() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin`` holding initdb; a clear failure without."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(Path(path).parts[-3]))
    assert found, ("initdb niet gevonden onder /usr/lib/postgresql/*/bin: installeer de "
                   "PostgreSQL-server (Debian: postgresql) om deze test te draaien")
    return Path(found[-1]).parent


class PrivateCluster:
    """``start``, ``stop`` and ``restart`` a throw-away server; ``url`` to connect to it."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        # not under pytest's tmp_path: its parents are closed to the user postgres
        self.root = Path(tempfile.mkdtemp(prefix="klachten-pg-"))
        self.data = self.root / "data"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "--no-instructions")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "server.log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run([*self._as_postgres, str(self.bin / program), *args],
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, f"{program}: {result.stderr or result.stdout}"
