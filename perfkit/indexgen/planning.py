"""Check requested index changes against the project and turn them into operations.

Everything is read from Django's own view of the project: the installed models and the
migration state that ``MigrationLoader`` builds from the app's migration files (that is
what ``makemigrations`` compares against). Indexes, declared and present, are read
through :mod:`perfkit.schema`; the database (``using``) is consulted for the indexes it
already has, so that a twin is never built and removing one of Django's implicit
indexes is refused with the right reason.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import AddIndex, AlterField, RemoveIndex
from django.db.migrations.operations.base import Operation
from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
from django.db.migrations.state import ModelState, ProjectState

from perfkit.indexgen.changes import (
    AddIndexChange,
    DisableFieldIndexChange,
    IndexChange,
    RemoveIndexChange,
)
from perfkit.indexgen.errors import IndexChangeRefused
from perfkit.indexgen.ownership import check_ownership
from perfkit.schema.declared import declared_indexes
from perfkit.schema.definitions import IndexDefinition
from perfkit.schema.present import present_indexes, relation_exists

MAX_INDEX_NAME_LENGTH = 30
_VALID_INDEX_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

# An index's shape: its fields in order, each with True when descending.
IndexShape = tuple[tuple[str, bool], ...]


@dataclass(frozen=True, eq=False)
class PlannedOperation:
    """One checked change: the migration operation and what to change in the model."""

    change: IndexChange
    model: type[models.Model]
    operation: Operation
    # For adds and removes: the index as the model declares it.
    index: models.Index | None = None

    @property
    def app_label(self) -> str:
        return self.change.app_label


def plan_changes(
    changes: Sequence[IndexChange], loader: MigrationLoader, using: str = DEFAULT_DB_ALIAS
) -> list[PlannedOperation]:
    """Check every change against the project and database ``using``, and build its
    operation; raise IndexChangeRefused on the first bad one."""
    connection = connections[using]
    state = loader.project_state()
    checked_apps: set[str] = set()
    taken_names = _names_in_project(state)
    planned: list[PlannedOperation] = []
    for change in changes:
        model = _find_model(change.app_label, change.model_name)
        index = requested_index(change, model) if isinstance(change, AddIndexChange) else None
        check_ownership(change, model, connection, index)
        if change.app_label not in checked_apps:
            _check_app_can_migrate(change.app_label, loader, state)
            checked_apps.add(change.app_label)
        model_state = state.models[change.app_label, _model_name(model)]
        if isinstance(change, AddIndexChange):
            shapes_so_far = [
                _shape_of(step.index)
                for step in planned
                if isinstance(step.change, AddIndexChange)
                and step.model is model
                and step.index is not None
            ]
            assert index is not None
            planned.append(
                _plan_add(change, model, index, state, connection, taken_names, shapes_so_far)
            )
        elif isinstance(change, RemoveIndexChange):
            planned.append(_plan_remove(change, model, model_state, connection))
        else:
            planned.append(_plan_disable(change, model, model_state))
    return planned


# -- adding ------------------------------------------------------------------------------


def parse_fields(text: str) -> tuple[str, ...]:
    """``"student,-created_at"`` → ``("student", "-created_at")``."""
    fields = tuple(part.strip() for part in text.split(","))
    if not fields or any(part in {"", "-"} for part in fields):
        raise IndexChangeRefused(
            f"Invalid field list {text!r}: give field names separated by commas, "
            "with '-' before a field for descending order (e.g. student,-created_at)."
        )
    return fields


def requested_index(change: AddIndexChange, model: type[models.Model]) -> models.Index:
    """The ``models.Index`` an add asks for, its fields checked and its name Django's
    own unless given."""
    label = f"{change.app_label}.{model.__name__}"
    fields: list[str] = []
    for requested in change.fields:
        descending = requested.startswith("-")
        field = _concrete_field(model, requested.removeprefix("-"), label)
        if field.name in {name.removeprefix("-") for name in fields}:
            raise IndexChangeRefused(f"Field {field.name!r} appears twice in the index.")
        fields.append(f"-{field.name}" if descending else field.name)
    index = models.Index(fields=fields, name=change.name or "")
    if change.name is None:
        index.set_name_with_model(model)
    else:
        _check_index_name(change.name)
    return index


def _plan_add(
    change: AddIndexChange,
    model: type[models.Model],
    index: models.Index,
    state: ProjectState,
    connection: BaseDatabaseWrapper,
    taken_names: set[str],
    planned_shapes: list[IndexShape],
) -> PlannedOperation:
    label = f"{change.app_label}.{model.__name__}"
    shape = _shape_of(index)
    for existing_shape, description in _declared_shapes(model, state, connection):
        if shape in (existing_shape, _reversed(existing_shape)):
            raise IndexChangeRefused(
                f"{label} already has an index on {_describe_shape(shape)}: {description}. "
                "A B-tree index is also read backwards, so it serves this order too."
                if shape != existing_shape
                else f"{label} already has an index on {_describe_shape(shape)}: {description}."
            )
    if index.name in taken_names:
        raise IndexChangeRefused(
            f"The index name {index.name!r} is already used in this project; "
            "choose another with --name."
        )
    if _name_in_database(connection, index.name):
        raise IndexChangeRefused(
            f"The database already has a relation named {index.name!r} that the migrations "
            "do not declare (a manual index, or one left INVALID by a failed concurrent "
            "build: see docs/migrations.md); choose another with --name or drop it."
        )
    for existing_shape, description in _present_shapes(model, connection):
        if shape in (existing_shape, _reversed(existing_shape)):
            raise IndexChangeRefused(
                f"{label} already has an index on {_describe_shape(existing_shape)}: "
                f"{description}, which the migrations do not declare. Declare it in "
                "Meta.indexes (with a migration that adopts it) rather than building a twin."
            )
    if any(shape in (other, _reversed(other)) for other in planned_shapes):
        raise IndexChangeRefused(f"The index on {_describe_shape(shape)} is requested twice.")
    taken_names.add(index.name)
    return PlannedOperation(
        change=change,
        model=model,
        operation=AddIndex(model_name=_model_name(model), index=index),
        index=index,
    )


def _concrete_field(
    model: type[models.Model], name: str, label: str
) -> models.Field[object, object]:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        names = [field.name for field in model._meta.get_fields()]
        guesses = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean {guesses[0]!r}?" if guesses else ""
        raise IndexChangeRefused(f"{label} has no field {name!r}.{hint}") from None
    if not isinstance(field, models.Field) or not field.concrete or field.many_to_many:
        raise IndexChangeRefused(
            f"{label}.{name} is not a concrete field (it has no column of its own), "
            "so it cannot be indexed."
        )
    return field


def _check_index_name(name: str) -> None:
    if len(name) > MAX_INDEX_NAME_LENGTH:
        raise IndexChangeRefused(
            f"The index name {name!r} is {len(name)} characters long; "
            f"Django allows at most {MAX_INDEX_NAME_LENGTH}."
        )
    if not _VALID_INDEX_NAME.match(name):
        raise IndexChangeRefused(
            f"The index name {name!r} must start with a letter and contain only "
            "letters, digits and underscores."
        )


def _names_in_project(state: ProjectState) -> set[str]:
    names: set[str] = set()
    for model_state in state.models.values():
        names.update(index.name for index in model_state.options.get("indexes", []))
        names.update(constraint.name for constraint in model_state.options.get("constraints", []))
    return names


def _present_shapes(
    model: type[models.Model], connection: BaseDatabaseWrapper
) -> Iterable[tuple[IndexShape, str]]:
    """Plain B-tree indexes the database has on the model's table, as field shapes."""
    try:
        present = present_indexes(connection, [model._meta.db_table])
    except DatabaseError:
        return
    for index in present:
        shape = _field_shape(model, index)
        if shape is not None:
            yield shape, f"the index {index.name!r} in the database"


