"""Workload suggestions from queries captured by the detector, and checks the database
refuses to a role without privileges: skipped, with the reason."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

import perfkit
from perfkit.audit.run import run_audit
from perfkit.audit.workload import (
    load_captured,
    numbered_parameters,
    save_captured,
    statements_from_captured,
)
from testproject.school.models import Student

pytestmark = pytest.mark.django_db


def sql(*statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def test_placeholders_are_numbered_like_pg_stat_statements():
    assert numbered_parameters("SELECT 1 WHERE a = %s AND b LIKE 'x%%' AND c IN (%s, %s)") == (
        "SELECT 1 WHERE a = $1 AND b LIKE 'x%' AND c IN ($2, $3)"
    )


def test_captured_queries_round_trip_without_parameters(tmp_path):
    with perfkit.detect() as report:
        for grade in (1, 2, 3):
            list(Student.objects.filter(grade=grade))
        Student.objects.create(first_name="A", last_name="B", email="ab@x.test")
    [statement] = statements_from_captured(report.captured)  # the INSERT is left out
    assert statement.calls == 3 and "$1" in statement.sql and "%s" not in statement.sql
    path = tmp_path / "captured.json"
    save_captured(report.captured, path)
    assert "grade" in path.read_text() and "ab@x.test" not in path.read_text()
    assert load_captured(path) == [statement]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "Cannot read captured queries from"),
        ('{"sql": "SELECT 1"}', "is not a list of captured queries"),
        ('[{"sql": "SELECT 1"}]', "is not a list of captured queries"),
    ],
)
def test_bad_captured_file_exits_2(tmp_path, content, message):
    path = tmp_path / "captured.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message) as raised:
        call_command("perfaudit", "--captured", str(path), stdout=StringIO(), stderr=StringIO())
    assert raised.value.returncode == 2


def test_captured_file_is_read_and_planned_on_postgres_only(tmp_path):
    path = tmp_path / "captured.json"
    path.write_text(json.dumps([{"sql": "SELECT 1 FROM school_student", "total_ms": 5}]))
    err = StringIO()
    call_command(
        "perfaudit",
        "--captured",
        str(path),
        "--checks",
        "PA501",
        verbosity=2,  # the progress lines
        stdout=StringIO(),
        stderr=err,
    )
    if connection.vendor == "sqlite":
        assert "perfaudit: skipped PA501: PostgreSQL only (sqlite here)." in err.getvalue()
    else:  # planned, and too small a table for a suggestion
        assert "perfaudit: running PA501" in err.getvalue()
        assert "could not plan" not in err.getvalue()


@pytest.mark.postgres
def test_suggestion_from_captured_queries_without_pg_stat_statements(settings):
    settings.PERFKIT = {"AUDIT_LARGE_TABLE_ROWS": 1000}
    sql(
        "DROP EXTENSION IF EXISTS pg_stat_statements",
        "CREATE EXTENSION IF NOT EXISTS hypopg",
        "INSERT INTO school_student (first_name, last_name, email, grade) "
        "SELECT 'A', 'L' || n, 's' || n || '@x.test', n % 12 FROM generate_series(1, 5000) n",
        "ANALYZE school_student",
    )
    with perfkit.detect() as report:
        for grade in (3, 4):
            list(Student.objects.filter(grade=grade).order_by("last_name"))
    result = run_audit(
        app_labels=["school"],
        checks=["PA501"],
        captured=statements_from_captured(report.captured),
    )
    [finding] = result.findings
    assert finding.autofix["fields"] == ["grade", "last_name"]
    assert "2 calls, from queries captured by the detector" in finding.message
    assert "hypothetical index (hypopg)" in finding.message
    assert "Using the captured queries only." in result.skipped[0]


@pytest.mark.postgres
def test_without_hypopg_the_suggestion_says_it_is_unconfirmed(settings):
    settings.PERFKIT = {"AUDIT_LARGE_TABLE_ROWS": 1000}
    sql(
        "DROP EXTENSION IF EXISTS hypopg",
        "INSERT INTO school_student (first_name, last_name, email, grade) "
        "SELECT 'A', 'L' || n, 's' || n || '@x.test', n % 12 FROM generate_series(1, 5000) n",
        "ANALYZE school_student",
    )
    with perfkit.detect() as report:
        list(Student.objects.filter(grade=3))
    result = run_audit(
        app_labels=["school"], checks=["PA501"], captured=statements_from_captured(report.captured)
    )
    [finding] = result.findings
    assert finding.message.endswith("Not confirmed: hypopg is not installed.")
    assert any("hypopg is not installed" in note for note in result.skipped)


@pytest.mark.postgres
def test_checks_a_role_may_not_run_are_skipped_with_the_reason():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        role = f"perfkit_reader_{cursor.fetchone()[0]}"  # roles are cluster-wide
    sql(
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
        "SELECT count(*) FROM school_student WHERE grade = 3",  # recorded for postgres
        f'CREATE ROLE "{role}"',
        f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"',
        "REVOKE SELECT ON pg_catalog.pg_stats FROM PUBLIC",
        "CREATE INDEX broken ON school_student (grade)",
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'broken'::regclass",
        f'SET ROLE "{role}"',
    )
    try:
        result = run_audit(app_labels=["school"], checks=["PA401", "PA403", "PA404", "PA501"])
    finally:
        sql("RESET ROLE")  # the test's transaction rolls back the rest
    assert [finding.id for finding in result.findings] == ["PA401:school_student:broken"]
    skipped = "\n".join(result.skipped)
    for check in ("PA403", "PA404"):
        assert (
            f"{check}: the database refused: permission denied for view pg_stats. This role "
            "lacks the privilege"
        ) in skipped
    assert "belong to other roles and their text is hidden" in skipped
