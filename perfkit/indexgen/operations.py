"""Concurrent index operations that still run on SQLite and every other backend.

Generated migrations for PostgreSQL use these instead of
``django.contrib.postgres.operations.AddIndexConcurrently`` because the same migration
file also runs in the project's own test suite, which is often SQLite. On PostgreSQL they
build or drop the index with ``CONCURRENTLY`` through
:mod:`perfkit.indexgen.concurrent_builds`: no statement timeout for the build, a lock
timeout with bounded retries and backoff, idempotent, no INVALID leftover of their own
(like Django's operations, they refuse to run inside a transaction: the migration has
``atomic = False``). On any other backend they do exactly what plain ``AddIndex`` /
``RemoveIndex`` / ``AddConstraint`` do. The migration state they produce is the plain
operations' state, so ``makemigrations`` sees no difference.

``lock_timeout`` (a PostgreSQL duration), ``attempts`` and ``retry_delay`` (seconds
before the second attempt, doubling) may be given to any of them in the migration file;
they are written into it only when they differ from the defaults.

They subclass Django's portable operations rather than the ``django.contrib.postgres``
ones so that loading a migration never imports psycopg.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import NotSupportedError, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.backends.ddl_references import Statement
from django.db.migrations.operations import AddConstraint, AddIndex, RemoveIndex
from django.db.migrations.state import ProjectState

from perfkit.indexgen.concurrent_builds import (
    IndexBuild,
    RetryPolicy,
    build_index,
    drop_index,
)
from perfkit.schema.declared import declared_indexes


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


class _ConcurrentOperation:
    """What the three operations share: the retry options (``lock_timeout``,
    ``attempts``, ``retry_delay``, kept in the migration file only when given), and
    running concurrently on PostgreSQL but as Django's own operation elsewhere.

    Subclasses say what a concurrent run does (:meth:`forwards_concurrently`,
    :meth:`backwards_concurrently`) on the model of the state the run reads.
    """

    lock_timeout: str | None
    attempts: int | None
    retry_delay: float | None
    model_name: str

    def _retry_options(
        self, lock_timeout: str | None, attempts: int | None, retry_delay: float | None
    ) -> None:
        # (Each operation names its arguments in its own __init__: Django's migration
        # writer reads them from that signature.)
        self.lock_timeout, self.attempts, self.retry_delay = lock_timeout, attempts, retry_delay
        self.policy  # noqa: B018 (checks the values now, when the migration is loaded)

    @property
    def policy(self) -> RetryPolicy:
        defaults = RetryPolicy()
        return RetryPolicy(
            lock_timeout=self.lock_timeout or defaults.lock_timeout,
            attempts=defaults.attempts if self.attempts is None else self.attempts,
            retry_delay=defaults.retry_delay if self.retry_delay is None else self.retry_delay,
        )

    def deconstruct(self) -> tuple[str, Sequence[Any], dict[str, Any]]:
        name, args, kwargs = super().deconstruct()  # type: ignore[misc]
        for key in ("lock_timeout", "attempts", "retry_delay"):
            if getattr(self, key) is not None:
                kwargs[key] = getattr(self, key)
        return name, args, kwargs

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not _builds_concurrently(schema_editor, self):
            super().database_forwards(app_label, schema_editor, from_state, to_state)  # type: ignore[misc]
            return
        model = self._migrated_model(
            app_label, schema_editor, self.forwards_state(from_state, to_state)
        )
        if model is not None:
            self.forwards_concurrently(app_label, schema_editor, model, from_state, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not _builds_concurrently(schema_editor, self):
            super().database_backwards(app_label, schema_editor, from_state, to_state)  # type: ignore[misc]
            return
        model = self._migrated_model(
            app_label, schema_editor, self.backwards_state(from_state, to_state)
        )
        if model is not None:
            self.backwards_concurrently(app_label, schema_editor, model, from_state, to_state)

    def _migrated_model(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, state: ProjectState
    ) -> type[models.Model] | None:
        model = state.apps.get_model(app_label, self.model_name)
        allowed = self.allow_migrate_model(schema_editor.connection.alias, model)  # type: ignore[attr-defined]
        return model if allowed else None

    # What a subclass says: where its model is read, and what a concurrent run does.
    def forwards_state(self, from_state: ProjectState, to_state: ProjectState) -> ProjectState:
        return to_state

    def backwards_state(self, from_state: ProjectState, to_state: ProjectState) -> ProjectState:
        return from_state

    def forwards_concurrently(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        model: type[models.Model],
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        raise NotImplementedError

    def backwards_concurrently(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        model: type[models.Model],
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        raise NotImplementedError


def index_build(
    schema_editor: BaseDatabaseSchemaEditor, model: type[models.Model], index: models.Index
) -> IndexBuild:
    """``index`` of ``model`` as a concurrent, re-runnable build."""
    statement: Any = index.create_sql(model, schema_editor, concurrently=True)
    create = str(statement).replace(
        "CREATE INDEX CONCURRENTLY", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", 1
    )
    return IndexBuild(
        str(model._meta.db_table),
        str(index.name),
        create,
        _declared(schema_editor, model, index.name),
    )


def unique_build(
    schema_editor: BaseDatabaseSchemaEditor,
    model: type[models.Model],
    constraint: models.UniqueConstraint,
) -> IndexBuild:
    """A unique constraint as a concurrent unique index build; for the ones Django makes
    with ``ALTER TABLE … ADD CONSTRAINT``, then attached with ``… USING INDEX``."""
    statement: Any = constraint.create_sql(model, schema_editor)
    as_index = Statement(schema_editor.sql_create_unique_index, **statement.parts)
    create = str(as_index).replace(
        "CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS", 1
    )
    attach = ""
    if statement.template != schema_editor.sql_create_unique_index:
        # ALTER TABLE has no ADD CONSTRAINT IF NOT EXISTS: the block makes it re-runnable.
        name = schema_editor.quote_name(str(constraint.name))
        table = str(statement.parts["table"])
        attach = (
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = "
            f"{_literal(str(constraint.name))} AND conrelid = {_literal(table)}::regclass) "
            f"THEN ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}"
            f"{statement.parts.get('deferrable') or ''}; END IF; END $$"
        )
    return IndexBuild(
        str(model._meta.db_table),
        str(constraint.name),
        create,
        _declared(schema_editor, model, str(constraint.name)),
        attach_sql=attach,
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _declared(schema_editor: BaseDatabaseSchemaEditor, model: type[models.Model], name: str) -> Any:
    return next(
        (
            index
            for index in declared_indexes(model, schema_editor.connection)
            if index.name == name
        ),
        None,
    )


class AddIndexConcurrently(_ConcurrentOperation, AddIndex):
    """``CREATE INDEX CONCURRENTLY`` on PostgreSQL, made to survive production (see
    :mod:`perfkit.indexgen.concurrent_builds`); a plain ``AddIndex`` elsewhere."""

    atomic = False

    def __init__(
        self,
        model_name: str,
        index: models.Index,
        lock_timeout: str | None = None,
        attempts: int | None = None,
        retry_delay: float | None = None,
    ) -> None:
        AddIndex.__init__(self, model_name, index)
        self._retry_options(lock_timeout, attempts, retry_delay)

    def describe(self) -> str:
        fields = ", ".join(self.index.fields)
        return (
            f"Concurrently create index {self.index.name} on field(s) {fields} "
            f"of model {self.model_name}"
        )

    def forwards_concurrently(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        model: type[models.Model],
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        build_index(schema_editor, index_build(schema_editor, model, self.index), self.policy)

    def backwards_concurrently(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        model: type[models.Model],
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        drop_index(schema_editor, str(self.index.name), self.policy)


class RemoveIndexConcurrently(_ConcurrentOperation, RemoveIndex):
    """``DROP INDEX CONCURRENTLY IF EXISTS`` on PostgreSQL, with a lock timeout and
    retries; a plain ``RemoveIndex`` elsewhere."""

    atomic = False

    def __init__(
        self,
        model_name: str,
        name: str,
        lock_timeout: str | None = None,
        attempts: int | None = None,
        retry_delay: float | None = None,
    ) -> None:
        RemoveIndex.__init__(self, model_name, name)
        self._retry_options(lock_timeout, attempts, retry_delay)

    def describe(self) -> str:
        return f"Concurrently remove index {self.name} from {self.model_name}"

    def forwards_state(self, from_state: ProjectState, to_state: ProjectState) -> ProjectState:
        return from_state

    def backwards_state(self, from_state: ProjectState, to_state: ProjectState) -> ProjectState:
        return to_state

    def forwards_concurrently(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        model: type[models.Model],
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        drop_index(schema_editor, self.name, self.policy)

    def backwards_concurrently(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        model: type[models.Model],
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        build_index(schema_editor, index_build(schema_editor, model, index), self.policy)


class AddConstraintConcurrently(_ConcurrentOperation, AddConstraint):
    """A ``UniqueConstraint`` built as ``CREATE UNIQUE INDEX CONCURRENTLY`` on PostgreSQL
    (then attached with ``ALTER TABLE … ADD CONSTRAINT … USING INDEX`` when Django would
    have made it with ``ALTER TABLE``); a plain ``AddConstraint`` elsewhere. Duplicate
    values fail with a clear error and leave no INVALID index behind."""

    atomic = False

    def __init__(
        self,
        model_name: str,
        constraint: models.UniqueConstraint,
        lock_timeout: str | None = None,
        attempts: int | None = None,
        retry_delay: float | None = None,
    ) -> None:
        if not isinstance(constraint, models.UniqueConstraint):
            raise TypeError(
                "AddConstraintConcurrently builds unique constraints only; use AddConstraint "
                f"for {type(constraint).__name__}."
            )
        AddConstraint.__init__(self, model_name, constraint)
        self._retry_options(lock_timeout, attempts, retry_delay)

    def describe(self) -> str:
        return f"Concurrently create constraint {self.constraint.name} on model {self.model_name}"

    def forwards_concurrently(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        model: type[models.Model],
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        build = unique_build(schema_editor, model, cast(models.UniqueConstraint, self.constraint))
        build_index(schema_editor, build, self.policy)

    def backwards_concurrently(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        model: type[models.Model],
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        build = unique_build(schema_editor, model, cast(models.UniqueConstraint, self.constraint))
        quoted = schema_editor.quote_name(build.name)
        drop = (
            f"ALTER TABLE {schema_editor.quote_name(build.table)} DROP CONSTRAINT IF EXISTS "
            f"{quoted}"
            if build.attach_sql
            else ""
        )
        drop_index(schema_editor, build.name, self.policy, drop_sql=drop)
