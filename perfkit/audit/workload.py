"""Workload-driven suggestions (PostgreSQL): the statements that took the most time in
pg_stat_statements, planned generically, and an index proposed where a sequential scan
with a filter, or a sort, dominates on a large table; confirmed with hypopg when the
extension is installed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.db import DatabaseError, transaction

from perfkit.audit.context import AuditContext
from perfkit.audit.findings import AuditFinding
from perfkit.conf import perfkit_settings

TOP_STATEMENTS = 20
FILTER_COLUMN = re.compile(r"\(?(?:\w+\.)?\"?(\w+)\"?\s*(?:=|<>|<=|>=|<|>|~~|IS NOT NULL|IS NULL)")


def _installed(context: AuditContext, extension: str) -> bool:
    with context.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [extension])
        return cursor.fetchone() is not None


def _plan(cursor: Any, name: str, parameters: int) -> dict[str, Any]:
    arguments = ", ".join(["NULL"] * parameters)
    execute = f"EXECUTE {name}({arguments})" if parameters else f"EXECUTE {name}"
    cursor.execute(f"EXPLAIN (FORMAT JSON) {execute}")
    raw = cursor.fetchone()[0]
    plan = json.loads(raw) if isinstance(raw, str) else raw
    return dict(plan[0]["Plan"])


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _proposal(
    plan: dict[str, Any], tables: dict[str, Any], rows: dict[str, float]
) -> tuple[str, list[tuple[str, bool]]] | None:
    """(table, [(column, descending)]) for the costliest scan worth an index, or None."""
    for node in _nodes(plan):
        table = node.get("Relation Name")
        if node.get("Node Type") != "Seq Scan" or table not in tables:
            continue
        if rows.get(table, 0) < perfkit_settings.AUDIT_LARGE_TABLE_ROWS:
            continue
        columns = tables[table]
        keys = [(c, False) for c in FILTER_COLUMN.findall(node.get("Filter", "")) if c in columns]
        for sort in _nodes(plan):
            if sort.get("Node Type") == "Sort":
                for key in sort.get("Sort Key", []):
                    name = key.split(".")[-1].split()[0].strip('"')
                    if name in columns and name not in [k for k, _ in keys]:
                        keys.append((name, key.upper().endswith("DESC")))
        if keys:
            return table, list(dict.fromkeys(keys))
    return None


def suggest(context: AuditContext) -> Iterator[AuditFinding]:
    if context.vendor != "postgresql":
        context.skipped.append("PA501 workload suggestions: PostgreSQL only.")
        return
    if not _installed(context, "pg_stat_statements"):
        context.skipped.append(
            "PA501 workload suggestions: pg_stat_statements is not installed in this "
            "database (shared_preload_libraries, then CREATE EXTENSION pg_stat_statements)."
        )
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
        try:
            with transaction.atomic(using=context.connection.alias):
                cursor.execute(
                    "SELECT query FROM pg_stat_statements WHERE dbid = (SELECT oid FROM "
                    "pg_database WHERE datname = current_database()) AND query ILIKE 'select%%' "
                    "ORDER BY total_exec_time DESC LIMIT %s",
                    [TOP_STATEMENTS],
                )
                statements = [row[0] for row in cursor.fetchall()]
        except DatabaseError as error:
            context.skipped.append(f"PA501: cannot read pg_stat_statements ({error}).")
            return
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [list(tables)]
        )
        rows = dict(cursor.fetchall())
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        seen: set[tuple[str, tuple[tuple[str, bool], ...]]] = set()
        for number, statement in enumerate(statements):
            if not any(re.search(rf'\b"?{re.escape(table)}"?\b', statement) for table in tables):
                continue
            parameters = max((int(n) for n in re.findall(r"\$(\d+)", statement)), default=0)
            name = f"perfkit_audit_{number}"
            try:
                with transaction.atomic(using=context.connection.alias):
                    cursor.execute(f"PREPARE {name} AS {statement}")
                    plan = _plan(cursor, name, parameters)
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
                        after = _plan(cursor, name, parameters)
                        cursor.execute("SELECT hypopg_reset()")
                        confirmation = (
                            f" With it as a hypothetical index (hypopg) the planned cost goes "
                            f"from {plan['Total Cost']:,.0f} to {after['Total Cost']:,.0f}."
                        )
                        if after["Total Cost"] >= plan["Total Cost"]:
                            proposal = None
                    cursor.execute(f"DEALLOCATE {name}")
            except DatabaseError as error:  # a statement that cannot be planned generically
                context.skipped.append(f"PA501: could not plan {statement[:60]!r}: {error}")
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
            fields = [("-" if desc else "") + tables[table][column].name for column, desc in keys]
            yield AuditFinding(
                "PA501",
                table,
                f"A top statement by total time scans {table} ({rows[table]:,.0f} rows) "
                f"filtering or sorting on ({', '.join(c for c, _ in keys)}): "
                f"{statement[:160]}{'…' if len(statement) > 160 else ''}.{confirmation}",
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
