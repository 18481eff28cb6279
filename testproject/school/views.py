"""School API, in two flavours.

``Naive*`` views are demo material: they carry the classic mistakes on purpose (N+1
queries in nested serializers, unpaginated lists, an ordering no index serves) so that
perfkit has something to find. ``Tuned*`` views are the same endpoints done right.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import pagination, viewsets

from perfkit import pagination as perfkit_pagination
from testproject.school.models import Attendance, Class
from testproject.school.serializers import AttendanceSerializer, ClassSerializer


class TunedPagination(perfkit_pagination.CursorPagination):
    page_size = 50
    ordering = "-id"


class NaiveLimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = 100


class NaiveClassViewSet(viewsets.ReadOnlyModelViewSet):
    """Demo material: teacher and students are loaded one class at a time."""

    serializer_class = ClassSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.all()


class TunedClassViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ClassSerializer
    pagination_class = TunedPagination
    queryset = Class.objects.all()  # lets system checks see the model

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.select_related("teacher").prefetch_related("students")


class NaiveAttendanceViewSet(viewsets.ReadOnlyModelViewSet):
    """Demo material: N+1 on student, session, class and teacher; ordered by -created_at,
    which no index serves; LIMIT/OFFSET pages with a COUNT(*) on every request."""

    serializer_class = AttendanceSerializer
    pagination_class = NaiveLimitOffsetPagination

    def get_queryset(self) -> QuerySet[Attendance]:
        return Attendance.objects.order_by("-created_at")


class TunedAttendanceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AttendanceSerializer
    pagination_class = TunedPagination
    queryset = Attendance.objects.all()  # lets system checks see the model

    def get_queryset(self) -> QuerySet[Attendance]:
        return Attendance.objects.select_related(
            "student", "class_session__school_class", "class_session__teacher"
        )