def _field_shape(model: type[models.Model], index: IndexDefinition) -> IndexShape | None:
    """A plain B-tree index as (field name, descending) pairs; None for any other index."""
    if not index.plain_btree:
        return None
    field_of_column = {field.column: field.name for field in model._meta.concrete_fields}
    if any(part.column not in field_of_column for part in index.keys):
        return None
    return tuple((field_of_column[part.column], part.descending) for part in index.keys)


def _name_in_database(connection: BaseDatabaseWrapper, name: str) -> bool:
    try:
        return relation_exists(connection, name)
    except DatabaseError:
        return False


def _shape_of(index: models.Index) -> IndexShape:
    return tuple((name, order == "DESC") for name, order in index.fields_orders)


def _reversed(shape: IndexShape) -> IndexShape:
    return tuple((name, not descending) for name, descending in shape)


def _describe_shape(shape: IndexShape) -> str:
    return "(" + ", ".join(f"{name} DESC" if desc else name for name, desc in shape) + ")"


def _declared_by(index: IndexDefinition) -> str | None:
    """What declares ``index``, for a refusal message; None for the LIKE twins."""
    if index.origin == "primary":
        return f"the primary key {index.field_name!r}"
    if index.origin == "unique":
        return f"the unique field {index.field_name!r}" if index.field_name else "unique_together"
    if index.origin == "constraint":
        return f"the unique constraint {index.name!r}"
    if index.origin == "db_index":
        return f"the db_index of field {index.field_name!r}"
    if index.origin == "meta":
        return f"Meta.indexes entry {index.name!r}"
    return None


def _declared_shapes(
    model: type[models.Model], state: ProjectState, connection: BaseDatabaseWrapper
) -> Iterable[tuple[IndexShape, str]]:
    """Every plain B-tree index the model already gets in the migration state, with
    what declares it."""
    state_model = state.apps.get_model(model._meta.app_label, model._meta.model_name)
    for index in declared_indexes(state_model, connection):
        shape = _field_shape(state_model, index)
        description = _declared_by(index)
        if shape is not None and description is not None:
            yield shape, description


# -- removing ----------------------------------------------------------------------------


