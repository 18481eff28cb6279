"""Ordering terms: paths resolved on the queryset, the nullability of annotations, and the
orderings a cursor refuses (before any query)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    JSONField,
    Max,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, ExtractMinute, Length
from django.test.utils import CaptureQueriesContext

from perfkit.pagination import CursorPagination
from perfkit.pagination.errors import (
    InvalidNullsPlacement,
    MultiValuedOrdering,
    UnknownOrderingField,
    UnsupportedOrderingType,
    UnusableOrderingEntry,
)
from perfkit.pagination.terms import resolve_path
from testproject.journal.models import Comment, JournalEntry
from testproject.school.models import Attendance, Class, Student, Teacher
from tests.pagination.support import request

pytestmark = pytest.mark.django_db

VENDOR_DIVIDES_TO_NULL = connection.vendor == "sqlite"  # x / 0 is NULL there, an error on PG


@pytest.mark.parametrize(
    ("make", "path", "nullable"),
    [
        (lambda: Attendance.objects.all(), "status", False),
        (lambda: Attendance.objects.all(), "check_in_time", True),
        (lambda: Attendance.objects.all(), "student__grade", False),
        (lambda: Attendance.objects.all(), "student", False),
        (lambda: Teacher.objects.all(), "user__username", True),  # a nullable foreign key
        (lambda: Teacher.objects.all(), "user", True),
        (lambda: User.objects.all(), "teacher__email", True),  # a reverse one-to-one
        (
            lambda: Attendance.objects.annotate(t=F("version") * 10 + F("student__grade")),
            "t",
            False,
        ),
        # The case: one nullable source makes the sum nullable.
        (
            lambda: Attendance.objects.annotate(
                t=F("version") * 10 + ExtractMinute("check_in_time")
            ),
            "t",
            True,
        ),
        (lambda: Teacher.objects.annotate(u=F("user__username")), "u", True),
        (lambda: Student.objects.annotate(n=Count("attendances")), "n", False),
        (lambda: Student.objects.annotate(m=Max("attendances__version")), "m", True),
        (lambda: Student.objects.annotate(m=Coalesce(Max("attendances__version"), 0)), "m", False),
        (lambda: Student.objects.annotate(s=Sum("attendances__version", default=0)), "s", False),
        (
            lambda: Attendance.objects.annotate(c=Coalesce("check_in_time", "created_at")),
            "c",
            False,
        ),
        (lambda: Attendance.objects.annotate(c=Case(When(version=1, then=Value(1)))), "c", True),
        (
            lambda: Attendance.objects.annotate(
                c=Case(When(version=1, then=Value(1)), default=Value(0))
            ),
            "c",
            False,
        ),
        (lambda: Attendance.objects.annotate(n=Length("status")), "n", False),
        (
            lambda: Student.objects.annotate(
                last=Subquery(
                    Attendance.objects.filter(student=OuterRef("pk")).values("version")[:1]
                )
            ),
            "last",
            True,
        ),
        (
            lambda: Student.objects.annotate(
                seen=Exists(Attendance.objects.filter(student=OuterRef("pk")))
            ),
            "seen",
            False,
        ),
        (
            lambda: Attendance.objects.annotate(r=F("version") / F("version")),
            "r",
            VENDOR_DIVIDES_TO_NULL,
        ),
        (
            lambda: Attendance.objects.annotate(r=RawSQL("1", [], output_field=IntegerField())),
            "r",
            True,  # perfkit cannot read raw SQL: nullable, to be safe
        ),
        (lambda: Attendance.objects.values(g=F("student__grade")), "g", False),
    ],
)
def test_nullability_of_fields_and_annotations(make, path, nullable):
    assert resolve_path(make(), path, "P").nullable is nullable


@pytest.mark.parametrize(
    ("model", "ordering", "error", "message"),
    [
        (Class, "sessions__start_time", MultiValuedOrdering, "Class.sessions, a relation to many"),
        (Class, "students__grade", MultiValuedOrdering, "Class.students, a relation to many"),
        (Student, "-attendances__version", MultiValuedOrdering, "Student.attendances"),
        (JournalEntry, "comments__created_at", MultiValuedOrdering, "JournalEntry.comments"),
        (Attendance, "bogus", UnknownOrderingField, "school.Attendance has no field 'bogus'"),
        (Attendance, "student__bogus", UnknownOrderingField, "school.Student has no field"),
        (Attendance, "created_at__year", UnusableOrderingEntry, "transforms are not supported"),
        (Comment, "target", UnusableOrderingEntry, "ends at a relation with no column"),
        (User, "teacher", UnusableOrderingEntry, "ends at a relation with no column"),
    ],
)
def test_unusable_orderings_are_refused_before_any_query(model, ordering, error, message):
    class Paginator(CursorPagination):
        page_size = 5

    Paginator.ordering = ordering
    with CaptureQueriesContext(connection) as captured, pytest.raises(error, match=message):
        Paginator().paginate_queryset(model.objects.all(), request())
    assert len(captured) == 0


def test_nulls_must_be_first_or_last():
    class Middle(CursorPagination):
        page_size = 5
        ordering = "-check_in_time"
        nulls = {"check_in_time": "middle"}

    with pytest.raises(InvalidNullsPlacement, match="'check_in_time' to 'middle'"):
        Middle().paginate_queryset(Attendance.objects.all(), request())


def test_a_term_a_cursor_cannot_hold_is_refused():
    class ByDocument(CursorPagination):
        page_size = 5
        ordering = "document"

    queryset = Attendance.objects.annotate(document=Value({"a": 1}, output_field=JSONField()))
    with pytest.raises(UnsupportedOrderingType, match="values of a JSONField"):
        ByDocument().paginate_queryset(queryset, request())


def test_an_annotation_of_mixed_types_is_unusable():
    class ByMixed(CursorPagination):
        page_size = 5
        ordering = "mixed"

    queryset = Attendance.objects.annotate(mixed=F("version") + F("created_at"))
    with pytest.raises(UnusableOrderingEntry, match="Give it an output_field"):
        ByMixed().paginate_queryset(queryset, request())
