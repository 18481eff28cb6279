"""Check requested index changes against the project and turn them into operations.

Everything is read from Django's own view of the project: the installed models and the
migration state that ``MigrationLoader`` builds from the app's migration files (that is
what ``makemigrations`` compares against). The database is consulted only to name the
indexes Django creates implicitly (primary keys, unique columns, foreign keys), so that
removing one of those is refused with the right reason.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
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


def plan_changes(changes: Sequence[IndexChange], loader: MigrationLoader) -> list[PlannedOperation]:
    """Check every change and build its operation; raise IndexChangeRefused on the first bad one."""
    state = loader.project_state()
    checked_apps: set[str] = set()
    taken_names = _names_in_project(state)
    planned: list[PlannedOperation] = []
    for change in changes:
        model = _find_model(change.app_label, change.model_name)
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
            planned.append(_plan_add(change, model, model_state, taken_names, shapes_so_far))
        elif isinstance(change, RemoveIndexChange):
            planned.append(_plan_remove(change, model, model_state))
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


def _plan_add(
    change: AddIndexChange,
    model: type[models.Model],
    model_state: ModelState,
    taken_names: set[str],
    planned_shapes: list[IndexShape],
) -> PlannedOperation:
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
    shape = _shape_of(index)
    for existing_shape, description in _existing_shapes(model_state):
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
    if _name_in_database(index.name):
        raise IndexChangeRefused(
            f"The database already has a relation named {index.name!r} that the migrations "
            "do not declare (a manual index, or one left INVALID by a failed concurrent "
            "build: see docs/migrations.md); choose another with --name or drop it."
        )
    for existing_shape, description in _present_shapes(model):
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


# Indexes that are not plain B-trees over columns: they do not serve what a plain one does.
_SPECIAL_INDEXES = {
    "postgresql": """
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = %s::regclass
          AND (i.indpred IS NOT NULL OR i.indexprs IS NOT NULL OR EXISTS (
              SELECT 1 FROM unnest(i.indclass) AS used(opclass)
              JOIN pg_opclass o ON o.oid = used.opclass WHERE NOT o.opcdefault))
    """,
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
    "AND sql LIKE '%% WHERE %%'",
}


def _present_shapes(model: type[models.Model]) -> Iterable[tuple[IndexShape, str]]:
    """Plain B-tree indexes the database has on the model's table, as field shapes."""
    connection = connections[DEFAULT_DB_ALIAS]
    table = model._meta.db_table
    special_query = _SPECIAL_INDEXES.get(connection.vendor)
    try:
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
            special: set[str] = set()
            if special_query is not None:
                cursor.execute(special_query, [table])
                special = {row[0] for row in cursor.fetchall()}
    except DatabaseError:
        return
    field_of_column = {field.column: field.name for field in model._meta.concrete_fields}
    for name, details in constraints.items():
        columns = details.get("columns") or []
        if (
            not details.get("index")
            or details.get("type") not in {"idx", "btree"}
            or details.get("definition")
            or name in special
            or not columns
            or any(column not in field_of_column for column in columns)
        ):
            continue
        orders = details.get("orders") or ["ASC"] * len(columns)
        shape = tuple(
            (field_of_column[column], order == "DESC")
            for column, order in zip(columns, orders, strict=False)
        )
        yield shape, f"the index {name!r} in the database"


def _name_in_database(name: str) -> bool:
    """Index names share one namespace per schema (PostgreSQL) or database (SQLite)."""
    connection = connections[DEFAULT_DB_ALIAS]
    queries = {
        "postgresql": "SELECT 1 FROM pg_class WHERE relname = %s "
        "AND relnamespace = current_schema()::regnamespace",
        "sqlite": "SELECT 1 FROM sqlite_master WHERE name = %s",
    }
    query = queries.get(connection.vendor)
    if query is None:
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, [name])
            return cursor.fetchone() is not None
    except DatabaseError:
        return False


def _shape_of(index: models.Index) -> IndexShape:
    return tuple((name, order == "DESC") for name, order in index.fields_orders)


def _reversed(shape: IndexShape) -> IndexShape:
    return tuple((name, not descending) for name, descending in shape)


def _describe_shape(shape: IndexShape) -> str:
    return "(" + ", ".join(f"{name} DESC" if desc else name for name, desc in shape) + ")"


def _existing_shapes(model_state: ModelState) -> Iterable[tuple[IndexShape, str]]:
    """Every plain B-tree index the model already gets, with where it comes from."""
    for name, field in model_state.fields.items():
        if field.primary_key:
            yield ((name, False),), f"the primary key {name!r}"
        elif field.unique:
            yield ((name, False),), f"the unique field {name!r}"
        elif _has_db_index(field):
            yield ((name, False),), f"the db_index of field {name!r}"
    for index in model_state.options.get("indexes", []):
        if index.fields and not (index.condition or index.opclasses or index.include):
            yield _shape_of(index), f"Meta.indexes entry {index.name!r}"
    for constraint in model_state.options.get("constraints", []):
        if (
            isinstance(constraint, models.UniqueConstraint)
            and constraint.fields
            and not constraint.condition
            and not getattr(constraint, "opclasses", None)
            and not getattr(constraint, "include", None)
        ):
            shape = tuple((field_name, False) for field_name in constraint.fields)
            yield shape, f"the unique constraint {constraint.name!r}"
    for fields in model_state.options.get("unique_together", ()):
        yield tuple((field_name, False) for field_name in fields), "unique_together"


# -- removing ----------------------------------------------------------------------------


def _plan_remove(
    change: RemoveIndexChange, model: type[models.Model], model_state: ModelState
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
    implicit = _implicit_index_kind(model, change.index_name)
    if implicit is not None:
        raise IndexChangeRefused(f"{change.index_name!r} on {label} is {implicit}.")
    declared = [index.name for index in model_state.options.get("indexes", [])]
    known = ", ".join(repr(name) for name in declared) or "none"
    raise IndexChangeRefused(
        f"{label} declares no index named {change.index_name!r} in Meta.indexes "
        f"(declared: {known})."
    )


def _implicit_index_kind(model: type[models.Model], name: str) -> str | None:
    """Why an index that Django made without Meta.indexes may not be removed, if it is one."""
    connection = connections[DEFAULT_DB_ALIAS]
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
    for field in model._meta.concrete_fields:
        if found.get("index") and [field.column] == found.get("columns") and _has_db_index(field):
            return (
                f"the index Django creates for field {field.name!r} (db_index); "
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
