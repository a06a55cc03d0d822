"""A day of work per role in Chromium (issue 12's acceptance): the member in Dutch and French
at 1440 and 390 px, the mediator, the national mediator, the beheerder and the lezer at
1440 px. Every page is photographed into ``test-artifacts/`` and checked in the browser:

* axe-core's ``color-contrast`` rule (every impact, not only serious ones);
* a computed check of every visible link and button: its text colour against the
  background it is really drawn on (ancestors' colours blended), at least 4.5:1, and a
  name (text, value or aria-label); this catches what axe leaves out (for example a link
  styled white-on-transparent over a white page is "incomplete" for axe); and the same
  check while the mouse is on it and while it has the keyboard focus, for one control of
  each kind (``:hover`` and ``:focus-visible`` styles);
* no horizontal scrolling at the tested width.
"""

from __future__ import annotations

import re

import pytest
from conftest import Harness, require_tool
from test_browser import (  # noqa: F401 - fixtures
    ARTIFACTS,
    AXE,
    _cli,
    browser,
    served,
)

from runner.accounts.users import Accounts

PASSWORD = "een-lang-wachtwoord"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

# The colours a control is really drawn in: its text colour against the background behind
# it (ancestors' colours blended); ``window.kontrast(el)`` gives a problem or null.
CONTRAST_HELPERS = """() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(parseFloat);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const blend = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const channel = v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = c => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = el => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const s = getComputedStyle(e);
      if (s.backgroundImage !== 'none') return null;
      const c = parse(s.backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let bg = {r: 255, g: 255, b: 255, a: 1};
    for (let i = layers.length - 1; i >= 0; i--) bg = blend(layers[i], bg);
    return bg; };
  window.kontrastControls = () => [...document.querySelectorAll(
      'a[href], button, input[type=submit], input[type=button], summary')].filter(el => {
    const box = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return box.width && box.height && box.right >= 0 && s.visibility !== 'hidden'
      && !el.closest('.onzichtbaar') && el.checkVisibility({visibilityProperty: true}); });
  window.kontrastName = el => (el.innerText || el.textContent || el.value
    || el.getAttribute('aria-label') || el.getAttribute('title') || '').trim();
  window.kontrast = el => {
    const name = window.kontrastName(el), s = getComputedStyle(el);
    const bg = background(el); if (!bg) return null;
    let fg = parse(s.color); if (fg.a < 1) fg = blend(fg, bg);
    const [a, b] = [luminance(fg), luminance(bg)];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    return ratio < 4.5 ? `${name.slice(0, 40)}: ${ratio.toFixed(2)}:1 (${s.color} op ` +
                         `rgb(${bg.r}, ${bg.g}, ${bg.b}))` : null; };
}"""
CONTROLS_CONTRAST = """() => {
  const found = [];
  for (const el of window.kontrastControls()) {
    if (!window.kontrastName(el)) { found.push(el.outerHTML.slice(0, 120) + ': geen naam');
                                    continue; }
    const problem = window.kontrast(el); if (problem) found.push(problem);
  }
  return found;
}"""
# One control of each kind (its tag, classes and those of its parents) gets data-kontrast=N:
# the walk hovers and focuses each in turn and measures it in that state.
MARK_KINDS = """() => {
  const kinds = new Map();
  for (const el of window.kontrastControls()) {
    const key = [el, el.parentElement, el.parentElement?.parentElement]
      .map(e => e ? `${e.tagName}.${e.className}` : '').join('>');
    if (!kinds.has(key)) { el.dataset.kontrast = kinds.size; kinds.set(key, el); }
  }
  return kinds.size;
}"""
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


