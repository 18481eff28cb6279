"""Refusals: a clear message, exit status 2, and nothing written.

These run in-process against the real testproject: a refused change never writes, and
the dry-run test checks that nothing on disk changed.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

import testproject.school.models

pytestmark = pytest.mark.django_db

SCHOOL = Path(testproject.school.models.__file__).parent


def refusal(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("perfindex", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert caught.value.returncode == 2
    return str(caught.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("add", "shcool.Attendance", "status"),
            "No installed app with label 'shcool'. Did you mean 'school'?",
        ),
        (
            ("add", "school.Attendence", "status"),
            "App 'school' has no model 'Attendence' (models: Attendance, Class, "
            "ClassSession, Enrollment, Student, Teacher).",
        ),
        (
            ("add", "school.Attendance", "statsu"),
            "school.Attendance has no field 'statsu'. Did you mean 'status'?",
        ),
        (
            ("add", "school.Class", "students"),
            "school.Class.students is not a concrete field (it has no column of its own), "
            "so it cannot be indexed.",
        ),
        (
            ("add", "school.Student", "enrollments"),
            "school.Student.enrollments is not a concrete field (it has no column of its "
            "own), so it cannot be indexed.",
        ),
        (
            ("add", "school.Attendance", "status,-status"),
            "Field 'status' appears twice in the index.",
        ),
        (
            ("add", "school.Attendance", "status,,created_at"),
            "Invalid field list 'status,,created_at': give field names separated by commas, "
            "with '-' before a field for descending order (e.g. student,-created_at).",
        ),
        (
            ("add", "Attendance", "status"),
            "Expected app_label.Model (e.g. school.Attendance), got 'Attendance'.",
        ),
        (
            ("add", "school.Attendance", "student_id"),
            "school.Attendance already has an index on (student): the db_index of field 'student'.",
        ),
        (
            ("add", "school.Enrollment", "student,school_class"),
            "school.Enrollment already has an index on (student, school_class): the unique "
            "constraint 'enrollment_student_class_uniq'.",
        ),
        (
            ("add", "school.Attendance", "-student"),
            "school.Attendance already has an index on (student DESC): the db_index of field "
            "'student'. A B-tree index is also read backwards, so it serves this order too.",
        ),
        (
            ("add", "school.Student", "email"),
            "school.Student already has an index on (email): the unique field 'email'.",
        ),
        (
            ("add", "school.Attendance", "status", "--name", "x" * 31),
            f"The index name {'x' * 31!r} is 31 characters long; Django allows at most 30.",
        ),
        (
            ("add", "school.Attendance", "status", "--name", "_status"),
            "The index name '_status' must start with a letter and contain only letters, "
            "digits and underscores.",
        ),
        (
            ("add", "school.Attendance", "status", "--name", "enrollment_student_class_uniq"),
            "The index name 'enrollment_student_class_uniq' is already used in this project; "
            "choose another with --name.",
        ),
        (
            ("remove", "school.Enrollment", "enrollment_student_class_uniq"),
            "'enrollment_student_class_uniq' backs the constraint "
            "'enrollment_student_class_uniq' of school.Enrollment; removing it would remove "
            "the constraint. Edit Meta.constraints instead.",
        ),
        (
            ("remove", "school.Attendance", "no_such_index"),
            "school.Attendance declares no index named 'no_such_index' in Meta.indexes "
            "(declared: none).",
        ),
    ],
)
def test_refused(args, message):
    assert refusal(*args) == message


def implicit_index(table: str, kind: str) -> str:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    for name, details in constraints.items():
        if kind == "primary_key" and details["primary_key"]:
            return name
        if kind == "unique" and details["unique"] and not details["primary_key"]:
            return name
        if (
            kind == "foreign_key_index"
            and details["index"]
            and details["columns"] == ["student_id"]
        ):
            return name
    raise AssertionError(f"no {kind} index on {table}: {constraints}")


def test_removing_the_primary_key_index_is_refused():
    name = implicit_index("school_attendance", "primary_key")
    assert refusal("remove", "school.Attendance", name) == (
        f"{name!r} on school.Attendance is the primary key's index; it cannot be removed."
    )


def test_removing_a_unique_index_is_refused():
    name = implicit_index("school_student", "unique")
    assert refusal("remove", "school.Student", name) == (
        f"{name!r} on school.Student is the index behind a unique constraint on (email); "
        "it cannot be removed."
    )


def test_removing_a_foreign_key_index_points_to_db_index_false():
    name = implicit_index("school_attendance", "foreign_key_index")
    assert refusal("remove", "school.Attendance", name) == (
        f"{name!r} on school.Attendance is the index Django creates for field 'student' "
        "(db_index); set db_index=False on the field instead (perfaudit --fix does that "
        "when another index covers it)."
    )


def test_dry_run_prints_and_writes_nothing():
    models_before = (SCHOOL / "models.py").read_text()
    migrations_before = sorted(path.name for path in (SCHOOL / "migrations").iterdir())
    stdout = io.StringIO()
    call_command(
        "perfindex",
        "add",
        "school.Attendance",
        "-created_at",
        "--dry-run",
        "--no-concurrently",
        stdout=stdout,
    )
    lines = stdout.getvalue().splitlines()
    assert re.fullmatch(
        r"Would write \(dry run\) testproject/school/migrations/"
        r"\d{4}_attendance_school_atte_created_c0972a_idx\.py \(plain operations\):",
        lines[0],
    )
    assert lines[1] == (
        "    - Create index school_atte_created_c0972a_idx on field(s) -created_at of model "
        "attendance"
    )
    output = "\n".join(lines)
    assert (
        "        migrations.AddIndex(\n"
        "            model_name='attendance',\n"
        "            index=models.Index(fields=['-created_at'], "
        "name='school_atte_created_c0972a_idx'),\n"
        "        ),\n"
    ) in output + "\n"
    assert (
        "+        indexes = [\n"
        '+            models.Index(fields=["-created_at"], '
        'name="school_atte_created_c0972a_idx"),\n'
        "+        ]"
    ) in output
    assert (SCHOOL / "models.py").read_text() == models_before
    assert sorted(path.name for path in (SCHOOL / "migrations").iterdir()) == migrations_before


def test_a_name_the_database_already_has_is_refused():
    with connection.cursor() as cursor:
        cursor.execute('CREATE INDEX "manual_status_idx" ON "school_attendance" ("status")')
    assert refusal("add", "school.Attendance", "status", "--name", "manual_status_idx") == (
        "The database already has a relation named 'manual_status_idx' that the migrations "
        "do not declare (a manual index, or one left INVALID by a failed concurrent build: "
        "see docs/migrations.md); choose another with --name or drop it."
    )


def test_an_equal_index_only_the_database_has_is_refused():
    with connection.cursor() as cursor:
        cursor.execute('CREATE INDEX "manual_created" ON "school_attendance" ("created_at" DESC)')
    assert refusal("add", "school.Attendance", "created_at") == (
        "school.Attendance already has an index on (created_at DESC): the index "
        "'manual_created' in the database, which the migrations do not declare. Declare it "
        "in Meta.indexes (with a migration that adopts it) rather than building a twin."
    )


def test_a_partial_index_in_the_database_does_not_count_as_equal():
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE INDEX "manual_late" ON "school_attendance" ("created_at") '
            "WHERE \"status\" = 'late'"
        )
    stdout = io.StringIO()
    call_command("perfindex", "add", "school.Attendance", "created_at", "--dry-run", stdout=stdout)
    assert "Would write (dry run)" in stdout.getvalue()


def test_works_with_debug_on(settings):
    """With DEBUG on, Django formats logged SQL with its parameters: no stray % allowed."""
    settings.DEBUG = True
    stdout = io.StringIO()
    call_command("perfindex", "add", "school.Attendance", "created_at", "--dry-run", stdout=stdout)
    assert "Would write (dry run)" in stdout.getvalue()


def test_djangos_own_options_and_descending_fields_go_anywhere():
    stdout = io.StringIO()
    call_command(
        "perfindex",
        "add",
        "-v",
        "0",
        "school.Attendance",
        "-created_at",
        "--dry-run",
        stdout=stdout,
    )
    assert "Would write (dry run)" in stdout.getvalue()
    assert '"-created_at"' in stdout.getvalue()


def test_name_goes_with_add_only():
    assert refusal("remove", "school.Attendance", "some_idx", "--name", "x") == (
        "--name goes with add, not remove."
    )


def test_unknown_database_is_a_usage_error():
    assert refusal("add", "school.Attendance", "created_at", "--database", "nope") == (
        "No database alias 'nope' in DATABASES."
    )
