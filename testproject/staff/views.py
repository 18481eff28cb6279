"""Staff API. ``Naive*`` views are demo material with deliberate mistakes; ``Tuned*``
views are the same endpoints done right (see testproject/school/views.py)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from rest_framework import viewsets

from perfkit import pagination as perfkit_pagination
from testproject.staff.models import Employee, Schedule, Shift
from testproject.staff.serializers import EmployeeSerializer, ScheduleSerializer


class TunedPagination(perfkit_pagination.CursorPagination):
    page_size = 20
    ordering = "-id"


class NaiveScheduleViewSet(viewsets.ReadOnlyModelViewSet):
    """Demo material: department, parent department, shifts and each shift's employee
    and employee's department, all loaded lazily; the list is unpaginated."""

    serializer_class = ScheduleSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Schedule]:
        return Schedule.objects.filter(published=True).order_by("-start_date")


class TunedScheduleViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ScheduleSerializer
    pagination_class = TunedPagination
    queryset = Schedule.objects.all()  # lets system checks see the model

    def get_queryset(self) -> QuerySet[Schedule]:
        shifts = Shift.objects.select_related("employee__department")
        return (
            Schedule.objects.filter(published=True)
            .select_related("department__parent")
            .prefetch_related(Prefetch("shifts", queryset=shifts))
        )


class NaiveEmployeeViewSet(viewsets.ReadOnlyModelViewSet):
    """Demo material: each employee's department is loaded one at a time; unpaginated."""

    serializer_class = EmployeeSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Employee]:
        return Employee.objects.filter(is_active=True)


class TunedEmployeeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EmployeeSerializer
    pagination_class = TunedPagination
    queryset = Employee.objects.all()  # lets system checks see the model

    def get_queryset(self) -> QuerySet[Employee]:
        return Employee.objects.filter(is_active=True).select_related("department")
