"""Build migration files with Django's own machinery, as ``makemigrations`` would.

The operations are wrapped in ``Migration`` objects and placed on the app's leaf node by
``MigrationAutodetector.arrange_for_graph`` (numbering, dependencies, name), then
rendered by ``MigrationWriter``. The one addition ``makemigrations`` never makes is
``atomic = False`` on a migration with a concurrent operation: PostgreSQL refuses
``CREATE INDEX CONCURRENTLY`` inside a transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import libcst as cst
from django.apps import apps
from django.db.migrations import Migration
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation
from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
from django.db.migrations.state import ProjectState
from django.db.migrations.writer import MigrationWriter

from perfkit.indexgen.operations import AddIndexConcurrently, RemoveIndexConcurrently
from perfkit.indexgen.planning import PlannedOperation


@dataclass(frozen=True)
class MigrationFile:
    """One migration to write: where, what it says, and its operations described."""

    app_label: str
    name: str
    path: Path
    content: str
    descriptions: tuple[str, ...]
    # It holds a concurrent operation (and so has atomic = False).
    concurrent: bool = False


def build_migration_files(
    planned: Sequence[PlannedOperation], loader: MigrationLoader, concurrently: bool
) -> list[MigrationFile]:
    """One migration per app, or one per operation when building concurrently."""
    changes: dict[str, list[Migration]] = {}
    for step in planned:
        operation = _concurrent(step.operation) if concurrently else step.operation
        migrations = changes.setdefault(step.app_label, [])
        if migrations and not concurrently:
            cast(list[Operation], migrations[0].operations).append(operation)
            continue
        # Migration's attributes are typed as class variables; this one is built, not declared.
        migration: Any = Migration(f"perfkit_{len(migrations)}", step.app_label)
        migration.operations = [operation]
        migration.dependencies = []
        if migrations:
            migration.dependencies.append((step.app_label, migrations[-1].name))
        migrations.append(migration)
    autodetector = MigrationAutodetector(
        loader.project_state(),
        ProjectState.from_apps(apps),
        NonInteractiveMigrationQuestioner(specified_apps=set(changes), dry_run=True),
    )
    arranged = autodetector.arrange_for_graph(changes, loader.graph)
    files: list[MigrationFile] = []
    for app_label, migrations in arranged.items():
        for migration in migrations:
            writer = MigrationWriter(migration, include_header=True)
            content = writer.as_string()
            concurrent = any(
                isinstance(operation, _CONCURRENT) for operation in migration.operations
            )
            if concurrent:
                cast(Any, migration).atomic = False
                content = _with_atomic_false(content)
            files.append(
                MigrationFile(
                    app_label=app_label,
                    name=migration.name,
                    path=Path(writer.path),
                    content=content,
                    descriptions=tuple(operation.describe() for operation in migration.operations),
                    concurrent=concurrent,
                )
            )
    return files


_CONCURRENT = (AddIndexConcurrently, RemoveIndexConcurrently)


def _concurrent(operation: Operation) -> Operation:
    if isinstance(operation, AddIndex):
        return AddIndexConcurrently(model_name=operation.model_name, index=operation.index)
    if isinstance(operation, RemoveIndex):
        return RemoveIndexConcurrently(model_name=operation.model_name, name=operation.name)
    return operation


def _with_atomic_false(content: str) -> str:
    """Add ``atomic = False`` as the first statement of ``class Migration``."""
    module = cst.parse_module(content)

    class AddAtomic(cst.CSTTransformer):
        def leave_ClassDef(
            self, original_node: cst.ClassDef, updated_node: cst.ClassDef
        ) -> cst.ClassDef:
            if updated_node.name.value != "Migration" or not isinstance(
                updated_node.body, cst.IndentedBlock
            ):
                return updated_node
            statements = list(updated_node.body.body)
            line = cst.parse_statement("atomic = False\n")
            first = statements[0]
            if isinstance(first, cst.SimpleStatementLine | cst.BaseCompoundStatement):
                line = line.with_changes(leading_lines=first.leading_lines)
            return updated_node.with_changes(
                body=updated_node.body.with_changes(body=[line, *statements])
            )

    return module.visit(AddAtomic()).code
