"""System checks for views paginated by perfkit's cursor paginator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Model
from django.db.models.expressions import OrderBy

from perfkit.pagination.cursor import CursorPagination, term_is_nullable
from perfkit.pagination.discovery import paginated_views
from perfkit.pagination.keyset import KeysetTerm
from perfkit.schema.ordering import OrderingTerm, ordering_is_indexed


def check_paginated_orderings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E401: a nullable ordering term without NULLS FIRST/LAST; W401: an ordering that no
    declared index serves (the same test as perfaudit's ordering check)."""
    messages: list[CheckMessage] = []
    for found in paginated_views():
        paginator = found.paginator()
        label = f"{found.view.__module__}.{found.view.__qualname__}"
        try:
            terms = [paginator.term_for(item, found.view.queryset) for item in _ordering(paginator)]
        except ImproperlyConfigured as error:
            messages.append(Error(str(error), obj=label, id="perfkit.E402"))
            continue
        for item, term in zip(_ordering(paginator), terms, strict=True):
            declared = term.path in paginator.nulls or (
                isinstance(item, OrderBy) and bool(item.nulls_first or item.nulls_last)
            )
            if term_is_nullable(found.model, term.path) and not declared:
                messages.append(
                    Error(
                        f"{label} paginates by nullable {term.path!r} without saying where "
                        "its NULLs go.",
                        hint=f'Add nulls = {{"{term.path}": "last"}} (or "first") to '
                        f"{found.paginator.__name__}.",
                        obj=label,
                        id="perfkit.E401",
                    )
                )
        columns = _columns(found.model, terms)
        if not columns or not ordering_is_indexed(found.model, columns):
            ordering = ", ".join(term.label for term in terms)
            messages.append(
                Warning(
                    f"{label} paginates {found.model._meta.label} by ({ordering}), which no "
                    "declared index serves: each page sorts the table.",
                    hint="Add an index whose leading columns match the ordering, e.g. with "
                    "`python manage.py perfindex add`.",
                    obj=label,
                    id="perfkit.W401",
                )
            )
    return messages


def _ordering(paginator: CursorPagination) -> list[Any]:
    ordering = paginator.ordering
    return (
        [ordering]
        if isinstance(ordering, str) or not isinstance(ordering, list | tuple)
        else list(ordering)
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
