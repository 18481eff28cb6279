"""What every audit check reads: the audited models, the database's indexes, options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from perfkit.audit.definitions import IndexDefinition
from perfkit.audit.introspection import AuditedModel


@dataclass
class AuditContext:
    connection: BaseDatabaseWrapper
    models: list[AuditedModel]
    present: dict[str, list[IndexDefinition]]
    replicas: tuple[str, ...] = ()
    skipped: list[str] = field(default_factory=list)

    @property
    def vendor(self) -> str:
        return str(self.connection.vendor)

    def model_for(self, table: str) -> AuditedModel | None:
        for audited in self.models:
            if audited.table == table:
                return audited
        return None

    def field_for(self, table: str, column: str) -> Any:
        audited = self.model_for(table)
        if audited is None:
            return None
        for model_field in audited.model._meta.local_concrete_fields:
            if model_field.column == column:
                return model_field
        return None
