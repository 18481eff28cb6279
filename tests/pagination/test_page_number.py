from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from rest_framework import pagination as drf_pagination
from rest_framework.exceptions import APIException, NotFound

from perfkit.pagination import PageNumberPagination
from perfkit.pagination.page_number import tie_broken
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
        # DRF's message, exactly, where DRF has the same error.
        ({"page": "0"}, "Invalid page."),
        ({"page": "abc"}, "Invalid page."),
        ({"page": "9" * 30}, "Invalid page."),
        ({"page": "\u00b2"}, "Invalid page."),
        ({"page": "\u0661\u0662"}, "Invalid page."),
        ({"page": "99"}, "Invalid page."),
        # Limits DRF does not have say where pages stop.
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


def test_openapi_parameters():
    pages = paginator(page_size_query_param="size")
    assert [p["name"] for p in pages.get_schema_operation_parameters(None)] == ["page", "size"]


@pytest.mark.parametrize(
    ("strategy", "count", "required"),
    [
        ("exact", {"type": "integer", "example": 123}, ["count", "results"]),
        ("cached", {"type": "integer", "example": 123}, ["count", "results"]),
        (
            "estimated",
            {"type": "integer", "example": 123},
            ["count", "count_is_estimate", "results"],
        ),
        (
            "capped",
            {"oneOf": [{"type": "integer"}, {"type": "string"}], "example": 123},
            ["count", "results"],
        ),
        ("none", {"type": "integer", "nullable": True, "example": None}, ["count", "results"]),
    ],
)
def test_response_schema_says_what_the_strategy_gives(strategy, count, required):
    schema = paginator(strategy).get_paginated_response_schema({"type": "array"})
    assert schema["required"] == required
    assert schema["properties"]["count"] == count
    assert ("count_is_estimate" in schema["properties"]) == (strategy == "estimated")
    # The rest is DRF's, examples included.
    theirs = drf_pagination.PageNumberPagination().get_paginated_response_schema({"x": 1})
    ours = paginator("exact").get_paginated_response_schema({"x": 1})
    assert ours == theirs


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


# -- DRF's contract: any sequence, NotFound, DRF's page-size and page fallbacks ---------


def test_a_list_or_range_is_paged_as_drfs_paginator_pages_it():
    class Drf(drf_pagination.PageNumberPagination):
        page_size = 7

    for sequence in [list(range(1, 51)), range(1, 51)]:
        for page in [None, "", "2", "8", "last"]:
            ours, theirs = paginator(page_size=7), Drf()
            got = ours.paginate_queryset(sequence, request(page=page))
            assert got == theirs.paginate_queryset(sequence, request(page=page))
            assert ours.get_paginated_response(got).data == theirs.get_paginated_response(got).data
            assert ours.get_html_context() == theirs.get_html_context()
            assert ours.display_page_controls == theirs.display_page_controls


def test_django_paginator_class_pages_sequences():
    class OneRow(DjangoPaginator):
        count = 1

    pages = paginator(django_paginator_class=OneRow)
    assert pages.paginate_queryset(range(1, 101), request()) == [1]
    assert pages.get_paginated_response([1]).data["count"] == 1
    assert not pages.display_page_controls


def test_invalid_page_is_drfs_not_found(rows):
    for sequence in [ordered(), list(range(10))]:
        for page in ["0", "x", "99"]:
            with pytest.raises(NotFound) as raised:
                paginator().paginate_queryset(sequence, request(page=page))
            assert str(raised.value.detail) == "Invalid page."


def test_invalid_page_message_is_formatted_as_drfs(rows):
    pages = paginator(invalid_page_message="Page {page_number}: {message}.")
    with pytest.raises(NotFound, match=r"Page x: That page number is not an integer\."):
        pages.paginate_queryset(ordered(), request(page="x"))
    with pytest.raises(NotFound, match=r"Page 0: That page number is less than 1\."):
        pages.paginate_queryset(ordered(), request(page="0"))
    with pytest.raises(NotFound, match=r"Page 200001: Pages stop at 100000\."):
        pages.paginate_queryset(ordered(), request(page="200001"))


def test_empty_page_parameter_is_page_one(rows):
    pages = paginator()
    assert [row.pk for row in pages.paginate_queryset(ordered(), request(page=""))] == [
        row.pk for row in ordered()[:3]
    ]
    assert pages.get_previous_link() is None


@pytest.mark.parametrize("raw", ["0", "-5", "abc", "", "1.5"])
def test_a_page_size_that_is_not_positive_falls_back_to_the_default(rows, raw):
    pages = paginator(page_size_query_param="size", max_page_size=5)
    assert len(pages.paginate_queryset(ordered(), request(size=raw))) == 3


