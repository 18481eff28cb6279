"""What perfkit's pytest plugin costs a test suite: not loaded, off, report and strict.

Writes a throw-away project of ``--tests`` tests (in-memory SQLite through pytest-django,
the testproject's models): half pytest functions, half ``django.test.TestCase`` methods.
Each test's fixture (``setUpTestData`` for the TestCase half) creates 5 classes with
their teachers; each body reads the teachers lazily (1 + 5 queries, one N+1 finding).
Every variant is a ``pytest`` subprocess on the same files. One warm-up run of each
variant comes first (imports, .pyc files); then each round runs every variant once, in a
new random order, so that a busy machine slows every variant alike. Reported: the median
CPU time of a run (user + system of the pytest process, from ``getrusage``), its ratio to
``not loaded``, the paired ratio (per round, then the median), and the median wall time:

- ``not loaded``: ``-p no:perfkit`` (as if perfkit were not installed);
- ``off``: ``perfkit_mode = off`` (what perfkit's own suite uses);
- ``report``: the default mode: every body observed, findings listed at the end;
- ``strict``: strict against a baseline that lists every finding (all pass).

    python bench/pytest_plugin_overhead.py --tests 300 --rounds 10
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, RUN_COLUMNS, child_run, interleaved_runs, report, setup_django

INI = f"""
[pytest]
DJANGO_SETTINGS_MODULE = testproject.settings
pythonpath = {ROOT}
addopts = -p no:cacheprovider -p no:hypothesispytest -p no:faker --no-migrations -q
"""

TESTS = """
import pytest
from django.test import TestCase

from testproject.school.models import Class, Teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def classes():
    for number in range(5):
        teacher = Teacher.objects.create(last_name=f"T{number}", email=f"t{number}@x.test")
        Class.objects.create(name=f"C{number}", teacher=teacher)


@pytest.mark.parametrize("case", range(COUNT))
def test_teacher_names(classes, case):
    assert len([c.teacher.last_name for c in Class.objects.all()]) == 5


class TeacherNames(TestCase):
    @classmethod
    def setUpTestData(cls):
        for number in range(5):
            teacher = Teacher.objects.create(last_name=f"T{number}", email=f"t{number}@x.test")
            Class.objects.create(name=f"C{number}", teacher=teacher)

    def read_them(self):
        self.assertEqual(len([c.teacher.last_name for c in Class.objects.all()]), 5)


for case in range(COUNT):
    setattr(TeacherNames, f"test_teacher_names_{case}", TeacherNames.read_them)
"""

PYTEST = [sys.executable, "-m", "pytest"]
VARIANTS = {
    "not loaded": ["-p", "no:perfkit"],
    "off": ["-o", "perfkit_mode=off"],
    "report": [],
    "strict": ["--perfkit-baseline=baseline.json"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=10)
    options = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    setup_django()

    half = options.tests // 2
    with tempfile.TemporaryDirectory(prefix="perfkit-plugin-bench-") as name:
        directory = Path(name)
        (directory / "pytest.ini").write_text(INI)
        (directory / "test_bench.py").write_text(TESTS.replace("COUNT", str(half)))
        environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}

        def run(variant: str) -> tuple[float, float]:
            return child_run([*PYTEST, *VARIANTS[variant]], directory, environment)

        # strict mode's baseline: every finding of the suite
        record = ["--perfkit-baseline=baseline.json", "--perfkit-record-baseline"]
        child_run([*PYTEST, *record], directory, environment)
        rows = interleaved_runs(run, list(VARIANTS), options.rounds)
    print(f"load average at the end: {os.getloadavg()}")
    report(
        "pytest_plugin_overhead",
        RUN_COLUMNS,
        rows,
        tests=half * 2,
        rounds=options.rounds,
        load_average=os.getloadavg(),
    )


if __name__ == "__main__":
    main()
