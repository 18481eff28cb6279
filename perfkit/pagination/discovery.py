"""Find the project's DRF views that paginate with perfkit's paginators."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver

from perfkit.pagination.base import PagedByLinks
from perfkit.pagination.cursor import CursorPagination


@dataclass(frozen=True)
class PaginatedView:
    """A view class whose ``pagination_class`` is a perfkit :class:`CursorPagination`,
    the model of its ``queryset`` attribute, and the paginator's configured ordering."""

    view: type[Any]
    paginator: type[CursorPagination]
    model: type[Model]
    route: str


def paginated_views(urlconf: str | None = None) -> Iterator[PaginatedView]:
    """Every view reachable from the URLconf that paginates with perfkit's
    ``CursorPagination`` and declares a ``queryset`` (views building their queryset only
    in ``get_queryset()`` have no model to check without a request, and are skipped).
    perfaudit's ordering check calls this when DRF is installed."""
    for view, paginator, route in views_paginated_by_perfkit(urlconf):
        queryset = getattr(view, "queryset", None)
        if issubclass(paginator, CursorPagination) and queryset is not None:
            yield PaginatedView(view, paginator, queryset.model, route)


def views_paginated_by_perfkit(
    urlconf: str | None = None,
) -> Iterator[tuple[type[Any], type[PagedByLinks], str]]:
    """(view class, paginator class, route) for every view reachable from the URLconf
    whose ``pagination_class`` is one of perfkit's paginators (or a subclass)."""
    if urlconf is None and not getattr(settings, "ROOT_URLCONF", None):
        return  # a project without URLs (e.g. a settings module for scripts) has no views
    seen: set[type[Any]] = set()
    for route, callback in _walk(get_resolver(urlconf).url_patterns, ""):
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if view is None or view in seen:
            continue
        seen.add(view)
        paginator = getattr(view, "pagination_class", None)
        if isinstance(paginator, type) and issubclass(paginator, PagedByLinks):
            yield view, paginator, route


def _walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback
