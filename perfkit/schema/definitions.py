"""One normalised index definition for both sides: what the models declare and what the
database has. Expression keys and predicates hold :func:`~perfkit.schema.sql_text.normalised`
text, so two definitions compare equal exactly when they describe the same index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# What declares an index: the primary key, a unique field or unique_together ("unique"),
# Meta.constraints ("constraint"), a db_index field or foreign key ("db_index"),
# PostgreSQL's LIKE twin of a db_index/unique text column ("like"), Meta.indexes ("meta");
# or nothing: an index read from the database ("database").
Origin = Literal["primary", "unique", "constraint", "db_index", "like", "meta", "database"]
PATTERN_OPCLASSES = frozenset({"varchar_pattern_ops", "text_pattern_ops"})


@dataclass(frozen=True, slots=True)
class KeyPart:
    """One key of an index: a column (or a normalised expression), its direction, and
    the operator class and collation when they are not the default."""

    column: str
    descending: bool = False
    opclass: str = ""
    collation: str = ""
    expression: bool = False

    @property
    def label(self) -> str:
        """The key as CREATE INDEX writes it: ``name COLLATE "C" varchar_pattern_ops DESC``."""
        text = self.column
        if self.collation:
            text += f' COLLATE "{self.collation}"'
        if self.opclass:
            text += f" {self.opclass}"
        if self.descending:
            text += " DESC"
        return text

    @property
    def plain(self) -> bool:
        """A column with the default operator class and collation: what a B-tree key
        must be to serve an ``ORDER BY`` on that column."""
        return not (self.expression or self.opclass or self.collation)


@dataclass(frozen=True, slots=True)
class IndexDefinition:
    """An index, normalised: table, keys with directions, operator classes and
    collations, predicate, INCLUDE columns, uniqueness, access method, validity, size
    (for an index read from PostgreSQL, ``relpages``' estimate: as of its last VACUUM,
    ANALYZE or build).

    ``field_name`` names the model field behind an implicit index (``db_index``, ``like``).
    """

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
    # What backs it in the database: a PK, a unique or exclusion constraint ("p", "u",
    # "x"), or nothing.
    constraint: str = ""
    origin: Origin = "database"
    scans: int | None = None
    field_name: str = field(default="", compare=False)
    building: bool = field(default=False, compare=False)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(part.column for part in self.keys)

    @property
    def is_django_like_index(self) -> bool:
        """Django's own ``*_like`` index (varchar_pattern_ops / text_pattern_ops) that
        backs LIKE lookups on a db_index or unique text column."""
        return self.origin == "like" or (
            self.name.endswith("_like")
            and bool(self.keys)
            and all(part.opclass in PATTERN_OPCLASSES for part in self.keys)
        )

    @property
    def protected(self) -> bool:
        """PK, unique and exclusion indexes: never reported as redundant or unused."""
        return self.primary or self.unique or bool(self.constraint)

    @property
    def plain_btree(self) -> bool:
        """A whole-table B-tree over plain columns: serves ordering and equality lookups."""
        return (
            self.method == "btree"
            and not self.predicate
            and bool(self.keys)
            and all(part.plain for part in self.keys)
        )

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

    def differences(self, other: IndexDefinition) -> list[str]:
        """How ``other`` differs from this index, in words (empty when the same)."""
        found = []
        if [(p.column, p.descending) for p in self.keys] != [
            (p.column, p.descending) for p in other.keys
        ]:
            found.append("the keys or their directions differ")
        elif [p.opclass for p in self.keys] != [p.opclass for p in other.keys]:
            found.append("the operator classes differ")
        elif [p.collation for p in self.keys] != [p.collation for p in other.keys]:
            found.append("the collations differ")
        if set(self.include) != set(other.include):
            found.append("the INCLUDE columns differ")
        if self.predicate != other.predicate:
            if not self.predicate or not other.predicate:
                where = "the database" if other.predicate else "the model"
                found.append(f"only {where} makes it partial")
            else:
                found.append("the WHERE conditions differ")
        if self.method != other.method:
            found.append(f"the access method is {other.method}, declared {self.method}")
        if self.unique != other.unique:
            found.append("one of them is unique")
        return found

    @property
    def key_text(self) -> str:
        """The keys, with collations, operator classes and directions: ``(a, b DESC)``."""
        return f"({', '.join(part.label for part in self.keys)})"

    def describe(self) -> str:
        text = f"{self.name} {'UNIQUE ' if self.unique else ''}{self.key_text}"
        if self.include:
            text += f" INCLUDE ({', '.join(self.include)})"
        if self.predicate:
            text += f" WHERE {self.predicate}"
        if self.method != "btree":
            text += f" USING {self.method}"
        return text
