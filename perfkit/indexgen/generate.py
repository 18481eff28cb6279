"""Turn index changes into migration files and matching model edits, all or nothing.

Order of work: check the changes (:mod:`perfkit.indexgen.planning`), build the migrations
(:mod:`perfkit.indexgen.migration_files`), edit the models
(:mod:`perfkit.indexgen.model_source`), write everything, run the project's formatters,
then run ``makemigrations --check`` in a fresh interpreter (the running one has the old
models loaded). If an edit or the check fails, every file is put back as it was and
:class:`ModelsOutOfSync` carries the snippet to add by hand.
"""

from __future__ import annotations

import difflib
import inspect
import io
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.utils import run_formatters
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.migrations.loader import MigrationLoader

from perfkit.indexgen import model_source
from perfkit.indexgen.changes import (
    AddIndexChange,
    DisableFieldIndexChange,
    IndexChange,
    RemoveIndexChange,
)
from perfkit.indexgen.errors import IndexChangeRefused, ModelsOutOfSync
from perfkit.indexgen.migration_files import MigrationFile, build_migration_files
from perfkit.indexgen.planning import PlannedOperation, plan_changes


@dataclass(frozen=True)
class ModelFileEdit:
    """The new text of one models module, and the diff from the old one."""

    path: Path
    old_text: str
    new_text: str

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.old_text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                fromfile=str(self.path),
                tofile=str(self.path),
            )
        )


@dataclass(frozen=True)
class GenerationResult:
    """What was (or, on a dry run, would be) written."""

    migrations: tuple[MigrationFile, ...]
    model_edits: tuple[ModelFileEdit, ...]
    concurrently: bool
    written: bool
    # Set when the models were not updated: what to add to them by hand.
    manual_snippet: str = ""


