"""Draw a BPMN diagram the way bpmn.io shows it (bpmn-js in Chromium), as the README's PNG.

    npm install --prefix /tmp/bpmn-js --no-save --no-package-lock bpmn-js@17
    python docs/draw_diagram.py processes/klachtenprocedure.bpmn docs/klachtenprocedure.png \\
        /tmp/bpmn-js/node_modules/bpmn-js/dist
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT, MARGIN = 4100, 900, 20


def page_html(bpmn: str, dist: Path) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="file://{dist}/assets/bpmn-js.css">
<style>html, body {{ margin: 0; background: #fff }}
#c {{ width: {WIDTH}px; height: {HEIGHT}px }}</style>
<script src="file://{dist}/bpmn-viewer.production.min.js"></script></head>
<body><div id="c"></div><script>
const viewer = new BpmnJS({{container: "#c"}});
viewer.importXML({json.dumps(bpmn)})
  .then(() => {{ viewer.get("canvas").zoom("fit-viewport"); document.title = "ok"; }})
  .catch(error => {{ document.title = "fout: " + error; }});
</script></body></html>"""


def draw(bpmn_path: Path, png_path: Path, dist: Path) -> None:
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        html = Path(folder) / "diagram.html"
        html.write_text(page_html(bpmn_path.read_text(encoding="utf-8"), dist.resolve()),
                        encoding="utf-8")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--allow-file-access-from-files"])
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(html.as_uri())
        page.wait_for_function("document.title !== ''")
        if page.title() != "ok":
            raise SystemExit(f"{bpmn_path}: {page.title()}")
        box = page.locator(".djs-container svg .viewport").bounding_box()
        page.screenshot(path=str(png_path), clip={
            "x": max(box["x"] - MARGIN, 0), "y": max(box["y"] - MARGIN, 0),
            "width": box["width"] + 2 * MARGIN, "height": box["height"] + 2 * MARGIN})
        browser.close()


if __name__ == "__main__":
    draw(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
