"""Run the audit: introspect, run the selected checks, all inside one read-only
transaction with a statement timeout, and return the findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connections

from perfkit.audit import drift, health, missing, redundancy
from perfkit.audit.context import AuditContext
from perfkit.audit.definitions import IndexDefinition
from perfkit.audit.findings import CHECKS, AuditFinding
from perfkit.audit.introspection import declared_models, present_indexes
from perfkit.audit.readonly import read_only
from perfkit.conf import perfkit_settings

CheckRunner = Callable[[AuditContext], Iterable[AuditFinding]]

# Which runner produces which finding IDs.
RUNNERS: list[tuple[tuple[str, ...], CheckRunner]] = [
    (("PA101", "PA102", "PA103"), drift.check_drift),
    (("PA201", "PA202", "PA203", "PA204"), redundancy.check_redundancy),
    (("PA301", "PA302"), missing.check_foreign_keys),
    (("PA303",), missing.check_orderings),
    (("PA304",), missing.check_low_cardinality),
    (("PA401",), health.check_invalid),
    (("PA402",), health.check_unused),
    (("PA403",), health.check_bloat),
    (("PA404",), health.check_nullable_leading),
    (("PA405",), health.check_sequential_scans),
    (("PA406",), health.check_sequences),
]


@dataclass
class AuditResult:
    database: str
    vendor: str
    findings: list[AuditFinding]
    skipped: list[str] = field(default_factory=list)


def run_audit(
    database: str = "default",
    app_labels: Sequence[str] = (),
    checks: Sequence[str] = (),
    replicas: Sequence[str] = (),
    progress: Callable[[str], None] = lambda message: None,
) -> AuditResult:
    connection = connections[database]
    selected = set(checks) or set(CHECKS)
    result = AuditResult(database, connection.vendor, [])
    with read_only(connection):
        progress("reading the migration state")
        models = declared_models(connection, app_labels)
        progress(f"reading the indexes of {len(models)} tables")
        tables = [audited.table for audited in models]
        present: dict[str, list[IndexDefinition]] = {table: [] for table in tables}
        for index in present_indexes(connection, tables):
            present[index.table].append(index)
        context = AuditContext(
            connection,
            models,
            present,
            replicas=tuple(replicas) or perfkit_settings.AUDIT_REPLICAS,
        )
        for ids, runner in RUNNERS:
            wanted = selected.intersection(ids)
            if not wanted:
                continue
            if CHECKS[ids[0]].postgres_only and connection.vendor != "postgresql":
                context.skipped.append(
                    f"{', '.join(sorted(wanted))}: PostgreSQL only ({connection.vendor} here)."
                )
                continue
            progress(f"running {', '.join(ids)}")
            result.findings.extend(f for f in runner(context) if f.check in wanted)
        if "PA501" in selected:
            from perfkit.audit import workload

            progress("running PA501")
            result.findings.extend(workload.suggest(context))
        result.skipped = context.skipped
    return result
