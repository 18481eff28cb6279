"""The pytest plugin, run in nested pytest sessions (pytester)."""

from __future__ import annotations

import pytest
from django.db import connection

from perfkit.capture.scope import record_query, scopes_active
from tests import factories
from tests.contrib.plugin_sessions import write_tests

# Imported here, so inner sessions share one module (and its factory sequences) with
# the outer test instead of importing a fresh copy whose sequences start again at 0.
assert factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nothing_left_behind():
    yield
    assert scopes_active() == 0
    assert record_query not in connection.execute_wrappers


def test_a_clean_test_passes_and_the_n_plus_one_fails_in_strict_mode(pytester):
    write_tests(
        pytester,
        """
        def test_clean(classes):
            assert teacher_names_joined()

        def test_n_plus_one(classes):
            assert teacher_names_lazily()
        """,
    )

    result = pytester.runpytest_inprocess("--perfkit-strict")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*perfkit: strict mode, failing on n_plus_one*",
            "*FAILED test_inner.py::test_n_plus_one*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*perfkit: 1 finding(s) in the test body (perfkit strict mode):",
            "*- n_plus_one school.Class.teacher at test_inner.py:1?: 3 queries*"
            'Add select_related("teacher") to the queryset that loads the parent rows.',
            "*call site: test_inner.py::teacher_names_lazily",
        ]
    )
    assert "test_clean" not in "".join(line for line in result.outlines if "FAILED" in line)


def test_report_mode_lists_findings_without_failing(pytester):
    write_tests(
        pytester,
        """
        def test_n_plus_one(classes):
            teacher_names_lazily()
        """,
    )

    result = pytester.runpytest_inprocess()

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*= perfkit findings =*",
            "test_inner.py::test_n_plus_one: n_plus_one school.Class.teacher at *",
            "perfkit: 1 finding(s) in 1 test(s)",
        ]
    )


def test_factory_heavy_setup_is_not_flagged(pytester):
    write_tests(
        pytester,
        """
        @pytest.fixture
        def school():
            # Setup that detection would flag: 20 INSERTs of one shape and an N+1 read.
            made = StudentFactory.create_batch(20) + ClassFactory.create_batch(5)
            teacher_names_lazily()
            return made

        def test_body_is_clean(school):
            assert len(teacher_names_joined()) >= 5

        @pytest.mark.perfkit(fail_on=["n_plus_one", "repeated_write"])
        def test_the_same_work_in_the_body_is_flagged():
            StudentFactory.create_batch(20)
            ClassFactory.create_batch(5)
            teacher_names_lazily()
        """,
    )

    result = pytester.runpytest_inprocess("--perfkit-strict")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*FAILED test_inner.py::test_the_same_work_in_the_body_is_flagged*"]
    )
    result.stdout.fnmatch_lines(["*- repeated_write INSERT INTO*school_student*"])
    result.stdout.fnmatch_lines(["*- n_plus_one school.Class.teacher*"])
    assert "test_body_is_clean:" not in result.stdout.str()


def test_markers_override_thresholds_allowlist_strictness_and_switch_off(pytester):
    write_tests(
        pytester,
        """
        @pytest.mark.perfkit(enabled=False)
        def test_off(classes):
            teacher_names_lazily()

        @pytest.mark.perfkit(n_plus_one_threshold=4)
        def test_threshold_above_the_loop(classes):
            teacher_names_lazily()

        @pytest.mark.perfkit(n_plus_one_threshold=3)
        def test_threshold_at_the_loop(classes):
            teacher_names_lazily()

        @pytest.mark.perfkit(allowlist=["school.Class.teacher"])
        def test_allowlisted(classes):
            teacher_names_lazily()

        @pytest.mark.perfkit(strict=False)
        def test_not_strict(classes):
            teacher_names_lazily()

        @pytest.mark.perfkit(enabled=False)
        class TestOffForTheClass:
            def test_inherits_off(self, classes):
                teacher_names_lazily()

            @pytest.mark.perfkit(enabled=True)
            def test_closest_marker_wins(self, classes):
                teacher_names_lazily()

        @pytest.mark.perfkit(n_plus_one_treshold=4)
        def test_misspelt_option():
            pass
        """,
    )

    result = pytester.runpytest_inprocess("--perfkit-strict", "-rf")

    outcomes = {
        report.nodeid.split("::", 1)[1]: report.outcome
        for report in result.reprec.getreports("pytest_runtest_logreport")
        if report.when == "call"
    }
    assert outcomes == {
        "test_off": "passed",
        "test_threshold_above_the_loop": "passed",
        "test_threshold_at_the_loop": "failed",
        "test_allowlisted": "passed",
        "test_not_strict": "passed",
        "TestOffForTheClass::test_inherits_off": "passed",
        "TestOffForTheClass::test_closest_marker_wins": "failed",
        "test_misspelt_option": "failed",
    }
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.perfkit: unknown detection option(s): n_plus_one_treshold*"]
    )


