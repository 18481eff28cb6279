"""Does an index serve an ordering? Shared by perfaudit's ordering check and the
pagination system check, so both answer the same way.

A B-tree index serves ``ORDER BY a, b`` when its key starts with those columns in the
same directions, or all in the opposite directions (it is scanned backwards). Partial
indexes and expression indexes are left out: they serve only some queries. NULL
placement is not compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class OrderingTerm:
    """One column of an ORDER BY (or of an index key) and its direction."""

    column: str
    descending: bool = False


IndexKey = tuple[OrderingTerm, ...]


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    return str(getattr(field, "column", None) or name)


def declared_index_keys(model: type[models.Model]) -> list[IndexKey]:
    """The keys of the B-tree indexes ``model`` declares: its primary key, ``db_index``
    and unique fields (foreign keys included), ``unique_together``, unconditional
    unique constraints and ``Meta.indexes`` made of plain fields."""
    meta = model._meta
    keys: list[IndexKey] = []
    for field in meta.concrete_fields:
        if field.primary_key or field.unique or getattr(field, "db_index", False):
            keys.append((OrderingTerm(str(field.column)),))
    for names in meta.unique_together:
        keys.append(tuple(OrderingTerm(_column(model, name)) for name in names))
    for constraint in meta.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and constraint.fields
            and constraint.condition is None
            and not constraint.expressions
        ):
            keys.append(tuple(OrderingTerm(_column(model, name)) for name in constraint.fields))
    for index in meta.indexes:
        if index.condition is not None or index.expressions or not index.fields_orders:
            continue
        keys.append(
            tuple(
                OrderingTerm(_column(model, name), order == "DESC")
                for name, order in index.fields_orders
            )
        )
    return keys


def key_serves_ordering(key: IndexKey, ordering: Sequence[OrderingTerm]) -> bool:
    """Whether an index with ``key`` can return rows in ``ordering`` without a sort."""
    if not ordering or len(ordering) > len(key):
        return False
    pairs = list(zip(ordering, key, strict=False))
    if any(wanted.column != present.column for wanted, present in pairs):
        return False
    forwards = all(wanted.descending == present.descending for wanted, present in pairs)
    backwards = all(wanted.descending != present.descending for wanted, present in pairs)
    return forwards or backwards


def ordering_is_indexed(model: type[models.Model], ordering: Sequence[OrderingTerm]) -> bool:
    """Whether one of ``model``'s declared indexes serves ``ordering``. A trailing primary
    key (a pagination tie-breaker) may be left out of the index: the leading columns
    still let the database read rows in order."""
    terms = list(ordering)
    pk_column = model._meta.pk.column if model._meta.pk else None
    if len(terms) > 1 and terms[-1].column == pk_column:
        terms = terms[:-1]
    return any(key_serves_ordering(key, terms) for key in declared_index_keys(model))
