"""Cursor values checked against their term's field: hostile cursors signed with the
project's key, and valid cursors from other views, get a 4xx (never a 500) on SQLite and
PostgreSQL."""

from __future__ import annotations

import decimal
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from django.contrib.sessions.models import Session
from django.db.models import (
    CharField,
    DateTimeField,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    GenericIPAddressField,
    Value,
)
from django.db.models.functions import Cast, Concat, ExtractMinute
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from perfkit.pagination import CursorPagination, tokens
from testproject.school.models import Attendance
from testproject.staff.models import Shift
from tests.pagination.support import cursor_of, make_rows, request

pytestmark = pytest.mark.django_db
factory = APIRequestFactory()
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class ByRank(CursorPagination):
    """Ordered by an annotation named alike on two models (the issue's two views)."""

    ordering = "-rank"
    page_size = 2


class Typed(CursorPagination):
    """A term of each kind, each annotation computed from the row."""

    ordering = ["price", "ratio", "stay", "address", "status", "created_at"]
    page_size = 2


def attendance():
    return Attendance.objects.annotate(rank=F("version"))


def sessions():
    return Session.objects.annotate(rank=F("expire_date"))


def typed():
    return Attendance.objects.annotate(
        price=Cast("version", DecimalField(max_digits=6, decimal_places=2)),
        ratio=Cast("version", FloatField()),
        stay=ExpressionWrapper(
            F("created_at") - Value(NOW, output_field=DateTimeField()),
            output_field=DurationField(),
        ),
        address=Cast(
            Concat(Value("10.0.0."), Cast("version", CharField())), GenericIPAddressField()
        ),
    )


class Listing(APIView):
    """Paginator and queryset under test, behind DRF's request and exception handling."""

    paginator_class: type = ByRank
    make_queryset = staticmethod(attendance)

    def get(self, request):
        paginator = self.paginator_class()
        rows = paginator.paginate_queryset(self.make_queryset(), request, view=self)
        return paginator.get_paginated_response([row.pk for row in rows])


def get(view, cursor):
    return view(factory.get("/", {"cursor": cursor}))


@pytest.fixture
def rows():
    make_rows([("present", i, i % 3 + 1, i) for i in range(5)])
    for i in range(3):
        Session.objects.create(session_key=f"k{i}", session_data="", expire_date=NOW)


def forged(paginator_class, make_queryset, values, reverse=False):
    """A cursor signed with the project's key and bound to the view, holding ``values``."""
    paginator = paginator_class()
    paginator.paginate_queryset(make_queryset(), request())
    return tokens.encode(tokens.Position(tuple(values), reverse), paginator.binding)


def test_a_valid_cursor_from_another_view_is_a_404_not_a_500(rows):
    # The case: both ordered by "-rank", one with integer pks, one with text pks.
    texts = Listing.as_view(paginator_class=ByRank, make_queryset=sessions)
    numbers = Listing.as_view(paginator_class=ByRank, make_queryset=attendance)
    foreign = cursor_of(texts(factory.get("/")).data["next"])
    response = get(numbers, foreign)
    assert response.status_code == 404
    assert "made for another view or ordering" in str(response.data["detail"])
    own = cursor_of(numbers(factory.get("/")).data["next"])
    assert get(numbers, own).status_code == 200


@pytest.mark.parametrize(
    "values",
    [
        (1, "DE"),  # a text pk where the pk is an integer
        ("DE", 1),  # a text where the term is an integer
        (1, 2**63),  # past any integer column
        (1, -(2**70)),
        (None, 1),  # NULL in a NOT NULL term
        (True, 1),  # a bool is not an integer here
        (1.5, 1),
        (decimal.Decimal("1"), 1),
    ],
)
def test_hostile_integer_cursors_are_404(rows, values):
    view = Listing.as_view(paginator_class=ByRank, make_queryset=attendance)
    response = get(view, forged(ByRank, attendance, values))
    assert response.status_code == 404, response.data
    assert "does not suit" in str(response.data["detail"])


GOOD = {
    "price": decimal.Decimal("1.00"),
    "ratio": 1.0,
    "stay": timedelta(seconds=1),
    "address": "127.0.0.1",
    "status": "present",
    "created_at": NOW,
    "pk": 1,
}


@pytest.mark.parametrize(
    ("term", "value"),
    [
        ("price", decimal.Decimal("NaN")),
        ("price", decimal.Decimal("-Infinity")),
        ("price", decimal.Decimal("1e999999")),
        ("price", decimal.Decimal("1e-999999")),
        ("price", 1.5),
        ("ratio", "1.0"),
        ("stay", timedelta(days=999_999_999)),
        ("stay", 5),
        ("address", "not an address"),
        ("address", "127.0.0.1\x00"),
        ("status", "pres\x00ent"),
        ("status", "\ud800"),  # a lone surrogate: no driver can encode it
        ("status", 7),
        ("created_at", datetime(2026, 3, 1, 9, 0)),  # naive, with USE_TZ
        ("created_at", datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14)))),
        ("created_at", date(2026, 3, 1)),
        ("created_at", "2026-03-01"),
        ("pk", uuid.uuid4()),
        ("pk", "1"),
    ],
)
def test_hostile_values_of_each_kind_are_404(rows, term, value):
    values = [value if name == term else good for name, good in GOOD.items()]
    view = Listing.as_view(paginator_class=Typed, make_queryset=typed)
    response = get(view, forged(Typed, typed, values))
    assert response.status_code == 404, response.data
    assert f"does not suit '{term}'" in str(response.data["detail"])


def test_good_values_of_each_kind_page(rows):
    view = Listing.as_view(paginator_class=Typed, make_queryset=typed)
    assert get(view, forged(Typed, typed, GOOD.values())).status_code == 200


def test_a_time_term_refuses_aware_times(rows):
    class ByStart(CursorPagination):
        ordering = "start"
        page_size = 2

    view = Listing.as_view(paginator_class=ByStart, make_queryset=Shift.objects.all)
    aware = time(9, 0, tzinfo=UTC)
    assert get(view, forged(ByStart, Shift.objects.all, (aware, 1))).status_code == 404
    assert get(view, forged(ByStart, Shift.objects.all, (time(9, 0), 1))).status_code == 200


def test_a_wrong_number_of_values_is_404(rows):
    view = Listing.as_view(paginator_class=ByRank, make_queryset=attendance)
    assert get(view, forged(ByRank, attendance, (1, 2, 3))).status_code == 404


def test_a_nullable_term_takes_none(rows):
    class ByMinute(CursorPagination):
        ordering = "-minute"
        page_size = 2

    def minutes():
        return Attendance.objects.annotate(minute=ExtractMinute("check_in_time"))

    view = Listing.as_view(paginator_class=ByMinute, make_queryset=minutes)
    assert get(view, forged(ByMinute, minutes, (None, 1))).status_code == 200
