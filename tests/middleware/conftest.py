from __future__ import annotations

import pytest

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
from tests.observing_fixtures import fresh_error_log, received  # noqa: F401 (fixtures)


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
