from __future__ import annotations

from django.db.models import F
from django.test import override_settings
from django.urls import path
from rest_framework import generics

from perfkit.pagination import CursorPagination
from perfkit.pagination.checks import check_paginated_orderings
from perfkit.schema.ordering import OrderingTerm, key_serves_ordering, ordering_is_indexed
from testproject.school.models import Attendance
from testproject.staff.models import Shift


class NullableUndeclared(CursorPagination):
    ordering = ["-check_in_time"]


class NullableDeclared(CursorPagination):
    ordering = [F("check_in_time").desc(nulls_last=True)]


class Unindexed(CursorPagination):
    ordering = ["-created_at"]


class Indexed(CursorPagination):
    ordering = ["-id"]


def view(paginator, model=Attendance):
    attributes = {"queryset": model.objects.all(), "pagination_class": paginator}
    return type(f"{paginator.__name__}View", (generics.ListAPIView,), attributes).as_view()


urlpatterns = [
    path("a/", view(NullableUndeclared)),
    path("b/", view(NullableDeclared)),
    path("c/", view(Unindexed)),
    path("d/", view(Indexed)),
]


def test_checks_on_paginated_views():
    with override_settings(ROOT_URLCONF=__name__):
        messages = check_paginated_orderings()
    errors = [m for m in messages if m.id == "perfkit.E401"]
    assert [m.msg for m in errors] == [
        f"{__name__}.NullableUndeclaredView paginates by nullable 'check_in_time' without "
        "saying where its NULLs go."
    ]
    warnings = [m for m in messages if m.id == "perfkit.W401"]
    assert {m.msg.split("by (")[1].split(")")[0] for m in warnings} == {
        "-check_in_time nulls first",
        "-check_in_time nulls last",
        "-created_at",
    }


def test_the_testproject_is_clean():
    assert check_paginated_orderings() == []


def test_ordering_matcher():
    key = (OrderingTerm("employee_id"), OrderingTerm("date"))
    assert key_serves_ordering(key, [OrderingTerm("employee_id")])
    assert key_serves_ordering(key, [OrderingTerm("employee_id", True), OrderingTerm("date", True)])
    assert not key_serves_ordering(key, [OrderingTerm("employee_id"), OrderingTerm("date", True)])
    assert not key_serves_ordering(key, [OrderingTerm("date")])
    assert ordering_is_indexed(Shift, [OrderingTerm("employee_id"), OrderingTerm("date")])
    assert ordering_is_indexed(Shift, [OrderingTerm("date", True), OrderingTerm("id")]) is False
    assert ordering_is_indexed(Attendance, [OrderingTerm("student_id", True), OrderingTerm("id")])
