"""School attendance: who teaches what, who enrolled, who showed up."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Teacher(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Student(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)
    grade = models.PositiveSmallIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Class(models.Model):
    name = models.CharField(max_length=200)
    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="classes")
    room = models.CharField(max_length=20, blank=True)
    students = models.ManyToManyField(Student, through="Enrollment", related_name="classes")

    class Meta:
        verbose_name_plural = "classes"

    def __str__(self) -> str:
        return self.name


class Enrollment(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="enrollments")
    school_class = models.ForeignKey(Class, on_delete=models.CASCADE, related_name="enrollments")
    enrolled_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school_class"], name="enrollment_student_class_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.student_id} in {self.school_class_id}"


class ClassSession(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        HELD = "held"
        CANCELLED = "cancelled"

    school_class = models.ForeignKey(Class, on_delete=models.CASCADE, related_name="sessions")
    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="sessions")
    start_time = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)

    def __str__(self) -> str:
        return f"{self.school_class_id} @ {self.start_time:%Y-%m-%d %H:%M}"


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present"
        LATE = "late"
        ABSENT = "absent"
        EXCUSED = "excused"

    class_session = models.ForeignKey(
        ClassSession, on_delete=models.CASCADE, related_name="attendances"
    )
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="attendances")
    check_in_time = models.DateTimeField(null=True, blank=True)
    check_out_time = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PRESENT)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()

    class Meta:
        # Demo material: lists order by -created_at, and no index serves that ordering.
        ordering = ["-created_at"]
        verbose_name_plural = "attendance"

    def __str__(self) -> str:
        return f"{self.student_id} at {self.class_session_id}: {self.status}"
