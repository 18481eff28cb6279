"""Pagination latency at pages 1, 1,000 and 10,000 over ~1M attendance rows (PostgreSQL).

    createdb -h 127.0.0.1 -U postgres -T perfkit_bench perfkit_bench_pagination
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfkit_bench_pagination \
        python bench/pagination.py

Creates (once) an index on school_attendance (created_at, id), vacuums, then measures in one run,
50 rows a page, ordered by -created_at: perfkit's CursorPagination; perfkit's
PageNumberPagination once per count strategy; DRF's PageNumberPagination,
LimitOffsetPagination and CursorPagination; and hand-written keyset SQL. Each figure is
the median of --repeat runs of "paginate and fetch the page" (ms). Then the same for a
mixed-direction ordering (-created_at, status) served by an index on
(created_at DESC, status, id DESC): perfkit's cursor (an OR-chain) against hand-written
OR-chain SQL with and without the bound on the leading column.

Before anything is timed, --warmup rounds (default 1) run every contender at every page
once, untimed: the table and index pages, the count cache and Python's imports are then
as warm for the first contender as for the last. Each timed round then runs every
contender at every page once, in a new random order (bench/harness.py,
interleaved_medians_ms), so load drifting during the run slows them all alike.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import parse_qs, urlparse

from harness import interleaved_medians_ms, report, require_vendor, setup_django

PAGE_SIZE = 50
PAGES = (1, 1_000, 10_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed rounds over every contender first"
    )
    arguments = parser.parse_args()
    setup_django()
    require_vendor("postgresql")

    from django.core.cache import cache
    from django.db import connection
    from rest_framework import pagination as drf
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from perfkit import pagination as perfkit
    from perfkit.pagination import tokens
    from testproject.school.models import Attendance

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS bench_attendance_created_id "
            "ON school_attendance (created_at, id)"
        )
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS bench_attendance_created_status_id "
            "ON school_attendance (created_at DESC, status, id DESC)"
        )
        # As autovacuum would have: the visibility map lets the deferred join's inner
        # query read the index alone.
        cursor.execute("VACUUM (ANALYZE) school_attendance")
    total = Attendance.objects.count()
    factory = APIRequestFactory()
    queryset = Attendance.objects.all()
    ordered = queryset.order_by("-created_at", "-id")

    def request(**params: Any) -> Request:
        return Request(factory.get("/attendance/", params))

    def position(page: int) -> tuple[Any, Any] | None:
        if page == 1:
            return None
        row = ordered.values_list("created_at", "id")[(page - 1) * PAGE_SIZE - 1]
        return row[0], row[1]

    mixed = queryset.order_by("-created_at", "status", "-id")

    def mixed_position(page: int) -> tuple[Any, Any, Any] | None:
        if page == 1:
            return None
        row = mixed.values_list("created_at", "status", "id")[(page - 1) * PAGE_SIZE - 1]
        return row[0], row[1], row[2]

    def binding_of(paginator_class: type[perfkit.CursorPagination]) -> tokens.Binding:
        """What the paginator binds its cursors to (its first page sets it)."""
        paginator = paginator_class()
        paginator.paginate_queryset(queryset, request())
        return paginator.binding

    class MixedCursor(perfkit.CursorPagination):
        ordering = ["-created_at", "status"]
        page_size = PAGE_SIZE

    def perfkit_mixed_cursor(page: int) -> Any:
        paginator = MixedCursor()
        after = mixed_position(page)
        params = {}
        if after is not None:
            start = tokens.Position(after, False)
            params["cursor"] = tokens.encode(start, binding_of(MixedCursor))
        return lambda: paginator.paginate_queryset(queryset, request(**params))

    def raw_mixed_keyset(bounded: bool) -> Any:
        def for_page(page: int) -> Any:
            after = mixed_position(page)
            bound = "created_at <= %s AND " if bounded else ""

            def run() -> list[Any]:
                with connection.cursor() as cursor:
                    if after is None:
                        cursor.execute(
                            "SELECT * FROM school_attendance "
                            "ORDER BY created_at DESC, status, id DESC LIMIT %s",
                            [PAGE_SIZE + 1],
                        )
                    else:
                        created, status, pk = after
                        chain = [created, created, status, created, status, pk]
                        cursor.execute(
                            f"SELECT * FROM school_attendance WHERE {bound}(created_at < %s "
                            "OR (created_at = %s AND status > %s) "
                            "OR (created_at = %s AND status = %s AND id < %s)) "
                            "ORDER BY created_at DESC, status, id DESC LIMIT %s",
                            [*([created] if bounded else []), *chain, PAGE_SIZE + 1],
                        )
                    return cursor.fetchall()

            return run

        return for_page

    class Cursor(perfkit.CursorPagination):
        ordering = "-created_at"
        page_size = PAGE_SIZE

    class DrfCursor(drf.CursorPagination):
        ordering = "-created_at"
        page_size = PAGE_SIZE

    def perfkit_cursor(page: int) -> Any:
        paginator = Cursor()
        after = position(page)
        params = {}
        if after is not None:
            start = tokens.Position(after, False)
            params["cursor"] = tokens.encode(start, binding_of(Cursor))
        return lambda: paginator.paginate_queryset(queryset, request(**params))

    def drf_cursor(page: int) -> Any:
        paginator = DrfCursor()
        after = position(page)
        params = {}
        if after is not None:
            paginator.base_url = "http://testserver/attendance/"
            link = paginator.encode_cursor(
                drf.Cursor(offset=0, reverse=False, position=str(after[0]))
            )
            params["cursor"] = parse_qs(urlparse(link).query)["cursor"][0]
        return lambda: paginator.paginate_queryset(queryset, request(**params))

    def page_number(strategy: str) -> Any:
        class Pages(perfkit.PageNumberPagination):
            page_size = PAGE_SIZE
            count_strategy = strategy  # type: ignore[assignment]

        return lambda page: lambda: Pages().paginate_queryset(ordered, request(page=page))

    def drf_page_number(page: int) -> Any:
        class Pages(drf.PageNumberPagination):
            page_size = PAGE_SIZE

        return lambda: Pages().paginate_queryset(ordered, request(page=page))

    def drf_limit_offset(page: int) -> Any:
        class Limits(drf.LimitOffsetPagination):
            default_limit = PAGE_SIZE

        offset = (page - 1) * PAGE_SIZE
        return lambda: Limits().paginate_queryset(ordered, request(offset=offset))

    def raw_keyset(page: int) -> Any:
        after = position(page)

        def run() -> list[Any]:
            with connection.cursor() as cursor:
                if after is None:
                    cursor.execute(
                        "SELECT * FROM school_attendance ORDER BY created_at DESC, id DESC "
                        "LIMIT %s",
                        [PAGE_SIZE + 1],
                    )
                else:
                    cursor.execute(
                        "SELECT * FROM school_attendance WHERE (created_at, id) < (%s, %s) "
                        "ORDER BY created_at DESC, id DESC LIMIT %s",
                        [after[0], after[1], PAGE_SIZE + 1],
                    )
                return cursor.fetchall()

        return run

    contenders: dict[str, Any] = {
        "perfkit cursor": perfkit_cursor,
        **{
            f"perfkit page-number ({strategy})": page_number(strategy)
            for strategy in ("exact", "estimated", "capped", "cached", "none")
        },
        "DRF PageNumberPagination": drf_page_number,
        "DRF LimitOffsetPagination": drf_limit_offset,
        "DRF CursorPagination": drf_cursor,
        "raw keyset SQL": raw_keyset,
        "perfkit cursor, mixed directions": perfkit_mixed_cursor,
        "raw OR-chain SQL, bounded": raw_mixed_keyset(bounded=True),
        "raw OR-chain SQL, unbounded": raw_mixed_keyset(bounded=False),
    }
    cache.clear()
    runs = {(name, page): make(page) for name, make in contenders.items() for page in PAGES}
    medians = interleaved_medians_ms(
        {f"{name} p{page}": run for (name, page), run in runs.items()},
        arguments.repeat,
        warmup=arguments.warmup,
    )
    rows = [
        [name, *(round(medians[f"{name} p{page}"], 2) for page in PAGES)] for name in contenders
    ]

    by_name = {row[0]: row[1:] for row in rows}
    cursor_ms = by_name["perfkit cursor"]
    targets = {
        "cursor p10000 / p1 (<= 1.5)": cursor_ms[2] / cursor_ms[0],
        "cursor p10000 / raw keyset p10000 (<= 3)": cursor_ms[2] / by_name["raw keyset SQL"][2],
        "mixed cursor p10000 / bounded OR-chain SQL p10000 (<= 3)": by_name[
            "perfkit cursor, mixed directions"
        ][2]
        / by_name["raw OR-chain SQL, bounded"][2],
        "DRF page-number p1 / estimated p1 (>= 10)": by_name["DRF PageNumberPagination"][0]
        / by_name["perfkit page-number (estimated)"][0],
        "DRF page-number p10000 / deferred join (exact) p10000": by_name[
            "DRF PageNumberPagination"
        ][2]
        / by_name["perfkit page-number (exact)"][2],
        "DRF page-number p10000 / deferred join (estimated) p10000 (>= 3)": by_name[
            "DRF PageNumberPagination"
        ][2]
        / by_name["perfkit page-number (estimated)"][2],
    }
    report(
        "pagination",
        ["paginator", *(f"page {page:,} ms" for page in PAGES)],
        rows,
        rows_in_table=total,
        page_size=PAGE_SIZE,
        targets={name: round(value, 2) for name, value in targets.items()},
    )
    for name, value in targets.items():
        print(f"{name}: {value:.2f}")


if __name__ == "__main__":
    main()
