"""Helpers shared by the pagination tests: rows, requests, walking pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from testproject.school.models import Attendance
from tests.factories import ClassSessionFactory, StudentFactory

EPOCH = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
factory = APIRequestFactory()


def make_rows(specs):
    """Attendance rows from (status, check_in_minutes or None, version, created_minutes)."""
    session = ClassSessionFactory()
    student = StudentFactory()
    return Attendance.objects.bulk_create(
        Attendance(
            class_session=session,
            student=student,
            status=status,
            check_in_time=None if check_in is None else EPOCH + timedelta(minutes=check_in),
            version=version,
            created_at=EPOCH + timedelta(minutes=created, microseconds=created * 7),
        )
        for status, check_in, version, created in specs
    )


def request(path="/items/", **params):
    return Request(factory.get(path, {k: v for k, v in params.items() if v is not None}))


def cursor_of(link):
    return parse_qs(urlparse(link).query)["cursor"][0] if link else None


def ids(rows):
    return [row.pk for row in rows]


def walk(paginator_class, queryset, page_size):
    """Walk every page forward, then every page backward from the last one; return the
    ids seen each way (the backward walk in display order)."""
    forward, pages, cursor = [], [], None
    while True:
        paginator = paginator_class()
        paginator.page_size = page_size
        rows = paginator.paginate_queryset(queryset, request(cursor=cursor))
        forward += ids(rows)
        pages.append(rows)
        cursor = cursor_of(paginator.get_next_link())
        if cursor is None:
            break
        assert len(pages) < 1000
    backward = []
    cursor = cursor_of(paginator.get_previous_link())
    while cursor is not None:
        paginator = paginator_class()
        paginator.page_size = page_size
        rows = paginator.paginate_queryset(queryset, request(cursor=cursor))
        backward = ids(rows) + backward
        cursor = cursor_of(paginator.get_previous_link())
        assert len(backward) <= len(forward)
    return forward, backward + ids(pages[-1])
