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
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, report, setup_django

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

VARIANTS = {
    "not loaded": ["-p", "no:perfkit"],
    "off": ["-o", "perfkit_mode=off"],
    "report": [],
    "strict": ["--perfkit-baseline=baseline.json"],
}


def run(directory: Path, arguments: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one pytest run."""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *arguments],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        sys.exit(f"pytest {' '.join(arguments)} failed:\n{completed.stdout}{completed.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, elapsed


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
        run(directory, ["--perfkit-baseline=baseline.json", "--perfkit-record-baseline"])
        for arguments in VARIANTS.values():  # the warm-up round: counted nowhere
            run(directory, arguments)
        cpu: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        wall: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        paired: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        for _ in range(options.rounds):
            order = list(VARIANTS)
            random.shuffle(order)
            this_round = {}
            for variant in order:
                this_round[variant], elapsed = run(directory, VARIANTS[variant])
                cpu[variant].append(this_round[variant])
                wall[variant].append(elapsed)
            for variant in VARIANTS:
                paired[variant].append(this_round[variant] / this_round["not loaded"])

    base = statistics.median(cpu["not loaded"])
    rows = [
        [
            variant,
            round(statistics.median(cpu[variant]), 3),
            round(statistics.median(cpu[variant]) / base, 3),
            round(statistics.median(paired[variant]), 3),
            round(statistics.median(wall[variant]), 3),
        ]
        for variant in VARIANTS
    ]
    print(f"load average at the end: {os.getloadavg()}")
    report(
        "pytest_plugin_overhead",
        ["variant", "CPU s (median)", "CPU ratio", "paired CPU ratio", "wall s (median)"],
        rows,
        tests=half * 2,
        rounds=options.rounds,
        load_average=os.getloadavg(),
    )


if __name__ == "__main__":
    main()
