"""Models whose declarations hold every kind of index Django can make, for one backend.

Built in an app registry of their own (the project's registry never sees them), created
with ``schema_editor.create_model`` (what ``migrate`` runs for a new model) and dropped
afterwards. ``models_for(vendor)`` gives the PostgreSQL set or the SQLite set: SQLite has
no operator classes, INCLUDE columns or access methods, and Django silently leaves them
out there, so the SQLite set declares only what SQLite can hold.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.apps.registry import Apps
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Collate, ExtractYear, Lower, Upper

APP_LABEL = "schema_exact"


def _meta(registry: Apps, table: str, indexes=(), constraints=()) -> type:
    return type(
        "Meta",
        (),
        {
            "app_label": APP_LABEL,
            "apps": registry,
            "db_table": table,
            "indexes": list(indexes),
            "constraints": list(constraints),
        },
    )


def _model(registry: Apps, name: str, fields: dict, meta: type) -> type[models.Model]:
    return type(name, (models.Model,), {"__module__": __name__, "Meta": meta, **fields})


def _event_fields() -> dict:
    return {
        "name": models.CharField(max_length=100),
        "code": models.CharField(max_length=20, unique=True),
        "slug": models.SlugField(),  # db_index: on PostgreSQL a _like twin too
        "notes": models.TextField(db_index=True),
        "status": models.CharField(max_length=20),
        "a": models.IntegerField(),
        "b": models.IntegerField(),
        "amount": models.DecimalField(max_digits=10, decimal_places=2),
        "active": models.BooleanField(default=True),
        "starts_at": models.DateTimeField(),
        "day": models.DateField(),
        "deleted_at": models.DateTimeField(null=True),
        "data": models.JSONField(default=dict),
    }


def _portable_indexes(collation: str) -> list[models.Index]:
    """Indexes every backend holds as declared."""
    return [
        # expressions
        models.Index(Lower("name"), name="ev_lower_name"),
        models.Index(Upper("name"), "a", name="ev_upper_name_a"),
        models.Index(F("a") + F("b"), name="ev_a_plus_b"),
        models.Index(Cast("a", output_field=models.CharField(max_length=10)), name="ev_cast_a"),
        models.Index(Lower("name").desc(), name="ev_lower_name_desc"),
        models.Index(ExtractYear("starts_at"), name="ev_year"),
        models.Index(Coalesce("deleted_at", "starts_at"), name="ev_coalesce"),
        models.Index(KT("data__owner"), name="ev_json_key"),
        # collation
        models.Index(Collate("name", collation), name="ev_name_coll"),
        # directions, several columns
        models.Index(fields=["-starts_at"], name="ev_starts_desc"),
        models.Index(fields=["status", "-starts_at", "a"], name="ev_status_starts_a"),
        # partial: IN, boolean, isnull, AND/OR, dates, numbers, strings, LIKE
        models.Index(fields=["a"], condition=Q(status__in=["new", "paid"]), name="ev_p_in"),
        models.Index(fields=["b"], condition=Q(active=True), name="ev_p_bool"),
        models.Index(fields=["starts_at"], condition=Q(deleted_at__isnull=True), name="ev_p_null"),
        models.Index(
            fields=["name"],
            condition=(Q(a__gt=1) & Q(b__lt=5)) | Q(status="void"),
            name="ev_p_and_or",
        ),
        models.Index(
            fields=["day"], condition=Q(day__gte=datetime.date(2024, 1, 1)), name="ev_p_date"
        ),
        models.Index(
            fields=["amount"], condition=Q(amount__gt=Decimal("10.50")), name="ev_p_decimal"
        ),
        models.Index(fields=["status"], condition=Q(name="O'Brien"), name="ev_p_quote"),
        models.Index(fields=["code"], condition=Q(name__startswith="ab"), name="ev_p_like"),
        models.Index(fields=["a"], condition=~Q(status="void") & Q(a__gte=-3), name="ev_p_not"),
        models.Index(fields=["b"], condition=Q(name__icontains="x%y"), name="ev_p_icontains"),
        models.Index(fields=["a"], condition=Q(a__gt=F("b")), name="ev_p_f"),
        models.Index(fields=["b"], condition=Q(a__range=(1, 5)), name="ev_p_range"),
        models.Index(fields=["a"], condition=Q(day__year=2024), name="ev_p_year"),
        models.Index(
            fields=["b"],
            condition=Q(starts_at__gte=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)),
            name="ev_p_datetime",
        ),
    ]


def _portable_constraints() -> list[models.UniqueConstraint]:
    return [
        models.UniqueConstraint(fields=["a", "b"], name="ev_u_ab"),
        models.UniqueConstraint(fields=["name"], condition=Q(active=True), name="ev_u_active"),
        models.UniqueConstraint(Lower("name"), "day", name="ev_u_lower_day"),
    ]


def _postgres_indexes() -> list[models.Index]:
    from django.contrib.postgres.indexes import (
        BrinIndex,
        GinIndex,
        GistIndex,
        HashIndex,
        OpClass,
    )

    return [
        # operator classes: on fields, and on expressions
        models.Index(fields=["status"], opclasses=["varchar_pattern_ops"], name="ev_ops_status"),
        models.Index(OpClass(Lower("name"), name="text_pattern_ops"), name="ev_ops_lower"),
        models.Index(
            fields=["name", "status"],
            opclasses=["varchar_pattern_ops", "varchar_ops"],
            name="ev_ops_two",
        ),
        # INCLUDE
        models.Index(fields=["a"], include=["b", "status"], name="ev_incl"),
        models.Index(fields=["-b"], include=["name"], condition=Q(active=False), name="ev_incl_p"),
        # access methods
        HashIndex(fields=["code"], name="ev_hash"),
        BrinIndex(fields=["starts_at"], name="ev_brin"),
        GinIndex(fields=["tags"], name="ev_gin"),
        GistIndex(fields=["period"], name="ev_gist"),
    ]


def _postgres_fields() -> dict:
    from django.contrib.postgres.fields import ArrayField, DateRangeField

    return {
        "tags": ArrayField(models.CharField(max_length=20), default=list),
        "period": DateRangeField(null=True),
        "label": models.CharField(max_length=30, db_collation="C", db_index=True),
    }


def _postgres_constraints() -> list[models.UniqueConstraint]:
    return [
        models.UniqueConstraint(fields=["status", "day"], include=["a"], name="ev_u_incl"),
        models.UniqueConstraint(
            fields=["slug"], opclasses=["varchar_pattern_ops"], name="ev_u_ops"
        ),
        models.UniqueConstraint(Upper("status"), name="ev_u_upper", condition=Q(a__gt=0)),
    ]


def models_for(vendor: str) -> list[type[models.Model]]:
    """The models (parents first) for ``vendor``: ``postgresql`` or ``sqlite``."""
    registry = Apps()
    postgres = vendor == "postgresql"
    fields = _event_fields() | (_postgres_fields() if postgres else {})
    indexes = _portable_indexes("C" if postgres else "NOCASE")
    constraints = _portable_constraints()
    if postgres:
        indexes += _postgres_indexes()
        constraints += _postgres_constraints()
    venue = _model(
        registry,
        "Venue",
        {"title": models.CharField(max_length=50, db_index=True)},
        _meta(
            registry,
            "schema_exact_venue",
            constraints=[models.UniqueConstraint(Lower("title"), name="venue_u_lower")],
        ),
    )
    event = _model(
        registry,
        "Event",
        {
            **fields,
            "venue": models.ForeignKey(venue, on_delete=models.CASCADE),
            "host": models.ForeignKey(
                venue, on_delete=models.CASCADE, related_name="+", db_index=False
            ),
        },
        _meta(registry, "schema_exact_event", indexes, constraints),
    )
    ticket = _model(
        registry,
        "Ticket",
        {
            "event": models.ForeignKey(event, on_delete=models.CASCADE),
            "seat": models.CharField(max_length=8),
            "row": models.IntegerField(),
        },
        type(
            "Meta",
            (),
            {
                "app_label": APP_LABEL,
                "apps": registry,
                "db_table": "schema_exact_ticket",
                "unique_together": [("event", "seat")],
                "indexes": [models.Index(fields=["event", "-row", "seat"], name="tk_multi")],
            },
        ),
    )
    return [venue, event, ticket]
