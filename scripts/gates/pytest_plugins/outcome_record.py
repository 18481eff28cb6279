"""pytest plugin for the gates: write every test's outcome to a JSON file.

``-p outcome_record --outcome-file PATH``. Under xdist only the controller writes, so one
file holds the whole run. Entries are keyed by node id; a subtest by node id and its place
among the test's subtests (its parameters may differ from run to run, e.g. a uuid4), its
description kept in ``subtest``. Each entry holds the outcome of each phase that ran,
e.g. ``{"setup": "passed", "call": "failed", "teardown": "passed"}``; for a failure also
where it crashed (``crash``: the source line, for an ``assert`` the test's own line) and
its message (``message``: the exception's first line, or the start of the report).
"""

from __future__ import annotations

import json
import linecache
from collections import Counter
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--outcome-file",
        metavar="PATH",
        default=None,
        help="write each test's per-phase outcome to this JSON file",
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("outcome_file")
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(OutcomeRecord(Path(path), config.rootpath), "outcome-record")


def subtest_description(report: pytest.TestReport) -> str | None:
    """A subtest's message and parameters; None when the report is not a subtest's."""
    context = getattr(report, "context", None)
    if context is None:
        return None
    parts = [] if context.msg is None else [f"[{context.msg}]"]
    if context.kwargs:
        parts.append("(" + ", ".join(f"{k}={v}" for k, v in context.kwargs.items()) + ")")
    return " ".join(parts) or "(<subtest>)"


def phase_outcome(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    return report.outcome


def failure(report: pytest.TestReport | pytest.CollectReport, root: Path) -> dict[str, str]:
    """Where and why a failed report failed, from pytest's ``reprcrash`` when it has one
    (a ``pytest.fail(pytrace=False)`` or a collection error has none: its text's start)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is None:
        lines = [line.strip() for line in report.longreprtext.splitlines() if line.strip()]
        return {"crash": "", "message": " ".join(lines[:2])[:300]}
    path = Path(crash.path)
    source = linecache.getline(str(path), crash.lineno).strip()
    where = path.relative_to(root) if path.is_relative_to(root) else path
    return {
        "crash": f"{where}:{crash.lineno}: {source}",
        "message": crash.message.splitlines()[0][:300] if crash.message else "",
    }


class OutcomeRecord:
    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        self.root = root
        self.tests: dict[str, dict[str, Any]] = {}
        self.subtests_seen: Counter[str] = Counter()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.tests[f"{report.nodeid} (collection)"] = {
                "collect": "failed",
                **failure(report, self.root),
            }

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        description = subtest_description(report)
        if description is None:
            entry = self.tests.setdefault(report.nodeid, {})
        else:
            self.subtests_seen[report.nodeid] += 1
            key = f"{report.nodeid} [subtest {self.subtests_seen[report.nodeid]}]"
            entry = self.tests.setdefault(key, {"subtest": description})
        entry[report.when] = phase_outcome(report)
        if report.failed and "message" not in entry:
            entry.update(failure(report, self.root))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.path.write_text(json.dumps(self.tests, indent=1, sort_keys=True) + "\n")
