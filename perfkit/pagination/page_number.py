"""A page-number paginator, a drop-in for DRF's ``PageNumberPagination``, with a choice of
count strategy and deep pages fetched by a deferred join.

``count_strategy``:

- ``"exact"``: ``COUNT(*)`` without ORDER BY, select_related or unused annotations.
- ``"estimated"``: on PostgreSQL the planner's estimate (``pg_class.reltuples`` when the
  queryset is unfiltered, the EXPLAIN row estimate when it is filtered); an exact count
  below ``PAGINATION_ESTIMATE_THRESHOLD``, and elsewhere. Marked ``count_is_estimate``.
- ``"capped"``: ``COUNT(*)`` over ``LIMIT cap + 1``; above the cap the count is ``"cap+"``.
- ``"cached"``: the exact count, kept in Django's cache for ``PAGINATION_COUNT_CACHE_SECONDS``.
- ``"none"``: no count; whether there is a next page comes from fetching one extra row.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from django.core.cache import cache
from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from perfkit.conf import perfkit_settings
from perfkit.pagination.base import PagedByLinks, linked_page_schema, query_parameter
from perfkit.pagination.errors import InvalidPagination, positive_int
from perfkit.schema.plan import explain

CountStrategy = Literal["exact", "estimated", "capped", "cached", "none"]
STRATEGIES = ("exact", "estimated", "capped", "cached", "none")


class PageNumberPagination(PagedByLinks):
    """``?page=N`` pagination with cheap counts. Shapes match DRF's:
    ``{"count", "next", "previous", "results"}``, plus ``count_is_estimate`` with the
    estimated strategy."""

    page_query_param = "page"
    page_query_description = _("A page number within the paginated result set.")
    last_page_strings = ("last",)
    invalid_page_message = _("Invalid page.")
    count_strategy: CountStrategy = "exact"
    count_cap = 10_000
    display_page_controls = False

    def paginate_queryset(  # type: ignore[override]  # querysets only, not sequences
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        size = self.get_page_size(request)
        if not size:
            return None
        if self.count_strategy not in STRATEGIES:
            raise ValueError(f"count_strategy must be one of {STRATEGIES}")
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.size = size
        raw = request.query_params.get(self.page_query_param, "1")
        self.count: int | str | None = None
        self.count_is_estimate = False
        if raw in self.last_page_strings:
            if self.count_strategy not in ("exact", "cached"):
                raise InvalidPagination(
                    f"{self.invalid_page_message} The last page is only available with an "
                    "exact count."
                )
            self.count = self.compute_count(queryset)
            number = max(1, -(-int(self.count) // size))
        else:
            number = positive_int(raw, "page")
        if number > perfkit_settings.PAGINATION_MAX_PAGE:
            raise InvalidPagination(
                f"{self.invalid_page_message} Pages stop at {perfkit_settings.PAGINATION_MAX_PAGE}."
            )
        offset = (number - 1) * size
        if offset > perfkit_settings.PAGINATION_MAX_OFFSET:
            raise InvalidPagination(
                f"{self.invalid_page_message} Offsets stop at "
                f"{perfkit_settings.PAGINATION_MAX_OFFSET}; use cursor pagination to go deeper."
            )
        if not queryset.ordered:
            queryset = queryset.order_by("pk")
        rows = self.fetch(queryset, offset, size + 1)
        self.has_next = len(rows) > size
        rows = rows[:size]
        if not rows and number > 1:
            raise InvalidPagination(f"{self.invalid_page_message} That page contains no results.")
        self.number = number
        if self.count is None and self.count_strategy != "none":
            self.count = self.compute_count(queryset)
        self.display_page_controls = self.has_next or number > 1
        return rows

    # -- fetching ----------------------------------------------------------------------
    def fetch(self, queryset: QuerySet[Any], offset: int, limit: int) -> list[Any]:
        """A page of rows; deep pages by a deferred join, so the database skips rows
        reading only the index it orders by, then fetches whole rows for one page."""
        grouped = queryset.query.group_by is not None  # rows are groups: no pk to join on
        if grouped or offset < perfkit_settings.PAGINATION_DEFERRED_JOIN_OFFSET:
            return list(queryset[offset : offset + limit])
        page_keys = queryset.values("pk")[offset : offset + limit]
        return list(queryset.filter(pk__in=page_keys))

    # -- counting ----------------------------------------------------------------------
    def compute_count(self, queryset: QuerySet[Any]) -> int | str:
        counted = queryset.order_by()
        if counted.query.select_related:  # (values() querysets refuse select_related())
            counted = counted.select_related(None)
        strategy = self.count_strategy
        if strategy == "capped":
            # Only the pk under the LIMIT; a grouped queryset's rows are its groups.
            narrow = counted if counted.query.group_by is not None else counted.values("pk")
            capped = narrow[: self.count_cap + 1].count()
            return f"{self.count_cap}+" if capped > self.count_cap else capped
        if strategy == "cached":
            key = "perfkit:count:" + query_digest(counted)
            cached = cache.get(key)
            if isinstance(cached, int):
                return cached
            exact = counted.count()
            cache.set(key, exact, perfkit_settings.PAGINATION_COUNT_CACHE_SECONDS)
            return exact
        if strategy == "estimated":
            estimate = estimate_count(counted)
            if estimate is not None and estimate >= perfkit_settings.PAGINATION_ESTIMATE_THRESHOLD:
                self.count_is_estimate = True
                return estimate
        return counted.count()

    # -- DRF's paginator interface -----------------------------------------------------
    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        return str(replace_query_param(self.base_url, self.page_query_param, self.number + 1))

    def get_previous_link(self) -> str | None:
        if self.number <= 1:
            return None
        if self.number == 2:
            return str(remove_query_param(self.base_url, self.page_query_param))
        return str(replace_query_param(self.base_url, self.page_query_param, self.number - 1))

    def get_paginated_response(self, data: Any) -> Response:
        body: dict[str, Any] = {
            "count": self.count,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        }
        if self.count_strategy == "estimated":
            body["count_is_estimate"] = self.count_is_estimate
        return Response(body)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return linked_page_schema(
            schema,
            ["count"],
            count={"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": True},
            count_is_estimate={"type": "boolean"},
        )

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        page = query_parameter(
            self.page_query_param, self.page_query_description, {"type": "integer", "minimum": 1}
        )
        return [page, *self.page_size_parameters()]

    def get_results(self, data: dict[str, Any]) -> Any:
        return data["results"]


def query_digest(queryset: QuerySet[Any]) -> str:
    sql, params = queryset.query.sql_with_params()
    text = json.dumps([queryset.db, sql, [str(param) for param in params]])
    return hashlib.sha256(text.encode()).hexdigest()


def estimate_count(queryset: QuerySet[Any]) -> int | None:
    """The planner's row estimate on PostgreSQL, or None where there is none."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    query = queryset.query
    if not query.where and not query.distinct and query.group_by is None:
        # Every row of the table is a row of the result: the table's row estimate.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(queryset.model._meta.db_table)],
            )
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None
    sql, params = query.sql_with_params()
    rows = explain(queryset.db, sql, params).rows
    return None if rows is None else int(rows)
