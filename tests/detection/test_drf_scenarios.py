"""DRF scenarios (issue 15): each N+1 a serializer triggers is located at the field that
read the relation (``ClassSerializer.teacher`` at its declaration; a
``SerializerMethodField``'s own query line), for nested serializers two levels deep,
``source="a.b"``, ``SerializerMethodField``, ``StringRelatedField``,
``SlugRelatedField``, ``many=True`` and fields ModelSerializer builds itself; the fix
names the view's ``get_queryset()`` or ``queryset`` and the exact path. Applying it makes
the list's query count independent of the number of rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import override_settings

from testproject.school.models import Class
from tests.detection import scenarios_drf as views
from tests.detection.fix_application import (
    def_line,
    located_then_fixed,
    marked_line,
    school,
)
from tests.factories import ClassSessionFactory

SOURCE = "tests/detection/scenarios_drf.py"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenario_settings")]


@pytest.fixture
def scenario_settings():
    with override_settings(
        ROOT_URLCONF="tests.detection.scenarios_drf", PERFKIT={"SLOW_QUERY_MS": 60_000}
    ):
        yield


def rows(classes: int) -> None:
    school(classes)
    for school_class in Class.objects.filter(sessions__isnull=True):
        ClassSessionFactory(school_class=school_class)


def at(view: type) -> str:
    return f"{view.__name__}.get_queryset() ({def_line(view.get_queryset)})"


def add(method: str, path: str, view: type) -> str:
    return f'Add {method}("{path}") to {at(view)}.'


def slug_view_queryset() -> str:
    lines = Path(SOURCE).read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip().startswith("queryset = "))
    return f"SlugView.queryset ({SOURCE}:{line})"


CASES = {
    "nested": [
        (
            "school.ClassSession.school_class",
            marked_line(SOURCE, "nested-level-1"),
            "SessionSerializer.school_class",
            add("select_related", "school_class", views.NestedView),
        ),
        (
            "school.Class.teacher",
            marked_line(SOURCE, "nested-level-2"),
            "ClassSerializer.teacher",
            add("select_related", "school_class__teacher", views.NestedView),
        ),
    ],
    "source": [
        (
            "school.Class.teacher",
            marked_line(SOURCE, "source"),
            "SourceSerializer.teacher_email",
            add("select_related", "teacher", views.SourceView),
        )
    ],
    "method-field": [
        (
            "school.Class.students",
            marked_line(SOURCE, "method-field"),
            "MethodSerializer.student_count",
            'Count in the query instead: annotate(Count("students")) on '
            f"{at(views.MethodView)}, and read the annotation (students__count).",
        )
    ],
    "string-related": [
        (
            "school.Class.teacher",
            marked_line(SOURCE, "string-related"),
            "StringSerializer.teacher",
            add("select_related", "teacher", views.StringView),
        )
    ],
    "slug": [
        (
            "school.Class.teacher",
            marked_line(SOURCE, "slug"),
            "SlugSerializer.teacher",
            f'Add select_related("teacher") to {slug_view_queryset()}.',
        )
    ],
    "many": [
        (
            "school.Class.students",
            marked_line(SOURCE, "many"),
            "ManySerializer.students",
            add("prefetch_related", "students", views.ManyView),
        )
    ],
    "many-slug": [
        (
            "school.Class.students",
            marked_line(SOURCE, "many-slug"),
            "ManySlugSerializer.students",
            add("prefetch_related", "students", views.ManySlugView),
        )
    ],
    "implicit": [
        (
            "school.Teacher.classes",
            marked_line(SOURCE, "implicit"),
            "ImplicitSerializer.classes",
            add("prefetch_related", "classes", views.ImplicitView),
        )
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_serializer_n_plus_one_is_located_and_fixed(name, monkeypatch):
    rows(3)
    before, fixed = located_then_fixed(
        f"/{name}/", CASES[name], views, monkeypatch, lambda: rows(3)
    )
    assert json.loads(fixed.response.content) == json.loads(before.response.content)
