"""Typed text with a right-to-left override (U+202E) in Chromium (issue 12): a name, an
address, a motivation, a reason or a recommendation that holds one must not reorder the
page around it. Every page that shows typed text isolates it (the ``bdi`` filter): the
element's computed ``unicode-bidi`` is ``isolate`` and, on the screen, the words before it
stay on its left and the words after it on its right, on the same line.
"""

from __future__ import annotations

from conftest import Harness
from test_browser import _cli, browser, served  # noqa: F401 - fixtures
from test_browser_roles import DESKTOP, PASSWORD, Walk

from runner.accounts.users import Accounts

RLO, PDF = "\u202e", "\u202c"
# An override that is never closed: without isolation it runs to the end of the paragraph.
NAME = f"Pe{RLO}eters"
ADDRESS = f"Rue {RLO}evil{PDF} 1\n1000 Bruxelles"
REASON = f"Het bedrag {RLO}klopt niet"

# For each <bdi> holding an override: is it isolated, and is the text just before and just
# after it on the same line drawn on its left and on its right (the page reads left to right)?
ISOLATED_IN_PLACE = """() => {
  const found = [];
  const textNodes = () => { const walker = document.createTreeWalker(document.body,
      NodeFilter.SHOW_TEXT, {acceptNode: n => n.textContent.trim() ? 1 : 3});
    const nodes = []; while (walker.nextNode()) nodes.push(walker.currentNode); return nodes; };
  const all = textNodes();
  const charBox = (node, index) => { const range = document.createRange();
    range.setStart(node, index); range.setEnd(node, index + 1);
    return range.getBoundingClientRect(); };
  const sameLine = (a, b) => Math.abs(a.top - b.top) < a.height / 2;
  let checked = 0;
  for (const bdi of document.querySelectorAll('bdi')) {
    if (!bdi.textContent.includes('\\u202e') || !bdi.checkVisibility()) continue;
    const where = bdi.textContent.trim().slice(0, 30);
    if (getComputedStyle(bdi).unicodeBidi !== 'isolate')
      found.push(`${where}: unicode-bidi ${getComputedStyle(bdi).unicodeBidi}`);
    const lines = bdi.getClientRects(); const first = lines[0], last = lines[lines.length - 1];
    const inside = all.filter(n => bdi.contains(n));
    const before = all[all.indexOf(inside[0]) - 1], after = all[all.indexOf(inside.at(-1)) + 1];
    if (after) { const t = after.textContent, i = t.search(/\\S/), box = charBox(after, i);
      if (box.width && sameLine(last, box) && box.left < last.right - 1)
        found.push(`${where}: '${t.trim().slice(0, 12)}' staat links van de ingetypte tekst`);
      checked++; }
    if (before) { const t = before.textContent, i = t.trimEnd().length - 1;
      const box = charBox(before, i);
      if (box.width && sameLine(first, box) && box.right > first.left + 1)
        found.push(`${where}: '${t.trim().slice(-12)}' staat rechts van de ingetypte tekst`);
      checked++; }
  }
  return {found, checked};
}"""


def _dossiers(klachten) -> Harness:
    """One dossier up to the national mediator, with overrides in every typed field (it is
    returned); one closed dossier with a recommendation that holds one."""
    escalated = Harness(klachten).submit(klager={
        "voornaam": "An", "achternaam": NAME, "adres": ADDRESS, "email": "an@example.be"})
    escalated.complete("ontvankelijkheid_beoordelen",
                       {"ontvankelijk": "ja", "motivatie": f"Bekend {RLO}lid"})
    escalated.investigate().complete("gemotiveerd_antwoord", {
        "uitkomst": "deels gegrond", "antwoord": f"Wij {RLO}betalen bij."})
    escalated.message("klager_niet_akkoord", {"reden": REASON})
    closed = Harness(klachten).submit().admissible().investigate().answer().advance(32)
    closed.recommend([{"tekst": f"Brieven {RLO}nalezen", "dienst": f"Onthaal {RLO}Gent"}])
    return escalated


def _assert_isolated(walk: Walk, label: str, minimum: int) -> None:
    result = walk.page.evaluate(ISOLATED_IN_PLACE)
    assert result["found"] == [], f"{label}: {result['found']}"
    assert result["checked"] >= minimum, f"{label}: {result['checked']} buren bekeken"
    walk.check(label)


def test_typed_text_with_a_direction_override_keeps_the_page_in_order(served, browser):  # noqa: F811 - fixture
    base, _, klachten = served
    Accounts(klachten).add("nora", ["nationale klachtenbemiddelaar"], PASSWORD)
    escalated = _dossiers(klachten)
    walk = Walk(browser, base, "bidi", DESKTOP)
    page = walk.page
    try:
        walk.sign_in("nora", "/bemiddeling/taken")
        _assert_isolated(walk, "werkbak", 1)
        task = escalated.task("nationaal_onderzoek").id
        walk.page.goto(f"{base}/bemiddeling/taken/{task}")
        _assert_isolated(walk, "taak", 3)
        page.goto(f"{base}/bemiddeling/dossiers/{escalated.number}")
        _assert_isolated(walk, "dossier", 4)
        # The closing quote after the reason in the timeline stays at the end of its line.
        line = page.locator(".tijdlijn__wat", has_text="klopt")
        assert line.inner_text().endswith("\u201d")
        page.goto(f"{base}/bemiddeling/aanbevelingen")
        _assert_isolated(walk, "verbeterregister", 2)
        # The check sees the reordering when the isolation is taken away.
        page.goto(f"{base}/bemiddeling/dossiers/{escalated.number}")
        page.add_style_tag(content="bdi { unicode-bidi: normal !important; }")
        broken = page.evaluate(ISOLATED_IN_PLACE)["found"]
        assert any("staat links" in problem for problem in broken), broken
    finally:
        walk.close()
    member = Walk(browser, base, "bidi-lid", DESKTOP)
    try:
        member.page.goto(f"{base}/status")
        member.page.locator("#veld-nummer").fill(escalated.number)
        member.page.locator("#veld-toegangscode").fill(escalated.access_code)
        member.page.locator("form.formulier button[type=submit]").first.click()
        member.page.wait_for_url(f"{base}/status")
        _assert_isolated(member, "status", 0)
        assert member.page.locator("section.antwoord bdi").count() == 1
    finally:
        member.close()
