from __future__ import annotations

import pytest
from django.db import connection, transaction

import perfkit
from perfkit.schema.plan import postgresql_plan
from testproject.school.models import Attendance
from tests.factories import AttendanceFactory

pytestmark = pytest.mark.django_db


def test_queries_over_the_threshold_are_findings():
    AttendanceFactory.create_batch(2)
    with perfkit.detect(slow_query_ms=0) as report:
        list(Attendance.objects.filter(status="late"))  # slow: every query is over 0 ms
    [finding] = report.of_kind("slow_query")
    assert finding.count == 1
    assert finding.location.startswith("tests/detection/test_slow_queries.py:")
    assert finding.explain is None  # EXPLAIN is off by default
    assert "Slower than 0 ms" in finding.suggestion


def test_fast_queries_are_not():
    with perfkit.detect(slow_query_ms=10_000) as report:
        list(Attendance.objects.all())
    assert report.of_kind("slow_query") == []


def test_plan_summary_reads_in_execution_order():
    plan = {
        "Node Type": "Sort",
        "Sort Key": ["school_attendance.created_at DESC"],
        "Plans": [
            {
                "Node Type": "Seq Scan",
                "Relation Name": "school_attendance",
                "Filter": "((status)::text = 'late'::text)",
            }
        ],
    }
    assert postgresql_plan("SELECT …", plan).summary() == (
        "Seq Scan on school_attendance filtering status; Sort on created_at DESC"
    )


@pytest.mark.postgres
def test_explain_on_postgresql_summarises_reads_and_never_touches_writes():
    AttendanceFactory.create_batch(3)
    with perfkit.detect(slow_query_ms=0, explain_slow_queries=True) as report:
        list(Attendance.objects.filter(status="late").order_by("created_at"))
        Attendance.objects.filter(status="late").update(version=2)
    by_statement = {f.sql.split()[0]: f for f in report.of_kind("slow_query")}
    summary = by_statement["SELECT"].explain
    assert "Seq Scan on school_attendance filtering status" in summary
    assert "Sort on created_at" in summary
    assert by_statement["UPDATE"].explain is None
    # The EXPLAIN itself was not captured.
    assert not any("EXPLAIN" in query.sql for query in report.captured)


@pytest.mark.postgres
def test_a_failing_explain_inside_the_callers_transaction_leaves_it_usable():
    AttendanceFactory.create_batch(2)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE perfkit_gone (id integer)")
        with perfkit.detect(slow_query_ms=0, explain_slow_queries=True) as report:
            cursor.execute("SELECT id FROM perfkit_gone")
            cursor.execute("DROP TABLE perfkit_gone")  # so its EXPLAIN fails afterwards
        # The caller's transaction goes on: the EXPLAIN failed inside a savepoint.
        assert Attendance.objects.count() == 2
        assert not connection.needs_rollback
    [select] = [f for f in report.of_kind("slow_query") if f.sql.startswith("SELECT")]
    assert select.explain == "EXPLAIN failed: ProgrammingError"
