"""Behind a reverse proxy (issue 14, item 1): ``klachten serve`` (waitress) and gunicorn both
take the client address and the scheme from the proxy's headers when
``KLACHTEN_PROXY_COUNT`` says so, and ignore them when it does not. Each server runs as a
real process on loopback; the requests carry the headers a proxy would add."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import Harness
from local_servers import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
SERVERS = {
    "waitress": lambda port: [sys.executable, "-m", "web", "serve", "--port", str(port),
                              "--no-worker"],
    "gunicorn": lambda port: [sys.executable, "-m", "gunicorn", "-c", "python:web.gunicorn_config",
                              "--workers", "1", "--bind", f"127.0.0.1:{port}"],
}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _serve(server: str, database_url: str, instance: Path, proxies: int) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "KLACHTEN_DATABASE_URL": database_url, "KLACHTEN_CLOCK": "virtual",
           "KLACHTEN_INSTANCE_PATH": str(instance), "KLACHTEN_PROXY_COUNT": str(proxies)}
    log = instance.parent / f"{server}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(SERVERS[server](port), cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(params=sorted(SERVERS))
def behind_proxy(request, database_url, klachten, tmp_path) -> Iterator[str]:
    yield from _serve(request.param, database_url, tmp_path / "instance", proxies=1)


@pytest.fixture(params=sorted(SERVERS))
def without_proxy(request, database_url, klachten, tmp_path) -> Iterator[str]:
    yield from _serve(request.param, database_url, tmp_path / "instance", proxies=0)


def _sign_in(base: str, number: str, code: str, client: str, scheme: str = "http",
             page: str = "") -> httpx.Response:
    """A browser behind the proxy: the form page for the CSRF token, then the post. Its
    ``Referer`` is the page as the browser reached it: through the proxy (its port is the
    proxy's), or ``page`` when it talks to the server itself."""
    headers = {"X-Forwarded-For": client, "X-Forwarded-Proto": scheme,
               "Referer": page or f"{scheme}://127.0.0.1/status"}
    with httpx.Client(base_url=base, headers=headers) as browser:
        token = TOKEN.search(browser.get("/status").text).group(1)
        return browser.post("/status", data={"csrf_token": token, "nummer": number,
                                             "toegangscode": code})


def test_each_client_behind_the_proxy_has_its_own_bucket(behind_proxy, klachten):
    harness = Harness(klachten).submit()
    for attempt in range(10):
        wrong = _sign_in(behind_proxy, f"KL-2026-{attempt + 100:05d}", harness.access_code,
                         "203.0.113.5")
        assert wrong.status_code == 400, wrong.text
    assert _sign_in(behind_proxy, harness.number, harness.access_code,
                    "203.0.113.5").status_code == 429
    other = _sign_in(behind_proxy, harness.number, harness.access_code, "198.51.100.7")
    assert other.status_code == 302, other.text


def test_hsts_over_forwarded_https_only(behind_proxy):
    secure = httpx.get(f"{behind_proxy}/klacht", headers={"X-Forwarded-Proto": "https",
                                                          "X-Forwarded-For": "203.0.113.5"})
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = httpx.get(f"{behind_proxy}/klacht", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers


def test_without_a_proxy_the_headers_are_ignored(without_proxy, klachten):
    harness = Harness(klachten).submit()
    for attempt in range(10):  # a client cannot pick a new address for each guess
        assert _sign_in(without_proxy, f"KL-2026-{attempt + 100:05d}", "X",
                        f"203.0.113.{attempt}", page=f"{without_proxy}/status"
                        ).status_code == 400
    assert _sign_in(without_proxy, harness.number, harness.access_code,
                    "198.51.100.7", page=f"{without_proxy}/status").status_code == 429
    forged = httpx.get(f"{without_proxy}/klacht", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in forged.headers


def test_behind_the_proxy_a_post_from_another_site_is_refused(behind_proxy):
    """Issue 25, item 1: the origin check takes the scheme the proxy reports; the host
    must be this site's (the port is the proxy's), another host is refused."""
    ours = _sign_in(behind_proxy, "KL-2026-00999", "X", "203.0.113.9", scheme="https",
                    page="https://127.0.0.1/status")
    assert ours.status_code == 400  # our page: the look-up ran (and failed)
    other = _sign_in(behind_proxy, "KL-2026-00999", "X", "203.0.113.9", scheme="https",
                     page="https://evil.example/status")
    assert other.status_code == 403 and "andere website" in other.text
    downgraded = _sign_in(behind_proxy, "KL-2026-00999", "X", "203.0.113.9", scheme="https",
                          page="http://127.0.0.1/status")
    assert downgraded.status_code == 403
