"""DRF scenarios: list views whose serializers read a relation row by row.

The serializer field that should be reported carries ``# expect: NAME``; each view's
``get_queryset`` (or ``queryset``) is where the fix goes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from rest_framework import generics, serializers

from testproject.school.models import Class, ClassSession, Student, Teacher


class TeacherSerializer(serializers.ModelSerializer):
    class Meta:
        model = Teacher
        fields = ["id", "email"]


class StudentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Student
        fields = ["id", "email"]


class ClassSerializer(serializers.ModelSerializer):
    teacher = TeacherSerializer()  # expect: nested-level-2

    class Meta:
        model = Class
        fields = ["id", "name", "teacher"]


class SessionSerializer(serializers.ModelSerializer):
    """Two levels: the session's class, and that class's teacher."""

    school_class = ClassSerializer()  # expect: nested-level-1

    class Meta:
        model = ClassSession
        fields = ["id", "school_class"]


class SourceSerializer(serializers.ModelSerializer):
    teacher_email = serializers.CharField(source="teacher.email")  # expect: source

    class Meta:
        model = Class
        fields = ["id", "teacher_email"]


class MethodSerializer(serializers.ModelSerializer):
    student_count = serializers.SerializerMethodField()

    class Meta:
        model = Class
        fields = ["id", "student_count"]

    def get_student_count(self, school_class: Any) -> int:
        counted = getattr(school_class, "students__count", None)  # what annotate() adds
        if counted is not None:
            return int(counted)
        return school_class.students.count()  # expect: method-field


class StringSerializer(serializers.ModelSerializer):
    teacher = serializers.StringRelatedField()  # expect: string-related

    class Meta:
        model = Class
        fields = ["id", "teacher"]


class SlugSerializer(serializers.ModelSerializer):
    teacher = serializers.SlugRelatedField(slug_field="email", read_only=True)  # expect: slug

    class Meta:
        model = Class
        fields = ["id", "teacher"]


class ManySerializer(serializers.ModelSerializer):
    students = StudentSerializer(many=True)  # expect: many

    class Meta:
        model = Class
        fields = ["id", "students"]


class ManySlugSerializer(serializers.ModelSerializer):
    students = serializers.SlugRelatedField(  # expect: many-slug
        many=True, slug_field="email", read_only=True
    )

    class Meta:
        model = Class
        fields = ["id", "students"]


class ImplicitSerializer(serializers.ModelSerializer):
    """``classes`` is built by ModelSerializer from ``Meta.fields``: reverse relations
    become ``PrimaryKeyRelatedField(many=True)``, one query per teacher."""

    class Meta:
        model = Teacher
        fields = [
            "id",
            "classes",  # expect: implicit
        ]


class NestedView(generics.ListAPIView):
    serializer_class = SessionSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[ClassSession]:
        return ClassSession.objects.order_by("pk")


class SourceView(generics.ListAPIView):
    serializer_class = SourceSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("pk")


class MethodView(generics.ListAPIView):
    serializer_class = MethodSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("pk")


class StringView(generics.ListAPIView):
    serializer_class = StringSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("pk")


class SlugView(generics.ListAPIView):
    """Declares ``queryset`` rather than ``get_queryset``."""

    serializer_class = SlugSerializer
    pagination_class = None
    queryset = Class.objects.order_by("pk")


class ManyView(generics.ListAPIView):
    serializer_class = ManySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("pk")


class ManySlugView(generics.ListAPIView):
    serializer_class = ManySlugSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("pk")


class ImplicitView(generics.ListAPIView):
    serializer_class = ImplicitSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Teacher]:
        return Teacher.objects.order_by("pk")


VIEWS: dict[str, Any] = {
    "nested": NestedView,
    "source": SourceView,
    "method-field": MethodView,
    "string-related": StringView,
    "slug": SlugView,
    "many": ManyView,
    "many-slug": ManySlugView,
    "implicit": ImplicitView,
}
urlpatterns = [path(f"{name}/", view.as_view()) for name, view in VIEWS.items()]
