"""What perfkit's pytest plugin costs a test suite: not loaded, off, and observing.

Writes a throw-away project of ``--tests`` tests (in-memory SQLite through pytest-django,
the testproject's models). Each test's fixture creates 5 classes with their teachers;
each body reads the teachers lazily (1 + 5 queries, one N+1 finding). Every variant is a
``pytest`` subprocess on the same files; the parent interleaves rounds between them so
that a busy machine slows every variant alike, and reports the median wall time of the
whole run and the median difference to ``not loaded`` per test:

- ``not loaded``: ``-p no:perfkit`` (as if perfkit were not installed);
- ``off``: ``perfkit_mode = off`` (what perfkit's own suite uses);
- ``report``: the default mode: every body observed, findings listed at the end;
- ``strict, baseline``: strict against a baseline that lists every finding (all pass).

    python bench/pytest_plugin_overhead.py --tests 200 --rounds 5
"""

from __future__ import annotations

import argparse
import os
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
"""

VARIANTS = {
    "not loaded": ["-p", "no:perfkit"],
    "off": ["-o", "perfkit_mode=off"],
    "report": [],
    "strict, baseline": ["--perfkit-baseline=baseline.json"],
}


def run(directory: Path, arguments: list[str]) -> float:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
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
    if completed.returncode != 0:
        sys.exit(f"pytest {' '.join(arguments)} failed:\n{completed.stdout}{completed.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    setup_django()

    with tempfile.TemporaryDirectory(prefix="perfkit-plugin-bench-") as name:
        directory = Path(name)
        (directory / "pytest.ini").write_text(INI)
        (directory / "test_bench.py").write_text(TESTS.replace("COUNT", str(options.tests)))
        run(directory, ["--perfkit-baseline=baseline.json", "--perfkit-record-baseline"])
        for arguments in VARIANTS.values():  # warm-up: imports and .pyc files
            run(directory, arguments)
        timings: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        for _ in range(options.rounds):
            for variant, arguments in VARIANTS.items():
                timings[variant].append(run(directory, arguments))

    base = statistics.median(timings["not loaded"])
    rows = []
    for variant, values in timings.items():
        median = statistics.median(values)
        per_test_ms = (median - base) * 1000 / options.tests
        rows.append([variant, round(median, 2), round(per_test_ms, 3)])
    report(
        "pytest_plugin_overhead",
        ["variant", "run (s, median)", "vs not loaded (ms/test)"],
        rows,
        tests=options.tests,
        rounds=options.rounds,
    )


if __name__ == "__main__":
    main()
