"""Reading the per-test outcome files that the ``outcome_record`` pytest plugin writes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

Outcomes = dict[str, dict[str, Any]]
PHASES = ("collect", "setup", "call", "teardown")


def load(path: str | Path) -> Outcomes:
    outcomes: Outcomes = json.loads(Path(path).read_text())
    return outcomes


def status(entry: dict[str, Any]) -> str:
    """One word for a test, as pytest's summary counts it: a failed setup, teardown or
    collection is an ``error``, a failed call ``failed``, else the call's outcome."""
    if entry.get("collect") == "failed" or entry.get("setup") == "failed":
        return "error"
    if entry.get("call") == "failed":
        return "failed"
    if entry.get("teardown") == "failed":
        return "error"
    return str(entry.get("call") or entry.get("setup") or "not run")


def phases(entry: dict[str, Any]) -> str:
    """The outcome of each phase that ran, e.g. ``setup passed, call failed``."""
    return ", ".join(f"{phase} {entry[phase]}" for phase in PHASES if phase in entry)


def counts(outcomes: Outcomes) -> str:
    """pytest-like totals, with subtests counted apart as pytest does."""
    tests = Counter(status(e) for e in outcomes.values() if not e.get("subtest"))
    subtests = Counter(status(e) for e in outcomes.values() if e.get("subtest"))
    parts = [f"{n} {word}" for word, n in sorted(tests.items())]
    parts += [f"{n} subtests {word}" for word, n in sorted(subtests.items())]
    return ", ".join(parts) or "no tests"


def why(entry: dict[str, Any]) -> str:
    """Where and how a failed test failed, on one or two lines."""
    message = entry.get("message", "")
    crash = entry.get("crash", "")
    return f"{message}\n      at {crash}" if crash else message
