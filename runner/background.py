"""The worker's loop (fire due timers, deliver the outbox), for ``klachten worker`` and as a
background thread of ``klachten serve`` in the embedded default."""

from __future__ import annotations

import logging
import threading

from .outbox import DeliveryReport, Outbox
from .service import Klachten

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, klachten: Klachten, outbox: Outbox | None = None):
        self.klachten = klachten
        self.outbox = outbox or Outbox.from_settings(klachten)

    def run_once(self) -> tuple[int, DeliveryReport]:
        """One sweep: due timers, then the outbox; returns what was done."""
        fired = self.klachten.sweep_timers()
        return fired, self.outbox.deliver_due()


class BackgroundWorker:
    """The worker in a daemon thread, stopped cleanly by :meth:`stop`."""

    def __init__(self, worker: Worker, interval: float):
        self.worker = worker
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="klachten-worker", daemon=True)

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            busy = False
            try:
                fired, report = self.worker.run_once()
                busy = bool(fired or report.handled)
                for error in report.errors:
                    log.warning("%s", error)
            except Exception:  # keep the web app serving; the next sweep tries again
                log.exception("worker: sweep failed")
            self._stop.wait(0 if busy else self.interval)
