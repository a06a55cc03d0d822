"""The product on a host without fonts (issue 20): with an empty folder bound over
/usr/share/fonts, the README's first command (`klachten init`) deploys and a letter to a
member with an Arabic name prints, shaped, in the fonts shipped with the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files
from itertools import chain
from pathlib import Path

import pytest
from pdf_fonts import ARABIC_NAME, assert_arabic_shaped, glyph_forms

from runner.notices.pdf import FONT_FILES

ROOT = Path(__file__).resolve().parents[1]
KLACHTEN = Path(sys.executable).with_name("klachten")
COMPLAINT = {"klager": {"voornaam": "محمد", "achternaam": "العلوي",
                        "adres": "شارع الملك 12, 1000 Bruxelles"},
             "taal": "fr", "kanaal": "brief", "categorie": "terugbetaling",
             "omschrijving": "Le remboursement de la kinésithérapie est trop bas."}


def _without_host_fonts(tmp_path: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """``klachten COMMAND`` in a mount namespace of its own where /usr/share/fonts is an
    empty folder (or absent, as on a host without fonts)."""
    empty = tmp_path / "geen-lettertypen"
    empty.mkdir(exist_ok=True)
    script = ('if [ -d /usr/share/fonts ]; then mount --bind "$1" /usr/share/fonts; fi\n'
              'if [ -n "$(ls -A /usr/share/fonts 2>/dev/null)" ]; then exit 97; fi\n'
              'shift; exec "$@"')
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KLACHTEN_CLOCK": "virtual",
           "KLACHTEN_INSTANCE_PATH": str(tmp_path / "instance"),
           "KLACHTEN_DATABASE_URL": f"sqlite:///{tmp_path / 'klachten.db'}"}
    done = subprocess.run(["unshare", "--mount", "bash", "-c", script, "bash", str(empty),
                           str(KLACHTEN), *command], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode != 97, "/usr/share/fonts is still visible"
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def mount_namespace() -> None:
    """Hiding the host's fonts needs a mount namespace (root, or a user namespace)."""
    try:
        subprocess.run(["unshare", "--mount", "true"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as err:
        pytest.skip(f"unshare --mount is not allowed here, so the host's fonts cannot be "
                    f"hidden: {err}")


def test_the_fonts_and_their_licence_are_package_files():
    folder = files("runner.notices") / "fonts"
    for name in [*chain.from_iterable(FONT_FILES.values()), "OFL.txt", "README.md"]:
        assert (folder / name).is_file(), name
    assert "SIL OPEN FONT LICENSE" in (folder / "OFL.txt").read_text(encoding="utf-8")


def test_init_and_an_arabic_letter_without_host_fonts(tmp_path, mount_namespace):
    init = _without_host_fonts(tmp_path, "init")
    assert "schema bijgewerkt; procesversie 1 gedeployed" in init.stdout
    (tmp_path / "klacht.json").write_text(json.dumps(COMPLAINT), encoding="utf-8")
    number = json.loads(_without_host_fonts(tmp_path, "submit", "klacht.json", "--json")
                        .stdout)["dossiernummer"]
    listed = _without_host_fonts(tmp_path, "letters").stdout
    code = next(line.split()[1] for line in listed.splitlines() if line.startswith(number))
    _without_host_fonts(tmp_path, "letter", number, code, "-o", "brief.pdf")
    pdf = (tmp_path / "brief.pdf").read_bytes()
    assert set(glyph_forms(pdf)) == {"NotoSans", "NotoSansBold", "NotoSansArabic"}
    assert_arabic_shaped(pdf, ARABIC_NAME)
