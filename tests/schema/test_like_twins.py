"""PostgreSQL's ``_like`` twin of a text field's index: a redundancy fix that sets
db_index=False drops it too, and the finding says so."""

from __future__ import annotations

import pytest
from django.db import connection

from perfkit.audit.audited_models import AuditedModel
from perfkit.audit.readonly import read_only
from perfkit.audit.run import audit_models
from perfkit.schema.declared import declared_indexes

pytestmark = pytest.mark.django_db


def redundancy(models):
    audited = [
        AuditedModel(
            f"schema_exact.{model.__name__}",
            "schema_exact",
            model.__name__,
            model._meta.db_table,
            model,
            tuple(declared_indexes(model, connection)),
        )
        for model in models
    ]
    with read_only(connection):
        return audit_models(connection, audited, checks=["PA202"]).findings


def test_db_index_false_names_the_like_twin_it_drops(exact_models):
    with connection.cursor() as cursor:
        cursor.execute('CREATE INDEX "slug_and_a" ON "schema_exact_event" (slug, a)')
    [finding] = [f for f in redundancy(exact_models) if f.columns == ("slug",)]
    assert finding.autofix["action"] == "set_db_index_false"
    assert finding.autofix["field"] == "slug"
    if connection.vendor == "postgresql":
        like = f"{finding.index}_like"
        assert finding.message.endswith(
            f"db_index=False on slug also drops its LIKE index {like}, which no other "
            "index replaces for startswith/contains lookups."
        )
        assert finding.fix == (
            f"Set db_index=False on schema_exact.Event.slug. This also drops {like}, the "
            "field's LIKE index (varchar_pattern_ops): keep a pattern index if the project "
            "filters it with startswith/contains."
        )
    else:  # no LIKE twin on SQLite
        assert "LIKE" not in finding.message
        assert finding.fix == "Set db_index=False on schema_exact.Event.slug."
