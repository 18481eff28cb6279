"""The testproject's naive endpoints give their findings, the tuned ones none: through
WSGI (Client) and ASGI (AsyncClient), on whichever database DATABASE_URL names."""

from __future__ import annotations

import inspect
import logging
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

import perfkit
from perfkit.detection import PerfkitWarning, forget_matches, unmatched_entries
from perfkit.middleware import FINDINGS_HEADER
from testproject.journal import serializers as journal_serializers
from testproject.school import serializers as school_serializers
from testproject.school import views as school
from testproject.staff import serializers as staff_serializers
from testproject.staff import views as staff

pytestmark = pytest.mark.usefixtures("site_data")


def at(view: type) -> str:
    path = Path(inspect.getsourcefile(view)).relative_to(Path.cwd())
    return f"{path}:{inspect.getsourcelines(view)[1]}"


def declared(serializer: type, field: str) -> str:
    """The line where ``serializer`` declares ``field`` (``field = ...``)."""
    lines, first = inspect.getsourcelines(serializer)
    path = Path(inspect.getsourcefile(serializer)).relative_to(Path.cwd())
    for offset, text in enumerate(lines):
        if text.strip().startswith(f"{field} = "):
            return f"{path}:{first + offset}"
    raise LookupError(field)


def serializer_line(marker: str) -> str:
    source = inspect.getsourcelines(journal_serializers.JournalEntrySerializer.get_comment_count)
    lines, first = source
    for offset, text in enumerate(lines):
        if marker in text:
            return f"testproject/journal/serializers.py:{first + offset}"
    raise LookupError(marker)


# Each N+1 is located at the serializer field that read the relation (for the
# SerializerMethodField comment_count, the line of its method that queried).
SCHOOL, STAFF, JOURNAL = school_serializers, staff_serializers, journal_serializers
EXPECTED = {
    "classes": {
        ("school.Class.teacher", declared(SCHOOL.ClassSerializer, "teacher")),
        ("school.Class.students", declared(SCHOOL.ClassSerializer, "students")),
    },
    "attendance": {
        ("school.Attendance.student", declared(SCHOOL.AttendanceSerializer, "student")),
        ("school.Attendance.class_session", declared(SCHOOL.AttendanceSerializer, "class_session")),
        ("school.ClassSession.school_class", declared(SCHOOL.ClassSessionSerializer, "class_name")),
        ("school.ClassSession.teacher", declared(SCHOOL.ClassSessionSerializer, "teacher_name")),
    },
    "schedules": {
        ("staff.Schedule.department", declared(STAFF.ScheduleSerializer, "department")),
        ("staff.Schedule.shifts", declared(STAFF.ScheduleSerializer, "shifts")),
        ("staff.Shift.employee", declared(STAFF.ShiftSerializer, "employee")),
        ("staff.Employee.department", declared(STAFF.EmployeeSerializer, "department_name")),
    },
    "employees": {
        ("staff.Employee.department", declared(STAFF.EmployeeSerializer, "department_name")),
    },
    "journal": {
        ("journal.JournalEntry.user", declared(JOURNAL.JournalEntrySerializer, "username")),
        ("journal.JournalEntry.comments", serializer_line("entry.comments.count()")),
    },
}

HEADERS = {"FINDINGS_HEADER": True, "SERVER_TIMING": True}


def get(interface: str, url: str):
    if interface == "wsgi":
        return Client().get(url)
    return async_to_sync(AsyncClient().get)(url)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_naive_endpoint_findings(settings, received, interface, endpoint):
    settings.PERFKIT = HEADERS
    response = get(interface, f"/api/naive/{endpoint}/")
    assert response.status_code == 200
    found = {(f.relation, f.location) for _, f in received if f.kind == "n_plus_one"}
    assert found == EXPECTED[endpoint], [f.message for _, f in received]
    assert response.headers[FINDINGS_HEADER] == str(len(received))
    assert all(request.path == f"/api/naive/{endpoint}/" for request, _ in received)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_tuned_endpoint_is_silent(settings, received, interface, endpoint):
    settings.PERFKIT = HEADERS
    response = get(interface, f"/api/tuned/{endpoint}/")
    assert response.status_code == 200
    assert [f.message for _, f in received] == []
    assert response.headers[FINDINGS_HEADER] == "0"
    timing = response.headers["Server-Timing"]
    assert timing.startswith("db;dur=") and 'perfkit;desc="0 findings"' in timing


def test_log_action_writes_one_line_per_finding(settings, caplog):
    settings.PERFKIT = {"ACTION": "log"}
    with caplog.at_level(logging.WARNING, logger="perfkit"):
        Client().get("/api/naive/classes/")
    lines = [record.getMessage() for record in caplog.records if record.name == "perfkit"]
    assert len(lines) == 2
    teacher = declared(school_serializers.ClassSerializer, "teacher")
    assert lines[0].startswith(
        f"n_plus_one school.Class.teacher at {teacher} (ClassSerializer.teacher): 6 queries"
    )
    assert lines[0].endswith(
        'Add select_related("teacher") to NaiveClassViewSet.get_queryset() '
        f"({at(school.NaiveClassViewSet.get_queryset)})."
    )


def test_raise_action_raises_nplusoneerror(settings):
    settings.PERFKIT = {"ACTION": "raise"}
    with pytest.raises(perfkit.NPlusOneError) as raised:
        Client().get("/api/naive/employees/")
    assert [f.relation for f in raised.value.findings] == ["staff.Employee.department"]
    assert Client().get("/api/tuned/employees/").status_code == 200


def test_warn_action(settings):
    settings.PERFKIT = {"ACTION": "warn"}
    with pytest.warns(PerfkitWarning, match=r"staff\.Employee\.department"):
        Client().get("/api/naive/employees/")


def test_disabled_by_setting_does_nothing(settings, received):
    settings.PERFKIT = {**HEADERS, "ENABLED": False}
    response = Client().get("/api/naive/classes/")
    assert response.status_code == 200
    assert FINDINGS_HEADER not in response.headers
    assert "Server-Timing" not in response.headers
    assert received == []


def test_budgets(settings, received):
    settings.PERFKIT = {"QUERY_BUDGET": 3, "DB_TIME_BUDGET_MS": 0}
    Client().get("/api/tuned/classes/")  # two queries: within the count budget
    assert [f.kind for _, f in received] == ["db_time_budget"]
    received.clear()
    Client().get("/api/naive/employees/")
    kinds = sorted(f.kind for _, f in received)
    assert kinds == ["db_time_budget", "n_plus_one", "query_budget"]
    [budget] = [f for _, f in received if f.kind == "query_budget"]
    assert budget.count == 10 and budget.location == at(staff.NaiveEmployeeViewSet)


def test_allowlist_through_the_middleware(settings, received):
    settings.PERFKIT = {"ALLOWLIST": ["school.Class.*", "testproject/staff/*"]}
    forget_matches()
    Client().get("/api/naive/classes/")
    assert received == []
    assert unmatched_entries() == ["testproject/staff/*"]


@pytest.mark.postgres
@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_explain_of_slow_reads_in_both_modes(settings, received, interface):
    settings.PERFKIT = {"SLOW_QUERY_MS": 0, "EXPLAIN_SLOW_QUERIES": True}
    assert get(interface, "/api/tuned/attendance/").status_code == 200
    [slow] = [f for _, f in received if f.kind == "slow_query"]
    assert slow.explain and "school_attendance" in slow.explain
