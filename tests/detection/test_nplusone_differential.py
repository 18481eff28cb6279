"""Differential test against nplusone (Django 5.2 only: nplusone crashes on 6.x).

nplusone patches the ORM for good when imported, so it runs in its own pytest process
(tests/detection/nplusone_probe.py) with its own test database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import django
import pytest
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    django.VERSION >= (6, 0),
    reason="nplusone crashes on Django 6 (every select_related query); differential on 5.2",
)


def test_every_nplusone_report_is_a_perfkit_finding():
    pytest.importorskip("nplusone")
    env = dict(os.environ)
    env.pop("PERFKIT_REQUIRE_POSTGRES", None)  # the probe has no PostgreSQL-only tests
    url = env.get("DATABASE_URL")
    if url and connections["default"].vendor == "postgresql":
        env["DATABASE_URL"] = url.rstrip("/") + "_nplusone"  # its own test database
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and "DATABASE_URL" in env:
        env["DATABASE_URL"] += f"_{worker}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/detection/nplusone_probe.py",
            "-q",
            "-p",
            "no:xdist",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    from tests.detection.scenarios import EXPECTED

    assert f"{len(EXPECTED)} passed" in result.stdout, result.stdout[-2000:]
