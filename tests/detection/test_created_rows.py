"""Rows created in a loop (get_or_create per row) are reported with a fix that applies:
eager loading cannot find rows that do not exist yet, even where the view prefetched."""

from __future__ import annotations

import pytest

import perfkit
from testproject.school.models import Class, Teacher
from tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db

TEACHERS = 5


@pytest.fixture(autouse=True)
def five_teachers():
    TeacherFactory.create_batch(TEACHERS)


def homerooms(teachers):
    for teacher in teachers:
        teacher.classes.get_or_create(name="Homeroom")


def the_n_plus_one(report):
    [finding] = report.of_kind("n_plus_one")
    return finding


@pytest.mark.parametrize(
    "loaded",
    [
        pytest.param(lambda: Teacher.objects.all(), id="lazily"),
        # As Wagtail's image listing: the view prefetched, the lookups still run.
        pytest.param(lambda: Teacher.objects.prefetch_related("classes"), id="prefetched"),
    ],
)
def test_rows_created_in_a_loop_get_the_fix_that_applies(loaded):
    with perfkit.detect() as report:
        homerooms(loaded())

    finding = the_n_plus_one(report)
    assert finding.count == TEACHERS
    assert finding.suggestion.startswith(
        f"{TEACHERS} of these {TEACHERS} lookups found no row, and the row was then created"
    )
    assert "one bulk_create() for the rest" in finding.suggestion
    assert "prefetch_related(" not in finding.suggestion
    assert "select_related/prefetch_related" not in finding.suggestion
    # The INSERTs are their own finding, with their own fix.
    [write] = report.of_kind("repeated_write")
    assert "bulk_create()" in write.suggestion


def test_once_the_rows_exist_the_usual_fix_is_back():
    homerooms(Teacher.objects.all())

    with perfkit.detect() as report:
        homerooms(Teacher.objects.all())

    assert the_n_plus_one(report).suggestion == (
        'Add prefetch_related("classes") to the queryset that loads the parent rows.'
    )
    assert report.of_kind("repeated_write") == []


def test_reads_and_creations_mixed_get_both_fixes():
    with perfkit.detect() as report:
        for teacher in Teacher.objects.all():
            # One line, as when a library's code runs both (the view is then the location).
            list(teacher.classes.all()), teacher.classes.get_or_create(name="Homeroom")

    finding = the_n_plus_one(report)
    assert finding.count == 2 * TEACHERS
    assert finding.suggestion.startswith('Add prefetch_related("classes")')
    assert f"{TEACHERS} of these {2 * TEACHERS} lookups found no row" in finding.suggestion


def test_plain_get_or_create_in_a_loop():
    with perfkit.detect() as report:
        for number in range(TEACHERS):
            Class.objects.get_or_create(name=f"Club {number}", teacher=Teacher.objects.first())

    finding = next(f for f in report.of_kind("n_plus_one") if "school_class" in f.sql)
    assert "lookups found no row" in finding.suggestion


def test_queries_on_a_prefetched_relation_are_not_told_to_prefetch_it():
    for teacher in Teacher.objects.all():
        Class.objects.create(name="Homeroom", teacher=teacher)

    with perfkit.detect() as report:
        for teacher in Teacher.objects.prefetch_related("classes"):
            list(teacher.classes.all())  # served from the prefetch
            teacher.classes.filter(name="Homeroom").first()

    finding = the_n_plus_one(report)
    assert (finding.relation, finding.count) == ("school.Teacher.classes", TEACHERS)
    assert finding.suggestion.startswith('"classes" was prefetched, but filter()')
    assert "Add prefetch_related" not in finding.suggestion
