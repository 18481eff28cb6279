"""Generate → makemigrations --check → migrate → the index is there and used → back → gone.

Each test runs the real commands in a copy of a small project (see sample_project.py)
against the database the suite runs on: SQLite, or PostgreSQL when DATABASE_URL names it
(where the generated operations are the concurrent ones by default).
"""

from __future__ import annotations

import pytest

from tests.indexgen.round_trip_helpers import ok

COMPOSITE = "shop_order_custome_da1929_idx"
SINGLE = "shop_order_status_63c2c0_idx"


COMPOSITE_QUERY = (
    "SELECT id FROM shop_order WHERE customer_id = 1 ORDER BY created_at DESC LIMIT 10"
)
CLEAN = "No changes detected in app 'shop'\n"


def test_descending_composite_index_round_trip(sample):
    output = ok(sample.run("perfindex", "add", "shop.Order", "customer,-created_at"))
    assert f"shop/migrations/0002_order_{COMPOSITE}.py" in output

    seen = sample.round_trip(["shop_order"], [COMPOSITE_QUERY], sqlmigrate="0002")
    if sample.vendor == "postgresql":
        assert seen["sqlmigrate"] == (
            "--\n"
            f"-- Concurrently create index {COMPOSITE} on field(s) customer, -created_at"
            " of model order\n"
            "--\n"
            "SET statement_timeout = 0;\n"
            "SET lock_timeout = '2s';\n"
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{COMPOSITE}" ON "shop_order"'
            ' ("customer_id", "created_at" DESC);\n'
            "RESET statement_timeout;\n"
            "RESET lock_timeout;\n"
        )
    else:
        assert seen["sqlmigrate"] == (
            "BEGIN;\n"
            "--\n"
            f"-- Create index {COMPOSITE} on field(s) customer, -created_at of model order\n"
            "--\n"
            f'CREATE INDEX "{COMPOSITE}" ON "shop_order" ("customer_id", "created_at" DESC);\n'
            "COMMIT;\n"
        )
    assert seen["makemigrations"] == CLEAN

    definition = seen["after"]["indexes"][COMPOSITE]
    if sample.vendor == "postgresql":
        assert definition.endswith("USING btree (customer_id, created_at DESC)")
    else:
        assert definition.endswith('("customer_id", "created_at" DESC)')
    plan = seen["after"]["plans"][COMPOSITE_QUERY]
    assert COMPOSITE in plan
    # The index hands rows over already in order: no sort step.
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan

    assert COMPOSITE not in seen["back"]["indexes"]
    assert COMPOSITE not in seen["back"]["plans"][COMPOSITE_QUERY]


def test_single_field_concurrent_index_round_trip(sample):
    """--concurrently on every backend: off PostgreSQL the operation is a plain AddIndex."""
    ok(sample.run("perfindex", "add", "shop.Order", "status", "--concurrently"))
    content = (sample.migrations_dir / f"0002_order_{SINGLE}.py").read_text()
    assert "\n    atomic = False\n" in content
    assert "perfkit.indexgen.operations.AddIndexConcurrently(" in content

    query = "SELECT id FROM shop_order WHERE status = 'paid'"
    seen = sample.round_trip(["shop_order"], [query])
    assert seen["makemigrations"] == CLEAN
    assert seen["after"]["indexes"][SINGLE].endswith(
        "USING btree (status)" if sample.vendor == "postgresql" else '("status")'
    )
    assert SINGLE in seen["after"]["plans"][query]
    assert SINGLE not in seen["back"]["indexes"]


def test_removal_round_trip(sample):
    query = "SELECT id FROM shop_order WHERE reference = 'A-1'"
    assert "shop_order_reference_idx" in sample.explain(query)
    output = ok(
        sample.run(
            "perfindex", "remove", "shop.Order", "shop_order_reference_idx", "--concurrently"
        )
    )
    assert "shop/migrations/0002_remove_order_shop_order_reference_idx.py" in output
    source = sample.models_path.read_text()
    assert "shop_order_reference_idx" not in source
    assert "        # Looked up by the support desk.\n        indexes = []\n" in source

    seen = sample.round_trip(["shop_order"], [query], sqlmigrate="0002")
    statement = (
        "SET statement_timeout = 0;\n"
        "SET lock_timeout = '2s';\n"
        'DROP INDEX CONCURRENTLY IF EXISTS "shop_order_reference_idx";\n'
        "RESET statement_timeout;\n"
        "RESET lock_timeout;"
        if sample.vendor == "postgresql"
        else 'DROP INDEX "shop_order_reference_idx";'
    )
    assert seen["sqlmigrate"] == (
        f"--\n-- Concurrently remove index shop_order_reference_idx from order\n--\n{statement}\n"
    )
    assert seen["makemigrations"] == CLEAN
    assert "shop_order_reference_idx" not in seen["after"]["indexes"]
    assert "shop_order_reference_idx" not in seen["after"]["plans"][query]
    assert "shop_order_reference_idx" in seen["back"]["indexes"]
    assert "shop_order_reference_idx" in seen["back"]["plans"][query]


def test_foreign_key_db_index_false_round_trip(sample):
    """Shipment.order's own index is covered by (order, -shipped_at): drop it."""
    [fk_index] = [
        name
        for name in sample.index_definitions("shop_shipment")
        if name.startswith("shop_shipment_order_id_")
    ]
    result = sample.run_python(
        """
        from perfkit.indexgen.changes import DisableFieldIndexChange
        from perfkit.indexgen.generate import generate
        result = generate([DisableFieldIndexChange("shop", "Shipment", "order")])
        print(result.migrations[0].name)
        """
    )
    assert ok(result) == "0002_alter_shipment_order\n"
    source = sample.models_path.read_text()
    assert (
        "    order = models.ForeignKey(\n"
        '        Order, on_delete=models.CASCADE, related_name="shipments", db_index=False\n'
        "    )\n"
    ) in source

    query = "SELECT id FROM shop_shipment WHERE order_id = 1"
    seen = sample.round_trip(["shop_shipment"], [query])
    assert seen["makemigrations"] == CLEAN
    assert fk_index not in seen["after"]["indexes"]
    assert "shop_ship_order_idx" in seen["after"]["plans"][query]
    assert fk_index in seen["back"]["indexes"]


@pytest.mark.postgres
def test_postgresql_defaults_to_concurrent_one_operation_per_migration(sample):
    result = sample.run_python(
        """
        from perfkit.indexgen.changes import AddIndexChange, RemoveIndexChange
        from perfkit.indexgen.generate import generate
        result = generate([
            AddIndexChange("shop", "Order", ("status",)),
            RemoveIndexChange("shop", "Order", "shop_order_reference_idx"),
        ])
        for migration in result.migrations:
            print(migration.name)
        """
    )
    assert ok(result).splitlines() == [
        f"0002_order_{SINGLE}",
        "0003_remove_order_shop_order_reference_idx",
    ]
    second = (sample.migrations_dir / "0003_remove_order_shop_order_reference_idx.py").read_text()
    assert f"('shop', '0002_order_{SINGLE}')" in second
    assert "\n    atomic = False\n" in second
    assert "perfkit.indexgen.operations.RemoveIndexConcurrently(" in second

    sample.check_and_migrate()
    names = sample.index_definitions("shop_order")
    assert SINGLE in names
    assert "shop_order_reference_idx" not in names
