"""A page-number paginator, a drop-in for DRF's ``PageNumberPagination``, with a choice of
count strategy, deep pages fetched by a deferred join, and a tie-broken ordering.

A queryset is counted by ``count_strategy``:

- ``"exact"``: ``COUNT(*)`` without ORDER BY, select_related or unused annotations.
- ``"estimated"``: on PostgreSQL the planner's estimate (``pg_class.reltuples`` when the
  queryset is unfiltered, the EXPLAIN row estimate when it is filtered); an exact count
  below ``PAGINATION_ESTIMATE_THRESHOLD``, and elsewhere. Marked ``count_is_estimate``.
- ``"capped"``: ``COUNT(*)`` over ``LIMIT cap + 1``; above the cap the count is ``"cap+"``.
- ``"cached"``: the exact count, kept in Django's cache for ``count_cache_seconds``.
- ``"none"``: no count; whether there is a next page comes from fetching one extra row.

Anything else (a list, a range: what a filter backend or ``get_queryset`` may return) is
paged by ``django_paginator_class``, as DRF pages it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Literal, get_args

from django.core.cache import cache
from django.core.paginator import InvalidPage
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import _get_displayed_page_numbers, _get_page_links
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from perfkit.conf import perfkit_settings
from perfkit.pagination.base import PagedByLinks, linked_page_schema, query_parameter
from perfkit.pagination.errors import InvalidPagination, InvalidPaginatorAttribute, positive_int
from perfkit.schema.plan import explain

CountStrategy = Literal["exact", "estimated", "capped", "cached", "none"]
STRATEGIES: tuple[CountStrategy, ...] = get_args(CountStrategy)
# Per-view limits: class attribute -> the PERFKIT key it defaults to (when None), and
# its minimum.
LIMITS: dict[str, tuple[str | None, int]] = {
    "max_page": ("PAGINATION_MAX_PAGE", 1),
    "max_offset": ("PAGINATION_MAX_OFFSET", 0),
    "count_cache_seconds": ("PAGINATION_COUNT_CACHE_SECONDS", 1),
    "count_cap": (None, 1),
}


class PageNumberPagination(PagedByLinks):
    """``?page=N`` pagination with cheap counts. Shapes match DRF's:
    ``{"count", "next", "previous", "results"}``, plus ``count_is_estimate`` with the
    estimated strategy.

    ``max_page``, ``max_offset`` and ``count_cache_seconds`` default (``None``) to
    ``PERFKIT["PAGINATION_MAX_PAGE"]``, ``["PAGINATION_MAX_OFFSET"]`` and
    ``["PAGINATION_COUNT_CACHE_SECONDS"]``, read when a page is served.
    """

    page_query_param = "page"
    page_query_description = _("A page number within the paginated result set.")
    last_page_strings: Sequence[str] = ("last",)
    invalid_page_message = _("Invalid page.")
    django_paginator_class: type[DjangoPaginator[Any]] = DjangoPaginator
    template: str | None = "rest_framework/pagination/numbers.html"
    count_strategy: CountStrategy = "exact"
    count_cap: int = 10_000
    max_page: int | None = None
    max_offset: int | None = None
    count_cache_seconds: int | None = None
    display_page_controls = False

    def paginate_queryset(  # any sequence, as DRF's
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        self.request = request
        size = self.get_page_size(request)
        if not size:
            return None
        self.strategy()  # a misconfiguration fails before any query
        for attribute in LIMITS:
            self.limit(attribute)
        self.base_url = request.build_absolute_uri()
        self.size = size
        self.count: int | str | None = None
        self.count_is_estimate = False
        self.final_page: int | None = None  # the last page number, when it is known
        raw = request.query_params.get(self.page_query_param) or "1"
        if isinstance(queryset, QuerySet):
            rows = self.page_of_queryset(queryset, raw)
        else:
            rows = self.page_of_sequence(queryset, raw)
        self.display_page_controls = self.template is not None and (
            self.has_next or self.number > 1
        )
        return rows

    # -- the page ----------------------------------------------------------------------
    def page_of_queryset(self, queryset: QuerySet[Any], raw: str) -> list[Any]:
        if raw in self.last_page_strings:
            if self.strategy() not in ("exact", "cached"):
                raise self.invalid_page(
                    raw, "The last page is only available with an exact count.", explain=True
                )
            self.count = self.compute_count(queryset)
            number = max(1, -(-int(self.count) // self.size))
        else:
            number = self.page_number(raw)
        self.check_depth(raw, number)
        queryset = tie_broken(queryset)
        rows = self.fetch(queryset, (number - 1) * self.size, self.size + 1)
        self.has_next = len(rows) > self.size
        rows = rows[: self.size]
        if not rows and number > 1:
            raise self.invalid_page(raw, self.error_message("no_results"))
        self.number = number
        if self.count is None and self.strategy() != "none":
            self.count = self.compute_count(queryset)
        if isinstance(self.count, int) and not self.count_is_estimate:
            self.final_page = max(1, -(-self.count // self.size))
        return rows

    def page_of_sequence(self, sequence: Sequence[Any], raw: str) -> list[Any]:
        paginator = self.django_paginator_class(sequence, self.size)
        number = paginator.num_pages if raw in self.last_page_strings else self.page_number(raw)
        self.check_depth(raw, number)
        try:
            page = paginator.page(number)
        except InvalidPage as error:
            raise self.invalid_page(raw, str(error)) from error
        self.number = page.number
        self.count = paginator.count
        self.final_page = paginator.num_pages
        self.has_next = page.has_next()
        return list(page)

    def page_number(self, raw: str) -> int:
        number = positive_int(raw)
        if number is None:
            digits = raw.strip().lstrip("+-")
            below_one = digits.isascii() and digits.isdigit()  # "0", "-3": a whole number
            raise self.invalid_page(
                raw, self.error_message("min_page" if below_one else "invalid_page")
            )
        return number

    def check_depth(self, raw: str, number: int) -> None:
        max_page = self.limit("max_page")
        if number > max_page:
            raise self.invalid_page(raw, f"Pages stop at {max_page}.", explain=True)
        max_offset = self.limit("max_offset")
        if (number - 1) * self.size > max_offset:
            raise self.invalid_page(
                raw,
                f"Offsets stop at {max_offset}; use cursor pagination to go deeper.",
                explain=True,
            )

    def invalid_page(self, raw: str, message: str, explain: bool = False) -> InvalidPagination:
        """DRF's error: ``invalid_page_message`` formatted with ``page_number`` and
        ``message``. The limits DRF does not have (``explain``) add their reason when the
        message leaves it out, so the client learns where pages stop."""
        template = str(self.invalid_page_message)
        detail = template.format(page_number=raw, message=message)
        if explain and "{message}" not in template:
            detail = f"{detail} {message}"
        return InvalidPagination(detail)

    def error_message(self, key: str) -> str:
        """Django's paginator's own message for ``key``, as DRF reports it."""
        return str(self.django_paginator_class.default_error_messages[key])

    # -- per-view settings -------------------------------------------------------------
    def strategy(self) -> CountStrategy:
        if self.count_strategy not in STRATEGIES:
            raise InvalidPaginatorAttribute(
                f"{type(self).__name__}.count_strategy must be one of "
                f"{', '.join(STRATEGIES)}; got {self.count_strategy!r}."
            )
        return self.count_strategy

    def limit(self, attribute: str) -> int:
        """A per-view limit (see :data:`LIMITS`): the class attribute, or its ``PERFKIT``
        setting when None."""
        value = getattr(self, attribute)
        setting, minimum = LIMITS[attribute]
        if value is None and setting is not None:
            return int(getattr(perfkit_settings, setting))
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            allowed = "None or " if setting else ""
            raise InvalidPaginatorAttribute(
                f"{type(self).__name__}.{attribute} must be {allowed}a whole number of at "
                f"least {minimum}; got {value!r}."
            )
        return value

    # -- fetching ----------------------------------------------------------------------
    def fetch(self, queryset: QuerySet[Any], offset: int, limit: int) -> list[Any]:
        """A page of rows; deep pages by a deferred join, so the database skips rows
        reading only the index it orders by, then fetches whole rows for one page."""
        if not rows_have_pk(queryset) or offset < perfkit_settings.PAGINATION_DEFERRED_JOIN_OFFSET:
            return list(queryset[offset : offset + limit])
        page_keys = queryset.values("pk")[offset : offset + limit]
        return list(queryset.filter(pk__in=page_keys))

    # -- counting ----------------------------------------------------------------------
    def compute_count(self, queryset: QuerySet[Any]) -> int | str:
        counted = queryset.order_by()
        if counted.query.select_related:  # (values() querysets refuse select_related())
            counted = counted.select_related(None)
        strategy = self.strategy()
        if strategy == "capped":
            # Only the pk under the LIMIT; a grouped or distinct queryset's rows are its own.
            narrow = counted.values("pk") if rows_have_pk(counted) else counted
            cap = self.limit("count_cap")
            capped = narrow[: cap + 1].count()
            return f"{cap}+" if capped > cap else capped
        if strategy == "cached":
            key = "perfkit:count:" + query_digest(counted)
            cached = cache.get(key)
            if isinstance(cached, int):
                return cached
            exact = counted.count()
            cache.set(key, exact, self.limit("count_cache_seconds"))
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
        return self.page_link(self.number + 1)

    def get_previous_link(self) -> str | None:
        if self.number <= 1:
            return None
        return self.page_link(self.number - 1)

    def page_link(self, number: int) -> str:
        if number == 1:
            return str(remove_query_param(self.base_url, self.page_query_param))
        return str(replace_query_param(self.base_url, self.page_query_param, number))

    def get_html_context(self) -> dict[str, Any]:
        # Without an exact count, the pages known to exist: up to the next one.
        final = max(self.final_page or 0, self.number + (1 if self.has_next else 0))
        numbers = _get_displayed_page_numbers(self.number, final)
        return {
            **super().get_html_context(),
            "page_links": _get_page_links(numbers, self.number, self.page_link),
        }

    def get_paginated_response(self, data: Any) -> Response:
        body: dict[str, Any] = {
            "count": self.count,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        }
        if self.strategy() == "estimated":
            body["count_is_estimate"] = self.count_is_estimate
        return Response(body)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        strategy = self.strategy()
        count: dict[str, Any] = {"type": "integer", "example": 123}
        if strategy == "capped":  # an integer, or "10000+" above the cap
            count = {"oneOf": [{"type": "integer"}, {"type": "string"}], "example": 123}
        elif strategy == "none":
            count = {"type": "integer", "nullable": True, "example": None}
        required = ["count"]
        extra: dict[str, Any] = {}
        if strategy == "estimated":
            required.append("count_is_estimate")
            extra["count_is_estimate"] = {"type": "boolean", "example": False}
        example = "http://api.example.org/accounts/?{}={}"
        return linked_page_schema(
            schema,
            required,
            next_example=example.format(self.page_query_param, 4),
            previous_example=example.format(self.page_query_param, 2),
            count=count,
            **extra,
        )

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        page = query_parameter(
            self.page_query_param, self.page_query_description, {"type": "integer", "minimum": 1}
        )
        return [page, *self.page_size_parameters()]

    def get_results(self, data: dict[str, Any]) -> Any:
        return data["results"]


def rows_have_pk(queryset: QuerySet[Any]) -> bool:
    """Whether each row of ``queryset`` is one row of its model's table (so ``pk`` names
    it): not a group of ``values().annotate()``, not a ``values().distinct()`` row, not a
    union."""
    query = queryset.query
    grouped_values = isinstance(query.group_by, tuple)
    distinct_values = query.distinct and not query.default_cols  # values().distinct()
    return not (grouped_values or distinct_values or query.combinator)


def ordering_of(queryset: QuerySet[Any]) -> list[Any]:
    """The ORDER BY terms the queryset will use: its own, or its model's default."""
    query = queryset.query
    if query.order_by:
        return list(query.order_by)
    if query.default_ordering and queryset.ordered:
        return list(query.get_meta().ordering or ())
    return []


