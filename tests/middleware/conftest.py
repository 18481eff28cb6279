from __future__ import annotations

import pytest

from perfkit.capture.errors import forget_logged_errors
from perfkit.signals import finding_detected
from tests.factories import (
    AttendanceFactory,
    ClassFactory,
    CommentFactory,
    EmployeeFactory,
    EnrollmentFactory,
    JournalEntryFactory,
    ScheduleFactory,
    ShiftFactory,
)


@pytest.fixture
def site_data(db):
    """Three of everything the naive endpoints walk, so every N+1 shows."""
    for _ in range(3):
        school_class = ClassFactory()
        EnrollmentFactory.create_batch(2, school_class=school_class)
        AttendanceFactory()
        schedule = ScheduleFactory()
        ShiftFactory.create_batch(2, schedule=schedule)
        EmployeeFactory()
        entry = JournalEntryFactory()
        CommentFactory(object_id=entry.pk)


@pytest.fixture
def received():
    """Findings sent through the signal, with the request they belong to."""
    found = []

    def receiver(sender, finding, request, **kwargs):
        found.append((request, finding))

    finding_detected.connect(receiver)
    yield found
    finding_detected.disconnect(receiver)


@pytest.fixture(autouse=True)
def fresh_error_log():
    """perfkit logs each distinct error once per process: every test starts afresh."""
    forget_logged_errors()
    yield
    forget_logged_errors()
