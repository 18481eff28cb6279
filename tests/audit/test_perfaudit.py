"""perfaudit on the testproject, on SQLite and PostgreSQL: findings, output, exit codes."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from perfkit.audit.findings import CHECKS
from perfkit.audit.readonly import read_only
from perfkit.audit.run import run_audit

pytestmark = pytest.mark.django_db

# The naive models' planted problems (see testproject/*/models.py), by finding ID.
PLANTED = {
    "PA303:school_attendance:created_at",  # Meta.ordering -created_at, no index
    "PA304:staff_department:staff_department_is_active_f3cb6b60",  # boolean index
    "PA201:staff_schedule:schedule_department_idx",  # repeats the FK's own index
    "PA203:staff_shift:staff_shift_employee_id_1fbd7992",  # FK index under (employee, date)
    "PA203:journal_comment:journal_comment_content_type_id_24cdc85f",
    "PA203:school_enrollment:school_enrollment_student_id_0fc18838",
}


def perfaudit(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("perfaudit", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as error:  # call_command never exits the process
        code = error.returncode
    return code, out.getvalue(), err.getvalue()


def test_finds_the_planted_problems_and_nothing_else():
    result = run_audit()
    assert {finding.id for finding in result.findings} == PLANTED


def test_json_output_shape():
    code, out, _ = perfaudit("--format", "json", "--fail-level", "error")
    assert code == 0
    report = json.loads(out)
    assert set(report) >= {"perfkit_version", "database", "vendor", "findings"}
    assert report["vendor"] == connection.vendor
    finding = next(f for f in report["findings"] if f["check"] == "PA303")
    assert finding == {
        "id": "PA303:school_attendance:created_at",
        "check": "PA303",
        "name": "ordering-without-index",
        "severity": "warning",
        "model": "school.Attendance",
        "table": "school_attendance",
        "index": None,
        "columns": ["created_at"],
        "message": finding["message"],
        "fix": "python manage.py perfindex add school.Attendance -created_at",
        "autofix": {
            "action": "add_index",
            "app_label": "school",
            "model": "Attendance",
            "fields": ["-created_at"],
            "name": None,
        },
        "third_party": False,
    }


def test_text_output_is_grouped_by_model_with_fixes():
    code, out, err = perfaudit("school")
    assert code == 0
    assert out.splitlines()[:4] == [
        "school.Attendance",
        "  PA303 WARNING: school.Attendance is ordered by (-created_at) in Meta.ordering, and "
        "no index leads with those columns and directions: every ordered page sorts the "
        "whole table.",
        "    fix: python manage.py perfindex add school.Attendance -created_at",
        "    id: PA303:school_attendance:created_at",
    ]
    assert out.splitlines()[-1].startswith("perfaudit: 2 findings on default")
    assert "perfaudit: reading the migration state" not in err  # progress only at -v 2


def test_progress_goes_to_stderr_at_verbosity_2():
    _, _, err = perfaudit("school", "-v", "2")
    assert "perfaudit: reading the migration state" in err


def test_verbosity_0_prints_only_the_results():
    code, out, err = perfaudit("school", "-v", "0")
    assert code == 0
    assert err == ""
    assert out == perfaudit("school")[1]


def test_findings_at_the_fail_level_raise_command_error_not_system_exit():
    with pytest.raises(CommandError) as raised:
        call_command("perfaudit", "--fail-level", "warning", stdout=StringIO(), stderr=StringIO())
    assert raised.value.returncode == 1


@pytest.mark.parametrize(("level", "code"), [("error", 0), ("warning", 1), ("info", 1)])
def test_exit_codes_follow_the_fail_level(level, code):
    assert perfaudit("--fail-level", level)[0] == code


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuchapp"], "Unknown app label 'nosuchapp'."),
        (["--checks", "PA999"], "Unknown check ID(s): PA999."),
        (["--database", "nope"], "Unknown database alias 'nope'."),
        (["--ignore", "/nonexistent/ignore.txt"], "Cannot read the ignore file"),
    ],
)
def test_usage_errors_exit_2(args, message):
    with pytest.raises(
        CommandError, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as raised:
        call_command("perfaudit", *args, stdout=StringIO(), stderr=StringIO())
    assert raised.value.returncode == 2


def test_bad_option_value_exits_2(capsys):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as raised:
        ManagementUtility(["manage.py", "perfaudit", "--format", "xml"]).execute()
    assert raised.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_checks_option_selects_checks():
    result = run_audit(checks=["PA304"])
    assert [finding.check for finding in result.findings] == ["PA304"]


def test_ignore_file_silences_and_reports_stale_entries(tmp_path):
    ignore = tmp_path / "perfaudit-ignore.txt"
    ignore.write_text(
        "# reviewed: the FK indexes stay\nPA203:*\nPA201:staff_schedule:schedule_department_idx\n"
        "PA101:gone_table:gone_index  # fixed long ago\n"
    )
    _, out, _ = perfaudit("--format", "json", "--ignore", str(ignore))
    report = json.loads(out)
    assert {f["check"] for f in report["findings"]} == {"PA303", "PA304"}
    assert report["stale_ignores"] == ["PA101:gone_table:gone_index"]


def test_every_check_id_is_documented():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    for check_id, check in CHECKS.items():
        assert f"| `{check_id}` | `{check.name}` |" in page, check_id


def test_audit_cannot_write():
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), read_only(connection), connection.cursor() as cursor:
        cursor.execute("UPDATE school_student SET grade = 1")
    # the connection is writable again afterwards
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE school_student SET grade = 1")


def test_every_option_is_documented():
    from pathlib import Path

    from django.core.management import BaseCommand, load_command_class

    def options(command):
        parser = command.create_parser("manage.py", "perfaudit")
        return {option for action in parser._actions for option in action.option_strings}

    own = options(load_command_class("perfkit", "perfaudit")) - options(BaseCommand())
    page = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    assert own >= {"--database", "--format", "--fail-level", "--ignore", "--checks"}
    for option in sorted(own):
        assert f"[{option}" in page or f"`{option}" in page, option
