"""Does an index serve an ordering? Shared by perfaudit's ordering check and the
pagination system check, so both answer the same way.

A B-tree index serves ``ORDER BY a, b`` when its key starts with those columns in the
same directions, or all in the opposite directions (it is scanned backwards). Partial
indexes, expression keys and keys with another operator class or collation are left
out: they serve only some queries. NULL placement is not compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper

from perfkit.schema.declared import declared_indexes
from perfkit.schema.definitions import IndexDefinition


@dataclass(frozen=True, slots=True)
class OrderingTerm:
    """One column of an ORDER BY (or of an index key) and its direction."""

    column: str
    descending: bool = False


IndexKey = tuple[OrderingTerm, ...]


def declared_index_keys(
    model: type[models.Model],
    connection: BaseDatabaseWrapper | None = None,
    declared: Sequence[IndexDefinition] | None = None,
) -> list[IndexKey]:
    """The keys of the whole-table B-tree indexes over plain columns that ``model``
    declares (see :mod:`perfkit.schema.declared`), on the database it is read from;
    from ``declared`` when the caller has them already."""
    if declared is None:
        if connection is None:
            connection = connections[router.db_for_read(model)]
        declared = declared_indexes(model, connection)
    return [
        tuple(OrderingTerm(part.column, part.descending) for part in index.keys)
        for index in declared
        if index.plain_btree
    ]


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


def ordering_is_indexed(
    model: type[models.Model],
    ordering: Sequence[OrderingTerm],
    connection: BaseDatabaseWrapper | None = None,
    declared: Sequence[IndexDefinition] | None = None,
) -> bool:
    """Whether one of ``model``'s declared indexes (``declared``, when the caller has
    them) serves ``ordering``. A trailing primary key (a pagination tie-breaker) may be
    left out of the index: the leading columns still let the database read rows in order."""
    terms = list(ordering)
    pk_column = model._meta.pk.column if model._meta.pk else None
    if len(terms) > 1 and terms[-1].column == pk_column:
        terms = terms[:-1]
    keys = declared_index_keys(model, connection, declared)
    return any(key_serves_ordering(key, terms) for key in keys)
