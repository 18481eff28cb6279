"""Admin scenarios (issue 15): N+1s of a changelist are located at the ``list_display``
entry (a ``__`` lookup, a nullable relation Django does not join itself) or the callable
that read the relation, and fixed with ``list_select_related`` on that ModelAdmin (a
reverse relation or a count: in its ``get_queryset()``); N+1s of an inline formset are
located at the inline's mention of the field, and fixed on the inline (its
``get_queryset()``, its choices built once, a raw-id field shown read-only). Applying
each fix makes the page's query count independent of the number of rows."""

from __future__ import annotations

import re

import django
import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from testproject.school.models import Class, Enrollment, Teacher
from tests.detection import scenarios_admin as admins
from tests.detection.fix_application import (
    Visit,
    apply_admin_fix,
    class_line,
    marked_line,
    school,
)
from tests.factories import EnrollmentFactory, StudentFactory, UserFactory

SOURCE = "tests/detection/scenarios_admin.py"
SETTINGS = {"SLOW_QUERY_MS": 60_000, "REPEATED_QUERY_THRESHOLD": 3}
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenario_settings")]


@pytest.fixture
def scenario_settings():
    with override_settings(ROOT_URLCONF="tests.detection.scenarios_admin", PERFKIT=SETTINGS):
        yield


@pytest.fixture
def client():
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.org", "-"))
    return client


def rows() -> None:
    """Three more classes (four students each), each teacher with a user."""
    school(3, students=4)
    for teacher in Teacher.objects.filter(user__isnull=True):
        teacher.user = UserFactory()
        teacher.save()


def changelist(name: str) -> str:
    return f"/{name}/school/{admins.SITES[name][1]._meta.model_name}/"


def place(cls: type) -> str:
    return f"{cls.__name__} ({class_line(cls)})"


def get_queryset_override(cls: type, call: str, then: str = "") -> str:
    return (
        f"Override get_queryset() on {place(cls)}: "
        f"return super().get_queryset(request).{call}{then}."
    )


CHANGELISTS = {
    "lookup": (
        "school.Class.teacher",
        marked_line(SOURCE, "lookup"),
        'LookupClassAdmin.list_display "teacher__email"',
        f'Set list_select_related = ("teacher",) on {place(admins.LookupClassAdmin)}.',
    ),
    "nullable": (
        "school.Teacher.user",
        marked_line(SOURCE, "nullable"),
        'NullableTeacherAdmin.list_display "user"',
        f'Set list_select_related = ("user",) on {place(admins.NullableTeacherAdmin)}.',
    ),
    "callable": (
        "school.Class.teacher",
        marked_line(SOURCE, "callable"),
        'CallableClassAdmin.list_display "teacher_name"',
        f'Set list_select_related = ("teacher",) on {place(admins.CallableClassAdmin)}.',
    ),
    "reverse": (
        "school.Teacher.classes",
        marked_line(SOURCE, "reverse"),
        'ReverseTeacherAdmin.list_display "class_names"',
        get_queryset_override(admins.ReverseTeacherAdmin, 'prefetch_related("classes")'),
    ),
    "count": (
        "school.Teacher.classes",
        marked_line(SOURCE, "count"),
        'CountTeacherAdmin.list_display "class_count"',
        get_queryset_override(
            admins.CountTeacherAdmin,
            'annotate(Count("classes"))',
            ", and read the annotation (classes__count)",
        ),
    ),
}
CELL = re.compile(rb'<t[dh] class="field-[^"]+">(.*?)</t[dh]>', re.S)


