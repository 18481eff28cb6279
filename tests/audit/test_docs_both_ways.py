"""The audit's and the generator's docs, kept true both ways: every check ID and command
option is documented, and everything documented exists."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management import BaseCommand, load_command_class

from perfkit.audit.findings import CHECKS

DOCS = Path(__file__).resolve().parents[2] / "docs"
PERFKIT = Path(__file__).resolve().parents[2] / "perfkit"
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


def own_options(command):
    def options(instance):
        parser = instance.create_parser("manage.py", command)
        return {option for action in parser._actions for option in action.option_strings}

    return {
        option
        for option in options(load_command_class("perfkit", command)) - options(BaseCommand())
        if option.startswith("--")
    }


def synopses(page, command):
    """The ``--options`` of the console blocks that start ``python manage.py COMMAND``."""
    blocks = re.findall(r"```console\n(python manage\.py (\w+).*?)```", page, flags=re.DOTALL)
    return {option for text, name in blocks if name == command for option in OPTION.findall(text)}


def test_perfaudit_options_both_ways():
    page = (DOCS / "audit.md").read_text()
    documented = synopses(page, "perfaudit")
    assert documented == own_options("perfaudit")
    for option in documented:  # each explained beyond the synopsis
        assert page.count(f"`{option}") >= 1, option


def test_perfindex_options_both_ways():
    page = (DOCS / "migrations.md").read_text()
    assert synopses(page, "perfindex") == own_options("perfindex")
    table = set(re.findall(r"^\| `(--[a-z-]+)", page, flags=re.MULTILINE))
    assert table == own_options("perfindex")


def test_audit_check_ids_both_ways():
    page = (DOCS / "audit.md").read_text()
    rows = dict(re.findall(r"^\| `(PA\d{3})` \| `([a-z-]+)` \|", page, flags=re.MULTILINE))
    assert rows == {check_id: check.name for check_id, check in CHECKS.items()}


def test_audit_system_check_ids_both_ways():
    used = set(
        re.findall(r"perfkit\.W2\d\d", (PERFKIT / "audit" / "settings_checks.py").read_text())
    )
    page = (DOCS / "checks.md").read_text()
    documented = set(re.findall(r"^### `(perfkit\.W2\d\d)`", page, flags=re.MULTILINE))
    assert used and used == documented
