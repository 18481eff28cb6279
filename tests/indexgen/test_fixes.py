"""Audit fixes (the JSON ``fix`` of a finding) → index changes."""

from __future__ import annotations

from perfkit.indexgen.changes import AddIndexChange, DisableFieldIndexChange, RemoveIndexChange
from perfkit.indexgen.fixes import describe_change, plan_fixes
from tests.indexgen.round_trip_helpers import ok


def test_each_action_becomes_its_change_once_and_bad_fixes_are_reported():
    fixes = [
        {
            "action": "add_index",
            "app_label": "school",
            "model": "school.Attendance",
            "fields": ["-created_at"],
            "name": None,
        },
        {"action": "remove_index", "app_label": "staff", "model": "Shift", "name": "staff_idx"},
        {
            "action": "set_db_index_false",
            "app_label": "school",
            "model": "Attendance",
            "field": "student",
        },
        {
            "action": "add_index",
            "app_label": "school",
            "model": "Attendance",
            "fields": ["-created_at"],
        },
        {"action": "add_index", "app_label": "school", "model": "Attendance", "fields": "x"},
        {"action": "vacuum", "app_label": "school", "model": "Attendance"},
    ]
    plan = plan_fixes(fixes)
    assert plan.changes == (
        AddIndexChange("school", "Attendance", ("-created_at",)),
        RemoveIndexChange("staff", "Shift", "staff_idx"),
        DisableFieldIndexChange("school", "Attendance", "student"),
    )
    assert len(plan.skipped) == 2
    assert plan.skipped[1].startswith("not understood: {'action': 'vacuum'")
    assert [describe_change(change) for change in plan.changes] == [
        "add index on school.Attendance (-created_at)",
        "remove index staff_idx from staff.Shift",
        "set db_index=False on school.Attendance.student",
    ]


RUN_FIXES = """
import sys
from perfkit.indexgen.fixes import run_fixes

fixes = [
    {{"action": "add_index", "app_label": "shop", "model": "Order", "fields": ["status"]}},
    {{"action": "set_db_index_false", "app_label": "shop", "model": "Shipment", "field": "order"}},
    {{"action": "add_index", "app_label": "shop", "model": "Order", "fields": ["reference"]}},
]
written = run_fixes(fixes, assume_yes={yes}, ask=lambda prompt: print(prompt) or {answer!r},
                    stdout=sys.stdout)
print("written:", written)
"""

PLAN = (
    "perfaudit --fix will generate migrations to:\n"
    "  1. add index on shop.Order (status)\n"
    "  2. set db_index=False on shop.Shipment.order\n"
    "  skipped: add index on shop.Order (reference): shop.Order already has an index on "
    "(reference): Meta.indexes entry 'shop_order_reference_idx'.\n"
)


def test_declined_plan_writes_nothing(sqlite_sample):
    before = sqlite_sample.models_path.read_text()
    result = sqlite_sample.run_python(RUN_FIXES.format(yes=False, answer="n"))
    assert ok(result) == PLAN + "Write these migrations? [y/N] \nNothing written.\nwritten: False\n"
    assert sqlite_sample.models_path.read_text() == before
    assert sqlite_sample.migration_names() == ["0001_initial"]


def test_accepted_plan_writes_one_migration_and_stays_in_step(sqlite_sample):
    result = sqlite_sample.run_python(RUN_FIXES.format(yes=False, answer="y"))
    output = ok(result)
    assert output.startswith(PLAN + "Write these migrations? [y/N] \nWrote shop/migrations/")
    assert output.endswith("written: True\n")
    assert sqlite_sample.migration_names() == [
        "0001_initial",
        "0002_order_shop_order_status_63c2c0_idx_and_more",
    ]
    sqlite_sample.check_and_migrate()


APPLY_AUDIT_FIXES = """
from django.core.management.base import CommandError
from perfkit.indexgen.fixes import run_fixes
from perfkit.management.commands.perfaudit import Command
from perfkit.management.errors import command_errors

fixes = {fixes!r}
command = Command()
try:
    with command_errors(command.stderr):
        written = run_fixes(fixes, assume_yes=False, ask=command.ask, stdout=command.stdout)
    print("written:", written)
except CommandError as error:
    print("exit", error.returncode, error)
"""


def test_perfaudit_glue_asks_on_stdin(sqlite_sample):
    fixes = [{"action": "add_index", "app_label": "shop", "model": "Order", "fields": ["status"]}]
    result = sqlite_sample.run_python(APPLY_AUDIT_FIXES.format(fixes=fixes), stdin="yes\n")
    output = ok(result)
    assert output.startswith(
        "perfaudit --fix will generate migrations to:\n"
        "  1. add index on shop.Order (status)\n"
        "Write these migrations? [y/N] Wrote shop/migrations/0002_order_shop_order_status_"
    )
    assert output.endswith("written: True\n")


def test_perfaudit_glue_without_an_answer_writes_nothing(sqlite_sample):
    fixes = [{"action": "add_index", "app_label": "shop", "model": "Order", "fields": ["status"]}]
    result = sqlite_sample.run_python(APPLY_AUDIT_FIXES.format(fixes=fixes), stdin="")
    assert ok(result).endswith("Write these migrations? [y/N] Nothing written.\nwritten: False\n")
    assert sqlite_sample.migration_names() == ["0001_initial"]


def test_dry_run_labels_only_concurrent_migrations_concurrent(sqlite_sample):
    """With concurrent operations, the add is a concurrent migration of its own; the
    db_index=False is a plain AlterField and is labelled plain."""
    fixes = [
        {"action": "add_index", "app_label": "shop", "model": "Order", "fields": ["status"]},
        {
            "action": "set_db_index_false",
            "app_label": "shop",
            "model": "Shipment",
            "field": "order",
        },
    ]
    result = sqlite_sample.run_python(
        f"""
        import sys
        from perfkit.indexgen.fixes import run_fixes
        run_fixes({fixes!r}, assume_yes=True, ask=input, stdout=sys.stdout,
                  concurrently=True, dry_run=True)
        """
    )
    headings = [line for line in ok(result).splitlines() if line.startswith("Would write ")]
    assert headings == [
        "Would write (dry run) shop/migrations/0002_order_shop_order_status_63c2c0_idx.py "
        "(concurrent operations):",
        "Would write (dry run) shop/migrations/0003_alter_shipment_order.py (plain operations):",
    ]
