"""Run the audit: introspect, run the selected checks, all inside one read-only
transaction with a statement timeout, and return the findings."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from perfkit.audit import drift, health, missing, redundancy, workload
from perfkit.audit.audited_models import AuditedModel, declared_models
from perfkit.audit.context import AuditContext
from perfkit.audit.findings import CHECKS, AuditFinding
from perfkit.audit.installed_packages import third_party_app
from perfkit.audit.readonly import read_only
from perfkit.audit.workload import WorkloadStatement
from perfkit.conf import perfkit_settings
from perfkit.schema.definitions import IndexDefinition
from perfkit.schema.present import present_indexes

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
    (("PA501",), workload.suggest),
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
    captured: Sequence[WorkloadStatement] = (),
    third_party: bool = False,
) -> AuditResult:
    """Audit ``app_labels`` (default: the project's own apps, and with ``third_party``
    the apps of installed packages too) on ``database`` with the ``checks`` given
    (default: all), counting index scans on ``replicas`` too, with ``captured``
    statements added to pg_stat_statements' for the workload suggestions. Findings on
    the models of installed packages have ``third_party`` set.

    A check the database refuses (missing privileges, a timeout) is skipped, with the
    reason in ``AuditResult.skipped``; the others still run.
    """
    connection = connections[database]
    with read_only(connection), _existing_objects_frozen() as freeze_new_objects:
        progress("reading the migration state")
        models = declared_models(connection, app_labels, third_party)
        freeze_new_objects()  # the migration state lives as long as the audit
        return _audit(connection, models, checks, replicas, progress, captured)


def audit_models(
    connection: BaseDatabaseWrapper,
    models: list[AuditedModel],
    checks: Sequence[str] = (),
    replicas: Sequence[str] = (),
    progress: Callable[[str], None] = lambda message: None,
    captured: Sequence[WorkloadStatement] = (),
) -> AuditResult:
    """The audit of ``models`` (from :func:`declared_models`, or built by hand as the
    benchmark does), inside a transaction the caller made read-only."""
    with _existing_objects_frozen():
        return _audit(connection, models, checks, replicas, progress, captured)


@contextmanager
def _existing_objects_frozen() -> Iterator[Callable[[], None]]:
    """The audit keeps hundreds of thousands of objects alive until it ends; on a large
    heap (a big project's models and migration state), every full garbage collection it
    triggers would walk all of that heap again, seconds at ten thousand models. So the
    objects that exist when it starts are left out of collections (``gc.freeze``) until
    it ends (``gc.unfreeze``); what it yields freezes the objects made since. Not done
    when the host freezes objects itself or has turned the collector off: then its own
    choice stands."""
    if gc.get_freeze_count() or not gc.isenabled():
        yield lambda: None
        return
    gc.freeze()
    try:
        yield gc.freeze  # to freeze what was made since, e.g. the migration state
    finally:
        gc.unfreeze()


def _audit(
    connection: BaseDatabaseWrapper,
    models: list[AuditedModel],
    checks: Sequence[str],
    replicas: Sequence[str],
    progress: Callable[[str], None],
    captured: Sequence[WorkloadStatement],
) -> AuditResult:
    selected = set(checks) or set(CHECKS)
    result = AuditResult(connection.alias, connection.vendor, [])
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
        captured=tuple(captured),
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
        result.findings.extend(_run_one(context, ids, runner, wanted))
    result.skipped = context.skipped
    return result


def _run_one(
    context: AuditContext, ids: tuple[str, ...], runner: CheckRunner, wanted: set[str]
) -> list[AuditFinding]:
    """One family of checks in its own savepoint: when the database refuses it, the
    reason is recorded and the rest of the audit goes on."""
    try:
        with transaction.atomic(using=context.connection.alias):
            found = [finding for finding in runner(context) if finding.check in wanted]
    except DatabaseError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        hint = ""
        if "permission denied" in reason or "privilege" in reason:
            hint = " This role lacks the privilege (pg_monitor or pg_read_all_stats grants it)."
        context.skipped.append(
            f"{', '.join(sorted(wanted))}: the database refused: {reason}.{hint}"
        )
        return []
    return [_labelled(context, finding) for finding in found]


def _labelled(context: AuditContext, finding: AuditFinding) -> AuditFinding:
    """The finding, marked when its model comes from an installed package, whose fix
    then says so: the package's models and migrations are not the project's to edit."""
    audited = context.model_for(finding.table)
    if audited is None or not audited.third_party:
        return finding
    package = third_party_app(audited.app_label)
    where = f"{package.module} is an installed package" if package else "an installed package"
    fix = (
        f"{audited.label} is not this project's model ({where}): change it upstream, or "
        "create or drop the index from a migration of one of your own apps "
        "(migrations.RunSQL; see the third-party apps section of docs/audit.md)."
    )
    if finding.fix:
        fix += f" The fix on a model of your own would be: {finding.fix}"
    return replace(finding, third_party=True, fix=fix)
