from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from rest_framework import pagination as drf_pagination
from rest_framework.exceptions import APIException

from perfkit.pagination import PageNumberPagination
from testproject.school.models import Attendance
from tests.pagination.support import make_rows, request

pytestmark = pytest.mark.django_db


def paginator(strategy="exact", **attributes):
    class Pages(PageNumberPagination):
        page_size = 3
        count_strategy = strategy

    for name, value in attributes.items():
        setattr(Pages, name, value)
    return Pages()


@pytest.fixture
def rows():
    return make_rows([("present", i % 3 or None, 1, i) for i in range(10)])


def ordered():
    return Attendance.objects.order_by("created_at", "id")


@pytest.mark.parametrize("page", [None, "2", "4"])
def test_response_matches_drf(rows, page):
    class Drf(drf_pagination.PageNumberPagination):
        page_size = 3

    ours, theirs = paginator(), Drf()
    our_rows = ours.paginate_queryset(ordered(), request(page=page, q="x"))
    their_rows = theirs.paginate_queryset(ordered(), request(page=page, q="x"))
    assert [row.pk for row in our_rows] == [row.pk for row in their_rows]
    ids = [row.pk for row in our_rows]
    assert ours.get_paginated_response(ids).data == theirs.get_paginated_response(ids).data


def test_exact_count_drops_order_by(rows):
    pages = paginator()
    with CaptureQueriesContext(connection) as captured:
        pages.paginate_queryset(ordered().select_related("student"), request())
    count_sql = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(count_sql) == 1 and "ORDER BY" not in count_sql[0].upper()
    assert "JOIN" not in count_sql[0].upper()
    assert pages.count == 10


def test_capped_count(rows):
    pages = paginator("capped", count_cap=4)
    pages.paginate_queryset(ordered(), request())
    assert pages.get_paginated_response([]).data["count"] == "4+"
    pages = paginator("capped", count_cap=50)
    pages.paginate_queryset(ordered(), request())
    assert pages.count == 10


def test_none_strategy_has_no_count_but_knows_next(rows):
    pages = paginator("none")
    with CaptureQueriesContext(connection) as captured:
        pages.paginate_queryset(ordered(), request(page="4"))
    assert len(captured) == 1
    data = pages.get_paginated_response([]).data
    assert data["count"] is None and data["next"] is None and data["previous"]
    pages = paginator("none")
    pages.paginate_queryset(ordered(), request(page="3"))
    assert pages.get_next_link().endswith("page=4")


def test_cached_count_is_reused(rows):
    cache.clear()
    first = paginator("cached")
    first.paginate_queryset(ordered(), request())
    Attendance.objects.filter(pk=rows[0].pk).delete()
    second = paginator("cached")
    with CaptureQueriesContext(connection) as captured:
        second.paginate_queryset(ordered(), request())
    assert second.count == 10  # from the cache, until the TTL expires
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


def test_estimated_falls_back_to_exact_when_small(rows):
    pages = paginator("estimated")
    pages.paginate_queryset(ordered(), request())
    data = pages.get_paginated_response([]).data
    assert data["count"] == 10 and data["count_is_estimate"] is False


@pytest.mark.postgres
def test_estimated_count_uses_the_planner_on_postgresql(rows, settings):
    settings.PERFKIT = {"PAGINATION_ESTIMATE_THRESHOLD": 1}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE school_attendance")
    pages = paginator("estimated")
    with CaptureQueriesContext(connection) as captured:
        pages.paginate_queryset(ordered(), request())
    assert any("reltuples" in q["sql"] for q in captured.captured_queries)
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
    assert pages.get_paginated_response([]).data["count_is_estimate"] is True
    filtered = paginator("estimated")
    with CaptureQueriesContext(connection) as captured:
        filtered.paginate_queryset(ordered().filter(version=1), request())
    assert any(q["sql"].startswith("EXPLAIN") for q in captured.captured_queries)
    assert filtered.count_is_estimate and filtered.count >= 1
    grouped = paginator("estimated")  # one row per status, not per attendance row
    with CaptureQueriesContext(connection) as captured:
        grouped.paginate_queryset(
            Attendance.objects.values("status").annotate(n=Count("id")).order_by("status"),
            request(),
        )
    assert not any("reltuples" in q["sql"] for q in captured.captured_queries)
    assert grouped.count <= 3


