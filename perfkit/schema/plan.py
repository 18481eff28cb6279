"""The one plan reader: ``EXPLAIN (FORMAT JSON)`` on PostgreSQL, ``EXPLAIN QUERY PLAN``
on SQLite, always inside a savepoint that is rolled back, so a failing EXPLAIN (or a
``SET LOCAL``) never touches the caller's transaction. Only estimated plans: nothing the
statement would do runs.

A :class:`QueryPlan` holds the plan's steps (scans, index reads, sorts) with table,
index and column names, the estimated rows and cost, and the SQL with placeholders.
Literal values never leave this module: filter conditions are reduced to the columns
they read, sort expressions to ``(expression)``, and any literal left in the SQL becomes
``?``. Detection's slow-query summary, ``perfkit.testing``, the audit's workload check
and the paginator's estimated count all read plans here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from django.db import connections, transaction

from perfkit.exceptions import PerfkitError
from perfkit.schema.sql_text import without_literals

PRIMARY_KEY = "<primary key>"  # SQLite's rowid lookups name no index

Operation = Literal["full_scan", "index_scan", "sort"]

_SQLITE_STEP = re.compile(
    r"^(?P<verb>SCAN|SEARCH)\s+(?:TABLE\s+)?(?P<table>\S+)(?:\s+AS\s+\S+)?"
    r"(?:\s+USING\s+(?:(?:COVERING|AUTOMATIC(?:\s+COVERING)?)\s+)?INDEX\s+(?P<index>\S+)"
    r"|\s+USING\s+(?:INTEGER\s+)?PRIMARY\s+KEY(?P<pk>))?",
    re.IGNORECASE,
)
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_PG_INDEX_NODES = frozenset({"Index Scan", "Index Only Scan", "Bitmap Index Scan"})
_PG_CONDITIONS = ("Filter", "Index Cond", "Recheck Cond")
_IDENTIFIER = re.compile(r'(?:"?[A-Za-z_][\w$]*"?\.)?"?([A-Za-z_][\w$]*)"?(?!\s*\()')
_CAST = re.compile(r"::[A-Za-z_\"][\w\" ]*?(?=[\s),=<>!~\]\[]|$)")
_NOT_COLUMNS = frozenset(
    {
        *("and", "or", "not", "is", "null", "true", "false", "any", "all", "some", "array"),
        *("like", "ilike", "similar", "to", "in", "between", "case", "when", "then"),
        *("else", "end", "distinct", "from", "escape", "subplan", "hashed", "initplan"),
        *("exists", "asc", "desc", "nulls", "first", "last", "collate"),
    }
)


class PlanUnavailable(PerfkitError):
    """The plan cannot be read here: another database, or a transaction that failed."""


@dataclass(frozen=True)
class PlanStep:
    """One step of a plan worth reporting: a whole-table scan, an index read, or a sort.

    ``node`` is the database's own name for it (``Seq Scan``, ``SEARCH``…); ``columns``
    are the columns a scan filters on, or the keys a sort orders by (``created_at
    DESC``, ``(expression)``).
    """

    operation: Operation
    node: str
    table: str = ""
    index: str = ""
    columns: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.operation == "full_scan":
            filtering = f" filtering {', '.join(self.columns)}" if self.columns else ""
            return f"{self.node} on {self.table}{filtering}"
        if self.operation == "sort":
            return f"{self.node} on {', '.join(self.columns)}" if self.columns else self.node
        on = f" on {self.table}" if self.table else ""
        return f"{self.node} using {self.index}{on}"


@dataclass(frozen=True)
class QueryPlan:
    """The estimated plan of one statement, without a literal value in it."""

    vendor: str
    sql: str
    steps: tuple[PlanStep, ...]
    rows: float | None = None
    cost: float | None = None
    root: str = ""

    @property
    def indexes(self) -> tuple[str, ...]:
        """The indexes the plan reads, in plan order, each once."""
        return _once(step.index for step in self.steps if step.operation == "index_scan")

    @property
    def full_scans(self) -> tuple[str, ...]:
        """The tables the plan reads whole."""
        return _once(step.table for step in self.steps if step.operation == "full_scan")

    @property
    def sorts(self) -> bool:
        """Whether rows are sorted after they are read."""
        return any(step.operation == "sort" for step in self.steps)

    def filter_columns(self, table: str) -> tuple[str, ...]:
        """The columns a whole-table scan of ``table`` filters on."""
        return _once(
            column
            for step in self.steps
            if step.operation == "full_scan" and step.table == table
            for column in step.columns
        )

    @property
    def sort_keys(self) -> tuple[tuple[str, bool], ...]:
        """(column, descending) of every sort key that is a plain column."""
        keys = []
        for step in self.steps:
            if step.operation != "sort":
                continue
            for key in step.columns:
                column, _, direction = key.partition(" ")
                if not column.startswith("("):
                    keys.append((column, direction == "DESC"))
        return tuple(dict.fromkeys(keys))

    @property
    def text(self) -> str:
        """The plan's steps one a line, with the estimate: for failure messages."""
        lines = [f"{self.root or 'plan'}: rows={_number(self.rows)} cost={_number(self.cost)}"]
        lines += [f"  {step.describe()}" for step in self.steps]
        return "\n".join(lines)

    def summary(self, limit: int = 4) -> str:
        """One line: the scans, index reads and sorts in execution order."""
        parts = list(_once(step.describe() for step in self.steps))[:limit]
        if parts:
            return "; ".join(parts)
        return f"{self.root or 'plan'} (estimated cost {_number(self.cost)})"


