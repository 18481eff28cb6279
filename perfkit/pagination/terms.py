"""From a cursor paginator's ordering to keyset terms.

Each ordering entry is parsed (a field path or ``F(...).asc()/desc()``), its path resolved
on the queryset (a field reached through single-valued relations, or an annotation), and
what it holds worked out: whether it can be NULL, where its NULLs go, and the kind of
value a cursor may carry for it. Everything a paginator cannot page by raises a
:class:`~perfkit.pagination.errors.PaginatorMisconfigured` child, at request time and in
the system checks alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Field, QuerySet
from django.db.models.expressions import OrderBy

from perfkit.pagination.errors import (
    InvalidNullsPlacement,
    MultiValuedOrdering,
    UnknownOrderingField,
    UnusableOrderingEntry,
)
from perfkit.pagination.keyset import KeysetTerm
from perfkit.pagination.nullability import can_be_null
from perfkit.pagination.term_values import value_kind

PLACEMENTS = {"first": True, "last": False}


@dataclass(frozen=True)
class OrderingEntry:
    """One ordering entry as configured: its path, direction, and the NULL placement
    declared for it (by ``nulls`` or ``F(...).asc(nulls_last=True)``), or None."""

    path: str
    descending: bool
    nulls_first: bool | None


@dataclass(frozen=True)
class ResolvedPath:
    """What an ordering path holds: the field whose values it has (for an annotation,
    its output field: ``computed``) and whether it can be NULL."""

    field: Field[Any, Any]
    nullable: bool
    computed: bool


def declared_nulls(nulls: Mapping[Any, Any], owner: str) -> dict[str, bool]:
    """``nulls`` as path -> NULLS FIRST; anything but ``"first"``/``"last"`` is refused."""
    placements = {}
    for path, placement in nulls.items():
        if not isinstance(path, str) or placement not in PLACEMENTS:
            raise InvalidNullsPlacement(
                f'{owner}.nulls maps {path!r} to {placement!r}; use "first" or "last".'
            )
        placements[path] = PLACEMENTS[placement]
    return placements


def parse_entry(item: Any, nulls: Mapping[str, bool], owner: str) -> OrderingEntry:
    if isinstance(item, str) and item.lstrip("-"):
        path, descending, nulls_first = item.lstrip("-"), item.startswith("-"), None
    elif isinstance(item, OrderBy) and isinstance(item.expression, F):
        path, descending = str(item.expression.name), bool(item.descending)  # type: ignore[attr-defined]
        nulls_first = True if item.nulls_first else False if item.nulls_last else None
    else:
        raise UnusableOrderingEntry(
            f"{owner}.ordering entries must be field names or F(...).asc()/desc(), got {item!r}."
        )
    return OrderingEntry(path, descending, nulls.get(path, nulls_first))


def resolve_path(
    queryset: QuerySet[Any], path: str, owner: str, vendor: str | None = None
) -> ResolvedPath:
    """The field ``path`` reaches on ``queryset`` (read from the database ``vendor``,
    by default the queryset's), refusing unknown fields, multi-valued relations and
    paths that end where no column is."""
    query = queryset.query
    if path in query.annotations:
        expression = query.annotations[path]
        try:
            field = expression.output_field
        except FieldError as error:
            raise UnusableOrderingEntry(
                f"{owner} cannot page by annotation {path!r}: {error} Give it an output_field."
            ) from error
        vendor = vendor or connections[queryset.db].vendor
        return ResolvedPath(field, can_be_null(expression, query, vendor), True)
    model: Any = queryset.model
    parts = path.split("__")
    nullable = False
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        meta = model._meta
        try:
            field = meta.pk if part == "pk" else meta.get_field(part)
        except FieldDoesNotExist:
            raise UnknownOrderingField(
                f"{owner} orders by {path!r}, but {meta.label} has no field {part!r}"
                + ("" if position else " and the queryset no such annotation")
                + "."
            ) from None
        if field.many_to_many or field.one_to_many:
            raise MultiValuedOrdering(
                f"{owner} orders by {path!r}, through {meta.label}.{part}, a relation to "
                "many rows: a row has no single position there (and the walk never "
                "ends). Order by an aggregate annotation instead, e.g. "
                f'annotate(x=Max("{path}")).'
            )
        if field.is_relation and (not field.concrete or field.related_model is None):
            if last or field.related_model is None:
                raise UnusableOrderingEntry(
                    f"{owner} orders by {path!r}, which ends at a relation with no column "
                    f"of its own ({meta.label}.{part}); order by one of its fields."
                )
            nullable = True  # a reverse one-to-one: the row may have none
        nullable = nullable or bool(getattr(field, "null", False))
        if last:
            while field.is_relation:  # a foreign key holds its target's values
                field = field.target_field
            return ResolvedPath(field, nullable, False)
        if not field.is_relation:
            raise UnusableOrderingEntry(
                f"{owner} orders by {path!r}: {meta.label}.{part} is not a relation, and "
                "transforms are not supported. Annotate the expression and order by the "
                "annotation."
            )
        model = field.related_model
    raise AssertionError("unreachable: a path has at least one part")


def keyset_term(
    entry: OrderingEntry, resolved: ResolvedPath, connection: BaseDatabaseWrapper
) -> KeysetTerm:
    """The keyset term for ``entry`` on the database of ``connection``. An undeclared
    nullable term (system check ``perfkit.E401``) gets PostgreSQL's default placement,
    written out so every database agrees."""
    nulls_first = entry.nulls_first
    if nulls_first is None and resolved.nullable:
        nulls_first = entry.descending
    label = f"{'-' if entry.descending else ''}{entry.path}"
    kind = value_kind(
        resolved.field,
        nulls_first is not None,
        connection,
        resolved.computed,
        label,
    )
    return KeysetTerm(entry.path, entry.descending, nulls_first, kind)
