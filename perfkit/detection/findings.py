"""Findings: what detection reports, one frozen dataclass per problem."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal, get_args

FindingKind = Literal[
    "n_plus_one",
    "unused_eager_load",
    "repeated_write",
    "slow_query",
    "query_budget",
    "db_time_budget",
]
FINDING_KINDS: tuple[FindingKind, ...] = get_args(FindingKind)
KIND_LABELS: dict[FindingKind, str] = {
    "n_plus_one": "N+1",
    "unused_eager_load": "unused eager load",
    "repeated_write": "repeated write",
    "slow_query": "slow query",
    "query_budget": "query budget",
    "db_time_budget": "DB time budget",
}


@dataclass(frozen=True)
class Finding:
    """One problem found in a scope.

    ``relation`` is ``"app_label.Model.field"`` when the problem goes through a relation
    (or a deferred field), else None. ``location`` is the user's call site
    (``"path/to/file.py:LINE"``, or a template's ``"path/to/list.html:LINE"``);
    ``location_label`` says what that line is when more than the project's Python
    (``"ClassSerializer.teacher"``, ``"template rendered by ClassListView"``,
    ``"library code"``); ``sql`` a sample of the SQL (placeholders; literals written
    into it replaced by ``?``); ``suggestion`` the fix in one sentence. ``count`` and
    ``total_ms`` are the number and the summed duration of the queries behind the
    finding. ``params`` is None unless ``LOG_PARAMETERS`` is on: then the ``repr`` of
    the first query's parameters, and ``sql`` keeps its literals (see
    :mod:`perfkit.detection.values`).
    """

    kind: FindingKind
    relation: str | None
    count: int
    total_ms: float
    location: str
    sql: str
    suggestion: str
    fingerprint: str = ""
    alias: str = "default"
    explain: str | None = None
    params: str | None = None
    location_label: str = ""

    @property
    def message(self) -> str:
        """One line for humans: what, where, how many, and the fix."""
        subject = self.relation or _short(self.fingerprint or self.sql)
        if self.kind == "unused_eager_load":
            size = f"{self.count} {'object' if self.count == 1 else 'objects'}"
        else:
            unit = "query" if self.count == 1 else "queries"
            size = f"{self.count} {unit}, {self.total_ms:.1f} ms"
        where = f"{self.location} ({self.location_label})" if self.location_label else self.location
        text = f"{self.kind} {subject} at {where}: {size}"
        if self.explain:
            text += f"; plan: {self.explain}"
        return f"{text}. {self.suggestion}"

    def as_dict(self) -> dict[str, Any]:
        # Every field is a plain value: no need for asdict()'s deep copy.
        return {field.name: getattr(self, field.name) for field in fields(self)}


def _short(sql: str, limit: int = 80) -> str:
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"