def test_deep_pages_use_a_deferred_join(rows, settings):
    settings.PERFKIT = {"PAGINATION_DEFERRED_JOIN_OFFSET": 3}
    pages = paginator()
    with CaptureQueriesContext(connection) as captured:
        got = pages.paginate_queryset(ordered(), request(page="3"))
    assert [row.pk for row in got] == [row.pk for row in ordered()[6:9]]
    page_sql = [q["sql"] for q in captured.captured_queries if "COUNT(" not in q["sql"].upper()]
    assert len(page_sql) == 1 and " IN (SELECT" in page_sql[0].upper()
    assert "OFFSET" in page_sql[0].upper().split(" IN (SELECT")[1]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": "0"}, "Invalid page: expected a positive whole number."),
        ({"page": "abc"}, "Invalid page: expected a positive whole number."),
        ({"page": "9" * 30}, "Invalid page: expected a positive whole number."),
        ({"page": "\u00b2"}, "Invalid page: expected a positive whole number."),
        ({"page": "\u0661\u0662"}, "Invalid page: expected a positive whole number."),
        ({"page": "99"}, "Invalid page. That page contains no results."),
        ({"page": "200001"}, "Invalid page. Pages stop at 100000."),
    ],
)
def test_bad_pages_are_404_with_a_message(rows, params, message):
    with pytest.raises(APIException) as raised:
        paginator().paginate_queryset(ordered(), request(**params))
    assert raised.value.status_code == 404
    assert str(raised.value.detail) == message


def test_offset_cap_and_400_switch(rows, settings):
    settings.PERFKIT = {"PAGINATION_MAX_OFFSET": 5, "PAGINATION_INVALID_STATUS": 400}
    with pytest.raises(APIException, match="Offsets stop at 5") as raised:
        paginator().paginate_queryset(ordered(), request(page="3"))
    assert raised.value.status_code == 400


def test_last_page_needs_an_exact_count(rows):
    pages = paginator()
    assert len(pages.paginate_queryset(ordered(), request(page="last"))) == 1
    with pytest.raises(APIException, match="only available with an exact count"):
        paginator("none").paginate_queryset(ordered(), request(page="last"))


def test_openapi_description():
    pages = paginator(page_size_query_param="size")
    assert [p["name"] for p in pages.get_schema_operation_parameters(None)] == ["page", "size"]
    schema = pages.get_paginated_response_schema({"type": "array"})
    assert schema["required"] == ["count", "results"]
    assert set(schema["properties"]) == {
        "count",
        "count_is_estimate",
        "next",
        "previous",
        "results",
    }


@pytest.mark.parametrize("strategy", ["exact", "estimated", "capped", "cached", "none"])
def test_grouped_values_querysets_page_and_count_groups(rows, settings, strategy):
    settings.PERFKIT = {"PAGINATION_DEFERRED_JOIN_OFFSET": 0}
    cache.clear()
    grouped = Attendance.objects.values("check_in_time").annotate(n=Count("id"))
    pages = paginator(strategy, page_size=2)
    first = pages.paginate_queryset(grouped.order_by("check_in_time"), request())
    second = paginator(strategy, page_size=2).paginate_queryset(
        grouped.order_by("check_in_time"), request(page="2")
    )
    assert sorted(row["n"] for row in first + second) == [3, 3, 4]  # 1, 2 and NULL
    data = pages.get_paginated_response(first).data
    assert data["count"] == (None if strategy == "none" else 3)
