"""``EXPLAIN (FORMAT JSON)`` of a slow read on PostgreSQL, summarised in one line.

Never ``ANALYZE`` and never a write: the plan is only estimated, so nothing runs twice.
Example summary: ``Seq Scan on school_attendance filtering student_id; Sort on created_at``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import connections

from perfkit.capture import CapturedQuery, excluded

_COLUMN = re.compile(r'"?([A-Za-z_][A-Za-z0-9_]*)"?\s*(?:=|<|>|<=|>=|<>|!=|~~|IS|IN|= ANY)', re.I)
_CAST = re.compile(r"::[A-Za-z_][A-Za-z0-9_ ]*?(?=[\s),=<>!~]|$)")


def explain_summary(query: CapturedQuery) -> str | None:
    """A one-line plan summary, or None when the query cannot or must not be explained."""
    if query.statement not in ("SELECT", "WITH") or query.many:
        return None
    connection = connections[query.alias]
    if connection.vendor != "postgresql":
        return None
    sql = query.sql.strip().rstrip(";")
    if re.search(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", sql, re.I):
        return None  # a data-modifying CTE: an EXPLAIN is safe, but stay strictly read-only
    with excluded(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", query.params)
        raw = cursor.fetchone()[0]
    document = json.loads(raw) if isinstance(raw, str) else raw
    return summarise_plan(document[0]["Plan"])


def summarise_plan(plan: dict[str, Any]) -> str:
    """Walk a JSON plan and describe its scans and sorts in execution order."""
    parts: list[str] = []
    _walk(plan, parts)
    if not parts:
        parts.append(f"{plan.get('Node Type', 'plan')} (estimated cost {plan.get('Total Cost')})")
    seen: list[str] = []
    for part in parts:
        if part not in seen:
            seen.append(part)
    return "; ".join(seen[:4])


def _walk(node: dict[str, Any], parts: list[str]) -> None:
    # Children first: the summary reads in execution order (scan, then sort).
    for child in node.get("Plans", []) or []:
        _walk(child, parts)
    kind = str(node.get("Node Type", ""))
    relation = node.get("Relation Name")
    if kind == "Seq Scan" and relation:
        columns = _columns(str(node.get("Filter", "")))
        text = f"Seq Scan on {relation}"
        if columns:
            text += f" filtering {', '.join(columns)}"
        parts.append(text)
    elif kind in ("Sort", "Incremental Sort"):
        keys = [_bare(key) for key in node.get("Sort Key", [])]
        parts.append(f"{kind} on {', '.join(keys)}" if keys else kind)
    elif kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan") and node.get("Index Name"):
        on = f" on {relation}" if relation else ""
        parts.append(f"{kind} using {node['Index Name']}{on}")


def _columns(condition: str) -> list[str]:
    names: list[str] = []
    bare = _CAST.sub("", condition).replace("(", " ").replace(")", " ")
    for name in _COLUMN.findall(bare):
        if name.upper() not in ("AND", "OR", "NOT", "NULL") and name not in names:
            names.append(name)
    return names


def _bare(expression: str) -> str:
    text = str(expression)
    descending = text.endswith(" DESC")
    text = text.removesuffix(" DESC").strip("()")
    text = text.split(".")[-1].strip('"')
    return f"{text} DESC" if descending else text
