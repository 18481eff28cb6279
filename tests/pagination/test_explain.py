"""PostgreSQL plans of the queries the cursor paginator really runs: the position is an
``Index Cond`` (where the index scan starts), not a ``Filter`` applied row by row."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perfkit.pagination import CursorPagination
from testproject.school.models import Attendance
from tests.pagination.support import cursor_of, make_rows, request

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


class SameDirection(CursorPagination):
    """Every term descending: a row-value comparison."""

    ordering = "-created_at"
    page_size = 10


class MixedDirections(CursorPagination):
    """Ascending then descending: an OR-chain bounded on the leading column."""

    ordering = ["status", "-created_at"]
    page_size = 10


def index_scan_of_second_page(paginator_class):
    """The scan node of the plan for the paginator's second page."""
    first = paginator_class()
    first.paginate_queryset(Attendance.objects.all(), request())
    with CaptureQueriesContext(connection) as captured:
        paginator_class().paginate_queryset(
            Attendance.objects.all(), request(cursor=cursor_of(first.get_next_link()))
        )
    [query] = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + query["sql"])
        plan = cursor.fetchone()[0]
    node = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    while "Index" not in node["Node Type"]:
        [node] = node["Plans"]
    return query["sql"], node


@pytest.fixture
def indexed_rows():
    make_rows([(["present", "late", "absent"][i % 3], i % 7, i % 3, i) for i in range(600)])
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks: CREATE INDEX
        cursor.execute("CREATE INDEX tmp_att_created ON school_attendance (created_at, id)")
        cursor.execute(
            "CREATE INDEX tmp_att_status ON school_attendance (status, created_at DESC, id)"
        )
        cursor.execute("ANALYZE school_attendance")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")


def test_row_value_position_is_the_index_start(indexed_rows):
    sql, scan = index_scan_of_second_page(SameDirection)
    assert ") < (" in sql  # the row-value comparison
    assert scan["Index Name"] == "tmp_att_created"
    assert scan["Scan Direction"] == "Backward"
    assert "created_at" in scan["Index Cond"]
    assert "OFFSET" not in sql.upper()


def test_or_chain_is_bounded_on_the_leading_column_in_the_index(indexed_rows):
    sql, scan = index_scan_of_second_page(MixedDirections)
    assert " OR " in sql.upper()
    assert scan["Index Name"] == "tmp_att_status"
    assert "status" in scan["Index Cond"]  # the bound on the leading column
    assert "OFFSET" not in sql.upper()
