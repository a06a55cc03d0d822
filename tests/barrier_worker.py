"""A worker process that starts on a signal, for the concurrency tests.

Built from the ``KLACHTEN_*`` environment as ``klachten worker`` builds it; it connects,
prints ``klaar``, waits for a line on stdin (the start barrier, opened for all workers at
once), then runs passes of the real worker until one finds nothing to do, and prints what
it did as one JSON line.
"""

from __future__ import annotations

import json
import sys
import time

from runner import settings
from runner.procedure import open_klachten
from runner.worker import Worker


def main() -> None:
    klachten = open_klachten(settings.database_url(), clock=settings.current().clock)
    worker = Worker(klachten)
    klachten.clock.now()  # connected and warm before the barrier
    print("klaar", flush=True)
    sys.stdin.readline()
    started = time.monotonic()
    fired = sent = passes = 0
    while True:
        done, report = worker.run_once()
        fired, sent, passes = fired + done, sent + report.sent, passes + 1
        if not done and not report.handled:
            break
    print(json.dumps({"fired": fired, "sent": sent, "passes": passes,
                      "seconds": round(time.monotonic() - started, 3)}))
    klachten.close()


if __name__ == "__main__":
    main()
