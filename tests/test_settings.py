"""Every setting declared in runner/settings.py is documented in the README."""

from pathlib import Path

from runner.settings import SETTINGS


def test_every_setting_is_in_the_readme():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert not missing