class Walk:
    """One person's browser tab: go to pages, check and photograph each."""

    def __init__(self, chromium, base: str, name: str, viewport: dict):
        require_tool(AXE.exists(), "axe-core (npm install axe-core)")
        self.context = chromium.new_context(bypass_csp=True, viewport=viewport)
        self.page = self.context.new_page()
        self.base, self.name, self.width = base, name, viewport["width"]
        self.seen: list[str] = []

    def check(self, label: str) -> None:
        """Contrast (axe and computed), horizontal scroll, and a screenshot."""
        page = self.page
        where = f"{self.name} {label} ({self.width} px, {page.url})"
        assert page.evaluate(OVERFLOW) <= 1, f"{where}: de pagina scrolt horizontaal"
        page.evaluate(CONTRAST_HELPERS)
        assert page.evaluate(CONTROLS_CONTRAST) == [], where
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {runOnly: ['color-contrast']})")
        bad = [[n["target"] for n in v["nodes"]] for v in result["violations"]]
        assert not bad, f"{where}: {bad}"
        ARTIFACTS.mkdir(exist_ok=True)
        shot = f"rol-{self.name}-{label}-{self.width}.png"
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        self.seen.append(shot)
        assert self.hovered_and_focused() == [], where

    def hovered_and_focused(self) -> list[str]:
        """The contrast of one control of each kind while the mouse is on it and while it
        has the keyboard focus (a key pressed first: the focus as a keyboard user sees it)."""
        page, found = self.page, []
        for n in range(page.evaluate(MARK_KINDS)):
            control = page.locator(f"[data-kontrast='{n}']")
            control.hover()
            if problem := control.evaluate("el => window.kontrast(el)"):
                found.append(f"hover {problem}")
            page.mouse.move(0, 0)
            page.keyboard.press("Shift")
            control.focus()
            if problem := control.evaluate("el => window.kontrast(el)"):
                found.append(f"focus {problem}")
            control.blur()
        page.evaluate("window.scrollTo(0, 0)")
        return found

    def go(self, path: str, label: str) -> None:
        self.page.goto(self.base + path)
        self.check(label)

    def follow(self, control) -> None:
        """Click a link or a submit button and wait for the page it leads to (checking the
        page before it arrived would read the one being left, or none)."""
        with self.page.expect_navigation():
            control.click()

    def sign_in(self, user: str, lands_on: str) -> None:
        self.page.goto(f"{self.base}/login")
        self.check("aanmelden")
        self.page.get_by_label("Gebruikersnaam").fill(user)
        self.page.get_by_label("Wachtwoord").fill(PASSWORD)
        self.page.get_by_role("button", name="Aanmelden").click()
        self.page.wait_for_url(self.base + lands_on)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def world(served):  # noqa: F811 - fixture
    base, database_url, klachten = served
    accounts = Accounts(klachten)
    for user, role in (("mia", "klachtenbemiddelaar"), ("tom", "klachtenbemiddelaar"),
                       ("nora", "nationale klachtenbemiddelaar"), ("bert", "beheerder"),
                       ("lea", "lezer")):
        accounts.add(user, [role], PASSWORD)
    return base, database_url, klachten


def _file_complaint(walk: Walk, language: str) -> tuple[str, str]:
    page, base = walk.page, walk.base
    page.goto(f"{base}/klacht?taal={language}")
    walk.check("formulier")
    page.locator("#veld-klager-voornaam").fill("Chloé")
    page.locator("#veld-klager-achternaam").fill("Dubois")
    page.locator("#veld-klager-email").fill("chloe.dubois@example.be")
    page.locator("#veld-klager-adres").fill("Rue \u202eevil\u202c 1\n1000 Bruxelles")
    page.locator("#veld-categorie").select_option("terugbetaling")
    page.locator("#veld-omschrijving").fill("Le remboursement de ma kinésithérapie est trop bas.")
    page.locator("#veld-privacy").check()
    page.locator("form.formulier button[type=submit]").click()
    page.wait_for_url(f"{base}/klacht/bevestiging")
    number = page.locator("#dossiernummer").inner_text()
    code = page.locator("#toegangscode").inner_text()
    walk.check("bevestiging")
    page.go_back()  # back to the form and forward again: the same confirmation
    page.go_forward()
    assert page.locator("#dossiernummer").inner_text() == number
    assert page.locator("#toegangscode").count() == 0  # the code was shown once
    return number, code


def _status(walk: Walk, number: str, code: str) -> None:
    page = walk.page
    page.goto(f"{walk.base}/status")
    walk.check("status-aanmelden")
    page.locator("#veld-nummer").fill(number)
    page.locator("#veld-toegangscode").fill(code)
    page.locator("form.formulier button[type=submit]").first.click()
    page.wait_for_url(f"{walk.base}/status")
    walk.check("status")


@pytest.mark.parametrize(("language", "viewport"), [("nl", DESKTOP), ("nl", PHONE),
                                                    ("fr", DESKTOP), ("fr", PHONE)])
def test_a_member_files_follows_and_disagrees(world, browser, language, viewport):  # noqa: F811 - fixture
    base, _, klachten = world
    walk = Walk(browser, base, f"lid-{language}", viewport)
    try:
        number, code = _file_complaint(walk, language)
        _status(walk, number, code)
        harness = Harness(klachten)
        harness.number = number
        harness.admissible().investigate().answer("deels gegrond")
        walk.page.reload()
        walk.check("status-antwoord")
        assert walk.page.locator("section.antwoord").is_visible()
        button = walk.page.locator("a.knop[href='/status/niet-akkoord']")
        assert button.is_visible()
        walk.follow(button)
        walk.check("niet-akkoord")
        walk.page.locator("#veld-reden").fill("Het bedrag klopt nog altijd niet.")
        walk.page.locator("form.formulier button[type=submit]").click()
        walk.page.wait_for_url(f"{base}/status")
        walk.check("status-nationaal")
        walk.page.goto(f"{base}/status/bericht")
        walk.page.locator("#veld-bericht-nummer").fill(number)
        walk.page.locator("#veld-bericht-code").fill("ABCD1234")
        walk.follow(walk.page.locator("form.formulier button[type=submit]"))
        assert walk.page.locator("#veld-bericht-code").input_value() == "ABCD1234"
        walk.check("bericht-nee")
        walk.page.goto(f"{base}/status")
        walk.follow(walk.page.locator("form.afmelden button"))
        walk.check("afgemeld")
        walk.page.goto(f"{base}/status/niet-akkoord")
        assert walk.page.locator("#afgemeld").is_visible()
        walk.check("niet-aangemeld")
    finally:
        walk.close()


