"""Workload-driven suggestions (PostgreSQL): the statements that took the most time, from
pg_stat_statements and from queries captured by perfkit's detector, planned generically;
an index proposed where a sequential scan with a filter, or a sort, dominates on a large
table; confirmed with hypopg when the extension is installed.

Captured queries come in as :class:`WorkloadStatement` objects: from a capture in code
(``statements_from_captured(report.captured)``, then ``run_audit(captured=...)``), or
from a file written with :func:`save_captured` and passed as ``perfaudit --captured``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.db import DatabaseError, transaction

from perfkit.audit.context import AuditContext
from perfkit.audit.findings import AuditFinding
from perfkit.conf import perfkit_settings
from perfkit.exceptions import UsageError
from perfkit.schema.plan import QueryPlan, explain
from perfkit.schema.sql_text import without_literals

TOP_STATEMENTS = 20
FROM_PG_STAT_STATEMENTS = "pg_stat_statements"
FROM_DETECTOR = "queries captured by the detector"


@dataclass(frozen=True)
class WorkloadStatement:
    """One statement of the workload, with ``$1``-style parameters (as
    pg_stat_statements shows them), its total time, its call count and its source."""

    sql: str
    total_ms: float
    calls: int = 1
    source: str = FROM_DETECTOR


class CapturedLike(Protocol):
    """What a captured query offers (``perfkit.capture.CapturedQuery`` does)."""

    @property
    def sql(self) -> str: ...

    @property
    def duration_ms(self) -> float: ...


_PLACEHOLDER = re.compile(r"%%|%s")


def numbered_parameters(sql: str) -> str:
    """Django's ``%s`` placeholders as ``$1``, ``$2`` … (``%%`` back to ``%``), so a
    captured statement can be prepared and planned like a pg_stat_statements one."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def statements_from_captured(queries: Iterable[CapturedLike]) -> list[WorkloadStatement]:
    """The SELECTs among captured queries, grouped by their text (parameters are never
    kept), with their total time, most expensive first."""
    totals: dict[str, list[float]] = {}
    for query in queries:
        if not query.sql.lstrip().upper().startswith("SELECT"):
            continue
        totals.setdefault(numbered_parameters(query.sql), []).append(query.duration_ms)
    return sorted(
        (WorkloadStatement(sql, sum(times), len(times)) for sql, times in totals.items()),
        key=lambda statement: -statement.total_ms,
    )


def save_captured(queries: Iterable[CapturedLike], path: Path) -> None:
    """Write captured queries for ``perfaudit --captured``: their SQL and time, never
    their parameters."""
    data = [
        {"sql": s.sql, "total_ms": s.total_ms, "calls": s.calls}
        for s in statements_from_captured(queries)
    ]
    path.write_text(json.dumps(data, indent=1) + "\n")


