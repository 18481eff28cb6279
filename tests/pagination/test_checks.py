from __future__ import annotations

from django.db.models import F, JSONField, Value
from django.db.models.functions import ExtractMinute
from django.test import override_settings
from django.urls import path
from rest_framework import generics
from rest_framework.filters import OrderingFilter

from perfkit.pagination import CursorPagination, PageNumberPagination
from perfkit.pagination.checks import check_paginated_orderings
from perfkit.schema.ordering import OrderingTerm, key_serves_ordering, ordering_is_indexed
from testproject.school.models import Attendance, Class
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
        f"{__name__}.NullableUndeclaredView paginates by nullable field 'check_in_time' "
        "without saying where its NULLs go."
    ]
    warnings = [m for m in messages if m.id == "perfkit.W401"]
    assert {m.msg.split("by (")[1].split(")")[0] for m in warnings} == {
        "-check_in_time nulls first",
        "-check_in_time nulls last",
        "-created_at",
    }


# -- the configuration problems a request would fail on ------------------------------------


class ByTotal(CursorPagination):
    ordering = ["-total"]


class ByTotalDeclared(CursorPagination):
    ordering = ["-total"]
    nulls = {"total": "last"}


class ThroughSessions(CursorPagination):
    ordering = ["sessions__start_time"]


class ByBogus(CursorPagination):
    ordering = ["-bogus", "student__nope"]


class NullsInTheMiddle(CursorPagination):
    ordering = ["-check_in_time"]
    nulls = {"check_in_time": "middle"}


class ByDocument(CursorPagination):
    ordering = ["document"]


class NoOrdering(CursorPagination):
    ordering = None


class Pages(PageNumberPagination):
    page_size = 10


class BadStrategy(Pages):
    count_strategy = "exactly"


class BadLimits(Pages):
    max_page = 0
    max_offset = "100"
    count_cache_seconds = 1.5
    count_cap = -1


def view_of(name, paginator, queryset, **attributes):
    attributes = {"queryset": queryset, "pagination_class": paginator, **attributes}
    return type(name, (generics.ListAPIView,), attributes).as_view()


class AnnotatingView(generics.ListAPIView):
    """Builds its queryset in get_queryset(): an annotation there is out of the checks' sight."""

    queryset = Attendance.objects.all()
    pagination_class = ByBogus

    def get_queryset(self):
        return Attendance.objects.annotate(bogus=F("version"))


total = F("version") * 10 + ExtractMinute("check_in_time")


class Problems:
    """A URLconf (a module stand-in) of views with problems."""

    urlpatterns = [
        path("e1/", view_of("TotalView", ByTotal, Attendance.objects.annotate(total=total))),
        path(
            "e2/",
            view_of("TotalDeclared", ByTotalDeclared, Attendance.objects.annotate(total=total)),
        ),
        path("e3/", view_of("SessionsView", ThroughSessions, Class.objects.all())),
        path("e4/", view_of("BogusView", ByBogus, Attendance.objects.all())),
        path("e5/", view_of("MiddleView", NullsInTheMiddle, Attendance.objects.all())),
        path(
            "e6/",
            view_of(
                "DocumentView",
                ByDocument,
                Attendance.objects.annotate(document=Value({}, output_field=JSONField())),
            ),
        ),
        path("e7/", view_of("NoOrderingView", NoOrdering, Attendance.objects.all())),
        path(
            "e8/",
            view_of(
                "FilteredView",
                Indexed,
                Class.objects.all(),
                filter_backends=[OrderingFilter],
                ordering_fields=["name", "students__grade", "nope__x"],
            ),
        ),
        path("e9/", view_of("StrategyView", BadStrategy, Attendance.objects.all())),
        path("e10/", view_of("LimitsView", BadLimits, Attendance.objects.all())),
        path("e11/", view_of("LimitsAgainView", BadLimits, Class.objects.all())),
        path("e12/", view_of("GoodPagesView", Pages, Attendance.objects.all())),
        path("e13/", AnnotatingView.as_view()),
    ]


def test_configuration_problems_are_reported_by_id():
    with override_settings(ROOT_URLCONF=Problems):
        messages = check_paginated_orderings()
    found = sorted((m.id, m.obj.rsplit(".", 1)[-1], m.msg) for m in messages if m.id[8] == "E")
    expected = [
        ("perfkit.E401", "TotalView", "nullable annotation 'total'"),
        ("perfkit.E402", "NoOrderingView", "NoOrdering needs an `ordering`."),
        ("perfkit.E403", "AnnotatingView", "school.Student has no field 'nope'"),
        ("perfkit.E403", "BogusView", "school.Attendance has no field 'bogus'"),
        ("perfkit.E403", "BogusView", "school.Student has no field 'nope'"),
        ("perfkit.E403", "FilteredView", "offers 'nope__x'"),
        ("perfkit.E404", "FilteredView", "offers 'students__grade'"),
        ("perfkit.E404", "SessionsView", "through school.Class.sessions, a relation to many"),
        ("perfkit.E405", "MiddleView", "maps 'check_in_time' to 'middle'"),
        ("perfkit.E406", "BadStrategy", "count_strategy must be one of"),
        ("perfkit.E407", "BadLimits", "count_cache_seconds must be None or a whole number"),
        ("perfkit.E407", "BadLimits", "count_cap must be a whole number of at least 1"),
        ("perfkit.E407", "BadLimits", "max_offset must be None or a whole number"),
        ("perfkit.E407", "BadLimits", "max_page must be None or a whole number"),
        ("perfkit.E408", "DocumentView", "values of a JSONField"),
    ]
    assert [(i, obj) for i, obj, _ in found] == [(i, obj) for i, obj, _ in expected]
    for (_, _, message), (_, _, part) in zip(found, expected, strict=True):
        assert part in message


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
