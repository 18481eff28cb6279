"""Staff scheduling: departments, employees, published schedules and their shifts."""

from __future__ import annotations

from django.db import models


class Department(models.Model):
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    # Demo material: an index on a boolean rarely helps (perfaudit flags it).
    is_active = models.BooleanField(default=True, db_index=True)

    def __str__(self) -> str:
        return self.name


class Employee(models.Model):
    class Role(models.TextChoices):
        STAFF = "staff"
        LEAD = "lead"
        MANAGER = "manager"

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="employees")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Schedule(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        REVIEW = "review"
        FINAL = "final"

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="schedules")
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Demo material: the FK's own index already leads with department.
            models.Index(fields=["department"], name="schedule_department_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.department_id} {self.start_date}..{self.end_date}"


class Shift(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="shifts")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="shifts")
    date = models.DateField()
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        indexes = [models.Index(fields=["employee", "date"], name="shift_employee_date_idx")]

    def __str__(self) -> str:
        return f"{self.employee_id} on {self.date} {self.start}-{self.end}"
