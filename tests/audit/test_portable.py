"""The portable checks against indexes planted by hand, on SQLite and on PostgreSQL:
the problems must be found and their look-alikes must not."""

from __future__ import annotations

import pytest
from django.db import connection

from perfkit.audit.run import run_audit

pytestmark = pytest.mark.django_db


def sql(*statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def ids(result, *checks):
    return {f.id for f in result.findings if not checks or f.check in checks}


def index_on(table, columns):
    """The name of the plain (non-unique) index the database has on exactly ``columns``."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    [name] = [
        name
        for name, info in constraints.items()
        if info["index"] and not info["unique"] and info["columns"] == columns
    ]
    return name


def test_redundancy_found_and_look_alikes_left_alone():
    collate = '"C"' if connection.vendor == "postgresql" else "NOCASE"
    sql(
        # planted
        "CREATE INDEX dup_a ON school_student (last_name)",
        "CREATE INDEX dup_b ON school_student (last_name)",
        "CREATE INDEX wide ON school_student (last_name, first_name)",
        "CREATE INDEX like_pk ON school_teacher (id)",
        "CREATE INDEX expr_a ON school_student (lower(email))",
        "CREATE INDEX expr_b ON school_student (lower(email))",
        # look-alikes
        "CREATE INDEX plain ON school_student (first_name)",
        f"CREATE INDEX coll ON school_student (first_name COLLATE {collate})",
        "CREATE INDEX down ON school_student (first_name DESC, grade)",
        "CREATE INDEX part_a ON school_student (grade) WHERE grade > 5",
        "CREATE INDEX part_b ON school_student (grade) WHERE grade < 3",
        "CREATE UNIQUE INDEX twin_u ON school_teacher (last_name, email)",
        "CREATE INDEX twin_n ON school_teacher (last_name, email)",
        "CREATE INDEX upper_email ON school_student (upper(email))",
    )
    result = run_audit(app_labels=["school"])
    assert ids(result, "PA201", "PA202", "PA204") == {
        "PA201:school_student:dup_b",
        "PA202:school_student:dup_a",
        "PA201:school_student:expr_b",
        "PA204:school_teacher:like_pk",
    }
    drift = ids(result, "PA102")
    assert {"PA102:school_student:upper_email", "PA102:school_student:part_a"} <= drift
    assert not any(name.endswith("twin_u") for name in ids(result))  # unique: protected


def test_declared_index_missing_and_redefined():
    sql(
        "DROP INDEX schedule_department_idx",
        "DROP INDEX shift_employee_date_idx",
        "CREATE INDEX shift_employee_date_idx ON staff_shift (date, employee_id)",
    )
    result = run_audit(app_labels=["staff"], checks=["PA101", "PA102", "PA103"])
    assert ids(result) == {
        "PA101:staff_schedule:schedule_department_idx",
        "PA103:staff_shift:shift_employee_date_idx",
    }
    [redefined] = [f for f in result.findings if f.check == "PA103"]
    assert "declared as shift_employee_date_idx (employee_id, date)" in redefined.message


def test_foreign_key_without_index():
    name = index_on("staff_shift", ["schedule_id"])
    assert "PA301:staff_shift:schedule_id" not in ids(run_audit(app_labels=["staff"]))
    sql(f"DROP INDEX {name}")
    result = run_audit(app_labels=["staff"], checks=["PA301", "PA101"])
    assert ids(result) == {"PA301:staff_shift:schedule_id", f"PA101:staff_shift:{name}"}
    [missing] = [f for f in result.findings if f.check == "PA301"]
    assert missing.model == "staff.Shift"


def test_declared_index_made_partial_in_the_database():
    sql(
        "DROP INDEX shift_employee_date_idx",
        "CREATE INDEX shift_employee_date_idx ON staff_shift (employee_id, date) "
        "WHERE date > '2026-01-01'",
    )
    [redefined] = run_audit(app_labels=["staff"], checks=["PA103"]).findings
    assert redefined.id == "PA103:staff_shift:shift_employee_date_idx"
    assert "only the database makes it partial" in redefined.message
