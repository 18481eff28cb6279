"""assert_max_queries as a context manager."""

from __future__ import annotations

import pytest

from perfkit.testing import assert_max_queries
from testproject.school.models import Class
from tests.factories import ClassFactory

pytestmark = pytest.mark.django_db


def test_within_budget_keeps_the_queries():
    ClassFactory.create_batch(2)
    with assert_max_queries(1) as budget:
        list(Class.objects.select_related("teacher"))
    assert len(budget.captured) == 1


def test_over_budget_lists_queries_grouped_by_fingerprint():
    ClassFactory.create_batch(3)
    with pytest.raises(AssertionError) as failure, assert_max_queries(2):
        [school_class.teacher.pk for school_class in Class.objects.all()]
    lines = str(failure.value).splitlines()
    assert lines[0] == "4 queries ran, at most 2 expected:"
    assert lines[1].startswith('  3 x SELECT "school_teacher"."id"')
    assert lines[2].startswith("      from tests/contrib/test_query_budget.py:")
    assert lines[3].startswith('  1 x SELECT "school_class"."id"')


def test_an_error_inside_is_not_hidden_by_the_budget():
    with pytest.raises(ZeroDivisionError), assert_max_queries(0):
        list(Class.objects.all())
        1 / 0  # noqa: B018


@pytest.mark.parametrize("limit", [-1, 1.5, True, "3"])
def test_a_bad_limit_is_a_clear_error(limit):
    with pytest.raises(ValueError, match="assert_max_queries needs a whole number >= 0"):
        assert_max_queries(limit)
