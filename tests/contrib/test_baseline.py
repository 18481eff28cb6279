"""The baseline ratchet: record, pass, a new finding fails, a removed one is reported;
and the same under pytest-xdist, where the controller merges what the workers found."""

from __future__ import annotations

import json
import re

import pytest

from perfkit.contrib.pytest.baseline import (
    Baseline,
    BaselineEntry,
    BaselineError,
    load_baseline,
    save_baseline,
)
from tests import factories
from tests.contrib.plugin_sessions import REPO_ROOT, write_tests

assert factories  # one module shared with the inner sessions (see test_pytest_plugin)

TWO_TESTS = """
def test_lists_teachers(classes):
    teacher_names_lazily()

def test_lists_classes(classes):
    {second_body}
"""


def recorded(path):
    return json.loads(path.read_text())["findings"]


@pytest.mark.django_db
def test_record_then_pass_then_new_finding_fails_then_removed_finding_is_reported(pytester):
    baseline = pytester.path / "perfkit-baseline.json"
    option = f"--perfkit-baseline={baseline.name}"
    write_tests(pytester, TWO_TESTS.format(second_body="teacher_names_joined()"))

    # 1. Record today's findings.
    result = pytester.runpytest_inprocess(option, "--perfkit-record-baseline")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [f"perfkit: recorded 1 finding(s) of 2 test(s) to *{baseline.name}"]
    )
    assert recorded(baseline) == [
        {
            "test": "test_inner.py::test_lists_teachers",
            "kind": "n_plus_one",
            "subject": "school.Class.teacher",
            "call_site": "test_inner.py::teacher_names_lazily",
            "count": 3,
        }
    ]

    # 2. The next run passes, also after edits that move every line down.
    result = pytester.runpytest_inprocess(option)
    result.assert_outcomes(passed=2)
    source = pytester.path / "test_inner.py"
    source.write_text("# a comment\n\n\n" + source.read_text())
    result = pytester.runpytest_inprocess(option)
    result.assert_outcomes(passed=2)
    assert "no longer found" not in result.stdout.str()

    # 3. A new N+1 in another test fails, naming the baseline.
    write_tests(pytester, TWO_TESTS.format(second_body="teacher_names_lazily()"))
    result = pytester.runpytest_inprocess(option)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*perfkit: 1 finding(s) not in the baseline *{baseline.name}:",
            "*- n_plus_one school.Class.teacher at test_inner.py:*",
        ]
    )
    result.stdout.fnmatch_lines(["*FAILED test_inner.py::test_lists_classes*"])

    # 4. The recorded finding fixed: the run passes and reports it, to tighten the file.
    write_tests(pytester, TWO_TESTS.format(second_body="pass").replace("lazily", "joined"))
    result = pytester.runpytest_inprocess(option)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*= perfkit baseline =*",
            "no longer found: test_inner.py::test_lists_teachers: n_plus_one "
            "school.Class.teacher in test_inner.py::teacher_names_lazily",
            "perfkit: 1 baseline finding(s) no longer occur; tighten the baseline with "
            "--perfkit-record-baseline",
        ]
    )
    assert result.ret == 0

    # 5. Recording again tightens it.
    result = pytester.runpytest_inprocess(option, "--perfkit-record-baseline")
    assert recorded(baseline) == []


@pytest.mark.django_db
def test_recording_some_tests_keeps_the_entries_of_the_others(pytester):
    baseline = pytester.path / "perfkit-baseline.json"
    option = f"--perfkit-baseline={baseline.name}"
    write_tests(pytester, TWO_TESTS.format(second_body="teacher_names_lazily()"))
    pytester.runpytest_inprocess(option, "--perfkit-record-baseline")
    assert len(recorded(baseline)) == 2

    write_tests(pytester, TWO_TESTS.format(second_body="teacher_names_joined()"))
    pytester.runpytest_inprocess(option, "--perfkit-record-baseline", "-k", "lists_classes")

    assert [entry["test"] for entry in recorded(baseline)] == ["test_inner.py::test_lists_teachers"]


