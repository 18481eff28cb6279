"""Helpers to run the plugin in nested pytest sessions.

In-process sessions share the outer test's Django setup and database transaction: they
run with ``-p no:django`` (pytest-django is already driving the outer session) and their
test bodies use the ORM directly. The xdist run is a subprocess with pytest-django of
its own on an in-memory SQLite database.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

INPROCESS_INI = """
[pytest]
addopts = -p no:django -p no:cacheprovider -p no:hypothesispytest
filterwarnings = ignore::pytest.PytestAssertRewriteWarning
perfkit_mode = {mode}
"""

# A module every inner test file starts with: three classes, each with its own teacher.
PREAMBLE = """
import pytest
from testproject.school.models import Class
from tests.factories import ClassFactory, StudentFactory


@pytest.fixture
def classes():
    Class.objects.all().delete()  # inner tests share the outer test's transaction
    return ClassFactory.create_batch(3)


def teacher_names_lazily():
    return [school_class.teacher.last_name for school_class in Class.objects.all()]


def teacher_names_joined():
    return [c.teacher.last_name for c in Class.objects.select_related("teacher")]
"""


def write_tests(pytester, body: str, *, mode: str = "report", name: str = "test_inner"):
    pytester.makeini(INPROCESS_INI.format(mode=mode))
    return pytester.makepyfile(**{name: PREAMBLE + textwrap.dedent(body)})
