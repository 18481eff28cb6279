"""Docs a test keeps true, both ways: every setting, system check ID, perfaudit check
and command option in the code is documented, and everything documented exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import load_command_class
from django.core.management.base import BaseCommand

from perfkit.audit.findings import CHECKS
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
    assert documented - used == set(), "docs/checks.md documents check IDs perfkit lacks"


def test_every_perfaudit_check_is_documented_with_its_name_and_severity():
    page = (ROOT / "docs" / "audit.md").read_text()
    rows = re.findall(r"^\| `(PA\d{3})` \| `([a-z0-9-]+)` \| (\w+) \|", page, flags=re.MULTILINE)
    documented = {check_id: (name, severity) for check_id, name, severity in rows}
    assert documented == {check.id: (check.name, check.severity) for check in CHECKS.values()}, (
        "docs/audit.md's check table and perfkit.audit.findings.CHECKS differ"
    )


def _command_options(name: str) -> set[str]:
    """The options ``manage.py name`` adds to Django's own."""
    django_own = _option_strings(BaseCommand().create_parser("manage.py", "base"))
    command = load_command_class("perfkit", name)
    return _option_strings(command.create_parser("manage.py", name)) - django_own


def _option_strings(parser) -> set[str]:
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--")
    }


def _docs_text() -> str:
    return "\n".join(path.read_text() for path in sorted((ROOT / "docs").glob("*.md")))


@pytest.mark.parametrize("command", ["perfaudit", "perfindex"])
def test_every_command_option_is_documented(command):
    """The usage blocks (``python manage.py COMMAND …`` in a console block) list exactly
    the command's options, and the prose or a table explains each one."""
    text = _docs_text()
    usage = re.findall(rf"```console\n(python manage\.py {command}\b.*?)```", text, flags=re.DOTALL)
    assert usage, f"no usage block for {command} in docs/"
    in_usage = set(re.findall(r"(--[a-z][a-z-]*)", "\n".join(usage)))
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    explained = set(re.findall(r"`(--[a-z][a-z-]*)", prose))
    options = _command_options(command)
    assert options - in_usage == set(), f"{command} options missing from its usage blocks"
    assert in_usage - options == set(), f"usage blocks show {command} options it lacks"
    assert options - explained == set(), f"{command} options the docs never explain"


def test_install_lines_agree():
    """docs/installation.md opens with the README's install lines (the packaging gate
    runs the README's; scripts/gates/packaging)."""
    install_line = re.compile(r"^pip install .*$", flags=re.MULTILINE)
    readme = install_line.findall((ROOT / "README.md").read_text())
    installation = install_line.findall((ROOT / "docs" / "installation.md").read_text())
    assert readme, "no install line in README.md"
    assert installation[: len(readme)] == readme
