"""System checks for views paginated by perfkit's paginators: the orderings of cursor
paginators (IDs ``perfkit.E401``-``E405``, ``E408``, ``W401``) and the attributes of
page-number paginators (``perfkit.E406``, ``E407``). They ask the same functions the
paginators use at request time, so a check and a request never disagree."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import Model, QuerySet
from rest_framework.generics import GenericAPIView

from perfkit.pagination.cursor import CursorPagination
from perfkit.pagination.discovery import views_paginated_by_perfkit
from perfkit.pagination.errors import (
    InvalidNullsPlacement,
    InvalidPaginatorAttribute,
    MultiValuedOrdering,
    PaginatorMisconfigured,
    UnknownOrderingField,
    UnsupportedOrderingType,
    UnusableOrderingEntry,
)
from perfkit.pagination.keyset import KeysetTerm
from perfkit.pagination.page_number import LIMITS, PageNumberPagination
from perfkit.pagination.terms import (
    PLACEMENTS,
    declared_nulls,
    keyset_term,
    parse_entry,
    resolve_path,
)
from perfkit.schema.ordering import OrderingTerm, ordering_is_indexed

ORDERING_PROBLEMS: dict[type[PaginatorMisconfigured], str] = {
    UnusableOrderingEntry: "perfkit.E402",
    UnknownOrderingField: "perfkit.E403",
    MultiValuedOrdering: "perfkit.E404",
    UnsupportedOrderingType: "perfkit.E408",
}


def check_paginated_orderings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Every view in the URLconf paginated by one of perfkit's paginators: the ordering
    of a cursor paginator (when the view declares a ``queryset``), and the attributes of
    a page-number paginator."""
    messages: list[CheckMessage] = []
    checked_classes: set[type[Any]] = set()
    for view, paginator, _route in views_paginated_by_perfkit():
        if issubclass(paginator, PageNumberPagination) and paginator not in checked_classes:
            checked_classes.add(paginator)
            messages += page_number_attributes(paginator)
        queryset = getattr(view, "queryset", None)
        if issubclass(paginator, CursorPagination) and queryset is not None:
            messages += list(cursor_ordering(view, paginator, queryset.all()))
    return messages


def page_number_attributes(paginator: type[PageNumberPagination]) -> list[CheckMessage]:
    """E406: an unknown ``count_strategy``; E407: a per-view limit that is not a whole
    number in range."""
    label = f"{paginator.__module__}.{paginator.__qualname__}"
    instance = paginator()
    messages: list[CheckMessage] = []
    try:
        instance.strategy()
    except InvalidPaginatorAttribute as error:
        messages.append(Error(str(error), obj=label, id="perfkit.E406"))
    for attribute in LIMITS:
        try:
            instance.limit(attribute)
        except InvalidPaginatorAttribute as error:
            messages.append(Error(str(error), obj=label, id="perfkit.E407"))
    return messages


def cursor_ordering(
    view: type[Any], paginator: type[CursorPagination], queryset: QuerySet[Any]
) -> Iterator[CheckMessage]:
    """E401-E405 and E408 for the paginator's ordering and the fields an ordering filter
    may choose; W401 when no declared index serves the ordering."""
    label = f"{view.__module__}.{view.__qualname__}"
    owner = paginator.__name__
    try:
        nulls = declared_nulls(paginator.nulls, owner)
    except InvalidNullsPlacement as error:
        yield Error(str(error), obj=label, id="perfkit.E405")
        nulls = {str(path): PLACEMENTS.get(value, False) for path, value in paginator.nulls.items()}
    ordering = paginator.ordering
    if ordering is None:
        yield Error(f"{owner} needs an `ordering`.", obj=label, id="perfkit.E402")
        return
    items = (
        [ordering] if isinstance(ordering, str) or not isinstance(ordering, Sequence) else ordering
    )
    terms: list[KeysetTerm] = []
    for item in items:
        try:
            entry = parse_entry(item, nulls, owner)
            resolved = resolve_path(queryset, entry.path, owner)
            terms.append(keyset_term(entry, resolved, connections[queryset.db]))
        except PaginatorMisconfigured as error:
            if not _may_come_from_get_queryset(view, error, item):
                yield Error(str(error), obj=label, id=ORDERING_PROBLEMS[type(error)])
            continue
        if resolved.nullable and entry.nulls_first is None:
            kind = "annotation" if resolved.computed else "field"
            yield Error(
                f"{label} paginates by nullable {kind} {entry.path!r} without saying where "
                "its NULLs go.",
                hint=f'Add nulls = {{"{entry.path}": "last"}} (or "first") to {owner}.',
                obj=label,
                id="perfkit.E401",
            )
    yield from _ordering_filter_choices(view, owner, queryset, label)
    if len(terms) != len(items):
        return
    columns = _columns(queryset.model, terms)
    if not columns or not ordering_is_indexed(queryset.model, columns):
        described = ", ".join(term.label for term in terms)
        yield Warning(
            f"{label} paginates {queryset.model._meta.label} by ({described}), which no "
            "declared index serves: each page sorts the table.",
            hint="Add an index whose leading columns match the ordering, e.g. with "
            "`python manage.py perfindex add`.",
            obj=label,
            id="perfkit.W401",
        )


def _ordering_filter_choices(
    view: type[Any], owner: str, queryset: QuerySet[Any], label: str
) -> Iterator[CheckMessage]:
    """The fields an ``OrderingFilter`` on the view may hand the paginator
    (``ordering_fields``, and the view's default ``ordering``): any the paginator
    would refuse at request time."""
    if not any(
        hasattr(backend, "get_ordering") for backend in getattr(view, "filter_backends", ())
    ):
        return
    choices: list[Any] = []
    for attribute in ("ordering_fields", "ordering"):
        value = getattr(view, attribute, None)
        choices += [value] if isinstance(value, str) else list(value or ())
    for choice in dict.fromkeys(c for c in choices if isinstance(c, str) and c != "__all__"):
        try:
            entry = parse_entry(choice, {}, owner)
            resolved = resolve_path(queryset, entry.path, owner)
            keyset_term(entry, resolved, connections[queryset.db])
        except PaginatorMisconfigured as error:
            if not _may_come_from_get_queryset(view, error, choice):
                yield Error(
                    f"{label}'s ordering filter offers {choice!r}: {error}",
                    obj=label,
                    id=ORDERING_PROBLEMS[type(error)],
                )


def _may_come_from_get_queryset(view: type[Any], error: Exception, item: Any) -> bool:
    """An unknown plain name on a view that builds its queryset in ``get_queryset()``
    may be an annotation made there, which no check can see: not reported (a request
    that orders by a name that is truly unknown still gets the configuration error)."""
    own_get_queryset = getattr(view, "get_queryset", None) is not GenericAPIView.get_queryset
    name = item.lstrip("-") if isinstance(item, str) else None
    return (
        isinstance(error, UnknownOrderingField)
        and own_get_queryset
        and name is not None
        and "__" not in name
    )


def _columns(model: type[Model], terms: Sequence[KeysetTerm]) -> list[OrderingTerm]:
    """The terms as this model's columns; empty when one is not a column of the model
    (a related ``__`` path or an annotation: no index of this table can serve it)."""
    columns = []
    for term in terms:
        try:
            field = model._meta.pk if term.path == "pk" else model._meta.get_field(term.path)
        except FieldDoesNotExist:
            return []
        column = getattr(field, "column", None)
        if column is None:
            return []
        columns.append(OrderingTerm(str(column), term.descending))
    return columns
