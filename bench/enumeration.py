"""Timing of the status page's look-up: an unknown dossier number must cost what a wrong
access code costs, so that the time of an answer tells nothing of which numbers exist.

The functional side (the same checks, the same page, a dummy hash for an unknown number) is
tested in ``tests/test_web_status.py``; the timing is measured here, on a quiet machine,
because a timed unit test fails whenever other work shares the cores.

Interleaved POSTs of ``/status`` through the Flask app on a SQLite file (the rate limit
lifted), medians of each kind after a warm-up; target: the medians differ by less than
2 ms. Prints a Markdown table. Run from the repository root:

    PYTHONPATH=. python bench/enumeration.py [--rounds 150]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import tempfile
import time
from pathlib import Path

from runner.migrations import upgrade
from runner.procedure import open_klachten
from runner.ratelimit import RateLimit

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TARGET_MS = 2.0
COMPLAINT = {
    "klager.voornaam": "An", "klager.achternaam": "Peeters",
    "klager.email": "an.peeters@example.be", "klager.adres": "", "klager.telefoon": "",
    "klager.lidnummer": "", "categorie": "terugbetaling", "taal": "nl", "privacy": "ja",
    "website": "", "omschrijving": "Ik kreeg te weinig terugbetaald voor mijn kinesitherapie.",
}


def _post(client, url: str, data: dict):
    token = TOKEN.search(client.get(url).get_data(as_text=True)).group(1)
    return client.post(url, data={"csrf_token": token, **data})


def _file_complaint(client) -> tuple[str, str]:
    _post(client, "/klacht", COMPLAINT)
    page = client.get("/klacht/bevestiging").get_data(as_text=True)
    number = re.search(r'id="dossiernummer">([^<]+)<', page).group(1)
    code = re.search(r'id="toegangscode">([^<]+)<', page).group(1)
    return number, code


def measure(folder: Path, rounds: int) -> dict[str, float]:
    from web import create_app

    url = f"sqlite:///{folder / 'status.db'}"
    upgrade(url)
    klachten = open_klachten(url, clock="virtual")
    klachten.deploy()
    klachten.close()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "CLOCK": "virtual",
                      "SECRET_KEY": "bench-" + "0" * 32, "INSTANCE_PATH": str(folder / "i")})
    app.extensions["klachten"].desk.limit = RateLimit(attempts=10**6)
    client = app.test_client()
    number, code = _file_complaint(client)
    token = TOKEN.search(client.get("/status").get_data(as_text=True)).group(1)
    wrong = ("B" if code[0] != "B" else "C") + code[1:]
    cases = {"unknown number": {"nummer": "KL-2026-09999", "toegangscode": code},
             "wrong code": {"nummer": number, "toegangscode": wrong}}
    timings: dict[str, list[float]] = {name: [] for name in cases}

    def once(name: str) -> None:
        started = time.perf_counter()
        response = client.post("/status", data={"csrf_token": token, **cases[name]})
        timings[name].append((time.perf_counter() - started) * 1000)
        assert response.status_code == 400, response.status_code

    names = list(cases)
    for _ in range(20):  # warm up
        for name in names:
            once(name)
    timings = {name: [] for name in cases}
    for round_ in range(rounds):
        for name in (names if round_ % 2 else names[::-1]):
            once(name)
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=150)
    options = parser.parse_args()
    before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="klachten-enumeration-") as tmp:
        medians = measure(Path(tmp), options.rounds)
    after = os.getloadavg()
    difference = abs(medians["unknown number"] - medians["wrong code"])
    print(f"- Machine: {platform.platform()}; nproc {os.cpu_count()}; load average before "
          f"{before[0]:.2f} {before[1]:.2f} {before[2]:.2f}, after {after[0]:.2f} "
          f"{after[1]:.2f} {after[2]:.2f}; {options.rounds} rounds\n")
    print("| status look-up (POST /status, 400) | median ms |")
    print("|---|---:|")
    for name, value in medians.items():
        print(f"| {name} | {value:.2f} |")
    verdict = "meets" if difference < TARGET_MS else "MISSES"
    print(f"| **difference** | **{difference:.2f}** ({verdict} the target of < {TARGET_MS} ms) |")


if __name__ == "__main__":
    main()
