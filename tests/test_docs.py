"""Docs a test keeps true: every setting and every check ID has a docs entry."""

from __future__ import annotations

import re
from pathlib import Path

from perfkit.conf import SPECS

ROOT = Path(__file__).resolve().parent.parent
CHECK_ID = re.compile(r"perfkit\.[EW]\d{3}")


def test_every_setting_is_documented():
    page = (ROOT / "docs" / "settings.md").read_text()
    headings = set(re.findall(r"^### `([A-Z_]+)`", page, flags=re.MULTILINE))
    assert set(SPECS) - headings == set(), "settings without a docs/settings.md entry"
    assert headings - set(SPECS) == set(), "docs/settings.md documents unknown settings"


def test_every_check_id_is_documented():
    used = {
        match
        for path in (ROOT / "perfkit").rglob("*.py")
        for match in CHECK_ID.findall(path.read_text())
    }
    page = (ROOT / "docs" / "checks.md").read_text()
    documented = set(re.findall(r"^### `(perfkit\.[EW]\d{3})`", page, flags=re.MULTILINE))
    assert used, "no check IDs found in perfkit/"
    assert used - documented == set(), "check IDs without a docs/checks.md entry"


def test_install_lines_agree():
    """docs/installation.md opens with the README's install lines (the packaging gate
    runs the README's; scripts/gates/packaging)."""
    install_line = re.compile(r"^pip install .*$", flags=re.MULTILINE)
    readme = install_line.findall((ROOT / "README.md").read_text())
    installation = install_line.findall((ROOT / "docs" / "installation.md").read_text())
    assert readme, "no install line in README.md"
    assert installation[: len(readme)] == readme
