"""One normalised index definition for both sides of the audit: what the models
declare and what the database has."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Origin = Literal["primary", "unique", "constraint", "db_index", "meta", "database"]


@dataclass(frozen=True)
class KeyPart:
    """One key of an index: a column (or an expression's SQL), its direction, and the
    operator class and collation when they are not the default."""

    column: str
    descending: bool = False
    opclass: str = ""
    collation: str = ""
    expression: bool = False

    @property
    def label(self) -> str:
        text = ("-" if self.descending else "") + self.column
        if self.opclass:
            text += f" {self.opclass}"
        if self.collation:
            text += f" COLLATE {self.collation}"
        return text


@dataclass(frozen=True)
class IndexDefinition:
    """An index, normalised: table, keys with directions, operator classes and
    collations, predicate, INCLUDE columns, uniqueness, access method, validity, size."""

    table: str
    name: str
    keys: tuple[KeyPart, ...]
    unique: bool = False
    primary: bool = False
    method: str = "btree"
    predicate: str = ""
    include: tuple[str, ...] = ()
    valid: bool = True
    size_bytes: int | None = None
    # What backs it: a PK, a unique or exclusion constraint ("constraint"), or nothing.
    constraint: str = ""
    origin: Origin = "database"
    scans: int | None = None
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(part.column for part in self.keys)

    @property
    def is_django_like_index(self) -> bool:
        """Django's own ``*_like`` index (varchar_pattern_ops / text_pattern_ops) that
        backs LIKE lookups on a db_index or unique text column."""
        return self.name.endswith("_like") and all(
            part.opclass in ("varchar_pattern_ops", "text_pattern_ops") for part in self.keys
        )

    @property
    def protected(self) -> bool:
        """PK, unique and exclusion indexes: never reported as redundant or unused."""
        return self.primary or self.unique or bool(self.constraint)

    def same_definition(self, other: IndexDefinition) -> bool:
        """Exactly the same index: keys (with opclass, collation, direction,
        expressions), predicate, INCLUDE columns, method and uniqueness."""
        return (
            self.keys == other.keys
            and self.predicate == other.predicate
            and set(self.include) == set(other.include)
            and self.method == other.method
            and self.unique == other.unique
        )

    def describe(self) -> str:
        text = f"{self.name} ({', '.join(part.label for part in self.keys)})"
        if self.include:
            text += f" INCLUDE ({', '.join(self.include)})"
        if self.predicate:
            text += f" WHERE {self.predicate}"
        if self.method != "btree":
            text += f" USING {self.method}"
        return text
