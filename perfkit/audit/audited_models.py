"""The audited models: those of Django's migration state (what ``migrate`` makes the
database look like), each with the indexes it declares (:mod:`perfkit.schema.declared`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from perfkit.audit.installed_packages import is_project_app
from perfkit.schema.declared import declared_indexes
from perfkit.schema.definitions import IndexDefinition


@dataclass(frozen=True)
class AuditedModel:
    """A model of the migration state and the index definitions it declares."""

    label: str  # "app_label.Model"
    app_label: str
    model_name: str
    table: str
    model: type[models.Model]
    declared: tuple[IndexDefinition, ...]
    # The model comes from an installed package (see perfkit.audit.installed_packages).
    third_party: bool = False


def declared_models(
    connection: BaseDatabaseWrapper, app_labels: Sequence[str] = (), third_party: bool = False
) -> list[AuditedModel]:
    """The managed, concrete models of the migration state, with their declared indexes:
    of ``app_labels``, or else of the project's own apps (with ``third_party``, of every
    app)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    state_apps = loader.project_state().apps
    audited = []
    project_apps: dict[str, bool] = {}
    for model in state_apps.get_models():
        meta = model._meta
        if not meta.managed or meta.proxy or meta.swapped:
            continue
        if app_labels and meta.app_label not in app_labels:
            continue
        if meta.app_label not in project_apps:
            project_apps[meta.app_label] = is_project_app(meta.app_label)
        project_app = project_apps[meta.app_label]
        if not app_labels and not project_app and not third_party:
            continue
        audited.append(
            AuditedModel(
                label=f"{meta.app_label}.{meta.object_name}",
                app_label=meta.app_label,
                model_name=str(meta.object_name),
                table=meta.db_table,
                model=model,
                declared=tuple(declared_indexes(model, connection)),
                third_party=not project_app,
            )
        )
    return sorted(audited, key=lambda item: item.label)
