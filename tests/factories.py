"""factory-boy factories for the testproject's models, shared by every test module."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from testproject.journal.models import Comment, JournalEntry
from testproject.school.models import Attendance, Class, ClassSession, Enrollment, Student, Teacher
from testproject.staff.models import Department, Employee, Schedule, Shift

EPOCH = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")


class TeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Teacher

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"teacher{n}@school.test")


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"student{n}@school.test")
    grade = 5


class ClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Class

    name = factory.Sequence(lambda n: f"Class {n}")
    teacher = factory.SubFactory(TeacherFactory)
    room = "R101"


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    student = factory.SubFactory(StudentFactory)
    school_class = factory.SubFactory(ClassFactory)
    enrolled_on = date(2026, 1, 5)


class ClassSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassSession

    school_class = factory.SubFactory(ClassFactory)
    teacher = factory.SelfAttribute("school_class.teacher")
    start_time = factory.Sequence(lambda n: EPOCH + timedelta(hours=n))
    status = ClassSession.Status.HELD


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    class_session = factory.SubFactory(ClassSessionFactory)
    student = factory.SubFactory(StudentFactory)
    check_in_time = factory.SelfAttribute("class_session.start_time")
    status = Attendance.Status.PRESENT
    created_at = factory.Sequence(lambda n: EPOCH + timedelta(minutes=n))


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Department {n}")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    department = factory.SubFactory(DepartmentFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    created_at = EPOCH


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Schedule

    department = factory.SubFactory(DepartmentFactory)
    start_date = date(2026, 1, 5)
    end_date = date(2026, 1, 11)
    published = True


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    schedule = factory.SubFactory(ScheduleFactory)
    employee = factory.SubFactory(EmployeeFactory)
    date = date(2026, 1, 6)
    start = time(9)
    end = time(17)


class JournalEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JournalEntry

    user = factory.SubFactory(UserFactory)
    timestamp = factory.Sequence(lambda n: EPOCH + timedelta(minutes=n))
    entry_type = JournalEntry.EntryType.NOTE
    privacy_scope = JournalEntry.PrivacyScope.PUBLIC
    body = "Today I learned about indexes."


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    content_type = factory.LazyFunction(lambda: ContentType.objects.get_for_model(JournalEntry))
    object_id = factory.LazyAttribute(lambda comment: JournalEntryFactory().pk)
    body = "Nice."
    created_at = EPOCH
