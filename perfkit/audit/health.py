"""PostgreSQL health: invalid and unused indexes, nullable leading columns, tables read
by sequential scans, sequences near overflow. Each runs one set-based catalog query."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import connections

from perfkit.audit.context import AuditContext
from perfkit.audit.findings import AuditFinding
from perfkit.audit.readonly import read_only
from perfkit.conf import perfkit_settings

SEQUENCE_MAXIMUM = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}


def check_invalid(context: AuditContext) -> Iterator[AuditFinding]:
    for table, indexes in sorted(context.present.items()):
        audited = context.model_for(table)
        for index in indexes:
            if index.valid or index.building:
                continue
            migrate = (
                f"python manage.py migrate {audited.app_label}"
                if audited
                else "re-run the migration"
            )
            yield AuditFinding(
                "PA401",
                table,
                f"{index.name} is INVALID: a CREATE INDEX CONCURRENTLY failed part-way. "
                "PostgreSQL keeps updating it on every write but never uses it, and the "
                "migration that made it fails with 'relation already exists' if re-run.",
                model=audited.label if audited else None,
                index=index.name,
                columns=index.columns,
                fix=f"DROP INDEX CONCURRENTLY IF EXISTS {index.name}; then {migrate}",
            )


def _scans_on(alias: str, tables: list[str]) -> dict[tuple[str, str], int]:
    """Index scans on a replica, read in its own read-only transaction."""
    replica = connections[alias]
    with read_only(replica), replica.cursor() as cursor:
        cursor.execute(
            "SELECT relname, indexrelname, idx_scan FROM pg_stat_user_indexes "
            "WHERE schemaname = ANY(current_schemas(false)) AND relname = ANY(%s)",
            [tables],
        )
        return {(table, index): scans for table, index, scans in cursor.fetchall()}


# Since when the index scan counters can be trusted to cover: the latest of the last
# statistics reset (NULL when never reset), the server's start (counters may have been
# lost then: a crash, or a server older than 15) and, when this role may read it, the
# database's creation (a new database's counters start at zero, stats_reset stays NULL).
STATISTICS_SINCE = """
SELECT d.stats_reset, pg_postmaster_start_time(),
       CASE WHEN has_function_privilege('pg_stat_file(text, boolean)', 'EXECUTE')
            THEN (pg_stat_file('base/' || db.oid || '/PG_VERSION', true)).modification
       END,
       now()
