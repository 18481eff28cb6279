"""10,000 random query strings (two seeded runs of 5,000) against both paginators:
zero 5xx, every error a 4xx."""

from __future__ import annotations

import random
import string

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from perfkit.pagination import CursorPagination, PageNumberPagination, tokens
from testproject.school.models import Attendance
from tests.pagination.support import make_rows

pytestmark = pytest.mark.django_db


class Cursor(CursorPagination):
    ordering = ["status", "-check_in_time", "created_at"]
    nulls = {"check_in_time": "last"}
    page_size = 3
    page_size_query_param = "page_size"
    max_page_size = 20


class Pages(PageNumberPagination):
    page_size = 3
    page_size_query_param = "page_size"
    max_page_size = 20
    count_strategy = "capped"
    count_cap = 5


class ListIds(APIView):
    """A list view through DRF's full request and exception handling, minus a serializer:
    the paginator is what is under test, and 10,000 requests must stay quick."""

    paginator_class: type = Cursor

    def get(self, request):
        paginator = self.paginator_class()
        rows = paginator.paginate_queryset(Attendance.objects.all(), request, view=self)
        return paginator.get_paginated_response([row.pk for row in rows])


def view_with(paginator):
    return ListIds.as_view(paginator_class=paginator)


def random_value(rng, valid_cursors):
    choices = [
        lambda: str(rng.randint(-(10**6), 10**6)),
        lambda: "9" * rng.randint(1, 60),
        lambda: "".join(rng.choices(string.printable, k=rng.randint(0, 40))),
        lambda: rng.choice(["", "last", "0", "-1", "1.5", "1e9", "NaN", "null", "%", "\x00"]),
        # Characters str.isdigit() or int() accept beyond ASCII digits.
        lambda: rng.choice(["\u00b2", "\u0661\u0662", "\u2167", "\uff11", " 1 ", "1_000", "+1"]),
        lambda: rng.choice(valid_cursors),
        lambda: (lambda c: c[: rng.randint(0, len(c))] + rng.choice("A.:_-"))(
            rng.choice(valid_cursors)
        ),
        lambda: tokens.encode(
            tokens.Position((rng.choice([1, "x", None, 2.5]),) * 4, rng.random() > 0.5),
            ("status",) * 4,
        ),
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
    rng = random.Random(seed)
    factory = APIRequestFactory()
    views = {"cursor": view_with(Cursor), "pages": view_with(Pages)}
    first = views["cursor"](factory.get("/", {"page_size": 2})).data
    valid_cursors = [first["next"].split("cursor=")[1].split("&")[0]]
    statuses = {}
    for _ in range(5_000):
        name = rng.choice(list(views))
        params = {}
        for key in rng.sample(
            ["cursor", "page", "page_size", "ordering", rng.choice(string.ascii_letters)],
            k=rng.randint(0, 3),
        ):
            params[key] = random_value(rng, valid_cursors)
        response = views[name](factory.get("/", params))
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (name, params, response.data)
        if response.status_code >= 400:
            assert response.status_code == 404 and response.data["detail"], (params, response.data)
    assert statuses[200] > 500 and statuses[404] > 500, statuses