def test_html_context_has_drfs_page_links(rows):
    pages = paginator()
    pages.paginate_queryset(ordered(), request(page="2"))
    links = pages.get_html_context()["page_links"]
    assert [(link.number, link.is_active) for link in links] == [
        (1, False),
        (2, True),
        (3, False),
        (4, False),
    ]
    assert links[0].url == "http://testserver/items/" and links[2].url.endswith("page=3")
    assert "page=4" in pages.to_html()


def test_html_context_without_a_count_links_the_pages_known_to_exist(rows):
    pages = paginator("none")
    pages.paginate_queryset(ordered(), request(page="2"))
    assert [link.number for link in pages.get_html_context()["page_links"]] == [1, 2, 3]


# -- per-view limits and configuration ---------------------------------------------------


def test_per_view_limits_override_the_settings(rows, settings):
    settings.PERFKIT = {"PAGINATION_MAX_PAGE": 2, "PAGINATION_MAX_OFFSET": 3}
    with pytest.raises(NotFound, match="Pages stop at 2"):
        paginator().paginate_queryset(ordered(), request(page="3"))
    assert len(paginator(max_page=3, max_offset=6).paginate_queryset(ordered(), request(page="3")))
    with pytest.raises(NotFound, match="Offsets stop at 5"):
        paginator(max_page=9, max_offset=5).paginate_queryset(ordered(), request(page="3"))


def test_count_cache_seconds_per_view(rows, monkeypatch):
    cache.clear()
    stored = []
    monkeypatch.setattr(cache, "set", lambda key, value, timeout: stored.append(timeout))
    paginator("cached").paginate_queryset(ordered(), request())
    paginator("cached", count_cache_seconds=5).paginate_queryset(ordered(), request())
    assert stored == [60, 5]


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"count_strategy": "exactly"}, "count_strategy must be one of exact, estimated"),
        ({"max_page": 0}, "max_page must be None or a whole number of at least 1; got 0"),
        ({"max_offset": "9"}, "max_offset must be None or a whole number"),
        ({"count_cache_seconds": True}, "count_cache_seconds must be None or a whole"),
        ({"count_strategy": "capped", "count_cap": None}, "count_cap must be a whole number"),
    ],
)
def test_misconfigured_attributes_fail_before_any_query(rows, attributes, message):
    with (
        CaptureQueriesContext(connection) as captured,
        pytest.raises(ImproperlyConfigured) as raised,
    ):
        paginator(**attributes).paginate_queryset(ordered(), request())
    assert message in str(raised.value)
    assert len(captured) == 0


# -- a tie-broken ordering ---------------------------------------------------------------


def order_by_of(queryset):
    with CaptureQueriesContext(connection) as captured:
        paginator("none").paginate_queryset(queryset, request())
    [sql] = [query["sql"] for query in captured.captured_queries]
    return sql.split("ORDER BY")[1].split("LIMIT")[0].replace('"', "").strip()


def test_a_tied_ordering_gets_the_pk_as_the_cursor_does(rows):
    assert order_by_of(Attendance.objects.order_by("status")) == (
        "school_attendance.status ASC, school_attendance.id ASC"
    )
    assert order_by_of(Attendance.objects.order_by("-version")) == (
        "school_attendance.version DESC, school_attendance.id DESC"
    )
    # Meta.ordering (-created_at) is tie-broken too; an ordering with the pk is left alone.
    assert order_by_of(Attendance.objects.all()) == (
        "school_attendance.created_at DESC, school_attendance.id DESC"
    )
    assert order_by_of(Attendance.objects.order_by("-id", "status")) == (
        "school_attendance.id DESC, school_attendance.status ASC"
    )


def test_rows_without_a_pk_are_tie_broken_by_what_they_select():
    grouped = Attendance.objects.values("status", "version").annotate(n=Count("id"))
    assert tie_broken(grouped.order_by("status")).query.order_by == ("status", "version")
    assert tie_broken(grouped).query.order_by == ("status", "version")  # unordered
    distinct = Attendance.objects.order_by().values("check_in_time").distinct()
    assert tie_broken(distinct).query.order_by == ("check_in_time",)


def test_unions_and_random_orderings_are_left_as_they_are():
    union = (
        Attendance.objects.filter(version=1)
        .order_by()
        .union(Attendance.objects.filter(version=2).order_by())
    )
    assert tie_broken(union.order_by("created_at")).query.order_by == ("created_at",)
    assert tie_broken(Attendance.objects.order_by("?")).query.order_by == ("?",)


def test_page_number_walk_over_grouped_rows_sees_each_group_once(rows):
    grouped = Attendance.objects.values("status", "version").annotate(n=Count("id"))
    make_rows([(status, None, version, 50) for status in ("late", "absent") for version in (1, 2)])
    seen, page = [], 1
    while True:
        pages = paginator(page_size=2)
        seen += pages.paginate_queryset(grouped.order_by("-n"), request(page=str(page)))
        if not pages.get_next_link():
            break
        page += 1
    assert sorted((row["status"], row["version"]) for row in seen) == sorted(
        (row["status"], row["version"]) for row in grouped
    )
