from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from testproject.journal.models import Comment, JournalEntry
from testproject.school.models import Attendance, Class, ClassSession, Enrollment, Student
from testproject.staff.models import Employee, Shift

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, "--no-progress", stdout=out)
    return out.getvalue()


def fingerprint() -> str:
    # Sorted in Python: two classes can meet at the same time, so no ORDER BY is total.
    rows = sorted(
        Attendance.objects.values_list(
            "student__email", "status", "created_at", "class_session__school_class__name"
        )
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_scale_sets_the_sizes():
    output = seed("--scale", "2")
    assert Attendance.objects.count() == 2_000
    assert Class.objects.count() == 4
    assert ClassSession.objects.count() == 100
    assert Enrollment.objects.count() == 80
    assert Student.objects.count() == 40
    assert Employee.objects.count() == 20
    assert Shift.objects.count() == 100
    assert JournalEntry.objects.count() == 40
    assert Comment.objects.count() == 20
    assert output.startswith("Seeded ") and "rows at scale 2" in output and "rows/s" in output


def test_same_seed_same_data_and_flush_replaces():
    seed("--scale", "1")
    first = fingerprint()
    seed("--scale", "1", "--flush")
    assert fingerprint() == first
    seed("--scale", "1", "--flush", "--seed", "7")
    assert fingerprint() != first


def test_refuses_to_seed_twice_without_flush():
    seed("--scale", "1")
    with pytest.raises(CommandError, match="pass --flush"):
        seed("--scale", "1")
    assert Attendance.objects.count() == 1_000


@pytest.mark.parametrize("scale", ["0", "1001"])
def test_scale_out_of_range(scale):
    with pytest.raises(CommandError, match="--scale must be between 1 and 1000"):
        seed("--scale", scale)
