"""The models stay in step with the migrations, or every file is put back.

Run through ``manage.py``-style subprocesses on a copy of the sample project, so the exit
statuses are the real ones. None of this depends on the backend, so it runs on SQLite
in every pass (the round trips in test_round_trip.py cover PostgreSQL).
"""

from __future__ import annotations

import os

from tests.indexgen.round_trip_helpers import ok

CONFLICT = """\
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = []
"""


def files(sqlite_sample):
    return {path.name: path.read_text() for path in sqlite_sample.root.rglob("*.py")}


def test_descending_field_from_the_shell_and_exit_status_2(sqlite_sample):
    result = sqlite_sample.run(
        "perfindex", "add", "shop.Order", "-created_at", "--dry-run", "--settings=shop_settings"
    )
    assert ok(result).startswith(
        "Would write (dry run) shop/migrations/0002_order_shop_order_created_"
    )
    refused = sqlite_sample.run("perfindex", "add", "shop.Order", "created")
    assert refused.returncode == 2
    assert refused.stderr == (
        "CommandError: shop.Order has no field 'created'. Did you mean 'created_at'?\n"
    )


def test_conflicting_migrations_are_refused(sqlite_sample):
    for name in ("0002_left", "0002_right"):
        (sqlite_sample.migrations_dir / f"{name}.py").write_text(CONFLICT)
    before = files(sqlite_sample)
    result = sqlite_sample.run("perfindex", "add", "shop.Order", "status")
    assert result.returncode == 2
    assert result.stderr == (
        "CommandError: Conflicting migrations in 'shop': 0002_left, 0002_right. "
        "Run makemigrations --merge first.\n"
    )
    assert files(sqlite_sample) == before


def test_unmigrated_model_changes_are_refused(sqlite_sample):
    source = sqlite_sample.models_path.read_text()
    sqlite_sample.models_path.write_text(source.replace("    total = models.IntegerField()\n", ""))
    result = sqlite_sample.run("perfindex", "add", "shop.Order", "status")
    assert result.returncode == 2
    assert result.stderr == (
        "CommandError: App 'shop' has model changes without a migration; "
        "run makemigrations shop first.\n"
    )


def test_check_failure_restores_both_files_and_prints_the_snippet(sqlite_sample):
    # A later assignment drops what the edit appends: makemigrations then sees a change.
    source = sqlite_sample.models_path.read_text().replace(
        "        ]\n\n    def __str__(self):\n        return self.reference",
        "        ]\n        indexes = indexes[:1]\n\n    def __str__(self):\n"
        "        return self.reference",
    )
    sqlite_sample.models_path.write_text(source)
    before = files(sqlite_sample)
    result = sqlite_sample.run("perfindex", "add", "shop.Order", "status")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "makemigrations --check still reports changes after the edit, so every file was restored.\n"
    )
    assert result.stderr.endswith(
        "Add this to the models by hand:\n"
        "# shop.Order: add to class Meta's indexes list\n"
        'models.Index(fields=["status"], name="shop_order_status_63c2c0_idx"),\n'
        "CommandError: The models were not updated.\n"
    )
    assert files(sqlite_sample) == before


def test_source_it_cannot_edit_writes_nothing(sqlite_sample):
    source = sqlite_sample.models_path.read_text().replace(
        "class Order(models.Model):", "ORDER_INDEXES = []\n\n\nclass Order(models.Model):"
    )
    source = source.replace(
        "        indexes = [\n"
        '            models.Index(fields=["reference"], name="shop_order_reference_idx"),\n'
        "        ]\n",
        "        indexes = ORDER_INDEXES\n",
    )
    sqlite_sample.models_path.write_text(source)
    ok(sqlite_sample.run("makemigrations", "shop"))  # the reference index goes away
    before = files(sqlite_sample)
    result = sqlite_sample.run("perfindex", "add", "shop.Order", "status")
    assert result.returncode == 1
    assert result.stderr == (
        "The models could not be edited (Meta.indexes is not a list literal); nothing was "
        "written.\n"
        "Add this to the models by hand:\n"
        "# shop.Order: add to class Meta's indexes list\n"
        'models.Index(fields=["status"], name="shop_order_status_63c2c0_idx"),\n'
        "CommandError: The models were not updated.\n"
    )
    assert files(sqlite_sample) == before


def test_no_update_models_writes_only_the_migration(sqlite_sample):
    models_before = sqlite_sample.models_path.read_text()
    output = ok(sqlite_sample.run("perfindex", "add", "shop.Order", "status", "--no-update-models"))
    assert output.endswith(
        "Models not updated (--no-update-models). Add by hand:\n"
        "# shop.Order: add to class Meta's indexes list\n"
        'models.Index(fields=["status"], name="shop_order_status_63c2c0_idx"),\n'
    )
    assert sqlite_sample.models_path.read_text() == models_before
    assert sqlite_sample.migration_names() == [
        "0001_initial",
        "0002_order_shop_order_status_63c2c0_idx",
    ]


def test_abstract_base_keeps_its_indexes(sqlite_sample):
    ok(sqlite_sample.run("perfindex", "add", "shop.Invoice", "total"))
    source = sqlite_sample.models_path.read_text()
    assert (
        "class Invoice(Stamped):\n"
        "    total = models.IntegerField()\n"
        "\n"
        "    class Meta(Stamped.Meta):\n"
        "        indexes = [\n"
        "            *Stamped.Meta.indexes,\n"
        '            models.Index(fields=["total"], name="shop_invoic_total_5048d7_idx"),\n'
        "        ]\n"
        "\n"
        "    def __str__(self):\n"
    ) in source
    # perfindex ran makemigrations --check itself; the inherited index is still declared.
    sqlite_sample.check_and_migrate()
    assert "shop_invoice_made" in sqlite_sample.index_definitions("shop_invoice")


def test_the_configured_formatter_runs_on_the_migration_as_makemigrations_runs_it(sqlite_sample):
    """Django's run_formatters calls black when it is on PATH; a stand-in records the call."""
    bin_dir = sqlite_sample.root / "bin"
    bin_dir.mkdir()
    calls = sqlite_sample.root / "black-calls.txt"
    black = bin_dir / "black"
    black.write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n')
    black.chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    ok(
        sqlite_sample.run(
            "perfindex", "add", "shop.Order", "status", extra_environment={"PATH": path}
        )
    )
    migration = sqlite_sample.migrations_dir / "0002_order_shop_order_status_63c2c0_idx.py"
    assert calls.read_text() == f"--fast -- {migration}\n"
