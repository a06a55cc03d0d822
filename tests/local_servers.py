"""Servers the tests start on loopback: a free port for one, and waiting until it answers."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx

# Generous: a server's first start parses and runs the model, on a 2-core machine that a
# parallel suite (and perhaps other work) keeps busy.
START_SECONDS = 180


def free_port() -> int:
    """A TCP port free on loopback right now, for a server in a child process (a server in
    this process binds port 0 itself and reports the port it got)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(base: str, process: subprocess.Popen, log: Path,
                       seconds: float = START_SECONDS) -> None:
    """Return once ``base``/healthz answers; fail with the server's log when the process
    ends first or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(f"{base}/healthz", timeout=5)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(log.read_text()) from None
            time.sleep(0.2)
