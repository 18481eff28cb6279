"""Keyset conditions: "the rows after this position" in an ordering, as SQL the database
can seek with.

Two shapes. When every term sorts the same way and none can be NULL, a row-value
comparison ``(a, b, pk) > (%s, %s, %s)`` (on PostgreSQL, which seeks with it). Otherwise
an OR-chain ``a > x OR (a = x AND b > y) OR …``, with NULLs placed as each term declares.
Both get a bound on the leading column (``a >= x``) so the database starts reading at
the position instead of scanning from the start of the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, Expression, F, Q, Value
from django.db.models.expressions import OrderBy

if TYPE_CHECKING:
    from perfkit.pagination.term_values import ValueKind


@dataclass(frozen=True)
class KeysetTerm:
    """One ordering term: a field path or annotation name, its direction, where its
    NULLs go (``None`` for a term that cannot be NULL), and the kind of value it holds
    (what a cursor may carry for it; see :mod:`perfkit.pagination.terms`)."""

    path: str
    descending: bool = False
    nulls_first: bool | None = None
    kind: ValueKind | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        nulls = {None: "", True: " nulls first", False: " nulls last"}[self.nulls_first]
        return f"{'-' if self.descending else ''}{self.path}{nulls}"

    def order_by(self) -> OrderBy:
        return OrderBy(
            F(self.path),
            descending=self.descending,
            nulls_first=True if self.nulls_first else None,
            nulls_last=True if self.nulls_first is False else None,
        )

    def reversed(self) -> KeysetTerm:
        nulls = None if self.nulls_first is None else not self.nulls_first
        return replace(self, descending=not self.descending, nulls_first=nulls)


def _after(term: KeysetTerm, value: Any) -> Q | None:
    """Rows strictly after ``value`` in this term's order; None when there are none."""
    if value is None:
        return Q(**{f"{term.path}__isnull": False}) if term.nulls_first else None
    condition = Q(**{f"{term.path}__{'lt' if term.descending else 'gt'}": value})
    if term.nulls_first is False:
        condition |= Q(**{f"{term.path}__isnull": True})
    return condition


def _equal(term: KeysetTerm, value: Any) -> Q:
    return Q(**{f"{term.path}__isnull": True}) if value is None else Q(**{term.path: value})


def _at_or_after(term: KeysetTerm, value: Any) -> Q | None:
    """The bound on the leading column, as a range the database can start an index scan
    at (``a >= x``, not ``a = x OR a > x``); None when it would not narrow anything."""
    if value is None:
        # NULLs first: everything is at or after NULL. NULLs last: only NULLs are.
        return None if term.nulls_first else Q(**{f"{term.path}__isnull": True})
    condition = Q(**{f"{term.path}__{'lte' if term.descending else 'gte'}": value})
    if term.nulls_first is False:
        condition |= Q(**{f"{term.path}__isnull": True})
    return condition


def or_chain(terms: Sequence[KeysetTerm], values: Sequence[Any]) -> Q:
    """``a > x OR (a = x AND b > y) OR …`` with NULL handling, bounded on ``a``."""
    disjuncts: list[Q] = []
    prefix = Q()
    for term, value in zip(terms, values, strict=True):
        after = _after(term, value)
        if after is not None:
            disjuncts.append(prefix & after)
        prefix &= _equal(term, value)
    if not disjuncts:
        return Q(pk__in=[])
    chain = reduce(or_, disjuncts)
    bound = _at_or_after(terms[0], values[0])
    return chain if bound is None else bound & chain


def can_compare_rows(terms: Sequence[KeysetTerm], vendor: str) -> bool:
    """Row values only where the database seeks with them and the order allows it."""
    directions = {term.descending for term in terms}
    return (
        vendor == "postgresql"
        and len(directions) == 1
        and all(term.nulls_first is None for term in terms)
    )


def row_comparison(terms: Sequence[KeysetTerm], values: Sequence[Any]) -> Q:
    """``(a, b, pk) > (x, y, z)`` (``<`` when descending), bounded on ``a``."""
    operator = "<" if terms[0].descending else ">"
    bound = "lte" if terms[0].descending else "gte"
    compare = RowComparison([F(term.path) for term in terms], list(values), operator)
    return Q(**{f"{terms[0].path}__{bound}": values[0]}) & Q(compare)


class RowComparison(Expression):
    """A SQL row-value comparison of expressions against values."""

    conditional = True

    def __init__(self, columns: list[Any], values: list[Any], operator: str) -> None:
        super().__init__(output_field=BooleanField())
        self.columns = columns
        self.values = values
        self.operator = operator

    def get_source_expressions(self) -> list[Any]:
        return [*self.columns, *self.values]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        count = len(self.columns)
        self.columns, self.values = list(exprs[:count]), list(exprs[count:])

    def resolve_expression(
        self,
        query: Any = None,
        allow_joins: bool = True,
        reuse: Any = None,
        summarize: bool = False,
        for_save: bool = False,
    ) -> RowComparison:
        resolved = self.copy()
        resolved.columns = [
            column.resolve_expression(query, allow_joins, reuse, summarize, for_save)
            for column in self.columns
        ]
        # Resolving may happen more than once (querysets are cloned): wrap raw values only.
        resolved.values = [
            value
            if hasattr(value, "resolve_expression")
            else Value(value, output_field=column.output_field).resolve_expression(query)
            for value, column in zip(self.values, resolved.columns, strict=True)
        ]
        return resolved

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        left = [compiler.compile(column) for column in self.columns]
        right = [compiler.compile(value) for value in self.values]
        sql = "({}) {} ({})".format(
            ", ".join(part for part, _ in left),
            self.operator,
            ", ".join(part for part, _ in right),
        )
        params = [param for _, group in left + right for param in group]
        return sql, params
