"""Fill the testproject with deterministic demo data, in bulk.

``--scale N`` makes about ``N x 1,000`` attendance rows (scale 1000 ≈ 1M rows), with
the other tables in proportion. The same scale and seed always give the same rows.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from itertools import accumulate
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from tqdm import tqdm

from testproject.journal.models import Comment, JournalEntry
from testproject.school.models import Attendance, Class, ClassSession, Enrollment, Student, Teacher
from testproject.staff.models import Department, Employee, Schedule, Shift

ModelT = TypeVar("ModelT", bound=models.Model)

BATCH_SIZE = 5_000
STUDENTS_PER_CLASS = 20
SESSIONS_PER_CLASS = 25
SHIFTS_PER_SCHEDULE = 25
EPOCH = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

FIRST_NAMES = ["Ada", "Ben", "Chloe", "Dev", "Ema", "Finn", "Gia", "Hugo", "Iris", "Jon"]
LAST_NAMES = ["Adams", "Baker", "Chen", "Diaz", "Evans", "Fox", "Garcia", "Hill", "Ito", "Jones"]
SUBJECTS = ["Algebra", "Biology", "Chemistry", "Drama", "English", "French", "Geography"]
DEMO_MODELS: list[type[models.Model]] = [
    Attendance,
    ClassSession,
    Enrollment,
    Class,
    Student,
    Teacher,
    Shift,
    Schedule,
    Employee,
    Department,
    Comment,
    JournalEntry,
]


class Command(BaseCommand):
    help = "Seed the testproject with deterministic demo data (about N x 1,000 attendance rows)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", type=int, default=1, help="Size of the data set (1 to 1000; default 1)."
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument("--flush", action="store_true", help="Delete existing demo data first.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw progress bars.")

    def handle(
        self, *args: Any, scale: int, seed: int, flush: bool, no_progress: bool, **options: Any
    ) -> None:
        if not 1 <= scale <= 1000:
            raise CommandError(f"--scale must be between 1 and 1000, got {scale}.")
        self.progress = not no_progress and sys.stderr.isatty()
        self.random = random.Random(seed)
        if any(model.objects.exists() for model in DEMO_MODELS):
            if not flush:
                raise CommandError(
                    "The database already has demo data; pass --flush to replace it."
                )
            with transaction.atomic():
                for model in DEMO_MODELS:
                    model.objects.all().delete()
                get_user_model().objects.filter(username__startswith="demo-").delete()

        started = time.perf_counter()
        self.rows = 0
        with transaction.atomic():
            self.seed_school(scale)
            self.seed_staff(scale)
            self.seed_journal(scale)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {self.rows:,} rows at scale {scale} in {elapsed:.1f}s "
            f"({self.rows / elapsed:,.0f} rows/s)."
        )

    # -- helpers -----------------------------------------------------------------------
    def insert(self, model: type[ModelT], objects: list[ModelT]) -> list[ModelT]:
        created = model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        self.rows += len(created)
        return created

    def insert_stream(
        self, model: type[models.Model], rows: Iterator[dict[str, Any]], total: int
    ) -> None:
        """Insert a large generated stream of rows (dicts by attname) without holding it
        in memory: COPY on PostgreSQL, batched bulk_create elsewhere."""
        with tqdm(
            total=total, desc=model._meta.label, disable=not self.progress, unit="rows"
        ) as bar:
            if connection.vendor == "postgresql":
                self.copy_stream(model, rows, bar)
                return
            batch: list[models.Model] = []
            for row in rows:
                batch.append(model(**row))
                if len(batch) == BATCH_SIZE:
                    self.rows += len(model.objects.bulk_create(batch))
                    bar.update(len(batch))
                    batch = []
            if batch:
                self.rows += len(model.objects.bulk_create(batch))
                bar.update(len(batch))

    def copy_stream(
        self, model: type[models.Model], rows: Iterator[dict[str, Any]], bar: tqdm[Any]
    ) -> None:
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        defaults = {field.attname: field.get_default() for field in fields}
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        count = 0
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for count, row in enumerate(rows, start=1):
                copy.write_row([row.get(name, default) for name, default in defaults.items()])
                if count % BATCH_SIZE == 0:
                    bar.update(BATCH_SIZE)
            self.rows += count
            bar.update(count % BATCH_SIZE)

    def name(self) -> tuple[str, str]:
        return self.random.choice(FIRST_NAMES), self.random.choice(LAST_NAMES)

    # -- domains -----------------------------------------------------------------------
    def seed_school(self, scale: int) -> None:
        teachers = self.insert(
            Teacher,
            [
                Teacher(first_name=first, last_name=last, email=f"teacher{i}@school.test")
                for i, (first, last) in enumerate(self.name() for _ in range(max(3, scale)))
            ],
        )
        students = self.insert(
            Student,
            [
                Student(
                    first_name=first,
                    last_name=last,
                    email=f"student{i}@school.test",
                    grade=self.random.randint(1, 12),
                )
                for i, (first, last) in enumerate(self.name() for _ in range(20 * scale))
            ],
        )
        classes = self.insert(
            Class,
            [
                Class(
                    name=f"{self.random.choice(SUBJECTS)} {i}",
                    teacher=self.random.choice(teachers),
                    room=f"R{self.random.randint(100, 399)}",
                )
                for i in range(2 * scale)
            ],
        )
        roster = {klass.pk: self.random.sample(students, STUDENTS_PER_CLASS) for klass in classes}
        self.insert(
            Enrollment,
            [
                Enrollment(student=student, school_class=klass, enrolled_on=EPOCH.date())
                for klass in classes
                for student in roster[klass.pk]
            ],
        )
        sessions = self.insert(
            ClassSession,
            [
                ClassSession(
                    school_class=klass,
                    teacher=klass.teacher,
                    start_time=EPOCH + timedelta(days=day, hours=self.random.randint(0, 7)),
                    status=ClassSession.Status.HELD,
                )
                for klass in classes
                for day in range(SESSIONS_PER_CLASS)
            ],
        )
        statuses = [choice for choice, _ in Attendance.Status.choices]
        cumulative_weights = list(accumulate((80, 10, 8, 2)))
        pick, randint = self.random.choices, self.random.randint

        def attendance() -> Iterator[dict[str, Any]]:
            for session in sessions:
                for student in roster[session.school_class_id]:
                    status = pick(statuses, cum_weights=cumulative_weights)[0]
                    arrived = session.start_time + timedelta(minutes=randint(-5, 20))
                    present = status in ("present", "late")
                    yield {
                        "class_session_id": session.pk,
                        "student_id": student.pk,
                        "status": status,
                        "check_in_time": arrived if present else None,
                        "check_out_time": arrived + timedelta(minutes=50) if present else None,
                        "created_at": arrived + timedelta(seconds=randint(0, 59)),
                    }

        self.insert_stream(Attendance, attendance(), total=len(sessions) * STUDENTS_PER_CLASS)

    def seed_staff(self, scale: int) -> None:
        roots = self.insert(Department, [Department(name=f"Division {i}") for i in range(3)])
        departments = roots + self.insert(
            Department,
            [
                Department(
                    name=f"Team {i}",
                    parent=self.random.choice(roots),
                    is_active=self.random.random() > 0.1,
                )
                for i in range(max(3, scale // 5))
            ],
        )
        roles = [choice for choice, _ in Employee.Role.choices]
        employees = self.insert(
            Employee,
            [
                Employee(
                    department=self.random.choice(departments),
                    first_name=first,
                    last_name=last,
                    role=self.random.choice(roles),
                    is_active=self.random.random() > 0.05,
                    created_at=EPOCH - timedelta(days=self.random.randint(0, 900)),
                )
                for first, last in (self.name() for _ in range(10 * scale))
            ],
        )
        statuses = [choice for choice, _ in Schedule.Status.choices]
        schedules = []
        for i in range(2 * scale):
            start = date(2026, 1, 5) + timedelta(weeks=i % 52)
            schedules.append(
                Schedule(
                    department=self.random.choice(departments),
                    start_date=start,
                    end_date=start + timedelta(days=6),
                    status=self.random.choice(statuses),
                    published=self.random.random() > 0.3,
                )
            )
        schedules = self.insert(Schedule, schedules)
        self.insert(
            Shift,
            [
                Shift(
                    schedule=schedule,
                    employee=self.random.choice(employees),
                    date=schedule.start_date + timedelta(days=i % 7),
                    start=clock(self.random.choice((6, 9, 14))),
                    end=clock(self.random.choice((13, 17, 22))),
                )
                for schedule in schedules
                for i in range(SHIFTS_PER_SCHEDULE)
            ],
        )

    def seed_journal(self, scale: int) -> None:
        user_model = get_user_model()
        users = self.insert(
            user_model,
            [
                user_model(username=f"demo-{i}", password="!")  # "!" is an unusable password
                for i in range(max(3, scale // 4))
            ],
        )
        types = [choice for choice, _ in JournalEntry.EntryType.choices]
        scopes = [choice for choice, _ in JournalEntry.PrivacyScope.choices]
        entries = self.insert(
            JournalEntry,
            [
                JournalEntry(
                    user=self.random.choice(users),
                    timestamp=EPOCH + timedelta(minutes=self.random.randint(0, 500_000)),
                    entry_type=self.random.choice(types),
                    privacy_scope=self.random.choice(scopes),
                    body=f"Entry {i}: " + " ".join(self.random.choices(SUBJECTS, k=8)),
                )
                for i in range(20 * scale)
            ],
        )
        entry_type = ContentType.objects.get_for_model(JournalEntry)
        self.insert(
            Comment,
            [
                Comment(
                    content_type=entry_type,
                    object_id=self.random.choice(entries).pk,
                    body="Nice one.",
                    created_at=EPOCH + timedelta(days=self.random.randint(0, 300)),
                )
                for _ in range(10 * scale)
            ],
        )
