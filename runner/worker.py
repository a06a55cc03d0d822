"""The worker's loop (fire due timers, deliver the outbox, and once a day erase the dossiers
whose retention ended), for ``klachten worker`` and as a background thread of
``klachten serve`` in the embedded default."""

from __future__ import annotations

import logging
import threading
from datetime import date

from runner.bpmn.store import lost_database
from runner.notices.outbox import DeliveryReport, Outbox
from runner.privacy.retention import Retention
from runner.service import Klachten

MAX_BACKOFF = 60.0  # seconds between two tries while the database cannot be reached
log = logging.getLogger(__name__)


class Worker:
    def __init__(self, klachten: Klachten, outbox: Outbox | None = None):
        self.klachten = klachten
        self.outbox = outbox or Outbox.from_settings(klachten)
        self.retention = Retention(klachten)
        self._retention_day: date | None = None

    def run_once(self) -> tuple[int, DeliveryReport]:
        """One sweep: due timers, then the outbox, then (once a day) the retention job;
        returns what the first two did."""
        fired = self.klachten.sweep_timers()
        report = self.outbox.deliver_due()
        self._daily_retention()
        return fired, report

    def _daily_retention(self) -> None:
        """Erase the dossiers whose retention ended, on the first sweep of each day (by the
        clock, so a virtual clock moved years ahead runs it too). Several workers may each
        run it: an erasure claims its dossier (``runner.privacy.retention``)."""
        today = self.klachten.clock.now().date()
        if today == self._retention_day:
            return
        result = self.retention.run()
        self._retention_day = today
        if result.erased:
            log.info("bewaartermijn verstreken: %d dossier(s) gewist", len(result.erased))

    def run(self, interval: float, stop: threading.Event) -> None:
        """Sweep until ``stop`` is set: again at once while there was work, otherwise after
        ``interval`` seconds.

        The loop survives its database going away (a restart, a failover, a session the
        server ended; see :func:`runner.bpmn.store.lost_database`): the sweep that failed changed
        nothing it had not committed, so it waits, twice as long after each failure up to
        ``MAX_BACKOFF`` seconds, and tries again; the pool pings a connection that rested and
        replaces the dead ones. Any other error is logged and the next sweep tries again.
        """
        failures = 0
        while not stop.is_set():
            try:
                fired, report = self.run_once()
            except Exception as err:  # keep the worker alive; a next sweep tries again
                if lost_database(err):
                    failures += 1
                    pause = min(interval * 2 ** (failures - 1), MAX_BACKOFF)
                    log.warning("worker: database niet bereikbaar (%s); opnieuw over %.1f s",
                                _first_line(err), pause)
                else:
                    pause = interval
                    log.exception("worker: sweep mislukt")
                stop.wait(pause)
                continue
            if failures:
                log.warning("worker: database weer bereikbaar na %d mislukte poging(en)",
                            failures)
                failures = 0
            for error in report.errors:
                log.warning("%s", error)
            stop.wait(0 if fired or report.handled else interval)


class BackgroundWorker:
    """The worker in a daemon thread, stopped cleanly by :meth:`stop`."""

    def __init__(self, worker: Worker, interval: float):
        self.worker = worker
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.worker.run, args=(interval, self._stop),
                                        name="klachten-worker", daemon=True)

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout)


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
