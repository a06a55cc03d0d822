"""The dossier's diagram in Chromium: bpmn-js (shipped in web/static/bpmn-js) with the
dossier's path and current step marked, the current step centred, zoom and pan by keyboard
and mouse; beside it the reference rendering of the same diagram by bpmn-js from npm
(``node_modules/bpmn-js``, installed by ``.ci/system-deps``); and the server-drawn SVG that
a browser without JavaScript shows. Screenshots: ``test-artifacts/20-*.png``."""

from __future__ import annotations

import re

from conftest import Harness, require_tool
from PIL import Image
from test_browser import ARTIFACTS, ROOT, browser, served  # noqa: F401 (fixtures)

from runner.accounts.users import Accounts
from runner.definition.model import DIAGRAM

REFERENCE = ROOT / "node_modules" / "bpmn-js" / "dist"
PASSWORD = "een-lang-wachtwoord"
WIDTH = 1440


def _signed_in_page(browser, base: str, javascript: bool = True):  # noqa: F811
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000},
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Gebruikersnaam").fill("mia")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(re.compile(r".*/bemiddeling/.*"))
    return page


def _scale_and_shift(page) -> tuple[float, float]:
    matrix = page.evaluate("""() => {
        const m = document.querySelector('.diagram__canvas .viewport').transform.baseVal
            .consolidate().matrix;
        return [m.a, m.e];
    }""")
    return matrix[0], matrix[1]


def _reference(browser, bpmn_xml: str, path) -> int:  # noqa: F811
    """Render ``bpmn_xml`` with bpmn-js from npm, fitted; returns the number of shapes."""
    page = browser.new_page(viewport={"width": WIDTH // 2, "height": 700})
    page.set_content('<div id="c" style="width:100%;height:680px"></div>')
    for css in ("diagram-js.css", "bpmn-js.css"):
        page.add_style_tag(path=str(REFERENCE / "assets" / css))
    page.add_script_tag(path=str(REFERENCE / "bpmn-viewer.production.min.js"))
    page.evaluate("""async (xml) => {
        const viewer = new BpmnJS({container: '#c'});
        await viewer.importXML(xml);
        viewer.get('canvas').zoom('fit-viewport');
    }""", bpmn_xml)
    page.screenshot(path=str(path))
    shapes = page.locator(".djs-shape").count()
    page.close()
    return shapes


def test_diagram_in_bpmn_js_marks_centres_zooms_and_pans_beside_the_reference(
        served, browser):  # noqa: F811
    require_tool(REFERENCE.joinpath("bpmn-viewer.production.min.js").exists(),
             "bpmn-js uit npm (node_modules/bpmn-js)")
    base, _, klachten = served
    Accounts(klachten).add("mia", ["klachtenbemiddelaar"], PASSWORD)
    harness = Harness(klachten).submit().admissible().investigate()
    page = _signed_in_page(browser, base)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text and "data:" not in message.text
            else None)
    page.goto(f"{base}/bemiddeling/dossiers/{harness.number}#procesdiagram")
    page.wait_for_selector(".diagram[data-ready=ja]")
    assert errors == []  # bpmn-js runs under the CSP default-src 'self'

    current = page.locator('.djs-element.bpmnjs-huidig[data-element-id="gemotiveerd_antwoord"]')
    assert current.count() == 1
    for done in ("registratie", "ontvankelijkheid_beoordelen", "onderzoek"):
        assert page.locator(f'.djs-element.bpmnjs-gedaan[data-element-id="{done}"]').count() == 1
    assert page.locator(".djs-connection.bpmnjs-pad").count() >= 5  # the path taken
    canvas = page.locator(".diagram__canvas").bounding_box()
    task = current.bounding_box()
    assert abs(task["x"] + task["width"] / 2 - (canvas["x"] + canvas["width"] / 2)) < 20
    assert abs(task["y"] + task["height"] / 2 - (canvas["y"] + canvas["height"] / 2)) < 20
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".diagram").screenshot(path=str(ARTIFACTS / "20-diagram-huidige-stap.png"))

    scale, shift = _scale_and_shift(page)
    page.locator(".diagram__canvas").focus()
    page.keyboard.press("+")
    assert _scale_and_shift(page)[0] > scale
    page.keyboard.press("-")
    page.keyboard.press("-")
    assert _scale_and_shift(page)[0] < scale
    page.keyboard.press("ArrowLeft")
    moved = _scale_and_shift(page)[1]
    assert moved != _scale_and_shift(page)[1] or moved != shift
    box = page.locator(".diagram__canvas").bounding_box()
    before = _scale_and_shift(page)[1]
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 400, box["y"] + 220, steps=5)
    page.mouse.up()
    assert _scale_and_shift(page)[1] > before + 100  # dragged 200 px to the right
    page.get_by_role("button", name="Alles tonen").click()
    page.set_viewport_size({"width": WIDTH // 2, "height": 1000})
    page.get_by_role("button", name="Alles tonen").click()
    app_shot = ARTIFACTS / "20-diagram-app.png"
    page.locator(".diagram__canvas").screenshot(path=str(app_shot))
    app_shapes = page.locator(".diagram__canvas .djs-shape").count()

    reference_shot = ARTIFACTS / "20-diagram-bpmn-js-referentie.png"
    bpmn_xml = klachten.latest_model().files[DIAGRAM]
    assert _reference(browser, bpmn_xml, reference_shot) == app_shapes
    _side_by_side(app_shot, reference_shot, ARTIFACTS / "20-diagram-naast-bpmn-js.png")


def _side_by_side(left, right, target) -> None:
    images = [Image.open(left), Image.open(right)]
    combined = Image.new("RGB", (sum(i.width for i in images) + 20,
                                 max(i.height for i in images)), "white")
    combined.paste(images[0], (0, 0))
    combined.paste(images[1], (images[0].width + 20, 0))
    combined.save(target)


def test_without_javascript_the_server_drawn_diagram_shows_bpmn_symbols_and_whole_words(
        served, browser):  # noqa: F811
    base, _, klachten = served
    Accounts(klachten).add("mia", ["klachtenbemiddelaar"], PASSWORD)
    harness = Harness(klachten).submit().admissible()
    page = _signed_in_page(browser, base, javascript=False)
    page.goto(f"{base}/bemiddeling/dossiers/{harness.number}")
    fallback = page.locator(".diagram__fallback svg")
    assert fallback.is_visible()
    assert page.locator(".diagram__canvas").is_hidden()
    assert fallback.locator(".bpmn-huidig[data-element='onderzoek']").count() == 1
    assert fallback.locator(".bpmn-teken").count() > 20  # clocks, envelopes, gateway marks
    labels = page.evaluate("""() => [...document.querySelectorAll('.diagram__fallback text')]
        .map(t => [...t.querySelectorAll('tspan')].map(s => s.textContent))""")
    words = {word for lines in labels for line in lines for word in line.split()}
    assert "klachtenbemiddelaar" in words and "enbemiddelaar" not in words
    assert not any(line.endswith("-") for lines in labels for line in lines)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "21-diagram-zonder-javascript.png"), full_page=True)
