"""Template scenarios (issue 15): each N+1 a template triggers is located at the template
line of the ``{{ }}``/``{% %}`` that ran it (inside an include, an extends block, an
inclusion tag, nested for loops; Django's engine and Jinja2), labelled with the view that
rendered it, and fixed in that view's ``get_queryset()``. Applying the fix makes the
page's query count independent of the number of rows."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.detection import scenarios_templates as views
from tests.detection.fix_application import (
    Visit,
    def_line,
    located_then_fixed,
    marked_line,
    school,
)

TEMPLATES = "tests/detection/templates/scenarios"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("scenario_settings"),
]


@pytest.fixture
def scenario_settings():
    with override_settings(
        ROOT_URLCONF="tests.detection.scenarios_templates",
        TEMPLATES=views.TEMPLATES,
        PERFKIT={"SLOW_QUERY_MS": 60_000},
    ):
        yield


def fix(method: str, path: str, view: type) -> str:
    target = f"{view.__name__}.get_queryset() ({def_line(view.get_queryset)})"
    return f'Add {method}("{path}") to {target}.'


def label(view: type) -> str:
    return f"template rendered by {view.__name__}"


CASES = {
    "for": [
        (
            "school.Class.teacher",
            marked_line(f"{TEMPLATES}/classes.html", "for"),
            label(views.ClassListView),
            fix("select_related", "teacher", views.ClassListView),
        )
    ],
    "nested": [
        (
            "school.Teacher.classes",
            marked_line(f"{TEMPLATES}/nested.html", "nested-outer"),
            label(views.NestedView),
            fix("prefetch_related", "classes", views.NestedView),
        ),
        (
            "school.Class.students",
            marked_line(f"{TEMPLATES}/nested.html", "nested-inner"),
            label(views.NestedView),
            fix("prefetch_related", "classes__students", views.NestedView),
        ),
    ],
    "include": [
        (
            "school.Class.teacher",
            marked_line(f"{TEMPLATES}/_class_row.html", "include"),
            label(views.IncludeView),
            fix("select_related", "teacher", views.IncludeView),
        )
    ],
    "extends": [
        (
            "school.Class.teacher",
            marked_line(f"{TEMPLATES}/child.html", "extends"),
            label(views.ExtendsView),
            fix("select_related", "teacher", views.ExtendsView),
        )
    ],
    "inclusion-tag": [
        (
            "school.Class.teacher",
            marked_line(f"{TEMPLATES}/_card.html", "inclusion-tag"),
            label(views.InclusionTagView),
            fix("select_related", "teacher", views.InclusionTagView),
        )
    ],
    "tag-python": [
        (
            "school.Class.teacher",
            marked_line("tests/detection/templatetags/scenario_tags.py", "tag-python"),
            f"called from {marked_line(f'{TEMPLATES}/badges.html', 'tag-python-caller')}",
            fix("select_related", "teacher", views.TagPythonView),
        )
    ],
    "jinja": [
        (
            "school.Class.teacher",
            marked_line("tests/detection/jinja2/scenarios/classes.jinja", "jinja"),
            label(views.JinjaView),
            fix("select_related", "teacher", views.JinjaView),
        )
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_template_n_plus_one_is_located_and_fixed(name, monkeypatch):
    school(3)
    before, fixed = located_then_fixed(
        f"/{name}/", CASES[name], views, monkeypatch, lambda: school(3)
    )
    assert fixed.response.content.count(b"@") == before.response.content.count(b"@")


def test_a_view_function_is_named_with_the_line_that_builds_its_queryset():
    school(3)
    [finding] = Visit("/function/").n_plus_ones()
    assert finding.location == marked_line(f"{TEMPLATES}/classes.html", "for")
    assert finding.location_label == "template rendered by class_list"
    line = def_line(views.class_list).rsplit(":", 1)
    queryset_line = f"{line[0]}:{int(line[1]) + 2}"  # classes = Class.objects.order_by("pk")
    assert finding.suggestion == (
        f'Add select_related("teacher") to the queryset in class_list ({queryset_line}).'
    )