def _plan_remove(
    change: RemoveIndexChange,
    model: type[models.Model],
    model_state: ModelState,
    connection: BaseDatabaseWrapper,
) -> PlannedOperation:
    label = f"{change.app_label}.{model.__name__}"
    for index in model_state.options.get("indexes", []):
        if index.name == change.index_name:
            return PlannedOperation(
                change=change,
                model=model,
                operation=RemoveIndex(model_name=_model_name(model), name=index.name),
                index=index,
            )
    for constraint in model_state.options.get("constraints", []):
        if constraint.name == change.index_name:
            raise IndexChangeRefused(
                f"{change.index_name!r} backs the constraint {constraint.name!r} of {label}; "
                "removing it would remove the constraint. Edit Meta.constraints instead."
            )
    implicit = _implicit_index_kind(model, change.index_name, connection)
    if implicit is not None:
        raise IndexChangeRefused(f"{change.index_name!r} on {label} is {implicit}.")
    declared = [index.name for index in model_state.options.get("indexes", [])]
    known = ", ".join(repr(name) for name in declared) or "none"
    raise IndexChangeRefused(
        f"{label} declares no index named {change.index_name!r} in Meta.indexes "
        f"(declared: {known})."
    )


def _implicit_index_kind(
    model: type[models.Model], name: str, connection: BaseDatabaseWrapper
) -> str | None:
    """Why an index that Django made without Meta.indexes may not be removed, if it is one.
    The name is looked up as Django's introspection names it (SQLite's primary key and
    unnamed constraints have names only there)."""
    try:
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    except DatabaseError:
        return None
    found = constraints.get(name)
    if found is None:
        return None
    columns = ", ".join(found.get("columns") or [])
    if found.get("primary_key"):
        return "the primary key's index; it cannot be removed"
    if found.get("unique"):
        return f"the index behind a unique constraint on ({columns}); it cannot be removed"
    declared = next(
        (index for index in declared_indexes(model, connection) if index.name == name), None
    )
    if declared is not None and declared.origin in ("db_index", "like"):
        kind = "LIKE index" if declared.origin == "like" else "index"
        return (
            f"the {kind} Django creates for field {declared.field_name!r} (db_index); "
            "set db_index=False on the field instead (perfaudit --fix does that when "
            "another index covers it)"
        )
    return "not declared in Meta.indexes, so Django's migrations do not manage it"


# -- db_index=False ----------------------------------------------------------------------


def _plan_disable(
    change: DisableFieldIndexChange, model: type[models.Model], model_state: ModelState
) -> PlannedOperation:
    label = f"{change.app_label}.{model.__name__}"
    field = _concrete_field(model, change.field_name, label)
    state_field = model_state.fields[field.name]
    if state_field.primary_key or state_field.unique:
        raise IndexChangeRefused(
            f"{label}.{field.name} is unique; its index backs the constraint and stays."
        )
    if not _has_db_index(state_field):
        raise IndexChangeRefused(f"{label}.{field.name} already has db_index=False.")
    new_field = state_field.clone()
    new_field.db_index = False  # type: ignore[attr-defined]
    return PlannedOperation(
        change=change,
        model=model,
        operation=AlterField(model_name=_model_name(model), name=field.name, field=new_field),
    )


def _model_name(model: type[models.Model]) -> str:
    return str(model._meta.model_name)


def _has_db_index(field: object) -> bool:
    # django-stubs does not declare Field.db_index.
    return bool(getattr(field, "db_index", False))


# -- the app as a whole ------------------------------------------------------------------


def _find_model(app_label: str, model_name: str) -> type[models.Model]:
    try:
        app_config = apps.get_app_config(app_label)
    except LookupError:
        labels = sorted(config.label for config in apps.get_app_configs())
        guesses = difflib.get_close_matches(app_label, labels, n=1)
        hint = f" Did you mean {guesses[0]!r}?" if guesses else ""
        raise IndexChangeRefused(f"No installed app with label {app_label!r}.{hint}") from None
    try:
        return app_config.get_model(model_name)
    except LookupError:
        names = sorted(model.__name__ for model in app_config.get_models())
        raise IndexChangeRefused(
            f"App {app_label!r} has no model {model_name!r} (models: {', '.join(names)})."
        ) from None


def _check_app_can_migrate(app_label: str, loader: MigrationLoader, state: ProjectState) -> None:
    if app_label not in loader.migrated_apps:
        raise IndexChangeRefused(
            f"App {app_label!r} has no migrations; run makemigrations {app_label} first."
        )
    conflicts = loader.detect_conflicts().get(app_label)
    if conflicts:
        raise IndexChangeRefused(
            f"Conflicting migrations in {app_label!r}: {', '.join(sorted(conflicts))}. "
            "Run makemigrations --merge first."
        )
    autodetector = MigrationAutodetector(
        state,
        ProjectState.from_apps(apps),
        NonInteractiveMigrationQuestioner(specified_apps={app_label}, dry_run=True),
    )
    pending = autodetector.changes(
        graph=loader.graph, trim_to_apps={app_label}, convert_apps={app_label}
    )
    if pending:
        raise IndexChangeRefused(
            f"App {app_label!r} has model changes without a migration; "
            f"run makemigrations {app_label} first."
        )
