"""Assertions for test suites: query budgets and index use checked against real plans.

::

    from perfkit.testing import assert_max_queries, assert_no_seq_scan, assert_uses_index

    with assert_max_queries(3):
        client.get("/api/classes/")

    assert_uses_index(Shift.objects.filter(employee=e).order_by("date"), "shift_employee_date_idx")
    assert_no_seq_scan(Attendance.objects.filter(student=s))

The pytest plugin also offers ``assert_max_queries`` as a fixture. See docs/testing.md.
"""

from __future__ import annotations

from collections import defaultdict
from types import TracebackType
from typing import Any

from django.db.models import QuerySet

from perfkit.capture import Capture, CapturedQuery, excluded
from perfkit.schema.plan import QueryPlan, explain

__all__ = [
    "QueryPlan",
    "assert_max_queries",
    "assert_no_seq_scan",
    "assert_uses_index",
    "explain_queryset",
]


class assert_max_queries:
    """Fail when the block runs more than ``limit`` queries (on any database alias).

    The failure lists the block's queries grouped by fingerprint, most frequent first,
    with the call sites that ran them. ``captured`` holds the queries afterwards.
    """

    def __init__(self, limit: int) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"assert_max_queries needs a whole number >= 0, got {limit!r}")
        self.limit = limit
        self.captured: list[CapturedQuery] = []
        self._capture: Capture | None = None

    def __enter__(self) -> assert_max_queries:
        self._capture = Capture()
        self._capture.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        capture = self._capture
        assert capture is not None
        capture.close()
        self.captured = list(capture.queries)
        if exc_type is None and len(self.captured) > self.limit:
            raise AssertionError(budget_message(self.captured, self.limit))


def budget_message(queries: list[CapturedQuery], limit: int) -> str:
    """``5 queries ran, at most 3 expected:`` then one block per fingerprint."""
    groups: dict[str, list[CapturedQuery]] = defaultdict(list)
    for query in queries:
        groups[query.fingerprint].append(query)
    lines = [f"{len(queries)} queries ran, at most {limit} expected:"]
    for fingerprint, members in sorted(groups.items(), key=lambda item: -len(item[1])):
        sites = sorted({f"{q.call_site.location} in {q.call_site.function}" for q in members})
        lines.append(f"  {len(members)} x {fingerprint}")
        lines.extend(f"      from {site}" for site in sites[:5])
        if len(sites) > 5:
            lines.append(f"      … and {len(sites) - 5} more call sites")
    return "\n".join(lines)


def explain_queryset(queryset: QuerySet[Any], *, discourage_seq_scan: bool = True) -> QueryPlan:
    """The estimated plan of ``queryset`` on its database (see :mod:`perfkit.schema.plan`).

    On PostgreSQL ``discourage_seq_scan`` plans with ``enable_seqscan = off`` (rolled
    back afterwards): test databases hold a handful of rows, and on those the planner
    rightly prefers a sequential scan even where an index fits. With it, the plan
    answers "can an index serve this query?"; a query that no index fits still shows a
    ``Seq Scan``. A query with ``ORDER BY`` also gets ``enable_bitmapscan = off``: a
    bitmap scan returns rows out of order, and would hide an index that serves the order.
    """
    sql, params = queryset.query.sql_with_params()
    with excluded():
        return explain(queryset.db, sql, params, discourage_seq_scan=discourage_seq_scan)


def assert_uses_index(
    queryset: QuerySet[Any], index_name: str | None = None, *, discourage_seq_scan: bool = True
) -> QueryPlan:
    """Fail, showing the plan, unless the plan of ``queryset`` reads ``index_name`` (or,
    without a name, reads some index and scans no table whole). Returns the plan.

    On PostgreSQL the plan is taken with sequential scans discouraged (see
    :func:`explain_queryset`); SQLite's primary-key lookups
    count as ``"<primary key>"``.
    """
    plan = explain_queryset(queryset, discourage_seq_scan=discourage_seq_scan)
    if index_name is not None:
        if index_name not in plan.indexes:
            used = ", ".join(plan.indexes) or "no index"
            raise AssertionError(
                f"the query does not use index {index_name!r} (it uses {used}).\n{_describe(plan)}"
            )
        return plan
    if not plan.indexes or plan.full_scans:
        raise AssertionError(f"the query does not use an index.\n{_describe(plan)}")
    return plan


def assert_no_seq_scan(queryset: QuerySet[Any], *, discourage_seq_scan: bool = True) -> QueryPlan:
    """Fail, showing the plan, when the plan of ``queryset`` reads any table whole
    (PostgreSQL ``Seq Scan``, SQLite ``SCAN table``). Returns the plan."""
    plan = explain_queryset(queryset, discourage_seq_scan=discourage_seq_scan)
    if plan.full_scans:
        tables = ", ".join(plan.full_scans)
        raise AssertionError(f"the query scans {tables} sequentially.\n{_describe(plan)}")
    return plan


def _describe(plan: QueryPlan) -> str:
    return f"SQL: {plan.sql}\nplan:\n{plan.text}"
