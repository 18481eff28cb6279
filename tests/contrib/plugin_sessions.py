"""Helpers to run the plugin in nested pytest sessions.

In-process sessions share the outer test's Django setup and database transaction: they
run with ``-p no:django`` (pytest-django is already driving the outer session) and their
test bodies use the ORM directly. That is not how projects run: there pytest-django runs
``django.test.TestCase`` itself. So the sessions that prove what the plugin observes run
as subprocesses with pytest-django active, as a project would (:func:`write_django_tests`),
on in-memory SQLite databases of their own (two aliases, ``default`` and ``other``).
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


DJANGO_INI = f"""
[pytest]
DJANGO_SETTINGS_MODULE = inner_settings
pythonpath = . {REPO_ROOT}
addopts = -p no:cacheprovider -p no:hypothesispytest -p no:faker --no-migrations
filterwarnings = ignore::pytest.PytestAssertRewriteWarning
perfkit_mode = {{mode}}
perfkit_fail_on = n_plus_one repeated_write
"""

DJANGO_SETTINGS = """
from testproject.settings import *  # noqa: F403

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    "other": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}
PERFKIT = {"SLOW_QUERY_MS": 60_000}
LOGGING = {"version": 1, "disable_existing_loggers": False}
"""

# Plain ORM rows, no factory-boy (subprocess start-up is most of these tests' time).
DJANGO_PREAMBLE = """
import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import TestCase, TransactionTestCase

from testproject.school.models import Class, Teacher


def make_classes(count=3):
    for number in range(count):
        teacher = Teacher.objects.create(last_name=f"T{number}", email=f"t{number}@x.test")
        Class.objects.create(name=f"C{number}", teacher=teacher)


def teacher_names_lazily():
    return [school_class.teacher.last_name for school_class in Class.objects.all()]


def teacher_names_joined():
    return [c.teacher.last_name for c in Class.objects.select_related("teacher")]
"""


def write_django_tests(pytester, body: str, *, mode: str = "report", name: str = "test_inner"):
    """A project of its own: pytest-django active, two aliases, perfkit installed."""
    pytester.makeini(DJANGO_INI.format(mode=mode))
    pytester.makepyfile(inner_settings=DJANGO_SETTINGS)
    return pytester.makepyfile(**{name: DJANGO_PREAMBLE + textwrap.dedent(body)})


def call_outcomes(result) -> dict[str, str]:
    """``{test name: outcome}`` of the call phase, from a subprocess run's ``-rA`` lines."""
    outcomes = {}
    for line in result.outlines:
        for outcome in ("PASSED", "FAILED", "SKIPPED", "XFAIL"):
            prefix = f"{outcome} test_inner.py::"
            if line.startswith(prefix):
                outcomes[line[len(prefix) :].split(" ", 1)[0]] = outcome.lower()
    return outcomes
