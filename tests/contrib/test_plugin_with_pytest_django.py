"""The plugin as projects run it: pytest-django active, running ``django.test.TestCase``
itself. Only test bodies are observed (not fixtures, setUpTestData, setUp, tearDown, the
fixtures a TransactionTestCase loads), async test methods too, under xdist too, and the
plugin changes no outcome: an alias the test never used stays uninitialised."""

from __future__ import annotations

import re

import pytest

from tests.contrib.plugin_sessions import call_outcomes, write_django_tests

pytestmark = pytest.mark.usefixtures("own_database")

PROJECT_TESTS = """
import json
from pathlib import Path

ROWS = [
    {"model": "school.teacher", "pk": n, "fields": {"first_name": "F", "last_name": f"L{n}",
     "email": f"f{n}@x.test", "user": None}}
    for n in range(1, 7)
] + [
    {"model": "school.class", "pk": n, "fields": {"name": f"C{n}", "teacher": n, "room": ""}}
    for n in range(1, 7)
]
FIXTURE = Path(__file__).with_name("school.json")
FIXTURE.write_text(json.dumps(ROWS))


@pytest.fixture
def classes(db):
    make_classes()
    teacher_names_lazily()  # a fixture's N+1 is not the body's


def test_function_clean(classes):
    assert len(teacher_names_joined()) == 3


def test_function_n_plus_one(classes):
    teacher_names_lazily()


class TestCaseTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_classes()
        teacher_names_lazily()

    def setUp(self):
        teacher_names_lazily()

    def tearDown(self):
        teacher_names_lazily()

    def test_clean(self):
        self.assertEqual(len(teacher_names_joined()), 3)

    def test_n_plus_one(self):
        teacher_names_lazily()

    async def test_async_clean(self):
        self.assertEqual(len(await sync_to_async(teacher_names_joined)()), 3)

    async def test_async_n_plus_one(self):
        await sync_to_async(teacher_names_lazily)()


class TransactionTests(TransactionTestCase):
    fixtures = [str(FIXTURE)]  # 6 + 6 rows saved one by one: repeated writes, not the body's

    def setUp(self):
        teacher_names_lazily()

    def test_clean(self):
        self.assertEqual(len(teacher_names_joined()), 6)

    def test_n_plus_one(self):
        teacher_names_lazily()


class UnusedAliasTests(TestCase):
    # As DRF's tests/test_atomic_requests.py: the "other" alias's wrapper is removed for
    # the test, which then checks that nothing initialised it again.
    def setUp(self):
        super().setUp()
        self.saved = getattr(connections._connections, "other", None)
        if self.saved is not None:
            delattr(connections._connections, "other")

    def tearDown(self):
        stray = getattr(connections._connections, "other", None)
        if stray is not None and stray is not self.saved:
            stray.close()
        if self.saved is not None:
            setattr(connections._connections, "other", self.saved)
        super().tearDown()

    def test_only_default_is_used(self):
        Class.objects.count()
        assert not hasattr(connections._connections, "other")
"""

# The queries of each body's N+1: its own only (3 classes; the TransactionTestCase's
# fixture has 6), never also those of setUp, tearDown, setUpTestData or fixtures.
N_PLUS_ONES = {
    "test_function_n_plus_one": 3,
    "TestCaseTests::test_n_plus_one": 3,
    "TestCaseTests::test_async_n_plus_one": 3,
    "TransactionTests::test_n_plus_one": 6,
}
CLEAN = [
    "test_function_clean",
    "TestCaseTests::test_clean",
    "TestCaseTests::test_async_clean",
    "TransactionTests::test_clean",
    "UnusedAliasTests::test_only_default_is_used",
]


@pytest.fixture
def own_database(monkeypatch):
    # The inner project has its own settings and in-memory SQLite databases, never the
    # outer run's (pytest-django reads DJANGO_SETTINGS_MODULE from the environment first).
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "inner_settings")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PERFKIT_REQUIRE_POSTGRES", raising=False)


def findings_by_test(result) -> dict[str, str]:
    """``{test name: what its finding says}`` from the summary's perfkit findings section."""
    found = {}
    for line in result.outlines:
        test, separator, finding = line.partition(": n_plus_one ")
        if separator and test.startswith("test_inner.py::"):
            found[test.removeprefix("test_inner.py::")] = finding
    return found


def test_strict_mode_fails_exactly_the_bodies_with_findings(pytester):
    write_django_tests(pytester, PROJECT_TESTS)

    result = pytester.runpytest_subprocess("--perfkit-strict", "-rA")

    result.stdout.fnmatch_lines(["django: version: *, settings: inner_settings (from env)"])
    assert call_outcomes(result) == {
        **dict.fromkeys(N_PLUS_ONES, "failed"),
        **dict.fromkeys(CLEAN, "passed"),
    }, result.stdout.str()
    found = findings_by_test(result)
    assert set(found) == set(N_PLUS_ONES)
    for test, count in N_PLUS_ONES.items():
        assert found[test].startswith("school.Class.teacher at test_inner.py:"), found
        assert f": {count} queries, " in found[test], (test, found[test])
    assert "- repeated_write" not in result.stdout.str()  # the TransactionTestCase fixtures
    assert "perfkit errors" not in result.stdout.str()


def test_report_mode_under_xdist_changes_no_outcome_and_merges_every_workers_findings(
    pytester,
):
    write_django_tests(pytester, PROJECT_TESTS)

    result = pytester.runpytest_subprocess("-n", "2", "-rA", "-v")

    assert call_outcomes(result) == dict.fromkeys([*N_PLUS_ONES, *CLEAN], "passed"), (
        result.stdout.str()
    )
    found = findings_by_test(result)
    assert {
        test: f": {count} queries, " in found.get(test, "") for test, count in N_PLUS_ONES.items()
    } == dict.fromkeys(N_PLUS_ONES, True), found
    result.stdout.fnmatch_lines(["perfkit: 4 finding(s) in 4 test(s)"])
    assert len(set(re.findall(r"\[(gw\d)\]", result.stdout.str()))) == 2  # both workers ran
