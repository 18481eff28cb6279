"""The testproject's API: the naive endpoints really are naive, the tuned ones are not."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    AttendanceFactory,
    ClassFactory,
    CommentFactory,
    EnrollmentFactory,
    JournalEntryFactory,
    ShiftFactory,
)

pytestmark = pytest.mark.django_db

ENDPOINTS = ["classes", "attendance", "schedules", "employees", "journal"]


@pytest.fixture
def data():
    for klass in ClassFactory.create_batch(4):
        EnrollmentFactory.create_batch(3, school_class=klass)
    AttendanceFactory.create_batch(6)
    ShiftFactory.create_batch(6)
    for entry in JournalEntryFactory.create_batch(5):
        CommentFactory(object_id=entry.pk)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_naive_endpoint_issues_more_queries_than_tuned(client, data, endpoint):
    naive = count_queries(client, f"/api/naive/{endpoint}/")
    tuned = count_queries(client, f"/api/tuned/{endpoint}/")
    assert naive >= tuned + 4, (naive, tuned)
    assert tuned <= 3


@pytest.mark.parametrize("flavour", ["naive", "tuned"])
def test_detail_endpoints(client, data, flavour):
    attendance = AttendanceFactory()
    response = client.get(f"/api/{flavour}/attendance/{attendance.pk}/")
    assert response.status_code == 200
    assert response.json()["student"]["email"] == attendance.student.email


def test_admin_changelists_render(admin_client, data):
    for url in ["/admin/school/attendance/", "/admin/staff/shift/", "/admin/journal/journalentry/"]:
        assert admin_client.get(url).status_code == 200


@pytest.mark.postgres
def test_runs_on_postgresql(client, data):
    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 130000
    assert count_queries(client, "/api/tuned/attendance/") <= 3


def test_naive_class_page_issues_more_queries_than_tuned(client, data):
    naive = count_queries(client, "/naive/classes/")
    tuned = count_queries(client, "/tuned/classes/")
    assert naive >= tuned + 4, (naive, tuned)
    assert tuned <= 3
    assert client.get("/naive/classes/").content == client.get("/tuned/classes/").content