FROM pg_stat_database d JOIN pg_database db ON db.oid = d.datid
WHERE d.datname = current_database()
"""


@dataclass(frozen=True)
class StatisticsAge:
    """How long the index scan counters have been counting, and why that long."""

    since: datetime
    source: str  # what ``since`` is: "the last statistics reset", "the server's start", ...
    now: datetime

    @property
    def days(self) -> float:
        return (self.now - self.since).total_seconds() / 86400

    def describe(self) -> str:
        return f"since {self.since:%Y-%m-%d %H:%M %Z} ({self.source}, {self.days:.1f} days)"


def statistics_age(context: AuditContext) -> StatisticsAge:
    """The conservative age of the statistics: the latest of their last reset, the
    server's start and the database's creation."""
    with context.connection.cursor() as cursor:
        cursor.execute(STATISTICS_SINCE)
        reset, started, created, now = cursor.fetchone()
    return conservative_age(reset, started, created, now)


def conservative_age(
    reset: datetime | None, started: datetime, created: datetime | None, now: datetime
) -> StatisticsAge:
    """The latest of the moments the counters may have started from: a reset that never
    happened (NULL) does not count, and never makes the statistics look old."""
    candidates = [
        (started, "the server's start (pg_postmaster_start_time())"),
        (reset, "the last statistics reset (pg_stat_database.stats_reset)"),
        (created, "the database's creation"),
    ]
    since, source = max(
        ((moment, source) for moment, source in candidates if moment is not None),
        key=lambda candidate: candidate[0],
    )
    if reset is None:
        source += "; stats_reset is NULL: never reset"
    return StatisticsAge(since, source, now)


def check_unused(context: AuditContext) -> Iterator[AuditFinding]:
    age = statistics_age(context)
    minimum_days = perfkit_settings.AUDIT_STATS_MIN_AGE_DAYS
    if age.days < minimum_days:
        context.skipped.append(
            f"PA402 unused indexes: the scan counters have been counting only "
            f"{age.describe()}, less than {minimum_days:g} days "
            "(AUDIT_STATS_MIN_AGE_DAYS): too early to call an index unused."
        )
        return
    tables = sorted(context.present)
    replica_scans = []
    for alias in context.replicas:
        try:
            replica_scans.append(_scans_on(alias, tables))
        except Exception as error:  # an unreachable replica must not hide a used index
            context.skipped.append(f"PA402 unused indexes: replica {alias!r} unreadable ({error}).")
            return
    candidates = []
    minimum_bytes = perfkit_settings.AUDIT_UNUSED_MIN_BYTES
    for table, indexes in sorted(context.present.items()):
        audited = context.model_for(table)
        fk_columns = set()
        if audited is not None:
            fk_columns = {
                str(f.column) for f in audited.model._meta.local_concrete_fields if f.is_relation
            }
        for index in indexes:
            if index.protected or not index.valid or index.scans is None:
                continue
            if index.is_django_like_index:
                continue  # the field's own LIKE/startswith index: rare reads, slow without it
            if index.keys and index.keys[0].column in fk_columns:
                continue  # covers a foreign key: ON DELETE and joins need it
            scans = [index.scans] + [found.get((table, index.name), 0) for found in replica_scans]
            if max(scans) >= perfkit_settings.AUDIT_UNUSED_MAX_SCANS:
                continue
            # relpages' estimate first (free); the exact size below, for these only.
            if (index.size_bytes or 0) < minimum_bytes / 2:
                continue
            candidates.append((table, audited, index))
    sizes = _exact_sizes(context, [index.name for _table, _audited, index in candidates])
    where = " and on every replica" if replica_scans else ""
    for table, audited, index in candidates:
        size = sizes.get(index.name, index.size_bytes or 0)
        if size < minimum_bytes:
            continue
        yield AuditFinding(
            "PA402",
            table,
            f"{index.name} ({size / 1048576:.1f} MiB) was scanned "
            f"{index.scans} times {age.describe()}{where}: it costs every "
            "write and serves no read.",
            model=audited.label if audited else None,
            index=index.name,
            columns=index.columns,
            fix=f"DROP INDEX CONCURRENTLY {index.name}; (or remove it from the model)",
        )


def _exact_sizes(context: AuditContext, names: list[str]) -> dict[str, int]:
    """pg_relation_size() of the indexes named: one query, opening only those."""
    if not names:
        return {}
    with context.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ANY(current_schemas(false)) AND c.relkind = 'i' "
            "AND c.relname = ANY(%s)",
            [names],
        )
        return dict(cursor.fetchall())


def check_nullable_leading(context: AuditContext) -> Iterator[AuditFinding]:
    with context.connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, attname, null_frac FROM pg_stats "
            "WHERE schemaname = ANY(current_schemas(false)) AND tablename = ANY(%s)",
            [sorted(context.present)],
        )
        null_fraction = {(table, column): frac for table, column, frac in cursor.fetchall()}
    for table, indexes in sorted(context.present.items()):
        audited = context.model_for(table)
        for index in indexes:
            if index.protected or index.predicate or not index.keys:
                continue
            column = index.keys[0].column
            fraction = null_fraction.get((table, column), 0.0)
            if fraction < 0.5:
                continue
            yield AuditFinding(
                "PA404",
                table,
                f"{index.name} leads with {column}, which is NULL in {fraction:.0%} of rows; "
                "a partial index skips them.",
                model=audited.label if audited else None,
                index=index.name,
                columns=index.columns,
                fix=f"models.Index(fields=[...], condition=Q({column}__isnull=False), name=...)",
            )


def check_sequential_scans(context: AuditContext) -> Iterator[AuditFinding]:
    with context.connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, seq_scan, coalesce(idx_scan, 0), n_live_tup FROM pg_stat_user_tables "
            "WHERE schemaname = ANY(current_schemas(false)) AND relname = ANY(%s)",
            [sorted(context.present)],
        )
        rows = cursor.fetchall()
    for table, seq_scan, idx_scan, live in rows:
        if live < perfkit_settings.AUDIT_LARGE_TABLE_ROWS or seq_scan <= idx_scan or seq_scan < 10:
            continue
        audited = context.model_for(table)
        yield AuditFinding(
            "PA405",
            table,
            f"{table} ({live:,} rows) was read by {seq_scan:,} sequential scans and "
            f"{idx_scan:,} index scans: some frequent query has no index.",
            model=audited.label if audited else None,
            fix="See the PA501 suggestions, or run the detector on the endpoints reading it.",
        )


def check_sequences(context: AuditContext) -> Iterator[AuditFinding]:
    with context.connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, a.attname, format_type(a.atttypid, NULL), s.last_value
            FROM pg_sequences s
            JOIN pg_namespace sn ON sn.nspname = s.schemaname
            JOIN pg_class sc ON sc.relname = s.sequencename AND sc.relnamespace = sn.oid
            JOIN pg_depend d ON d.objid = sc.oid AND d.classid = 'pg_class'::regclass
                 AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
            JOIN pg_class t ON t.oid = d.refobjid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
            WHERE t.relname = ANY(%s)
            """,
            [sorted(context.present)],
        )
        rows = cursor.fetchall()
    for table, column, type_name, last_value in rows:
        maximum = SEQUENCE_MAXIMUM.get(type_name)
        if maximum is None or last_value is None or last_value < maximum * 0.75:
            continue
        audited = context.model_for(table)
        used = last_value / maximum
        yield AuditFinding(
            "PA406",
            table,
            f"{table}.{column} ({type_name}) has used {used:.0%} of its range "
            f"({last_value:,} of {maximum:,}): inserts fail when it runs out.",
            model=audited.label if audited else None,
            columns=(column,),
            severity="error" if used >= 0.9 else "warning",
            fix=f"Change {column} to BigAutoField/bigint before it runs out.",
        )


