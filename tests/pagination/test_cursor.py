from __future__ import annotations

import decimal
import re
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import APIException

from perfkit.pagination import CursorPagination, tokens
from testproject.school.models import Attendance
from tests.pagination.support import cursor_of, ids, make_rows, request, walk

pytestmark = pytest.mark.django_db


class ByCreated(CursorPagination):
    ordering = "-created_at"
    page_size = 3


class ByStatusThenCheckIn(CursorPagination):
    ordering = ["status", "-check_in_time", "version"]
    nulls = {"check_in_time": "first"}
    page_size = 2


def expected(queryset, paginator_class):
    paginator = paginator_class()
    terms = paginator.get_terms(request(), queryset, None)
    return list(
        queryset.order_by(*(term.order_by() for term in terms)).values_list("pk", flat=True)
    )


@pytest.fixture
def rows():
    specs = [
        ("present", 5, 1, 10),
        ("late", None, 2, 11),
        ("present", None, 1, 12),
        ("late", 5, 1, 13),
        ("present", 5, 1, 14),
        ("absent", None, 3, 15),
        ("present", 7, 2, 16),
        ("late", None, 2, 17),
        ("present", 5, 1, 18),
    ]
    return make_rows(specs)


def test_walks_forward_and_back_over_ties_and_nulls(rows):
    queryset = Attendance.objects.all()
    forward, backward = walk(ByStatusThenCheckIn, queryset, 2)
    assert forward == expected(queryset, ByStatusThenCheckIn)
    assert backward == forward
    assert sorted(forward) == sorted(ids(rows))


def test_never_uses_offset_and_filters_on_every_term(rows):
    paginator = ByStatusThenCheckIn()
    paginator.paginate_queryset(Attendance.objects.all(), request())
    with CaptureQueriesContext(connection) as captured:
        ByStatusThenCheckIn().paginate_queryset(
            Attendance.objects.all(), request(cursor=cursor_of(paginator.get_next_link()))
        )
    [query] = captured.captured_queries
    sql = query["sql"].upper()
    assert "OFFSET" not in sql
    assert sql.count('"STATUS"') >= 3 and '"VERSION"' in sql and '"CHECK_IN_TIME" IS NULL' in sql


def test_links_and_response_shape_match_drf(rows):
    paginator = ByCreated()
    page = paginator.paginate_queryset(Attendance.objects.all(), request(extra="x"))
    response = paginator.get_paginated_response([row.pk for row in page])
    assert list(response.data) == ["next", "previous", "results"]
    assert response.data["previous"] is None
    assert response.data["next"].startswith("http://testserver/items/?")
    assert "extra=x" in response.data["next"] and "cursor=" in response.data["next"]


def test_related_field_and_annotation_orderings(rows):
    class ByGrade(CursorPagination):
        ordering = ["-student__grade", "created_at"]
        page_size = 4

    class ByAnnotation(CursorPagination):
        ordering = ["-half_version", "created_at"]
        page_size = 4

    queryset = Attendance.objects.all()
    forward, backward = walk(ByGrade, queryset, 4)
    assert forward == backward == expected(queryset, ByGrade)
    annotated = Attendance.objects.annotate(half_version=F("version") * 2)
    forward, backward = walk(ByAnnotation, annotated, 4)
    assert forward == backward == expected(annotated, ByAnnotation)


def test_aggregate_annotation_and_values_querysets(rows):
    class ByCount(CursorPagination):
        ordering = ["-n", "student_id"]
        page_size = 1

    grouped = Attendance.objects.values("student_id").annotate(n=Count("id"))
    paginator = ByCount()
    page = paginator.paginate_queryset(grouped, request())
    assert page[0]["n"] == 9


def test_orderby_expression_declares_nulls(rows):
    class ByCheckIn(CursorPagination):
        ordering = [F("check_in_time").asc(nulls_last=True)]
        page_size = 2

    queryset = Attendance.objects.all()
    forward, backward = walk(ByCheckIn, queryset, 2)
    assert forward == backward == expected(queryset, ByCheckIn)
    last_four = Attendance.objects.filter(pk__in=forward[-4:])
    assert all(row.check_in_time is None for row in last_four)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "a" * 5000,
        "%00",
        tokens.encode(tokens.Position((1,), False), tokens.Binding("school.attendance", ("x",))),
    ],
)
def test_bad_cursor_is_404_invalid_cursor(rows, cursor):
    with pytest.raises(APIException) as raised:
        ByCreated().paginate_queryset(Attendance.objects.all(), request(cursor=cursor))
    assert raised.value.status_code == 404
    assert str(raised.value.detail).startswith("Invalid cursor")


