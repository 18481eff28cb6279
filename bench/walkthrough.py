"""The docs/walkthrough.md figures: the naive attendance list before and after its index.

    createdb -h 127.0.0.1 -U postgres -T perfkit_bench perfkit_bench_indexgen
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfkit_bench_indexgen \
        python bench/walkthrough.py --repeat 7

Needs PostgreSQL and a *clone* of perfkit_bench (it builds and then drops an index).
Steps: the finding (``perfkit.detect`` around one request), EXPLAIN ANALYZE and timings
before, ``perfindex add school.Attendance -created_at`` plus ``migrate`` in a temporary
copy of the testproject (the repository is not touched), EXPLAIN ANALYZE and timings
after, then ``migrate school <previous>`` to drop the index again so the run repeats.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT, median_ms, report, require_vendor, setup_django

ENDPOINT = "/api/naive/attendance/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per figure")
    arguments = parser.parse_args()
    setup_django()
    require_vendor("postgresql")
    from django.db import connection

    if connection.settings_dict["NAME"] == "perfkit_bench":
        sys.exit("perfkit_bench is read-only: clone it (see the docstring) and use the clone")

    with tempfile.TemporaryDirectory() as directory:
        project = Path(directory)
        shutil.copy(ROOT / "manage.py", project)
        shutil.copytree(
            ROOT / "testproject",
            project / "testproject",
            ignore=shutil.ignore_patterns("__pycache__", "db.sqlite3"),
        )
        leaf = migrate_leaf(project)
        try:
            walk(project, arguments.repeat)
        finally:
            manage(project, "migrate", "school", leaf)


def walk(project: Path, repeat: int) -> None:
    from django.test import override_settings

    import perfkit

    print("== 1. The finding: one request to", ENDPOINT)
    with (
        override_settings(PERFKIT={"ENABLED": False}),  # the middleware would log it too
        perfkit.detect(slow_query_ms=100, explain_slow_queries=True) as detected,
    ):
        get_endpoint()
    for finding in detected.findings:
        if finding.kind == "slow_query":
            print("  ", finding.message)

    print("\n== 2. Before: EXPLAIN ANALYZE of the page query")
    print(explain_page_query())
    before = measure(repeat)

    print("\n== 3. The migration")
    output = manage(project, "perfindex", "add", "school.Attendance", "-created_at")
    print(output)
    migration = next(
        path
        for path in (project / "testproject/school/migrations").glob("0*.py")
        if "created" in path.name
    )
    print(migration.read_text())
    models_diff = difflib.unified_diff(
        (ROOT / "testproject/school/models.py").read_text().splitlines(keepends=True),
        (project / "testproject/school/models.py").read_text().splitlines(keepends=True),
        fromfile="a/testproject/school/models.py",
        tofile="b/testproject/school/models.py",
    )
    print("".join(models_diff))
    started = time.perf_counter()
    print(manage(project, "migrate", "school"))
    build_seconds = time.perf_counter() - started

    print("== 4. After: EXPLAIN ANALYZE of the page query")
    print(explain_page_query())
    after = measure(repeat)

    print(f"\n== 5. Measured (median of {repeat} runs, ms)")
    report(
        "walkthrough",
        ["step", "page_query_ms", "endpoint_ms"],
        [
            ["before (no index)", before[0], before[1]],
            ["after (-created_at index)", after[0], after[1]],
        ],
        repeat=repeat,
        index_build_s=round(build_seconds, 2),
        migration=migration.name,
    )


def page_query() -> list[object]:
    from testproject.school.models import Attendance

    # What NaiveAttendanceViewSet's first page runs (LimitOffsetPagination, limit 100).
    return list(Attendance.objects.order_by("-created_at")[:100])


def get_endpoint() -> None:
    from django.test import Client

    response = Client().get(ENDPOINT)
    assert response.status_code == 200, response.status_code


def measure(repeat: int) -> tuple[float, float]:
    from django.test import override_settings

    # Time the endpoint itself: no perfkit capture (or its log lines) while measuring.
    with override_settings(PERFKIT={"ENABLED": False}):
        return (
            round(median_ms(page_query, repeat), 2),
            round(median_ms(get_endpoint, repeat, warmup=1), 2),
        )


def explain_page_query() -> str:
    from django.db import connection

    from testproject.school.models import Attendance

    sql, params = Attendance.objects.order_by("-created_at")[:100].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}", params)
        return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def migrate_leaf(project: Path) -> str:
    names = sorted(path.stem for path in (project / "testproject/school/migrations").glob("0*.py"))
    return names[-1]


def manage(project: Path, *args: str) -> str:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(project), str(ROOT)])
    environment["DJANGO_SETTINGS_MODULE"] = "testproject.settings"
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{completed.stdout}{completed.stderr}")
    return completed.stdout.rstrip()


if __name__ == "__main__":
    main()
