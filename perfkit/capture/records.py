"""What a capture records: queries, the relation loads behind them, and eager loads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from perfkit.capture.call_site import CallSite
from perfkit.capture.sql_fingerprint import fingerprint, statement_kind

RelationKind = Literal[
    "forward",
    "reverse_one_to_one",
    "reverse_many",
    "many_to_many",
    "generic_foreign_key",
    "generic_relation",
    "deferred",
]

_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE"})


class Batch:
    """The model instances one multi-row query produced (shared by all its rows).

    ``parent`` is the batch of the instance whose relation load ran the query, so objects
    loaded one by one inside a loop still count as coming from many rows.
    """

    __slots__ = ("joinable", "parent", "path", "rows", "selected")

    def __init__(self, parent: Batch | None = None, path: str = "", joinable: bool = True):
        self.rows = 0
        self.parent = parent
        self.path = path
        self.joinable = joinable
        # select_related's eager loads from these rows, by attribute (a load is None for
        # a bare select_related()); None when the rows' query selected nothing.
        self.selected: dict[str, EagerLoad | None] | None = None

    def from_many_rows(self) -> bool:
        batch: Batch | None = self
        for _ in range(50):
            if batch is None:
                return False
            if batch.rows >= 2:
                return True
            batch = batch.parent
        return False


@dataclass(frozen=True, slots=True)
class RelationLoad:
    """A lazy load of one relation (or deferred field) of one instance.

    ``path`` is the relation's path from the outermost queryset (``books__tags``) and
    ``joinable`` says whether every step of it can be ``select_related``. ``prefetched``
    says the query came from the relation's prefetched queryset (a ``filter()`` or
    ``get()`` on it), which prefetching again cannot serve.
    """

    label: str
    kind: RelationKind
    attribute: str
    path: str
    joinable: bool
    parent_batch: Batch | None
    prefetched: bool = False

    @property
    def parent_from_many_rows(self) -> bool:
        return self.parent_batch is not None and self.parent_batch.from_many_rows()


_new = object.__new__
# Each slot's own setter: a frozen dataclass's __init__ sets every field through
# object.__setattr__, which costs twice as much; captures build one or two of these a query.
(
    _set_label,
    _set_kind,
    _set_attribute,
    _set_path,
    _set_joinable,
    _set_parent_batch,
    _set_prefetched,
) = (RelationLoad.__dict__[name].__set__ for name in RelationLoad.__slots__)


def new_relation_load(
    label: str,
    kind: RelationKind,
    attribute: str,
    path: str,
    joinable: bool,
    parent_batch: Batch | None,
    prefetched: bool,
) -> RelationLoad:
    """``RelationLoad(...)``, built faster (every field given, in order)."""
    load: RelationLoad = _new(RelationLoad)
    _set_label(load, label)
    _set_kind(load, kind)
    _set_attribute(load, attribute)
    _set_path(load, path)
    _set_joinable(load, joinable)
    _set_parent_batch(load, parent_batch)
    _set_prefetched(load, prefetched)
    return load


@dataclass(frozen=True, slots=True)
class CapturedQuery:
    """One query run inside a capture. ``params`` never reach logs unless configured."""

    sql: str
    params: Any
    many: bool
    duration_ms: float
    alias: str
    call_site: CallSite
    relation: RelationLoad | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sql)

    @property
    def statement(self) -> str:
        """``SELECT``, ``INSERT``, ``UPDATE``, … (the first keyword)."""
        return statement_kind(self.sql)

    @property
    def is_write(self) -> bool:
        return self.statement in _WRITES

    @property
    def location(self) -> str:
        return self.call_site.location


(
    _set_sql,
    _set_params,
    _set_many,
    _set_duration_ms,
    _set_alias,
    _set_call_site,
    _set_relation,
) = (CapturedQuery.__dict__[name].__set__ for name in CapturedQuery.__slots__)


def new_captured_query(
    sql: str,
    params: Any,
    many: bool,
    duration_ms: float,
    alias: str,
    call_site: CallSite,
    relation: RelationLoad | None,
) -> CapturedQuery:
    """``CapturedQuery(...)``, built faster (every field given, in order)."""
    query: CapturedQuery = _new(CapturedQuery)
    _set_sql(query, sql)
    _set_params(query, params)
    _set_many(query, many)
    _set_duration_ms(query, duration_ms)
    _set_alias(query, alias)
    _set_call_site(query, call_site)
    _set_relation(query, relation)
    return query


class EagerLoad:
    """One ``select_related``/``prefetch_related`` path of one evaluated queryset.

    ``instances`` counts the objects it filled; ``used`` turns True on the first read.
    """

    __slots__ = ("call_site", "instances", "label", "method", "path", "used")

    def __init__(self, method: str, path: str, label: str, call_site: CallSite) -> None:
        self.method = method
        self.path = path
        self.label = label
        self.call_site = call_site
        self.instances = 0
        self.used = False
