"""The audited models: those of Django's migration state (what ``migrate`` makes the
database look like), each with the indexes it declares (:mod:`perfkit.schema.declared`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

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


def declared_models(
    connection: BaseDatabaseWrapper, app_labels: Sequence[str] = ()
) -> list[AuditedModel]:
    """The managed, concrete models of the migration state, with their declared indexes."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    state_apps = loader.project_state().apps
    audited = []
    for model in state_apps.get_models():
        meta = model._meta
        if not meta.managed or meta.proxy or meta.swapped:
            continue
        if app_labels and meta.app_label not in app_labels:
            continue
        if not app_labels and not is_project_app(meta.app_label):
            continue
        audited.append(
            AuditedModel(
                label=f"{meta.app_label}.{meta.object_name}",
                app_label=meta.app_label,
                model_name=str(meta.object_name),
                table=meta.db_table,
                model=model,
                declared=tuple(declared_indexes(model, connection)),
            )
        )
    return sorted(audited, key=lambda item: item.label)


def is_project_app(app_label: str) -> bool:
    """Apps installed as packages (Django's contrib apps, third-party apps) are audited
    only when named: their models are not the project's to change."""
    from django.apps import apps

    try:
        path = apps.get_app_config(app_label).path
    except LookupError:
        return True
    return "site-packages" not in path and "dist-packages" not in path
