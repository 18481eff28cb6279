"""Properties over random rows (ties, NULLs) and random orderings:

- the cursor, walked forward and then backward over mixed-direction orderings of
  fields, a related field, an annotation and a nullable annotation (its NULLs declared
  or not), visits every row exactly once, in the database's order;
- a cursor taken from one view and sent to another is served only when both views page
  the same model by the same ordering, and is otherwise a 404, never another error;
- an ordering through a multi-valued relation is refused before any query, and by the
  system check;
- the page-number paginator over a tied ordering visits every row exactly once.
"""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import F
from django.db.models.functions import ExtractMinute, Length
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import generics
from rest_framework.exceptions import NotFound

from perfkit.pagination import CursorPagination, PageNumberPagination
from perfkit.pagination.checks import check_paginated_orderings
from perfkit.pagination.errors import MultiValuedOrdering
from testproject.school.models import Attendance, Student
from tests.pagination.support import EPOCH, cursor_of, make_rows, request, walk

pytestmark = pytest.mark.django_db

FIELDS = [
    "status",
    "check_in_time",
    "version",
    "created_at",
    "student__grade",
    "status_length",  # an annotation
    "late_total",  # a nullable annotation: version * 10 + the check-in minute
]
NULLABLE = ("check_in_time", "late_total")
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

rows = st.lists(
    st.tuples(
        st.sampled_from(["present", "late"]),
        st.one_of(st.none(), st.integers(0, 3)),
        st.integers(1, 3),
        st.integers(0, 4),
    ),
    min_size=0,
    max_size=25,
)
orderings = st.lists(
    st.tuples(st.sampled_from(FIELDS), st.booleans()),
    min_size=1,
    max_size=4,
    unique_by=lambda t: t[0],
)
# Where each nullable term's NULLs go: declared first or last, or left to the default.
placements = st.fixed_dictionaries(
    {name: st.sampled_from(["first", "last", None]) for name in NULLABLE}
)


def annotated():
    return Attendance.objects.annotate(
        status_length=Length("status"),
        late_total=F("version") * 10 + ExtractMinute("check_in_time"),
    )


def paginator_for(ordering, nulls=None):
    class Paginator(CursorPagination):
        pass

    Paginator.ordering = [("-" if descending else "") + name for name, descending in ordering]
    Paginator.nulls = {name: where for name, where in (nulls or {}).items() if where}
    return Paginator


@SETTINGS
@given(rows=rows, ordering=orderings, nulls=placements, page_size=st.integers(1, 6))
def test_forward_then_backward_visits_every_row_once_in_order(rows, ordering, nulls, page_size):
    Attendance.objects.all().delete()
    make_rows(rows)
    Paginator = paginator_for(ordering, nulls)
    queryset = annotated()

    forward, backward = walk(Paginator, queryset, page_size)

    terms = Paginator().get_terms(None, queryset, None)
    expected = list(
        queryset.order_by(*(term.order_by() for term in terms)).values_list("pk", flat=True)
    )
    assert forward == expected
    assert backward == expected
    assert len(set(forward)) == len(rows)


# The views a cursor may travel between: two models, one with text pks.
VIEW_MODELS = {"attendance": annotated, "sessions": lambda: Session.objects.all()}
SESSION_FIELDS = ["expire_date", "session_data"]


@st.composite
def views(draw):
    model = draw(st.sampled_from(list(VIEW_MODELS)))
    fields = FIELDS if model == "attendance" else SESSION_FIELDS
    ordering = draw(
        st.lists(
            st.tuples(st.sampled_from(fields), st.booleans()),
            min_size=1,
            max_size=2,
            unique_by=lambda t: t[0],
        )
    )
    return model, ordering


@SETTINGS
@given(rows=rows, source=views(), other=views(), same=st.booleans(), backward=st.booleans())
def test_a_cursor_from_another_view_is_served_only_where_it_belongs(
    rows, source, other, same, backward
):
    target = source if same else other
    Attendance.objects.all().delete()
    Session.objects.all().delete()
    make_rows(rows)
    for i, (_, _, version, _) in enumerate(rows):
        Session.objects.create(
            session_key=f"s{i:03}", session_data="ab"[version % 2], expire_date=EPOCH
        )

    def page(view, cursor=None):
        model, ordering = view
        paginator = paginator_for(ordering, {"check_in_time": "last", "late_total": "first"})()
        paginator.page_size = 2
        paginator.paginate_queryset(VIEW_MODELS[model](), request(cursor=cursor))
        return paginator

    first = page(source)
    second = page(source, cursor_of(first.get_next_link()))
    cursor = cursor_of(second.get_previous_link() if backward else second.get_next_link())
    if cursor is None:
        return
    same_binding = page(target).binding == first.binding
    try:
        page(target, cursor)
    except NotFound as error:
        assert not same_binding, error
        assert "made for another view or ordering" in str(error.detail)
    else:
        assert same_binding


MULTI_VALUED = ["attendances__version", "classes__name", "enrollments__enrolled_on"]
SINGLE_VALUED = ["grade", "last_name", "email", "id"]


@SETTINGS
@given(
    single=st.lists(st.sampled_from(SINGLE_VALUED), max_size=3, unique=True),
    multi=st.sampled_from(MULTI_VALUED),
    at=st.integers(0, 3),
    descending=st.booleans(),
)
def test_an_ordering_through_a_multi_valued_relation_is_refused(single, multi, at, descending):
    ordering = [*single]
    ordering.insert(min(at, len(ordering)), ("-" if descending else "") + multi)

    class Paginator(CursorPagination):
        page_size = 5

    Paginator.ordering = ordering
    with (
        CaptureQueriesContext(connection) as captured,
        pytest.raises(MultiValuedOrdering, match=multi.split("__")[0]),
    ):
        Paginator().paginate_queryset(Student.objects.all(), request())
    assert len(captured) == 0

    view = type(
        "StudentsView",
        (generics.ListAPIView,),
        {"queryset": Student.objects.all(), "pagination_class": Paginator},
    )

    class URLs:
        urlpatterns = [path("students/", view.as_view())]

    with override_settings(ROOT_URLCONF=URLs):
        assert [m.id for m in check_paginated_orderings() if m.id.startswith("perfkit.E")] == [
            "perfkit.E404"
        ]


PAGE_FIELDS = ["status", "check_in_time", "version", "student__grade"]


@SETTINGS
@given(
    rows=rows,
    ordering=st.lists(
        st.tuples(st.sampled_from(PAGE_FIELDS), st.booleans()),
        min_size=1,
        max_size=2,
        unique_by=lambda t: t[0],
    ),
    page_size=st.integers(1, 6),
)
def test_page_numbers_over_a_tied_ordering_visit_every_row_once(rows, ordering, page_size):
    Attendance.objects.all().delete()
    make_rows(rows)
    order_by = [("-" if descending else "") + name for name, descending in ordering]
    queryset = Attendance.objects.order_by(*order_by)  # ties: no unique term

    class Pages(PageNumberPagination):
        count_strategy = "none"

    Pages.page_size = page_size
    seen, number = [], 1
    while True:
        paginator = Pages()
        seen += [row.pk for row in paginator.paginate_queryset(queryset, request(page=number))]
        if paginator.get_next_link() is None:
            break
        number += 1
    tie_break = "-pk" if ordering[0][1] else "pk"
    assert seen == list(queryset.order_by(*order_by, tie_break).values_list("pk", flat=True))
    assert len(set(seen)) == len(rows)