def tie_broken(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``queryset`` ordered so that no two rows tie, the way the cursor does it: the pk
    appended (in the first term's direction, so an index on ``(a, pk)`` serves both).
    Ties would let the database return a tied row on two pages and skip another.

    The rows of a grouped ``values().annotate()`` or ``values().distinct()`` queryset have
    no pk: they are unique on what they select, which is appended instead. Left as they
    are: unions (their ORDER BY may only name selected columns), ``extra(order_by=...)``
    and random (``"?"``) orderings.
    """
    query = queryset.query
    ordering = ordering_of(queryset)
    if query.combinator or query.extra_order_by or "?" in ordering:
        return queryset
    named = {name for name in map(term_name, ordering) if name is not None}
    if rows_have_pk(queryset):
        pk = queryset.model._meta.pk
        if named & {"pk", *((pk.name, pk.attname) if pk else ())}:
            return queryset
        descending = bool(ordering) and term_descending(ordering[0])
        return queryset.order_by(*ordering, "-pk" if descending else "pk")
    selected = [
        *query.values_select,
        *(name for name, value in query.annotation_select.items() if not value.contains_aggregate),
    ]
    missing = [name for name in selected if name not in named]
    return queryset.order_by(*ordering, *missing) if missing else queryset


def term_name(item: Any) -> str | None:
    """The field or annotation an ORDER BY term names, or None for another expression."""
    if isinstance(item, str):
        return item.lstrip("-")
    expression = item.expression if isinstance(item, OrderBy) else item
    return str(expression.name) if isinstance(expression, F) else None  # type: ignore[attr-defined]


def term_descending(item: Any) -> bool:
    return (
        item.startswith("-") if isinstance(item, str) else bool(getattr(item, "descending", False))
    )


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