def load_captured(path: Path) -> list[WorkloadStatement]:
    """Read a file written by :func:`save_captured` (a JSON list of objects with
    ``sql``, ``total_ms`` and optionally ``calls``). Raises UsageError when it is not."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise UsageError(f"Cannot read captured queries from {path}: {error}") from error
    if not isinstance(data, list) or not all(
        isinstance(item, dict)
        and isinstance(item.get("sql"), str)
        and isinstance(item.get("total_ms"), int | float)
        for item in data
    ):
        raise UsageError(
            f"{path} is not a list of captured queries "
            '([{"sql": "SELECT …", "total_ms": 1.5, "calls": 1}, …]).'
        )
    return [
        WorkloadStatement(item["sql"], float(item["total_ms"]), int(item.get("calls", 1)))
        for item in data
    ]


def _installed(context: AuditContext, extension: str) -> bool:
    with context.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [extension])
        return cursor.fetchone() is not None


def _plan(context: AuditContext, name: str, parameters: int) -> QueryPlan:
    """The generic plan of prepared statement ``name``, every parameter NULL."""
    arguments = ", ".join(["NULL"] * parameters)
    execute = f"EXECUTE {name}({arguments})" if parameters else f"EXECUTE {name}"
    return explain(context.connection.alias, execute)


def _proposal(
    plan: QueryPlan, tables: dict[str, Any], rows: dict[str, float]
) -> tuple[str, list[tuple[str, bool]]] | None:
    """(table, [(column, descending)]) for the first whole-table scan worth an index:
    of a large audited table, filtering or sorting on its columns."""
    for table in plan.full_scans:
        if table not in tables or rows.get(table, 0) < perfkit_settings.AUDIT_LARGE_TABLE_ROWS:
            continue
        columns = tables[table]
        keys = [(column, False) for column in plan.filter_columns(table) if column in columns]
        for column, descending in plan.sort_keys:
            if column in columns and column not in [name for name, _ in keys]:
                keys.append((column, descending))
        if keys:
            return table, list(dict.fromkeys(keys))
    return None


def _statements_from_pg_stat_statements(context: AuditContext) -> list[WorkloadStatement]:
    """The top SELECTs by total time in pg_stat_statements, or [] with the reason
    recorded when it cannot be read."""
    if not _installed(context, "pg_stat_statements"):
        context.skipped.append(
            "PA501 workload suggestions: pg_stat_statements is not installed in this "
            "database (shared_preload_libraries, then CREATE EXTENSION pg_stat_statements)."
            + (" Using the captured queries only." if context.captured else "")
        )
        return []
    try:
        with (
            transaction.atomic(using=context.connection.alias),
            context.connection.cursor() as cursor,
        ):
            cursor.execute(
                "SELECT query, total_exec_time, calls FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database "
                "WHERE datname = current_database()) "
                "AND (query ILIKE 'select%%' OR query = '<insufficient privilege>') "
                "ORDER BY total_exec_time DESC LIMIT %s",
                [TOP_STATEMENTS],
            )
            rows = cursor.fetchall()
    except DatabaseError as error:
        context.skipped.append(f"PA501: cannot read pg_stat_statements ({error}).")
        return []
    hidden = sum(1 for query, _, _ in rows if query == "<insufficient privilege>")
    if hidden:
        context.skipped.append(
            f"PA501: {hidden} of the top {len(rows)} statements in pg_stat_statements "
            "belong to other roles and their text is hidden (insufficient privilege): they "
            "were not planned. Grant this role pg_read_all_stats to include them."
        )
    return [
        WorkloadStatement(query, float(total), int(calls), FROM_PG_STAT_STATEMENTS)
        for query, total, calls in rows
        if query != "<insufficient privilege>"
    ]


def suggest(context: AuditContext) -> Iterator[AuditFinding]:
    if context.vendor != "postgresql":
        context.skipped.append("PA501 workload suggestions: PostgreSQL only.")
        return
    statements = _statements_from_pg_stat_statements(context)
    known = {statement.sql for statement in statements}
    captured = sorted(context.captured, key=lambda statement: -statement.total_ms)
    statements += [s for s in captured[:TOP_STATEMENTS] if s.sql not in known]
    if not statements:
        return
    hypopg = _installed(context, "hypopg")
    if not hypopg:
        context.skipped.append(
            "PA501: hypopg is not installed, so suggested indexes are not confirmed with a "
            "hypothetical plan (CREATE EXTENSION hypopg)."
        )
    tables = {
        audited.table: {str(f.column): f for f in audited.model._meta.local_concrete_fields}
        for audited in context.models
    }
    with context.connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [list(tables)]
        )
        rows = dict(cursor.fetchall())
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        seen: set[tuple[str, tuple[tuple[str, bool], ...]]] = set()
        for number, workload in enumerate(statements):
            statement = workload.sql
            if tables.keys().isdisjoint(re.findall(r"\w+", statement)):
                continue  # reads none of the audited tables
            parameters = max((int(n) for n in re.findall(r"\$(\d+)", statement)), default=0)
            name = f"perfkit_audit_{number}"
            try:
                with transaction.atomic(using=context.connection.alias):
                    cursor.execute(f"PREPARE {name} AS {statement}")
                    plan = _plan(context, name, parameters)
                    proposal = _proposal(plan, tables, rows)
                    confirmation = ""
                    if proposal is not None and hypopg:
                        table, keys = proposal
                        columns = ", ".join(f'"{c}"{" DESC" if d else ""}' for c, d in keys)
                        cursor.execute(
                            "SELECT hypopg_create_index(%s)",
                            [f'CREATE INDEX ON "{table}" ({columns})'],
                        )
                        # The generic plan is cached with the statement: prepare it again.
                        cursor.execute(f"DEALLOCATE {name}")
                        cursor.execute(f"PREPARE {name} AS {statement}")
                        after = _plan(context, name, parameters)
                        cursor.execute("SELECT hypopg_reset()")
                        confirmation = (
                            f" With it as a hypothetical index (hypopg) the planned cost goes "
                            f"from {plan.cost or 0:,.0f} to {after.cost or 0:,.0f}."
                        )
                        if (after.cost or 0) >= (plan.cost or 0):
                            proposal = None
                    elif proposal is not None:
                        confirmation = " Not confirmed: hypopg is not installed."
                    cursor.execute(f"DEALLOCATE {name}")
            except DatabaseError as error:  # a statement that cannot be planned generically
                context.skipped.append(
                    f"PA501: could not plan {without_literals(statement)[:60]!r}: {error}"
                )
                continue
            if proposal is None:
                continue
            table, keys = proposal
            key = (table, tuple(keys))
            if key in seen:
                continue
            seen.add(key)
            audited = context.model_for(table)
            assert audited is not None
            shown = without_literals(statement)
            fields = [("-" if desc else "") + tables[table][column].name for column, desc in keys]
            yield AuditFinding(
                "PA501",
                table,
                f"A top statement by total time ({workload.total_ms:,.0f} ms in "
                f"{workload.calls:,} calls, from {workload.source}) scans {table} "
                f"({rows[table]:,.0f} rows) filtering or sorting on "
                f"({', '.join(c for c, _ in keys)}): "
                f"{shown[:160]}{'…' if len(shown) > 160 else ''}.{confirmation}",
                model=audited.label,
                columns=tuple(c for c, _ in keys),
                fix=f"python manage.py perfindex add {audited.label} {','.join(fields)}",
                autofix={
                    "action": "add_index",
                    "app_label": audited.app_label,
                    "model": audited.model_name,
                    "fields": fields,
                    "name": None,
                },
            )