def explain(
    alias: str, sql: str, params: Any = None, *, discourage_seq_scan: bool = False
) -> QueryPlan:
    """The estimated plan of ``sql`` (with ``params``) on database ``alias``.

    ``sql`` is anything PostgreSQL or SQLite accept after ``EXPLAIN`` (a SELECT, or an
    ``EXECUTE`` of a prepared statement). On PostgreSQL ``discourage_seq_scan`` plans
    with ``enable_seqscan = off`` (and, for an ``ORDER BY``, ``enable_bitmapscan = off``),
    so the plan answers "can an index serve this?" on a table of a few rows.
    """
    connection = connections[alias]
    if connection.vendor not in ("postgresql", "sqlite"):
        raise PlanUnavailable(
            f"perfkit reads plans on PostgreSQL and SQLite, not {connection.vendor}"
        )
    if connection.needs_rollback:
        raise PlanUnavailable("the transaction has failed; its plan cannot be read")
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        try:
            raw = _read(connection.vendor, cursor, sql, params, discourage_seq_scan)
        finally:
            transaction.set_rollback(True, using=alias)  # undo the SET LOCALs; nothing written
    if connection.vendor == "postgresql":
        document = json.loads(raw) if isinstance(raw, str) else raw
        return postgresql_plan(without_literals(sql), document[0]["Plan"])
    return sqlite_plan(without_literals(sql), raw)


def _read(vendor: str, cursor: Any, sql: str, params: Any, discourage_seq_scan: bool) -> Any:
    if vendor == "sqlite":
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [str(row[-1]) for row in cursor.fetchall()]
    if discourage_seq_scan:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if _ORDER_BY.search(sql):
            cursor.execute("SET LOCAL enable_bitmapscan = off")
    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
    return cursor.fetchone()[0]


# -- PostgreSQL --------------------------------------------------------------------------
def postgresql_plan(sql: str, root: dict[str, Any]) -> QueryPlan:
    steps = [step for node in _nodes_children_first(root) if (step := _pg_step(node))]
    return QueryPlan(
        "postgresql",
        sql,
        tuple(steps),
        rows=_float(root.get("Plan Rows")),
        cost=_float(root.get("Total Cost")),
        root=str(root.get("Node Type", "")),
    )


def _nodes_children_first(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node, children before their parent: the order rows flow in."""
    for child in node.get("Plans", []) or []:
        yield from _nodes_children_first(child)
    yield node


def _pg_step(node: dict[str, Any]) -> PlanStep | None:
    kind = str(node.get("Node Type", ""))
    relation = str(node.get("Relation Name") or "")
    conditions = " AND ".join(str(node[key]) for key in _PG_CONDITIONS if node.get(key))
    if kind == "Seq Scan" and relation:
        return PlanStep("full_scan", kind, relation, columns=condition_columns(conditions))
    if kind in _PG_INDEX_NODES and node.get("Index Name"):
        return PlanStep(
            "index_scan", kind, relation, str(node["Index Name"]), condition_columns(conditions)
        )
    if kind in ("Sort", "Incremental Sort"):
        return PlanStep("sort", kind, columns=tuple(_sort_key(k) for k in node.get("Sort Key", [])))
    return None


def condition_columns(condition: str) -> tuple[str, ...]:
    """The column names a plan condition reads, literals and functions left out."""
    text = _CAST.sub("", without_literals(condition))
    names = []
    for match in _IDENTIFIER.finditer(text):
        name = match.group(1)
        if name.lower() not in _NOT_COLUMNS and name not in names:
            names.append(name)
    return tuple(names)


def _sort_key(key: Any) -> str:
    text = str(key).strip()
    descending = text.upper().endswith(" DESC")
    for suffix in (" DESC", " ASC", " NULLS FIRST", " NULLS LAST"):
        if text.upper().endswith(suffix):
            text = text[: -len(suffix)]
    bare = re.fullmatch(r'\(?(?:"?\w+"?\.)?"?(\w+)"?\)?', text.strip())
    column = bare.group(1) if bare else "(expression)"
    return f"{column} DESC" if descending else column


# -- SQLite ------------------------------------------------------------------------------
def sqlite_plan(sql: str, details: list[str]) -> QueryPlan:
    steps: list[PlanStep] = []
    for detail in details:
        step = _SQLITE_STEP.match(detail)
        if step is None:
            if "TEMP B-TREE FOR ORDER BY" in detail.upper():
                steps.append(PlanStep("sort", "USE TEMP B-TREE FOR ORDER BY"))
            continue
        verb, table = step.group("verb").upper(), step.group("table")
        searched = detail.partition("(")[2].rpartition(")")[0]
        columns = condition_columns(searched) if searched else ()
        if step.group("index"):
            steps.append(PlanStep("index_scan", verb, table, step.group("index"), columns))
        elif step.group("pk") is not None:
            steps.append(PlanStep("index_scan", verb, table, PRIMARY_KEY, columns))
        elif verb == "SCAN":
            steps.append(PlanStep("full_scan", verb, table))
    return QueryPlan("sqlite", sql, tuple(steps), root="EXPLAIN QUERY PLAN")


def _once(items: Any) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"