def _seed(klachten) -> dict[str, str]:
    """Dossiers in several steps: to judge, to investigate, to post, to re-examine."""
    to_judge = Harness(klachten).submit().number
    to_investigate = Harness(klachten).submit().admissible().number
    by_post = Harness(klachten).submit(klager={"voornaam": "Jan", "achternaam": "Post",
                                               "adres": "Kerkstraat 1\n9000 Gent"}).number
    escalated = Harness(klachten).submit().admissible().investigate().answer()
    escalated.message("klager_niet_akkoord", {"reden": "Het bedrag klopt niet."})
    return {"judge": to_judge, "investigate": to_investigate, "post": by_post,
            "national": escalated.number}


def test_a_mediators_day(world, browser):  # noqa: F811 - fixture
    base, _, klachten = world
    dossiers = _seed(klachten)
    walk = Walk(browser, base, "bemiddelaar", DESKTOP)
    page = walk.page
    try:
        walk.sign_in("mia", "/bemiddeling/taken")
        walk.check("werkbak")
        assert page.locator("nav.kop__menu").bounding_box()["height"] < 40  # one line
        walk.follow(page.locator("th a.sorteer", has_text="Klager"))
        walk.check("werkbak-gesorteerd")
        walk.go("/bemiddeling/brieven", "te-posten")
        walk.follow(page.locator("form button.knop", has_text="Gepost").first)
        assert dossiers["post"] not in page.locator("main table").inner_text() \
            if page.locator("main table").count() else True
        walk.check("gepost")
        task = next(t for t in klachten.tasks(dossiers["judge"])
                    if t.name == "ontvankelijkheid_beoordelen")
        walk.go(f"/bemiddeling/taken/{task.id}", "taak-ontvankelijkheid")
        walk.go(f"/bemiddeling/dossiers/{dossiers['investigate']}", "dossier")
        walk.go("/bemiddeling/intake", "intake")
        walk.go("/bemiddeling/aanbevelingen", "verbeterregister")
        walk.go("/bemiddeling/rapporten", "rapporten")
        walk.go("/bemiddeling/taken?taal=fr", "werkbak-fr")
        assert page.locator("nav.kop__menu").bounding_box()["height"] < 40  # also in French
        walk.go(f"/bemiddeling/dossiers/{dossiers['investigate']}?taal=fr", "dossier-fr")
        assert "Termijnen berekenen" not in page.locator("main").inner_text()
        # The hover and focus check sees a style that fails only in that state.
        page.add_style_tag(content="a:hover { color: #e8e8e8 !important; } "
                                   "a:focus-visible { color: #e8e8e8 !important; }")
        states = {problem.split()[0] for problem in walk.hovered_and_focused()}
        assert states == {"hover", "focus"}, states
    finally:
        walk.close()


def test_the_national_mediators_day(world, browser):  # noqa: F811 - fixture
    base, _, klachten = world
    dossiers = _seed(klachten)
    walk = Walk(browser, base, "nationaal", DESKTOP)
    try:
        walk.sign_in("nora", "/bemiddeling/taken")
        walk.check("werkbak")
        task = next(t for t in klachten.tasks(dossiers["national"])
                    if t.name == "nationaal_onderzoek")
        walk.go(f"/bemiddeling/taken/{task.id}", "taak-nationaal")
        walk.go(f"/bemiddeling/dossiers/{dossiers['national']}", "dossier")
    finally:
        walk.close()


@pytest.mark.parametrize(("user", "start", "pages"), [
    ("bert", "/beheer/gebruikers", ["/beheer/processen", "/beheer/toegang",
                                    "/bemiddeling/rapporten", "/bemiddeling/aanbevelingen"]),
    ("lea", "/bemiddeling/rapporten", ["/bemiddeling/aanbevelingen"]),
])
def test_beheerder_and_lezer_start_on_their_own_page(world, browser, user, start, pages):  # noqa: F811 - fixture
    base, _, klachten = world
    dossiers = _seed(klachten)
    walk = Walk(browser, base, user, DESKTOP)
    try:
        walk.sign_in(user, start)
        walk.check("start")
        assert walk.page.get_by_role("heading", level=1).is_visible()
        assert "Er ging iets mis" not in walk.page.content()
        if user == "bert":
            name = walk.page.locator("bdi", has_text=re.compile("^bert$"))
            own = walk.page.locator("tr", has=name)
            assert own.get_by_role("button", name="Uitschakelen").count() == 0
        for path in [*pages, f"/bemiddeling/dossiers/{dossiers['judge']}"]:
            walk.go(path, path.strip("/").replace("/", "-"))
    finally:
        walk.close()