def test_strict_for_one_test_in_report_mode(pytester):
    write_tests(
        pytester,
        """
        @pytest.mark.perfkit(strict=True)
        def test_strict_here(classes):
            teacher_names_lazily()

        def test_reported_only(classes):
            teacher_names_lazily()
        """,
    )

    result = pytester.runpytest_inprocess()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED test_inner.py::test_strict_here*"])


def test_a_failed_test_leaks_nothing_into_the_next_one(pytester):
    write_tests(
        pytester,
        """
        from perfkit.capture import current_capture
        from perfkit.capture.scope import scopes_active

        def test_fails_midway(classes):
            teacher_names_lazily()
            raise RuntimeError("boom")

        def test_clean_after_it(classes):
            assert scopes_active() == 1  # only this test's scope
            assert current_capture().parent is None
            assert len(current_capture().queries) == 0  # fixture queries are not in it
            assert teacher_names_joined()
        """,
    )

    result = pytester.runpytest_inprocess("--perfkit-strict")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: boom*"])
    # The failing test is not failed twice over by strict mode.
    assert "perfkit strict mode" not in result.stdout.str()


def test_unittest_setup_is_not_flagged_but_the_test_method_is(pytester):
    write_tests(
        pytester,
        """
        from django.test import TestCase

        class ClassListTests(TestCase):
            def setUp(self):
                ClassFactory.create_batch(3)
                teacher_names_lazily()

            def test_clean(self):
                self.assertTrue(teacher_names_joined())

            def test_n_plus_one(self):
                teacher_names_lazily()
        """,
    )

    result = pytester.runpytest_inprocess("--perfkit-strict")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED test_inner.py::ClassListTests::test_n_plus_one*"])


def test_inert_when_off_or_when_perfkit_is_disabled(pytester, settings):
    write_tests(
        pytester,
        """
        def test_n_plus_one(request, classes):
            teacher_names_lazily()
        """,
        mode="off",
    )
    assert pytester.runpytest_inprocess().ret == 0
    assert "perfkit findings" not in pytester.runpytest_inprocess().stdout.str()

    write_tests(pytester, "def test_n_plus_one(classes):\n    teacher_names_lazily()\n")
    settings.PERFKIT = {"ENABLED": False}
    result = pytester.runpytest_inprocess("--perfkit-strict")
    result.assert_outcomes(passed=1)
    assert "perfkit findings" not in result.stdout.str()

    result = pytester.runpytest_inprocess("--no-perfkit", "--perfkit-strict")
    result.assert_outcomes(passed=1)


def test_bad_configuration_is_a_usage_error(pytester):
    write_tests(pytester, "def test_nothing():\n    pass\n", mode="loud")
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*perfkit_mode = 'loud': expected one of off, report, strict*"])

    write_tests(pytester, "def test_nothing():\n    pass\n")
    result = pytester.runpytest_inprocess("--perfkit-record-baseline")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--perfkit-record-baseline needs a file*"])


def test_assert_max_queries_fixture_groups_queries_by_fingerprint(pytester):
    write_tests(
        pytester,
        """
        def test_over_budget(classes, assert_max_queries):
            with assert_max_queries(2):
                teacher_names_lazily()

        def test_within_budget(classes, assert_max_queries):
            with assert_max_queries(1):
                teacher_names_joined()
        """,
        mode="off",
    )

    result = pytester.runpytest_inprocess()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: 4 queries ran, at most 2 expected:",
            '*3 x SELECT "school_teacher"."id"*WHERE "school_teacher"."id" = ? LIMIT ?',
            "*from test_inner.py:1? in *",
            '*1 x SELECT "school_class"."id"*',
        ]
    )


def test_capture_errors_are_summarised_and_change_no_outcome(pytester):
    write_tests(
        pytester,
        """
        from perfkit.capture import orm

        def boom(*args, **kwargs):
            raise RuntimeError("injected")

        def test_with_broken_hooks(classes, monkeypatch):
            monkeypatch.setattr(orm, "relation_load", boom)
            assert len(teacher_names_lazily()) == 3

        def test_fine(classes):
            teacher_names_joined()
        """,
    )

    result = pytester.runpytest_inprocess("--perfkit-strict")

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*= perfkit errors =*",
            "builtins.RuntimeError at test_inner.py:* in boom",
            "perfkit: 3 capture error(s) in 1 test(s): those test bodies were not fully "
            "observed (no test outcome changed); the tracebacks are on the 'perfkit' logger",
        ]
    )
