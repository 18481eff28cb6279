"""The concurrent operations are the plain ones as far as Django's migration state goes
(so makemigrations sees no difference), carry their retry options into the migration
file only when given, and are the plain operations off PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import models
from django.db.migrations.operations import AddConstraint, AddIndex, RemoveIndex
from django.db.migrations.state import ModelState, ProjectState
from django.db.migrations.writer import OperationWriter

from perfkit.indexgen.operations import (
    AddConstraintConcurrently,
    AddIndexConcurrently,
    RemoveIndexConcurrently,
)
from tests.indexgen.round_trip_helpers import ok
from tests.indexgen.test_concurrent_builds import UNIQUE_MIGRATION

INDEX = models.Index(fields=["status"], name="shop_order_status_idx")
UNIQUE = models.UniqueConstraint(fields=["reference"], name="shop_order_ref_uniq")


def state():
    project = ProjectState()
    project.add_model(
        ModelState(
            "shop",
            "Order",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("status", models.CharField(max_length=20)),
                ("reference", models.CharField(max_length=20)),
            ],
            {"indexes": [models.Index(fields=["reference"], name="shop_order_ref_idx")]},
        )
    )
    return project


def after(operation):
    project = state()
    operation.state_forwards("shop", project)
    return project.models["shop", "order"]


@pytest.mark.parametrize(
    ("concurrent", "plain"),
    [
        (AddIndexConcurrently("order", INDEX), AddIndex("order", INDEX)),
        (
            RemoveIndexConcurrently("order", "shop_order_ref_idx", lock_timeout="5s"),
            RemoveIndex("order", "shop_order_ref_idx"),
        ),
        (AddConstraintConcurrently("order", UNIQUE), AddConstraint("order", UNIQUE)),
    ],
)
def test_the_state_is_the_plain_operations(concurrent, plain):
    assert after(concurrent).options == after(plain).options
    assert isinstance(concurrent, type(plain))  # the optimizer treats them alike


def test_retry_options_are_written_only_when_given():
    plain, _ = OperationWriter(AddIndexConcurrently("order", INDEX), indentation=0).serialize()
    assert "lock_timeout" not in plain and "attempts" not in plain
    tuned = AddIndexConcurrently("order", INDEX, lock_timeout="500ms", attempts=10, retry_delay=0.5)
    text, imports = OperationWriter(tuned, indentation=0).serialize()
    assert "import perfkit.indexgen.operations" in imports
    assert "lock_timeout='500ms'," in text and "attempts=10," in text
    assert "retry_delay=0.5," in text
    assert tuned.policy.lock_timeout == "500ms"
    assert list(tuned.policy.pauses()) == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


@pytest.mark.parametrize(
    "options",
    [{"lock_timeout": "0"}, {"lock_timeout": "soon"}, {"attempts": 0}, {"retry_delay": -1}],
)
def test_bad_retry_options_are_refused_when_the_migration_loads(options):
    with pytest.raises(ValueError):
        AddIndexConcurrently("order", INDEX, **options)


def test_only_unique_constraints_are_built_concurrently():
    check = models.CheckConstraint(condition=models.Q(status="x"), name="status_x")
    with pytest.raises(TypeError, match="unique constraints only"):
        AddConstraintConcurrently("order", check)


def test_off_postgresql_the_unique_constraint_is_a_plain_add_constraint(sqlite_sample):
    (sqlite_sample.migrations_dir / "0002_unique_reference.py").write_text(UNIQUE_MIGRATION)
    sql = ok(sqlite_sample.run("sqlmigrate", "shop", "0002"))
    assert "CONCURRENTLY" not in sql and "lock_timeout" not in sql
    ok(sqlite_sample.run("migrate", "shop"))
    rows = sqlite_sample.query(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'shop_order' AND type = 'table'", ()
    )
    assert 'CONSTRAINT "shop_order_ref_uniq" UNIQUE ("reference")' in rows[0][0]