BLOAT_ESTIMATE = """
SELECT t.relname, i.relname, pg_relation_size(i.oid),
       ceil(t.reltuples * (w.width + 16) / (current_setting('block_size')::int * 0.9))
         * current_setting('block_size')::int
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_am am ON am.oid = i.relam
CROSS JOIN LATERAL (
  SELECT coalesce(sum(s.avg_width), 0) AS width
  FROM pg_attribute a
  JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname
       AND s.attname = a.attname
  WHERE a.attrelid = t.oid AND a.attnum = ANY(ix.indkey)
) w
WHERE n.nspname = ANY(current_schemas(false)) AND t.relname = ANY(%s)
  AND am.amname = 'btree' AND t.reltuples > 0 AND w.width > 0
"""


def check_bloat(context: AuditContext) -> Iterator[AuditFinding]:
    """B-tree indexes at least twice the size their rows need (an estimate from
    ``pg_stats`` widths: 16 bytes of overhead a row, 90% leaf fill)."""
    with context.connection.cursor() as cursor:
        cursor.execute(BLOAT_ESTIMATE, [sorted(context.present)])
        rows = cursor.fetchall()
    for table, index, actual, expected in rows:
        wasted = actual - int(expected)
        if actual < 2 * expected or wasted < perfkit_settings.AUDIT_UNUSED_MIN_BYTES:
            continue
        audited = context.model_for(table)
        yield AuditFinding(
            "PA403",
            table,
            f"{index} takes {actual / 1048576:.1f} MiB where its rows need about "
            f"{expected / 1048576:.1f} MiB: about {wasted / 1048576:.1f} MiB of bloat that "
            "every scan reads.",
            model=audited.label if audited else None,
            index=index,
            fix=f"REINDEX INDEX CONCURRENTLY {index};",
        )
