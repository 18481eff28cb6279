"""The indexes a model declares: what ``migrate`` creates for it on one database.

This module is the one place that knows Django's implicit indexes: the primary key, a
``unique`` field, a ``db_index`` field (foreign keys have ``db_index=True`` by default),
``unique_together``, and on PostgreSQL the ``_like`` twin (``varchar_pattern_ops`` /
``text_pattern_ops``) of every indexed or unique ``varchar``/``text`` column. Explicit
ones come from ``Meta.indexes`` and ``Meta.constraints``, with expressions, collations,
operator classes, conditions, INCLUDE columns, access methods and directions, each
normalised the way :mod:`perfkit.schema.present` normalises the database's side.

The model may be a live one or one of Django's migration state (``MigrationLoader``'s
``project_state().apps``): both give what ``migrate`` makes the database look like.
Nothing here queries the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast
from weakref import WeakKeyDictionary

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import OrderBy
from django.db.models.functions import Collate

from perfkit.schema.definitions import IndexDefinition, KeyPart
from perfkit.schema.sql_text import normalised

_PROBE_NAME = "perfkit_probe"


def declared_indexes(
    model: type[models.Model], connection: BaseDatabaseWrapper
) -> list[IndexDefinition]:
    """Every index ``migrate`` creates for ``model`` on ``connection``'s database."""
    return list(_DeclaredIndexes(model, connection))


