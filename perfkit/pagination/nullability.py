"""Can an annotation be NULL? Read from the resolved expression, so that an ordering term
such as ``annotate(total=F("rank") * 10 + F("n_int"))`` is known to be NULL wherever a
source column is.

The answer errs towards "yes": a term taken for nullable is paged exactly (its NULLs are
placed explicitly), only with a wider keyset condition; a nullable term taken for NOT
NULL loses rows. Unknown expressions are nullable when any source is, and leaves that
are neither a column nor a constant (raw SQL) are nullable.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, Count, Exists, Subquery, Value
from django.db.models.expressions import (
    Case,
    Col,
    CombinedExpression,
    Ref,
    When,
    Window,
)
from django.db.models.functions import (
    Coalesce,
    CumeDist,
    DenseRank,
    NthValue,
    Ntile,
    NullIf,
    PercentRank,
    Rank,
    RowNumber,
)
from django.db.models.functions.window import LagLeadFunction
from django.db.models.sql import Query

# Window functions that number or rank rows: never NULL.
_RANKING = (CumeDist, DenseRank, Ntile, PercentRank, Rank, RowNumber)
# Connectors whose result is NULL on SQLite for a zero right-hand side.
_DIVISIONS = frozenset({CombinedExpression.DIV, CombinedExpression.MOD})


def can_be_null(expression: Any, query: Query, vendor: str) -> bool:
    """Whether the resolved ``expression`` (of ``query``) can be NULL on ``vendor``."""
    if isinstance(expression, Col):
        return column_can_be_null(expression, query)
    if isinstance(expression, Value):
        return expression.value is None
    if isinstance(expression, Ref):
        return can_be_null(expression.get_source_expressions()[0], query, vendor)
    if isinstance(expression, Count | Exists):
        return False
    if isinstance(expression, Aggregate | Subquery | NullIf | NthValue | LagLeadFunction):
        return True  # no rows, no matching row, equal arguments, past the edge: NULL
    if isinstance(expression, Coalesce):
        return all(can_be_null(part, query, vendor) for part in expression.get_source_expressions())
    if isinstance(expression, Case):
        return can_be_null(expression.default, query, vendor) or any(
            can_be_null(when, query, vendor) for when in expression.cases
        )
    if isinstance(expression, When):
        return can_be_null(expression.result, query, vendor)
    if isinstance(expression, Window):
        source = expression.get_source_expressions()[0]  # the windowed function
        return not isinstance(source, _RANKING) and can_be_null(source, query, vendor)
    if (
        isinstance(expression, CombinedExpression)
        and expression.connector in _DIVISIONS
        and vendor == "sqlite"
    ):
        return True
    sources = [part for part in expression.get_source_expressions() if part is not None]
    if not sources:
        return True  # raw SQL or another leaf perfkit cannot read
    return any(can_be_null(part, query, vendor) for part in sources)


def column_can_be_null(column: Col, query: Query) -> bool:
    """A column is NULL where its field is nullable, or where a join on the way to its
    table may find no row (a nullable foreign key, a reverse relation)."""
    if getattr(column.target, "null", False):
        return True
    alias = column.alias
    while alias in query.alias_map:
        join = query.alias_map[alias]
        if getattr(join, "nullable", False):
            return True
        alias = join.parent_alias
    return False
