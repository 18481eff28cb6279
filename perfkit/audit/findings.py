"""What perfaudit reports: the checks it runs, each with a stable ID, and its findings.

Finding IDs start with ``PA`` so they are never mistaken for Django system checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["info", "warning", "error"]
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    severity: Severity
    postgres_only: bool


CHECKS: dict[str, Check] = {
    check.id: check
    for check in [
        Check("PA101", "declared-index-missing", "error", False),
        Check("PA102", "undeclared-index", "warning", False),
        Check("PA103", "index-definition-differs", "warning", False),
        Check("PA201", "duplicate-index", "warning", False),
        Check("PA202", "prefix-redundant-index", "warning", False),
        Check("PA203", "fk-index-covered-by-composite", "warning", False),
        Check("PA204", "index-identical-to-primary-key", "warning", False),
        Check("PA301", "foreign-key-without-index", "warning", False),
        Check("PA302", "foreign-key-index-questionable", "info", False),
        Check("PA303", "ordering-without-index", "warning", False),
        Check("PA304", "low-cardinality-leading-column", "warning", False),
        Check("PA401", "invalid-index", "error", True),
        Check("PA402", "unused-index", "warning", True),
        Check("PA403", "index-bloat", "info", True),
        Check("PA404", "nullable-leading-column", "info", True),
        Check("PA405", "sequential-scan-heavy-table", "info", True),
        Check("PA406", "sequence-near-overflow", "error", True),
        Check("PA501", "workload-index-suggestion", "info", True),
    ]
}


@dataclass(frozen=True, slots=True)
class AuditFinding:
    """One problem, in Django terms (model and fields) and database terms (table, index).

    ``fix`` is the human fix; ``autofix`` the machine-readable one that
    ``perfaudit --fix`` turns into a migration (``add_index`` / ``remove_index`` /
    ``set_db_index_false``), or None when there is no safe automatic fix.
    """

    check: str
    table: str
    message: str
    model: str | None = None
    index: str | None = None
    columns: tuple[str, ...] = ()
    fix: str | None = None
    autofix: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    severity: Severity | None = None
    # On a model of an installed package (perfkit.audit.installed_packages): labelled,
    # never fixed, and left out of perfaudit's exit status unless --include-third-party.
    third_party: bool = False

    @property
    def effective_severity(self) -> Severity:
        return self.severity or CHECKS[self.check].severity

    @property
    def id(self) -> str:
        """Stable across runs: check, table, and index name or columns."""
        subject = self.index or ",".join(self.columns)
        return f"{self.check}:{self.table}:{subject}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "check": self.check,
            "name": CHECKS[self.check].name,
            "severity": self.effective_severity,
            "model": self.model,
            "table": self.table,
            "index": self.index,
            "columns": list(self.columns),
            "message": self.message,
            "fix": self.fix,
            "autofix": self.autofix,
            "third_party": self.third_party,
        }
