"""Template scenarios: views whose templates read a relation row by row.

Each template line that should be reported carries ``{# expect: NAME #}``; each view's
``get_queryset`` is where the fix goes. ``TEMPLATES`` is the engine configuration the
tests run them with (these templates, the scenario tags, a Jinja2 engine).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.generic import ListView

from testproject.school.models import Class, Teacher

HERE = Path(__file__).parent
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(HERE / "templates")],
        "OPTIONS": {
            "libraries": {"scenario_tags": "tests.detection.templatetags.scenario_tags"},
        },
    },
    {"BACKEND": "django.template.backends.jinja2.Jinja2", "DIRS": [str(HERE / "jinja2")]},
]


class ClassListView(ListView):
    """``{% for %}`` over the classes, reading each one's teacher."""

    template_name = "scenarios/classes.html"
    context_object_name = "classes"

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("pk")


class NestedView(ListView):
    """Nested ``{% for %}``: teachers, their classes, each class's students."""

    template_name = "scenarios/nested.html"
    context_object_name = "teachers"

    def get_queryset(self) -> QuerySet[Teacher]:
        return Teacher.objects.order_by("pk")


class IncludeView(ListView):
    """The row is an ``{% include %}``d template."""

    template_name = "scenarios/include.html"
    context_object_name = "classes"

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("pk")


class ExtendsView(ListView):
    """The loop is in a ``{% block %}`` of a template that ``{% extends %}`` another."""

    template_name = "scenarios/child.html"
    context_object_name = "classes"

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("pk")


class InclusionTagView(ListView):
    """Each row is an inclusion tag whose own template reads the relation."""

    template_name = "scenarios/tagged.html"
    context_object_name = "classes"

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("pk")


class TagPythonView(ListView):
    """Each row is an inclusion tag whose Python reads the relation."""

    template_name = "scenarios/badges.html"
    context_object_name = "classes"

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("pk")


class JinjaView(ListView):
    """The same loop in a Jinja2 template."""

    template_engine = "jinja2"
    template_name = "scenarios/classes.jinja"
    context_object_name = "classes"

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("pk")


def class_list(request: HttpRequest) -> HttpResponse:
    """A view function rendering the loop of ``ClassListView``."""
    classes = Class.objects.order_by("pk")
    return render(request, "scenarios/classes.html", {"classes": classes})


VIEWS: dict[str, Any] = {
    "for": ClassListView,
    "nested": NestedView,
    "include": IncludeView,
    "extends": ExtendsView,
    "inclusion-tag": InclusionTagView,
    "tag-python": TagPythonView,
    "jinja": JinjaView,
}
urlpatterns = [path(f"{name}/", view.as_view()) for name, view in VIEWS.items()] + [
    path("function/", class_list)
]
