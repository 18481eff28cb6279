"""What every audit check reads: the audited models, the database's indexes, options."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.db.backends.base.base import BaseDatabaseWrapper

from perfkit.audit.audited_models import AuditedModel
from perfkit.schema.definitions import IndexDefinition

if TYPE_CHECKING:
    from perfkit.audit.workload import WorkloadStatement


@dataclass
class AuditContext:
    """``present`` maps every audited table to the indexes the database has on it;
    ``captured`` holds the detector's queries for the workload suggestions; checks that
    cannot run add why to ``skipped``."""

    connection: BaseDatabaseWrapper
    models: list[AuditedModel]
    present: dict[str, list[IndexDefinition]]
    replicas: tuple[str, ...] = ()
    skipped: list[str] = field(default_factory=list)
    captured: tuple[WorkloadStatement, ...] = ()

    @property
    def vendor(self) -> str:
        return str(self.connection.vendor)

    @cached_property
    def _models_by_table(self) -> dict[str, AuditedModel]:
        by_table: dict[str, AuditedModel] = {}
        for audited in self.models:
            by_table.setdefault(audited.table, audited)
        return by_table

    def model_for(self, table: str) -> AuditedModel | None:
        return self._models_by_table.get(table)

    def field_for(self, table: str, column: str) -> Any:
        audited = self.model_for(table)
        if audited is None:
            return None
        for model_field in audited.model._meta.local_concrete_fields:
            if model_field.column == column:
                return model_field
        return None