def test_cursor_from_another_ordering_is_refused(rows):
    paginator = ByCreated()
    paginator.paginate_queryset(Attendance.objects.all(), request())
    with pytest.raises(APIException, match="another view or ordering"):
        ByStatusThenCheckIn().paginate_queryset(
            Attendance.objects.all(), request(cursor=cursor_of(paginator.get_next_link()))
        )


def test_tampered_cursor_is_refused(rows):
    paginator = ByCreated()
    paginator.paginate_queryset(Attendance.objects.all(), request())
    token = cursor_of(paginator.get_next_link())
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with pytest.raises(APIException, match="tampered"):
        ByCreated().paginate_queryset(Attendance.objects.all(), request(cursor=tampered))


def test_status_switches_to_400(rows, settings):
    settings.PERFKIT = {"PAGINATION_INVALID_STATUS": 400}
    with pytest.raises(APIException) as raised:
        ByCreated().paginate_queryset(Attendance.objects.all(), request(cursor="nope"))
    assert raised.value.status_code == 400


def test_page_size_param(rows):
    class Sized(ByCreated):
        page_size_query_param = "size"
        max_page_size = 5

    class Uncapped(Sized):
        max_page_size = None

    def page_size(paginator_class, raw):
        return len(paginator_class().paginate_queryset(Attendance.objects.all(), request(size=raw)))

    assert page_size(Sized, "4") == 4
    assert page_size(Sized, "99") == 5
    assert page_size(Sized, "9" * 40) == 5  # capped, however many digits (as DRF)
    # As DRF: a page size that is not a positive whole number falls back to page_size.
    for bad in ["0", "-1", "x", "1e3", "", "\u00b2", "\u0661"]:
        assert page_size(Sized, bad) == 3, bad
    # Uncapped, a size no LIMIT can take is not a size either.
    assert page_size(Uncapped, "9" * 40) == 3
    assert page_size(Uncapped, "7") == 7


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=UTC),
        date(2026, 2, 3),
        decimal.Decimal("12.3400"),
        timedelta(days=-3, seconds=5, microseconds=7),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        None,
        7,
        "text",
        True,
        1.5,
    ],
)
def test_cursor_values_keep_their_types(value):
    binding = tokens.Binding("app.model", ("a",))
    token = tokens.encode(tokens.Position((value,), reverse=True), binding)
    assert re.fullmatch(r"[A-Za-z0-9._:-]+", token)  # URL-safe: nothing to escape
    decoded = tokens.decode(token, binding)
    assert decoded.values == (value,) and type(decoded.values[0]) is type(value)
    assert decoded.reverse is True
    if isinstance(value, datetime):
        assert decoded.values[0].utcoffset() == value.utcoffset()


def test_ordering_filter_choice_is_tie_broken(rows):
    from rest_framework.filters import OrderingFilter

    class View:
        filter_backends = [OrderingFilter]
        ordering_fields = ["version", "created_at"]
        ordering = ["created_at"]

    paginator = ByCreated()
    terms = paginator.get_terms(request(ordering="-version"), Attendance.objects.all(), View())
    assert [term.label for term in terms] == ["-version", "-pk"]


def test_openapi_parameters():
    class Sized(ByCreated):
        page_size_query_param = "size"

    names = [parameter["name"] for parameter in Sized().get_schema_operation_parameters(None)]
    assert names == ["cursor", "size"]


@pytest.mark.postgres
def test_keyset_query_seeks_the_index_on_postgresql():
    from django.db import connection

    make_rows([("present", i % 7, i % 3, i) for i in range(400)])
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("CREATE INDEX tmp_attendance_created ON school_attendance (created_at, id)")
        cursor.execute("ANALYZE school_attendance")
        cursor.execute("SET LOCAL enable_seqscan = off")

    class Ascending(CursorPagination):
        ordering = "created_at"
        page_size = 10

    paginator = Ascending()
    paginator.paginate_queryset(Attendance.objects.all(), request())
    position = tokens.decode(cursor_of(paginator.get_next_link()), paginator.binding)
    from perfkit.pagination.keyset import row_comparison

    queryset = Attendance.objects.filter(row_comparison(paginator.terms, position.values)).order_by(
        "created_at", "id"
    )[:11]
    plan = queryset.explain()
    assert "Index Cond" in plan and "created_at" in plan.split("Index Cond")[1].split("\n")[0]


