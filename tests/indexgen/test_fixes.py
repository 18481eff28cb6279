"""Audit fixes (the JSON ``fix`` of a finding) → index changes."""

from __future__ import annotations

from perfkit.indexgen.changes import AddIndexChange, DisableFieldIndexChange, RemoveIndexChange
from perfkit.indexgen.fixes import describe_change, plan_fixes


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
