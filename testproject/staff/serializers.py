from __future__ import annotations

from rest_framework import serializers

from testproject.staff.models import Department, Employee, Schedule, Shift


class DepartmentSerializer(serializers.ModelSerializer):
    parent_name = serializers.CharField(source="parent.name", default=None)

    class Meta:
        model = Department
        fields = ["id", "name", "parent", "parent_name", "is_active"]


class EmployeeSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name")

    class Meta:
        model = Employee
        fields = ["id", "first_name", "last_name", "role", "is_active", "department_name"]


class ShiftSerializer(serializers.ModelSerializer):
    employee = EmployeeSerializer()

    class Meta:
        model = Shift
        fields = ["id", "employee", "date", "start", "end"]


class ScheduleSerializer(serializers.ModelSerializer):
    department = DepartmentSerializer()
    shifts = ShiftSerializer(many=True)

    class Meta:
        model = Schedule
        fields = ["id", "department", "start_date", "end_date", "status", "published", "shifts"]
