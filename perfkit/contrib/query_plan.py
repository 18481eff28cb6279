"""Reading a query's plan: which indexes it uses, which tables it scans whole, and
whether it sorts in memory. PostgreSQL: ``EXPLAIN (FORMAT JSON)``; SQLite:
``EXPLAIN QUERY PLAN``. Only ever estimated plans: nothing the query would write runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.models import QuerySet

from perfkit.capture import excluded

PRIMARY_KEY = "<primary key>"  # SQLite's rowid lookups name no index

_SQLITE_STEP = re.compile(
    r"^(?P<verb>SCAN|SEARCH)\s+(?:TABLE\s+)?(?P<table>\S+)(?:\s+AS\s+\S+)?"
    r"(?:\s+USING\s+(?:(?:COVERING|AUTOMATIC(?:\s+COVERING)?)\s+)?INDEX\s+(?P<index>\S+)"
    r"|\s+USING\s+(?:INTEGER\s+)?PRIMARY\s+KEY(?P<pk>))?",
    re.IGNORECASE,
)
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_PG_INDEX_NODES = frozenset({"Index Scan", "Index Only Scan", "Bitmap Index Scan"})


@dataclass(frozen=True)
class QueryPlan:
    """The plan of one query.

    ``indexes`` names the indexes the plan reads (in plan order, each once);
    ``full_scans`` the tables it reads whole (PostgreSQL ``Seq Scan``, SQLite ``SCAN t``
    without an index); ``sorts`` is True when rows are sorted after reading (PostgreSQL
    ``Sort``, SQLite ``USE TEMP B-TREE FOR ORDER BY``). ``text`` is the plan as the
    database printed it, for failure messages.
    """

    vendor: str
    sql: str
    text: str
    indexes: tuple[str, ...]
    full_scans: tuple[str, ...]
    sorts: bool


def explain_queryset(queryset: QuerySet[Any], *, discourage_seq_scan: bool = True) -> QueryPlan:
    """The plan of ``queryset`` on its database.

    On PostgreSQL ``discourage_seq_scan`` runs the EXPLAIN with ``enable_seqscan = off``
    (rolled back afterwards): test databases hold a handful of rows, and on those the
    planner rightly prefers a sequential scan even where an index fits. With it, the plan
    answers "can an index serve this query?"; a query that no index fits still shows a
    ``Seq Scan``. A query with ``ORDER BY`` also gets ``enable_bitmapscan = off``: a
    bitmap scan returns rows out of order, and would hide an index that serves the order.
    """
    alias = queryset.db
    connection = connections[alias]
    sql, params = queryset.query.sql_with_params()
    with excluded():
        if connection.vendor == "postgresql":
            return _explain_postgresql(alias, sql, params, discourage_seq_scan)
        if connection.vendor == "sqlite":
            return _explain_sqlite(alias, sql, params)
    raise NotImplementedError(
        f"perfkit reads query plans on PostgreSQL and SQLite, not on {connection.vendor}"
    )


def _explain_postgresql(alias: str, sql: str, params: Any, discourage_seq_scan: bool) -> QueryPlan:
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if discourage_seq_scan:
            cursor.execute("SET LOCAL enable_seqscan = off")
            if _ORDER_BY.search(sql):
                cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        raw = cursor.fetchone()[0]
        transaction.set_rollback(True, using=alias)  # undo the SET LOCAL
    document = json.loads(raw) if isinstance(raw, str) else raw
    root = document[0]["Plan"]
    indexes: list[str] = []
    full_scans: list[str] = []
    sorts = False
    for node in _plan_nodes(root):
        kind = str(node.get("Node Type", ""))
        if kind in _PG_INDEX_NODES and node.get("Index Name"):
            _add_once(indexes, str(node["Index Name"]))
        elif kind == "Seq Scan" and node.get("Relation Name"):
            _add_once(full_scans, str(node["Relation Name"]))
        elif kind in ("Sort", "Incremental Sort"):
            sorts = True
    text = json.dumps(document, indent=2)
    return QueryPlan("postgresql", sql, text, tuple(indexes), tuple(full_scans), sorts)


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []) or []:
        yield from _plan_nodes(child)


def _explain_sqlite(alias: str, sql: str, params: Any) -> QueryPlan:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        rows = cursor.fetchall()
    details = [str(row[-1]) for row in rows]
    indexes: list[str] = []
    full_scans: list[str] = []
    sorts = False
    for detail in details:
        step = _SQLITE_STEP.match(detail)
        if step is None:
            sorts = sorts or "TEMP B-TREE FOR ORDER BY" in detail.upper()
            continue
        if step.group("index"):
            _add_once(indexes, step.group("index"))
        elif step.group("pk") is not None:
            _add_once(indexes, PRIMARY_KEY)
        elif step.group("verb").upper() == "SCAN":
            _add_once(full_scans, step.group("table"))
    text = "\n".join(details)
    return QueryPlan("sqlite", sql, text, tuple(indexes), tuple(full_scans), sorts)


def _add_once(names: list[str], name: str) -> None:
    if name not in names:
        names.append(name)