class _DeclaredIndexes:
    """Iterates the declared indexes of one model on one backend."""

    def __init__(self, model: type[models.Model], connection: BaseDatabaseWrapper) -> None:
        self.model = model
        self.meta = model._meta
        self.table = str(self.meta.db_table)
        self.connection = connection
        self.postgresql = connection.vendor == "postgresql"
        self.editor: Any = _schema_editor(connection)
        # A model's index and constraint fields are its own (Django's checks models.E016
        # and E012): its local fields answer without building Options' field caches.
        self.columns: dict[str, str] = {}
        for field in self.meta.local_concrete_fields:
            self.columns[field.name] = self.columns[field.attname] = str(field.column)

    def __iter__(self) -> Iterator[IndexDefinition]:
        yield from self._field_indexes()
        for names in self.meta.unique_together:
            keys = tuple(KeyPart(self._column(name)) for name in names)
            yield IndexDefinition(self.table, "", keys, unique=True, origin="unique")
        for constraint in self.meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                yield self._unique_constraint(constraint)
        for index in self.meta.indexes:
            yield self._meta_index(index)

    # -- implicit: fields ----------------------------------------------------------------
    def _field_indexes(self) -> Iterator[IndexDefinition]:
        for field in self.meta.local_concrete_fields:
            column = str(field.column)
            keys = (KeyPart(column),)
            if field.primary_key:
                yield IndexDefinition(
                    self.table,
                    "",
                    keys,
                    unique=True,
                    primary=True,
                    origin="primary",
                    field_name=field.name,
                )
            elif field.unique:
                yield IndexDefinition(
                    self.table, "", keys, unique=True, origin="unique", field_name=field.name
                )
            elif getattr(field, "db_index", False):
                yield IndexDefinition(
                    self.table,
                    self.editor._create_index_name(self.table, [column]),
                    keys,
                    origin="db_index",
                    field_name=field.name,
                )
            like = self._like_index(field) if self.postgresql else None
            if like is not None:
                yield like

    def _like_index(self, field: Any) -> IndexDefinition | None:
        """PostgreSQL's LIKE twin of an indexed or unique text column, as Django's
        schema editor makes it. A column with its own collation is left out: Django
        skips the twin for non-deterministic collations, which only the database knows."""
        if not (field.unique or getattr(field, "db_index", False)):
            return None
        db_type = field.db_type(connection=self.connection)
        if not db_type or "[" in db_type:
            return None
        collation = getattr(field, "db_collation", None)
        if not collation and field.is_relation:
            collation = getattr(field.target_field, "db_collation", None)
        if collation:
            return None
        if db_type.startswith("varchar"):
            opclass = "varchar_pattern_ops"
        elif db_type.startswith("text"):
            opclass = "text_pattern_ops"
        else:
            return None
        column = str(field.column)
        return IndexDefinition(
            self.table,
            self.editor._create_index_name(self.table, [column], suffix="_like"),
            (KeyPart(column, opclass=opclass),),
            origin="like",
            field_name=field.name,
        )

    # -- explicit: Meta.indexes and Meta.constraints --------------------------------------
    def _meta_index(self, index: models.Index) -> IndexDefinition:
        if index.expressions:
            keys = tuple(self._expression_key(expression) for expression in index.expressions)
        else:
            keys = self._field_keys(index.fields_orders, index.opclasses)
        return IndexDefinition(
            self.table,
            str(index.name),
            keys,
            predicate=self._condition(index),
            include=self._include(index.include),
            method=access_method(index) if self.postgresql else "btree",
            origin="meta",
        )

    def _unique_constraint(self, constraint: models.UniqueConstraint) -> IndexDefinition:
        if constraint.expressions:
            keys = tuple(self._expression_key(expression) for expression in constraint.expressions)
        else:
            opclasses = getattr(constraint, "opclasses", ())
            keys = self._field_keys([(name, "") for name in constraint.fields], opclasses)
        return IndexDefinition(
            self.table,
            str(constraint.name),
            keys,
            unique=True,
            predicate=self._condition(constraint),
            include=self._include(getattr(constraint, "include", ())),
            constraint=str(constraint.name),
            origin="constraint",
        )

    def _field_keys(self, fields_orders: Any, opclasses: Any) -> tuple[KeyPart, ...]:
        classes = list(opclasses) if self.postgresql else []
        classes += [""] * len(fields_orders)
        return tuple(
            KeyPart(self._column(name), order == "DESC", classes[position])
            for position, (name, order) in enumerate(fields_orders)
        )

    def _expression_key(self, expression: Any) -> KeyPart:
        """One key of an expression index: wrappers (``desc()``, ``OpClass``,
        ``Collate``) become the key's attributes; a plain field is a column; anything
        else is the expression's SQL as Django writes it, normalised."""
        descending, opclass, collation = False, "", ""
        while True:
            if isinstance(expression, OrderBy):
                descending = bool(expression.descending)
                expression = expression.expression
            elif isinstance(expression, Collate):
                collation = str(getattr(expression, "collation", ""))
                expression = expression.get_source_expressions()[0]
            elif type(expression).__name__ == "OpClass":  # django.contrib.postgres.indexes
                opclass = str(expression.extra["name"]) if self.postgresql else ""
                expression = expression.get_source_expressions()[0]
            else:
                break
        name = getattr(expression, "name", "") if isinstance(expression, models.F) else ""
        if name and "__" not in name:
            return KeyPart(self._column(name), descending, opclass, collation)
        text = self._expression_sql(expression)
        return KeyPart(text, descending, opclass, collation, expression=True)

    def _expression_sql(self, expression: Any) -> str:
        try:
            probe = models.Index(expression, name=_PROBE_NAME)
            statement = probe.create_sql(self.model, self.editor)
            return normalised(str(statement.parts["columns"]))
        except Exception:  # a function this backend cannot compile: compare its repr
            return normalised(str(expression))

    def _condition(self, declaration: models.Index | models.UniqueConstraint) -> str:
        if declaration.condition is None:
            return ""
        try:
            sql = cast(Any, declaration)._get_condition_sql(self.model, self.editor)
        except Exception:  # a private Django API: fall back to saying there is one
            return "(condition)"
        return normalised(str(sql)) if sql else "(condition)"

    def _include(self, names: Any) -> tuple[str, ...]:
        if not names or not self.connection.features.supports_covering_indexes:
            return ()
        return tuple(self._column(name) for name in names)

    def _column(self, name: str) -> str:
        column = self.columns.get(name)
        if column is not None:
            return column
        field = self.meta.pk if name == "pk" else self.meta.get_field(name)
        return str(getattr(field, "column", None) or name)


_EDITORS: WeakKeyDictionary[BaseDatabaseWrapper, Any] = WeakKeyDictionary()


def _schema_editor(connection: BaseDatabaseWrapper) -> Any:
    """A schema editor used only for Django's deterministic index names and SQL text:
    never entered, never executes, so one serves every model of a connection."""
    wrapper = connections[connection.alias]  # the thread's own, not django.db.connection
    editor = _EDITORS.get(wrapper)
    if editor is None:
        editor = _EDITORS[wrapper] = wrapper.SchemaEditorClass(wrapper, collect_sql=True)
    return editor


def access_method(index: models.Index) -> str:
    """``GinIndex`` → ``gin`` … (django.contrib.postgres names its classes' suffix after
    the access method); a plain ``Index`` is a B-tree."""
    suffix = str(getattr(index, "suffix", "idx"))
    return "btree" if suffix == "idx" else suffix