def test_works_with_django_filter_and_ordering_filter(rows):
    from django_filters.rest_framework import DjangoFilterBackend
    from rest_framework import generics, serializers
    from rest_framework.filters import OrderingFilter
    from rest_framework.test import APIRequestFactory

    class Row(serializers.ModelSerializer):
        class Meta:
            model = Attendance
            fields = ["id", "status", "version"]

    class Pages(CursorPagination):
        ordering = "-created_at"
        page_size = 2

    class View(generics.ListAPIView):
        queryset = Attendance.objects.all()
        serializer_class = Row
        pagination_class = Pages
        filter_backends = [DjangoFilterBackend, OrderingFilter]
        filterset_fields = ["status"]
        ordering_fields = ["version", "created_at"]

    view = View.as_view()
    factory = APIRequestFactory()
    seen, params = [], {"status": "present", "ordering": "-version"}
    while True:
        data = view(factory.get("/", params)).data
        seen += data["results"]
        if not data["next"]:
            break
        params = {**params, "cursor": cursor_of(data["next"])}
    expected = Attendance.objects.filter(status="present").order_by("-version", "-pk")
    assert [row["id"] for row in seen] == list(expected.values_list("pk", flat=True))


def test_unusable_ordering_entry_is_a_configuration_error():
    from django.core.exceptions import ImproperlyConfigured
    from django.db.models.functions import Lower

    class Bad(CursorPagination):
        ordering = [Lower("status").asc()]

    with pytest.raises(ImproperlyConfigured, match="field names or"):
        Bad().get_terms(request(), Attendance.objects.all(), None)


def test_pages_and_links_match_drfs_cursor_on_a_unique_ordering(rows):
    """Where DRF's cursor is correct (a unique, non-null ordering) both walk the same
    pages with the same link structure; only the cursor tokens differ."""
    from rest_framework.pagination import CursorPagination as DrfCursor

    class Theirs(DrfCursor):
        ordering = "-created_at"
        page_size = 2

    class Ours(CursorPagination):
        ordering = "-created_at"
        page_size = 2

    def pages(paginator_class):
        seen, cursor = [], None
        while True:
            paginator = paginator_class()
            page = paginator.paginate_queryset(
                Attendance.objects.all(), request(cursor=cursor, q="x")
            )
            data = paginator.get_paginated_response(ids(page)).data
            shape = {key: value is not None for key, value in data.items() if key != "results"}
            seen.append((data["results"], shape, list(data)))
            for link in filter(None, [data["next"], data["previous"]]):
                assert link.startswith("http://testserver/items/?") and "q=x" in link
            cursor = cursor_of(data["next"])
            if cursor is None:
                return seen

    assert pages(Ours) == pages(Theirs)


@pytest.mark.parametrize("narrow", [lambda qs: qs.only("id"), lambda qs: qs.defer("created_at")])
def test_positions_of_deferred_fields_are_selected_not_loaded_per_row(rows, narrow):
    queryset = narrow(Attendance.objects.all())
    with CaptureQueriesContext(connection) as captured:
        paginator = ByCreated()
        paginator.paginate_queryset(queryset, request())
        assert paginator.get_next_link()
    assert len(captured.captured_queries) == 1
    forward, backward = walk(ByCreated, queryset, 3)
    assert forward == backward == expected(Attendance.objects.all(), ByCreated)


def test_a_plain_field_term_is_read_from_the_row_not_selected_twice(rows):
    with CaptureQueriesContext(connection) as captured:
        ByCreated().paginate_queryset(Attendance.objects.all(), request())
    assert "_perfkit_keyset" not in captured.captured_queries[0]["sql"]


@pytest.mark.parametrize(
    ("make", "row_of"),
    [
        (lambda: Attendance.objects.values("id", "status"), lambda row: row["id"]),
        (lambda: Attendance.objects.values_list("id", "status"), lambda row: row[0]),
    ],
)
def test_values_and_values_list_rows_walk_without_the_position_aliases(rows, make, row_of):
    class ByVersion(CursorPagination):
        ordering = ["-version", "student__grade", "created_at"]  # a related term: aliased
        page_size = 2

    seen, cursor = [], None
    while True:
        paginator = ByVersion()
        page = paginator.paginate_queryset(make(), request(cursor=cursor))
        assert all(len(row) == 2 for row in page)  # ("id", "status") only
        seen += [row_of(row) for row in page]
        cursor = cursor_of(paginator.get_next_link())
        if cursor is None:
            break
    assert seen == expected(Attendance.objects.all(), ByVersion)


@pytest.mark.parametrize("flat", [True, False])
def test_flat_and_named_values_list_are_a_configuration_error(flat):
    from django.core.exceptions import ImproperlyConfigured

    queryset = (
        Attendance.objects.values_list("id", flat=True)
        if flat
        else Attendance.objects.values_list("id", "status", named=True)
    )
    with pytest.raises(ImproperlyConfigured, match="values_list"):
        ByCreated().paginate_queryset(queryset, request())


# -- DRF's interface ---------------------------------------------------------------------


