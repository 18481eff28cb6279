"""assert_uses_index / assert_no_seq_scan against real plans, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection, models

from perfkit.testing import assert_no_seq_scan, assert_uses_index, explain_queryset
from testproject.school.models import Attendance, Student
from testproject.staff.models import Shift
from tests.factories import AttendanceFactory, ShiftFactory, StudentFactory

pytestmark = pytest.mark.django_db

DESC_INDEX = "testing_attendance_student_created_desc"


@pytest.fixture
def descending_index():
    """A composite index (student_id, created_at DESC), made for this test only: the DDL
    runs inside the test's transaction and is rolled back with it."""
    index = models.Index(fields=["student", "-created_at"], name=DESC_INDEX)
    statement = index.create_sql(Attendance, connection.schema_editor())
    with connection.cursor() as cursor:
        cursor.execute(str(statement))
    return index


def test_an_indexed_lookup_uses_the_named_index():
    shift = ShiftFactory()
    queryset = Shift.objects.filter(employee=shift.employee, date=date(2026, 1, 5))

    plan = assert_uses_index(queryset, "shift_employee_date_idx")

    assert "shift_employee_date_idx" in plan.indexes
    assert plan.full_scans == ()


def test_any_index_is_enough_without_a_name():
    student = StudentFactory()

    plan = assert_uses_index(Student.objects.filter(email=student.email))

    assert plan.indexes  # the unique constraint's index
    assert not plan.full_scans
    assert_no_seq_scan(Student.objects.filter(email=student.email))


def test_an_unindexed_column_fails_with_the_plan():
    StudentFactory.create_batch(3)
    queryset = Student.objects.filter(first_name="Ada")

    with pytest.raises(AssertionError) as failure:
        assert_uses_index(queryset)
    message = str(failure.value)
    assert "does not use an index" in message
    assert "school_student" in message  # the plan names the scanned table
    assert 'FROM "school_student"' in message  # and the SQL is shown

    with pytest.raises(AssertionError, match="scans school_student sequentially"):
        assert_no_seq_scan(queryset)


def test_a_named_index_that_the_plan_skips_fails():
    StudentFactory()
    with pytest.raises(AssertionError) as failure:
        assert_uses_index(Student.objects.filter(first_name="Ada"), "shift_employee_date_idx")
    assert "does not use index 'shift_employee_date_idx' (it uses no index)" in str(failure.value)


def test_order_by_desc_is_served_by_a_descending_composite_index(descending_index):
    attendance = AttendanceFactory()
    AttendanceFactory.create_batch(2, student=attendance.student)
    queryset = Attendance.objects.filter(student=attendance.student).order_by("-created_at")

    plan = assert_uses_index(queryset, DESC_INDEX)

    assert plan.sorts is False  # the index hands rows over in order
    assert_no_seq_scan(queryset)
    assert list(queryset) == sorted(queryset, key=lambda row: row.created_at, reverse=True)


def test_without_the_descending_index_the_order_by_sorts():
    attendance = AttendanceFactory()
    queryset = Attendance.objects.filter(student=attendance.student).order_by("-created_at")

    plan = explain_queryset(queryset)

    assert DESC_INDEX not in plan.indexes
    assert plan.sorts is True
    with pytest.raises(AssertionError, match=DESC_INDEX):
        assert_uses_index(queryset, DESC_INDEX)


@pytest.mark.postgres
def test_postgresql_plans_are_read_from_explain_json():
    StudentFactory()
    queryset = Student.objects.filter(first_name="Ada")

    plan = explain_queryset(queryset)

    assert plan.root == "Seq Scan"
    assert plan.full_scans == ("school_student",)
    assert plan.filter_columns("school_student") == ("first_name",)
    assert "Ada" not in plan.text  # literal values never leave the plan reader
    # The SET LOCAL is rolled back: the session's setting is untouched.
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.postgres
def test_postgresql_as_the_planner_would_choose_on_a_tiny_table():
    student = StudentFactory()
    queryset = Student.objects.filter(email=student.email)

    assert explain_queryset(queryset).full_scans == ()
    # Left to itself the planner may pick either on one row; the option is honoured.
    plan = explain_queryset(queryset, discourage_seq_scan=False)
    assert plan.vendor == "postgresql"
    assert plan.indexes or plan.full_scans == ("school_student",)
