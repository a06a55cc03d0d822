"""Redirects after an action go back only to a page of this site (issue 14, item 15)."""

from __future__ import annotations

import pytest
from conftest import Harness, Staff

from web.redirects import same_site_path

HOSTILE = ["//evil.example", "/\t/evil.example", "/\n/evil.example", "/\\evil.example",
           "\\/evil.example", "https://evil.example/x", "/\r\n/evil.example", " //evil.example",
           "javascript:alert(1)", "\x00/evil.example", "evil.example"]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_hostile_target_gives_the_fallback(target):
    assert same_site_path(target, "/bemiddeling/taken") == "/bemiddeling/taken"


@pytest.mark.parametrize("target", ["/bemiddeling/taken?stap=3&pagina=2",
                                    "/bemiddeling/dossiers/KL-2026-00001", "/"])
def test_a_path_of_this_site_is_kept(target):
    assert same_site_path(target, "/x") == target


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\\evil.example", "//evil.example"])
def test_claiming_a_task_never_sends_the_browser_elsewhere(staff: Staff, harness: Harness,
                                                            target):
    task_id = harness.submit().task("ontvankelijkheid_beoordelen").id
    staff.login("mia")
    response = staff.post(f"/bemiddeling/taken/{task_id}/claimen", {"terug": target},
                          form_page="/bemiddeling/taken")
    assert response.status_code == 302
    assert response.headers["Location"] == "/bemiddeling/taken"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\\evil.example"])
def test_the_login_never_sends_the_browser_elsewhere(staff: Staff, target):
    response = staff.post("/login?volgende=" + target.replace("\t", "%09").replace("\\", "%5C"),
                          {"naam": "mia", "wachtwoord": "een-lang-wachtwoord"},
                          form_page="/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/bemiddeling/taken"
