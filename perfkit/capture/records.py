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
