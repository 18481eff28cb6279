"""10,000 random query strings (two seeded runs of 5,000) against both paginators on five
views: zero 5xx, every error a 4xx.

The cursors thrown at each view include valid cursors from the other views (another
model, a text pk, another ordering) and hostile cursors signed with the project's key
and bound to the view, holding values of the wrong type: text for integers, Decimal NaN,
``1e999999``, NUL bytes, lone surrogates, naive datetimes, overflowing durations."""

from __future__ import annotations

import decimal
import random
import string
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from django.contrib.sessions.models import Session
from django.db.models import DecimalField, F
from django.db.models.functions import Cast, ExtractMinute
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from perfkit.pagination import CursorPagination, PageNumberPagination, tokens
from testproject.school.models import Attendance
from tests.pagination.support import cursor_of, make_rows, request

pytestmark = pytest.mark.django_db

HOSTILE_VALUES = [
    *("DE", "", "x" * 300, "pres\x00ent", "\ud800", "127.0.0.1\x00"),
    *(2**63, -(2**70), -1, 0, True, None),
    *(1.5, float("inf"), float("nan"), -0.0),
    *(decimal.Decimal(text) for text in ("NaN", "-Infinity", "1e999999", "1e-999999", "2.5")),
    datetime(2026, 3, 1, 9, 0),  # naive
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),  # past year 1 in UTC
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))),
    datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    date(2026, 3, 1),
    time(9, 0, tzinfo=UTC),
    timedelta(days=999_999_999),
    uuid.UUID(int=7),
]


class Cursor(CursorPagination):
    ordering = ["status", "-check_in_time", "created_at"]
    nulls = {"check_in_time": "last"}
    page_size = 3
    page_size_query_param = "page_size"
    max_page_size = 20


class Scores(CursorPagination):
    """A Decimal annotation and a nullable one, left undeclared (PostgreSQL's placement)."""

    ordering = ["-score", "minute"]
    page_size = 3
    page_size_query_param = "page_size"


class Sessions(CursorPagination):
    """Text primary keys."""

    ordering = ["-expire_date"]
    page_size = 2


class Pages(PageNumberPagination):
    page_size = 3
    page_size_query_param = "page_size"
    max_page_size = 20
    count_strategy = "capped"
    count_cap = 5


def attendance():
    return Attendance.objects.all()


def scores():
    return Attendance.objects.annotate(
        score=Cast(F("version") * 10, DecimalField(max_digits=6, decimal_places=2)),
        minute=ExtractMinute("check_in_time"),
    )


def sessions():
    return Session.objects.all()


def ids():
    return list(range(40))


class Listing(APIView):
    """A list view through DRF's full request and exception handling, minus a serializer:
    the paginator is what is under test, and 10,000 requests must stay quick."""

    paginator_class: type = Cursor
    make_queryset = staticmethod(attendance)

    def get(self, request):
        paginator = self.paginator_class()
        rows = paginator.paginate_queryset(self.make_queryset(), request, view=self)
        return paginator.get_paginated_response([getattr(row, "pk", row) for row in rows])


VIEWS = {
    "cursor": (Cursor, attendance),
    "scores": (Scores, scores),
    "sessions": (Sessions, sessions),
    "pages": (Pages, attendance),
    "list": (Pages, ids),
}


def valid_cursors(views):
    """Every cursor of a forward and backward walk of each cursor view."""
    factory = APIRequestFactory()
    found = []
    for view in views.values():
        params = {}
        for _ in range(10):
            data = view(factory.get("/", params)).data
            links = [link for link in (data.get("next"), data.get("previous")) if link]
            found += [cursor_of(link) for link in links if "cursor=" in link]
            if not data.get("next") or "cursor=" not in data["next"]:
                break
            params = {"cursor": cursor_of(data["next"])}
    return found


def hostile_cursor(rng, bindings):
    """Signed with the project's key and bound to one of the views, wrong in its values."""
    binding = rng.choice(bindings)
    count = len(binding.ordering) if rng.random() < 0.9 else rng.randint(0, 5)
    values = tuple(rng.choice(HOSTILE_VALUES) for _ in range(count))
    return tokens.encode(tokens.Position(values, rng.random() < 0.5), binding)


def random_value(rng, valid, bindings):
    choices = [
        lambda: str(rng.randint(-(10**6), 10**6)),
        lambda: "9" * rng.randint(1, 60),
        lambda: "".join(rng.choices(string.printable, k=rng.randint(0, 40))),
        lambda: rng.choice(["", "last", "0", "-1", "1.5", "1e9", "NaN", "null", "%", "\x00"]),
        # Characters str.isdigit() or int() accept beyond ASCII digits.
        lambda: rng.choice(["\u00b2", "\u0661\u0662", "\u2167", "\uff11", " 1 ", "1_000", "+1"]),
        lambda: rng.choice(valid),
        lambda: rng.choice(valid),  # twice as likely: these reach the keyset condition
        lambda: (lambda c: c[: rng.randint(0, len(c))] + rng.choice("A.:_-"))(rng.choice(valid)),
        lambda: hostile_cursor(rng, bindings),
        lambda: hostile_cursor(rng, bindings),
    ]
    return rng.choice(choices)()


@pytest.mark.parametrize("seed", [20261122, 20261123])  # 2 x 5,000, spread over xdist
def test_ten_thousand_random_query_strings_never_5xx(seed):
    make_rows(
        [
            (s, c, v, t)
            for t, (s, c, v) in enumerate(
                [("present", 1, 1), ("late", None, 2), ("present", None, 1), ("late", 3, 1)] * 4
            )
        ]
    )
    now = datetime(2026, 3, 1, tzinfo=UTC)
    for i in range(5):
        Session.objects.create(session_key=f"DE{i}", session_data="", expire_date=now)
    views = {
        name: Listing.as_view(paginator_class=paginator, make_queryset=make)
        for name, (paginator, make) in VIEWS.items()
    }
    cursor_views = {name: views[name] for name in ("cursor", "scores", "sessions")}
    valid = valid_cursors(cursor_views)
    assert len(valid) > 10
    bindings = []
    for name in cursor_views:
        paginator_class, make = VIEWS[name]
        paginator = paginator_class()
        paginator.paginate_queryset(make(), request())
        bindings.append(paginator.binding)

    rng = random.Random(seed)
    factory = APIRequestFactory()
    statuses: dict[int, int] = {}
    for _ in range(5_000):
        name = rng.choice(list(views))
        params = {}
        for key in rng.sample(
            ["cursor", "page", "page_size", "ordering", rng.choice(string.ascii_letters)],
            k=rng.randint(0, 3),
        ):
            params[key] = random_value(rng, valid, bindings)
        response = views[name](factory.get("/", params))
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (name, params, response.data)
        if response.status_code >= 400:
            assert response.status_code == 404 and response.data["detail"], (params, response.data)
    assert statuses[200] > 500 and statuses[404] > 500, statuses