def test_a_malformed_baseline_is_a_clear_error_and_is_left_alone(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text('{"version": 1, "findings": [{"test": "t"}]}')
    with pytest.raises(BaselineError, match="entry 0 is malformed"):
        load_baseline(str(path))
    path.write_text("[1, 2]")
    with pytest.raises(BaselineError, match="expected a JSON object with version 1"):
        load_baseline(str(path))
    assert path.read_text() == "[1, 2]"
    assert load_baseline(str(tmp_path / "missing.json")) == Baseline()


def test_save_and_load_round_trip_sorted(tmp_path):
    path = tmp_path / "sub" / "baseline.json"
    entries = (
        BaselineEntry("t.py::b", "n_plus_one", "a.B.c", "v.py::f", 3),
        BaselineEntry("t.py::a", "n_plus_one", "a.B.c", "v.py::f", 2),
    )
    save_baseline(str(path), Baseline(entries))
    assert load_baseline(str(path)).entries == tuple(sorted(entries))
    assert [p.name for p in path.parent.iterdir()] == ["baseline.json"]  # no temp left


XDIST_INI = f"""
[pytest]
DJANGO_SETTINGS_MODULE = testproject.settings
pythonpath = {REPO_ROOT}
addopts = -p no:cacheprovider -p no:hypothesispytest -p no:faker --no-migrations
perfkit_baseline = perfkit-baseline.json
"""

# Plain ORM rows, no factory-boy: worker start-up is most of this test's time.
XDIST_TESTS = """
import pytest
from testproject.school.models import Class, Teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def classes():
    for number in range(3):
        teacher = Teacher.objects.create(last_name=f"T{{number}}", email=f"t{{number}}@x.test")
        Class.objects.create(name=f"C{{number}}", teacher=teacher)


def teacher_names_lazily():
    return [school_class.teacher.last_name for school_class in Class.objects.all()]


def teacher_names_joined():
    return [c.teacher.last_name for c in Class.objects.select_related("teacher")]


{tests}
"""


def xdist_tests(pytester, second_body):
    bodies = [
        f"def test_{index}(classes):\n    {'teacher_names_lazily()' if index else second_body}\n"
        for index in range(4)
    ]
    pytester.makeini(XDIST_INI)
    pytester.makepyfile(test_inner=XDIST_TESTS.format(tests="\n\n".join(bodies)))


def test_under_xdist_the_controller_merges_every_workers_findings(pytester, monkeypatch):
    # Its own pytest-django on in-memory SQLite: never the outer run's test database.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PERFKIT_REQUIRE_POSTGRES", raising=False)
    xdist_tests(pytester, second_body="teacher_names_lazily()")

    result = pytester.runpytest_subprocess("-n", "2", "-v", "--perfkit-record-baseline")

    result.assert_outcomes(passed=4)
    workers = set(re.findall(r"\[(gw\d)\].*PASSED", result.stdout.str()))
    assert workers == {"gw0", "gw1"}
    baseline = pytester.path / "perfkit-baseline.json"
    assert [entry["test"] for entry in recorded(baseline)] == [
        f"test_inner.py::test_{index}" for index in range(4)
    ]

    # test_0 fixed; test_3 gains a second N+1 (on a different relation).
    xdist_tests(pytester, second_body="teacher_names_joined()")
    source = pytester.path / "test_inner.py"
    source.write_text(
        source.read_text().replace(
            "def test_3(classes):\n    teacher_names_lazily()",
            "def test_3(classes):\n    teacher_names_lazily()\n"
            "    [teacher.classes.count() for teacher in Teacher.objects.all()]",
        )
    )
    result = pytester.runpytest_subprocess("-n", "2")

    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*FAILED test_inner.py::test_3*"])
    result.stdout.fnmatch_lines(["*- n_plus_one school.Teacher.classes at *"])
    result.stdout.fnmatch_lines(
        ["no longer found: test_inner.py::test_0: n_plus_one school.Class.teacher in *"]
    )