def default_concurrently(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Concurrent operations by default on PostgreSQL, plain ones elsewhere."""
    return connections[using].vendor == "postgresql"


def generate(
    changes: Sequence[IndexChange],
    *,
    concurrently: bool | None = None,
    dry_run: bool = False,
    update_models: bool = True,
    stderr: Any = None,
    using: str = DEFAULT_DB_ALIAS,
) -> GenerationResult:
    """Check, build and (unless ``dry_run``) write the migrations and model edits.

    Raises :class:`IndexChangeRefused` before writing anything when a change is refused,
    and :class:`ModelsOutOfSync` after restoring every file when the models could not
    be brought in step with the migrations.
    """
    if concurrently is None:
        concurrently = default_concurrently(using)
    loader = MigrationLoader(None, ignore_no_migrations=True)
    planned = plan_changes(changes, loader, using)
    migration_files = build_migration_files(planned, loader, concurrently)
    snippet = manual_snippet(planned)
    edits: list[ModelFileEdit] = []
    if update_models:
        try:
            edits = model_edits(planned)
        except model_source.SourceEditFailed as error:
            raise ModelsOutOfSync(
                f"The models could not be edited ({error}); nothing was written.", snippet
            ) from error
    if dry_run:
        return GenerationResult(
            tuple(migration_files),
            tuple(edits),
            concurrently,
            written=False,
            manual_snippet="" if update_models else snippet,
        )
    for migration in migration_files:
        if migration.path.exists():
            raise IndexChangeRefused(f"{migration.path} already exists; nothing was written.")
    _write_all(migration_files, edits, stderr)
    if update_models:
        problem = makemigrations_check_problem(sorted({step.app_label for step in planned}))
        if problem is not None:
            _restore(migration_files, edits)
            raise ModelsOutOfSync(
                "makemigrations --check still reports changes after the edit, so every "
                f"file was restored.\n{problem}",
                snippet,
            )
    return GenerationResult(
        tuple(migration_files),
        tuple(edits),
        concurrently,
        written=True,
        manual_snippet="" if update_models else snippet,
    )


def model_edits(planned: Sequence[PlannedOperation]) -> list[ModelFileEdit]:
    """Apply every model change to the source, file by file, in memory."""
    texts: dict[Path, tuple[str, str]] = {}
    for step in planned:
        path = _source_path(step.model)
        old, current = texts.get(path) or (path.read_text(encoding="utf-8"),) * 2
        texts[path] = (old, _edit_source(current, step))
    return [ModelFileEdit(path, old, new) for path, (old, new) in texts.items()]


def _edit_source(source: str, step: PlannedOperation) -> str:
    change = step.change
    class_name = step.model.__name__
    if isinstance(change, AddIndexChange):
        assert step.index is not None
        inherited_meta, inherits_indexes = _abstract_meta(step.model)
        return model_source.add_index(
            source,
            class_name,
            list(step.index.fields),
            step.index.name,
            inherited_meta=inherited_meta,
            inherits_indexes=inherits_indexes,
        )
    if isinstance(change, RemoveIndexChange):
        return model_source.remove_index(source, class_name, change.index_name)
    return model_source.disable_db_index(source, class_name, change.field_name)


def _abstract_meta(model: type[models.Model]) -> tuple[str | None, bool]:
    """``("Base.Meta", has_indexes)`` for a model whose Meta comes from an abstract base."""
    for base in model.__bases__:
        meta = getattr(base, "Meta", None)
        if meta is not None and issubclass(base, models.Model) and base._meta.abstract:
            return f"{base.__name__}.Meta", bool(getattr(meta, "indexes", None))
    return None, False


def _source_path(model: type[models.Model]) -> Path:
    filename = inspect.getsourcefile(model)
    if filename is None:
        raise model_source.SourceEditFailed(f"no source file for {model.__name__}")
    return Path(filename)


def manual_snippet(planned: Sequence[PlannedOperation]) -> str:
    """What to change in the models by hand to match the generated migrations."""
    lines: list[str] = []
    for step in planned:
        label = f"{step.app_label}.{step.model.__name__}"
        change = step.change
        if isinstance(change, AddIndexChange):
            assert step.index is not None
            code = model_source.index_source("models", step.index.fields, step.index.name)
            lines.append(f"# {label}: add to class Meta's indexes list\n{code},")
        elif isinstance(change, RemoveIndexChange):
            lines.append(
                f"# {label}: delete from Meta.indexes the index named {change.index_name!r}"
            )
        elif isinstance(change, DisableFieldIndexChange):
            lines.append(f"# {label}: add db_index=False to the field {change.field_name!r}")
    return "\n".join(lines)


def makemigrations_check_problem(app_labels: Sequence[str]) -> str | None:
    """Run ``makemigrations --check --dry-run`` in a new interpreter; its output if not clean."""
    environment = dict(os.environ)
    environment["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
    environment["PYTHONPATH"] = os.pathsep.join(path or os.getcwd() for path in sys.path)
    completed = subprocess.run(
        [sys.executable, "-m", "django", "makemigrations", "--check", "--dry-run", *app_labels],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if completed.returncode == 0:
        return None
    return (completed.stdout + completed.stderr).strip()


def _write_all(
    migration_files: Sequence[MigrationFile],
    edits: Sequence[ModelFileEdit],
    stderr: Any,
) -> None:
    written: list[str] = []
    try:
        for migration in migration_files:
            migration.path.write_text(migration.content, encoding="utf-8")
            written.append(str(migration.path))
        for edit in edits:
            edit.path.write_text(edit.new_text, encoding="utf-8")
    except OSError:
        _restore(migration_files, edits)
        raise
    run_formatters(written, stderr=stderr or io.StringIO())


def _restore(migration_files: Sequence[MigrationFile], edits: Sequence[ModelFileEdit]) -> None:
    for migration in migration_files:
        migration.path.unlink(missing_ok=True)
    for edit in edits:
        edit.path.write_text(edit.old_text, encoding="utf-8")
