"""The allowlist: findings to ignore, matched by relation, location, kind or SQL.

An entry is a string or a dict. A string containing ``/`` or ``.py`` (or ``:LINE``)
matches a finding's location (``"app/views.py:*"``); any other string matches its
relation (``"school.Class.teacher"``, ``"school.*"``). A dict matches when all of its
keys do: ``{"kind": "slow_query", "location": "reports/*.py:*"}``; keys are ``kind``,
``relation``, ``location`` and ``sql`` (a pattern on the fingerprint). Patterns use
shell wildcards (``fnmatch``). perfkit remembers which entries matched since the process
started, so :func:`unmatched_entries` can report the stale ones.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterable
from typing import Any

from perfkit.detection.findings import Finding

ENTRY_KEYS = frozenset({"kind", "relation", "location", "sql"})

_lock = threading.Lock()
_matched: set[str] = set()


def entry_key(entry: Any) -> str:
    """A stable text for an entry (dicts sorted), to remember it by."""
    if isinstance(entry, dict):
        return repr(sorted((str(key), str(value)) for key, value in entry.items()))
    return repr(entry)


def is_location_pattern(text: str) -> bool:
    return "/" in text or ".py" in text or ":" in text


def entry_problem(entry: Any) -> str | None:
    """Why an entry cannot be used, or None (shared with the system check)."""
    if isinstance(entry, str):
        return "is an empty string" if not entry.strip() else None
    if isinstance(entry, dict):
        if not entry:
            return "is an empty dict"
        unknown = sorted(str(key) for key in entry if key not in ENTRY_KEYS)
        if unknown:
            return f"has unknown key(s) {', '.join(unknown)}; use {', '.join(sorted(ENTRY_KEYS))}"
        if not all(isinstance(value, str) and value for value in entry.values()):
            return "must map keys to non-empty strings"
        return None
    return f"must be a str or a dict, got {type(entry).__name__}"


def matches(entry: Any, finding: Finding) -> bool:
    if entry_problem(entry) is not None:
        return False
    if isinstance(entry, str):
        if is_location_pattern(entry):
            return fnmatch.fnmatchcase(finding.location, entry)
        return finding.relation is not None and fnmatch.fnmatchcase(finding.relation, entry)
    for key, pattern in entry.items():
        value = {
            "kind": finding.kind,
            "relation": finding.relation,
            "location": finding.location,
            "sql": finding.fingerprint or finding.sql,
        }[key]
        if value is None or not fnmatch.fnmatchcase(value, pattern):
            return False
    return True


def split(
    findings: Iterable[Finding], allowlist: tuple[Any, ...]
) -> tuple[list[Finding], list[Finding], list[Any]]:
    """(kept, ignored, entries that matched nothing here); remembers the matched entries."""
    if not allowlist:  # the usual case: nothing can match, nothing to remember
        return list(findings), [], []
    kept: list[Finding] = []
    ignored: list[Finding] = []
    used: set[int] = set()
    for finding in findings:
        hits = [index for index, entry in enumerate(allowlist) if matches(entry, finding)]
        if hits:
            ignored.append(finding)
            used.update(hits)
        else:
            kept.append(finding)
    if used:
        with _lock:
            _matched.update(entry_key(allowlist[index]) for index in used)
    unmatched = [entry for index, entry in enumerate(allowlist) if index not in used]
    return kept, ignored, unmatched


def unmatched_entries(allowlist: Iterable[Any] | None = None) -> list[Any]:
    """Entries of ``allowlist`` (default: ``PERFKIT["ALLOWLIST"]``) that matched no
    finding since the process started (or since :func:`forget_matches`): stale ignores."""
    if allowlist is None:
        from perfkit.conf import perfkit_settings

        allowlist = perfkit_settings.ALLOWLIST
    with _lock:
        return [entry for entry in allowlist if entry_key(entry) not in _matched]


def forget_matches() -> None:
    """Start remembering matches afresh (e.g. at the start of a test session)."""
    with _lock:
        _matched.clear()