def test_get_ordering_takes_drfs_arguments_and_returns_a_tuple():
    from rest_framework.filters import OrderingFilter

    class View:
        filter_backends = [OrderingFilter]
        ordering_fields = ["version", "created_at"]

    paginator = ByStatusThenCheckIn()
    assert paginator.get_ordering(request(), [], View()) == ("status", "-check_in_time", "version")
    assert paginator.get_ordering(request(ordering="-version"), [], View()) == ("-version",)
    assert ByCreated().get_ordering(request(), [], None) == ("-created_at",)


def test_an_invalid_cursor_is_drfs_not_found(rows):
    from rest_framework.exceptions import NotFound

    with pytest.raises(NotFound):
        ByCreated().paginate_queryset(Attendance.objects.all(), request(cursor="123"))


def test_a_sequence_is_refused_with_a_type_error():
    with pytest.raises(TypeError, match=r"pages a Django QuerySet .* not a list"):
        ByCreated().paginate_queryset([1, 2, 3], request())


def test_response_schema_is_drfs():
    from rest_framework.pagination import CursorPagination as DrfCursor

    schema = {"type": "object"}
    assert ByCreated().get_paginated_response_schema(schema) == (
        DrfCursor().get_paginated_response_schema(schema)
    )


# -- empty pages -------------------------------------------------------------------------


def test_an_empty_page_after_a_cursor_links_back_to_the_last_page(rows):
    queryset = Attendance.objects.all()
    first = ByCreated()
    first_page = ids(first.paginate_queryset(queryset, request()))
    cursor = cursor_of(first.get_next_link())
    Attendance.objects.exclude(pk__in=first_page).delete()  # every later row is gone

    empty = ByCreated()
    assert empty.paginate_queryset(queryset, request(cursor=cursor)) == []
    assert empty.get_next_link() is None
    back = ByCreated()
    assert (
        ids(back.paginate_queryset(queryset, request(cursor=cursor_of(empty.get_previous_link()))))
        == first_page
    )
    assert back.get_next_link() is None and back.get_previous_link() is None


def test_an_empty_page_walking_backward_links_to_the_first_page(rows):
    queryset = Attendance.objects.all()
    first = ByCreated()
    first.paginate_queryset(queryset, request())
    second = ByCreated()
    second_page = ids(
        second.paginate_queryset(queryset, request(cursor=cursor_of(first.get_next_link())))
    )
    cursor = cursor_of(second.get_previous_link())
    Attendance.objects.exclude(pk__in=second_page).delete()  # every earlier row is gone

    empty = ByCreated()
    assert empty.paginate_queryset(queryset, request(cursor=cursor)) == []
    assert empty.get_previous_link() is None
    assert empty.get_next_link() == "http://testserver/items/"
    assert ids(ByCreated().paginate_queryset(queryset, request())) == second_page[:3]


# -- nullable annotations ----------------------------------------------------------------


@pytest.mark.parametrize("ordering", ["total", "-total", ["-total", "status"]])
def test_a_nullable_annotation_pages_every_row(rows, ordering):
    """The issue's case: total = rank * 10 + n, n nullable, no `nulls` entry."""
    from django.db.models.functions import ExtractMinute

    class ByTotal(CursorPagination):
        page_size = 2

    ByTotal.ordering = ordering
    queryset = Attendance.objects.annotate(total=F("version") * 10 + ExtractMinute("check_in_time"))
    forward, backward = walk(ByTotal, queryset, 2)
    assert forward == backward == expected(queryset, ByTotal)
    assert sorted(forward) == sorted(ids(rows))


def test_a_null_where_perfkit_read_not_null_is_a_clear_configuration_error(rows):
    """A function perfkit cannot see into (NULLIF written as a template) reads as NOT NULL
    from its source; the NULL it gives (version 3) is caught before it is put in a
    cursor that the next request would refuse. (Walked in the direction in which the
    database sorts NULLs first: the other way, no condition can reach the NULL row, which
    is why perfkit reads nullability conservatively.)"""
    from django.core.exceptions import ImproperlyConfigured
    from django.db.models import Func, IntegerField

    class ByHidden(CursorPagination):
        ordering = "hidden" if connection.vendor == "sqlite" else "-hidden"
        page_size = 1

    queryset = Attendance.objects.annotate(
        hidden=Func(
            F("version"), template="NULLIF(%(expressions)s, 3)", output_field=IntegerField()
        )
    )
    cursor = None
    with pytest.raises(ImproperlyConfigured, match="declare where its NULLs go"):
        for _ in rows:
            paginator = ByHidden()
            paginator.paginate_queryset(queryset, request(cursor=cursor))
            paginator.get_previous_link()
            cursor = cursor_of(paginator.get_next_link())