@pytest.mark.parametrize("name", sorted(CHANGELISTS))
def test_changelist_n_plus_one_is_located_and_fixed(name, client, monkeypatch):
    rows()
    before = Visit(changelist(name), client)
    assert before.response.status_code == 200
    found = [(f.relation, f.location, f.location_label, f.suggestion) for f in before.n_plus_ones()]
    if name == "nullable" and django.VERSION >= (6, 0):
        assert found == []  # Django 6 joins every relation of list_display itself
        return
    assert found == [CHANGELISTS[name]], [f.message for f in before.findings]

    apply_admin_fix(found[0][3], admins.SITES[name][2], monkeypatch)
    fixed = Visit(changelist(name), client)
    assert fixed.n_plus_ones() == []
    cells = CELL.findall(before.response.content)
    assert cells and CELL.findall(fixed.response.content) == cells
    rows()  # twice the rows: the same number of queries
    assert Visit(changelist(name), client).queries == fixed.queries


def change_page(name: str, school_class: Class) -> str:
    return f"/{name}/school/class/{school_class.pk}/change/"


def more_students(school_class: Class, count: int) -> None:
    for student in StudentFactory.create_batch(count):
        EnrollmentFactory(school_class=school_class, student=student)


def test_an_inline_select_is_located_at_the_inline_and_its_choices_built_once(client, monkeypatch):
    rows()
    school_class = Class.objects.first()
    [finding] = Visit(change_page("inline-select", school_class), client).n_plus_ones()
    forms = Enrollment.objects.filter(school_class=school_class).count() + 1  # + the empty form
    assert (finding.relation, finding.count) == (None, forms)
    assert finding.location == marked_line(SOURCE, "inline-select")
    assert finding.location_label == 'SelectInline field "student"'
    assert finding.suggestion == (
        f'Each of the inline\'s {forms} forms queries the "student" choices again. Build them '
        f"once per request: override formfield_for_foreignkey() on {place(admins.SelectInline)}: "
        "field = super().formfield_for_foreignkey(db_field, request, **kwargs); "
        'if db_field.name == "student": field.choices = list(field.choices); return field.'
    )

    apply_admin_fix(finding.suggestion, admins.SelectInline, monkeypatch)
    fixed = Visit(change_page("inline-select", school_class), client)
    assert fixed.n_plus_ones() == []
    more_students(school_class, 4)
    assert Visit(change_page("inline-select", school_class), client).queries == fixed.queries


def test_an_inline_raw_id_field_is_located_at_raw_id_fields(client, monkeypatch):
    rows()
    school_class = Class.objects.first()
    [finding] = Visit(change_page("inline-raw-id", school_class), client).n_plus_ones()
    assert (finding.relation, finding.count) == (None, 4)
    assert finding.location == marked_line(SOURCE, "inline-raw-id")
    assert finding.location_label == 'RawIdInline field "student"'
    assert finding.suggestion == (
        'ForeignKeyRawIdWidget looks up each row\'s "student" with its own query (4 queries). '
        'If the rows need not change it, show it read-only: readonly_fields = ("student",) on '
        f'{place(admins.RawIdInline)}, and select_related("student") in its get_queryset(); '
        "else these queries are the widget's cost."
    )

    apply_admin_fix(finding.suggestion, admins.RawIdInline, monkeypatch)
    fixed = Visit(change_page("inline-raw-id", school_class), client)
    assert fixed.n_plus_ones() == []
    more_students(school_class, 4)
    assert Visit(change_page("inline-raw-id", school_class), client).queries == fixed.queries


def test_an_inline_read_only_relation_is_fixed_in_the_inline_get_queryset(client, monkeypatch):
    rows()
    school_class = Class.objects.first()
    [finding] = Visit(change_page("inline-readonly", school_class), client).n_plus_ones()
    assert (finding.relation, finding.count) == ("school.Enrollment.student", 4)
    assert finding.location == marked_line(SOURCE, "inline-readonly")
    assert finding.location_label == 'ReadonlyInline field "student"'
    assert finding.suggestion == get_queryset_override(
        admins.ReadonlyInline, 'select_related("student")'
    )

    apply_admin_fix(finding.suggestion, admins.ReadonlyInline, monkeypatch)
    fixed = Visit(change_page("inline-readonly", school_class), client)
    assert fixed.n_plus_ones() == []
    more_students(school_class, 4)
    assert Visit(change_page("inline-readonly", school_class), client).queries == fixed.queries
