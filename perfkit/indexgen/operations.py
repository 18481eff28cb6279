"""Concurrent index operations that still run on SQLite and every other backend.

Generated migrations for PostgreSQL use these instead of
``django.contrib.postgres.operations.AddIndexConcurrently`` because the same migration
file also runs in the project's own test suite, which is often SQLite. On PostgreSQL they
build or drop the index with ``CONCURRENTLY`` (and, like Django's operations, refuse to
run inside a transaction: the migration has ``atomic = False``); on any other backend
they do exactly what plain ``AddIndex`` / ``RemoveIndex`` do. The migration state they
produce is the plain operations' state, so ``makemigrations`` sees no difference.

They subclass Django's portable operations rather than the ``django.contrib.postgres``
ones so that loading a migration never imports psycopg.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations import AddIndex, RemoveIndex
from django.db.migrations.state import ProjectState


def _builds_concurrently(schema_editor: BaseDatabaseSchemaEditor, operation: object) -> bool:
    """True on PostgreSQL, after making sure no transaction is open."""
    if schema_editor.connection.vendor != "postgresql":
        return False
    if schema_editor.connection.in_atomic_block:
        raise NotSupportedError(
            f"The {type(operation).__name__} operation cannot be executed inside a "
            "transaction (set atomic = False on the migration)."
        )
    return True


class AddIndexConcurrently(AddIndex):
    """``CREATE INDEX CONCURRENTLY`` on PostgreSQL; a plain ``AddIndex`` elsewhere."""

    atomic = False

    def describe(self) -> str:
        fields = ", ".join(self.index.fields)
        return (
            f"Concurrently create index {self.index.name} on field(s) {fields} "
            f"of model {self.model_name}"
        )

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not _builds_concurrently(schema_editor, self):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)  # type: ignore[call-arg]

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not _builds_concurrently(schema_editor, self):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)  # type: ignore[call-arg]


class RemoveIndexConcurrently(RemoveIndex):
    """``DROP INDEX CONCURRENTLY`` on PostgreSQL; a plain ``RemoveIndex`` elsewhere."""

    atomic = False

    def describe(self) -> str:
        return f"Concurrently remove index {self.name} from {self.model_name}"

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not _builds_concurrently(schema_editor, self):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = _index_named(from_state, app_label, self.model_name_lower, self.name)
            schema_editor.remove_index(model, index, concurrently=True)  # type: ignore[call-arg]

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not _builds_concurrently(schema_editor, self):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = _index_named(to_state, app_label, self.model_name_lower, self.name)
            schema_editor.add_index(model, index, concurrently=True)  # type: ignore[call-arg]


def _index_named(state: ProjectState, app_label: str, model_name: str, name: str) -> Any:
    return state.models[app_label, model_name].get_index_by_name(name)
