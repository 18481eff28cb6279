from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from perfkit.capture.errors import forget_logged_errors
from testproject.journal.models import Comment, JournalEntry
from tests.factories import (
    ClassFactory,
    EnrollmentFactory,
    JournalEntryFactory,
    StudentFactory,
    TeacherFactory,
    UserFactory,
)


@pytest.fixture
def school(db):
    """Six teachers (each with a user and two classes of three students), journal entries
    with two comments each."""
    students = StudentFactory.create_batch(3)
    for _ in range(6):
        teacher = TeacherFactory(user=UserFactory())
        for school_class in ClassFactory.create_batch(2, teacher=teacher):
            for student in students:
                EnrollmentFactory(school_class=school_class, student=student)
    content_type = ContentType.objects.get_for_model(JournalEntry)
    for entry in JournalEntryFactory.create_batch(3):
        for _ in range(2):
            Comment.objects.create(
                content_type=content_type, object_id=entry.pk, body="hi", created_at=entry.timestamp
            )


@pytest.fixture(autouse=True)
def fresh_error_log():
    """perfkit logs each distinct error once per process: every test starts afresh."""
    forget_logged_errors()
    yield
    forget_logged_errors()
