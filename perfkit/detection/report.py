"""The result of one detection scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from perfkit.capture import CapturedQuery
from perfkit.detection.findings import Finding


@dataclass
class Report:
    """What one scope found. Filled when the scope ends; empty while it runs.

    ``findings`` are the findings the allowlist let through; ``ignored`` the ones it
    matched; ``unmatched_allowlist`` the entries that matched nothing in this scope.
    ``queries`` is the number of captured queries and ``captured`` the queries themselves.
    """

    findings: list[Finding] = field(default_factory=list)
    queries: int = 0
    db_time_ms: float = 0.0
    captured: list[CapturedQuery] = field(default_factory=list)
    ignored: list[Finding] = field(default_factory=list)
    unmatched_allowlist: list[Any] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.kind == kind]

    def __bool__(self) -> bool:  # "if report:" means "found something"
        return bool(self.findings)
