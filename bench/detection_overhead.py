"""Overhead of N+1 detection on a request of about 200 queries (PostgreSQL).

One worker process per variant (each needs its own INSTALLED_APPS/MIDDLEWARE, and zeal
and nplusone patch Django for good); the parent interleaves rounds between them so that
a busy machine slows every variant alike, then reports the median request time, its
ratio to ``absent``, and the paired ratio (per round, the variant's median over
``absent``'s median in the same round; the median of those), and the same for the
worker's CPU time (``time.process_time``: the work done in the Django process, which
the database server's load and other processes on a shared machine disturb far less
than wall time):

- ``absent``: no detection middleware;
- ``perfkit disabled``: PerfkitMiddleware with ``PERFKIT = {"ENABLED": False}``;
- ``perfkit on``: PerfkitMiddleware with default settings (it finds and logs 2 N+1s);
- ``django-zeal``: zeal's app and middleware (warnings ignored, not raised);
- ``nplusone``: nplusone's app and middleware (Django 5.2 only: it crashes on 6.x).

The request walks 100 classes, reading each one's teacher and enrollments lazily
(20 enrollments a class at scale 1000): 1 + 100 + 100 = 201 queries. Loggers and
warnings are silenced alike for all variants.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfkit_bench \\
        python bench/detection_overhead.py --rounds 15 --requests 10
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

PERFKIT_MIDDLEWARE = "perfkit.middleware.PerfkitMiddleware"
CLASSES = 100


def variants() -> list[str]:
    import django

    names = ["absent", "perfkit disabled", "perfkit on", "django-zeal"]
    if django.VERSION < (6, 0):
        names.append("nplusone")
    return names


# -- the worker ------------------------------------------------------------------------------
def configure(variant: str) -> None:
    import logging
    import warnings

    from django.conf import settings

    middleware = [name for name in settings.MIDDLEWARE if name != PERFKIT_MIDDLEWARE]
    apps = list(settings.INSTALLED_APPS)
    if variant.startswith("perfkit"):
        middleware.insert(0, PERFKIT_MIDDLEWARE)
        settings.PERFKIT = {"ENABLED": variant == "perfkit on"}
    elif variant == "django-zeal":
        apps.append("zeal")
        middleware.insert(0, "zeal.middleware.zeal_middleware")
        settings.ZEAL_RAISE = False
    elif variant == "nplusone":
        apps.append("nplusone.ext.django")
        middleware.insert(0, "nplusone.ext.django.NPlusOneMiddleware")
        settings.NPLUSONE_RAISE = False
        settings.NPLUSONE_LOGGER = logging.getLogger("nplusone")
    settings.MIDDLEWARE = middleware
    settings.INSTALLED_APPS = apps
    settings.ROOT_URLCONF = __name__
    settings.LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"null": {"class": "logging.NullHandler"}},
        "loggers": {
            name: {"handlers": ["null"], "level": "INFO", "propagate": False}
            for name in ("perfkit", "nplusone", "zeal")
        },
    }
    warnings.simplefilter("ignore")


def two_hundred_queries(request):  # type: ignore[no-untyped-def]
    from django.http import JsonResponse

    from testproject.school.models import Class

    rows = []
    for school_class in Class.objects.order_by("id")[:CLASSES]:
        rows.append((school_class.teacher.last_name, len(school_class.enrollments.all())))
    return JsonResponse({"rows": len(rows)})


urlpatterns: list[object] = []


def worker(variant: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")
    import harness

    sys.path.insert(0, str(harness.ROOT))
    configure(variant)
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.urls import path

    urlpatterns.append(path("bench/", two_hundred_queries))
    client = Client()

    def one_request() -> tuple[float, float]:
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get("/bench/")
        elapsed = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - cpu_started) * 1000
        assert response.status_code == 200, response.status_code
        reset_queries()
        return elapsed, cpu

    executed: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        one_request()
    print(json.dumps({"ready": variant, "queries": len(executed)}), flush=True)
    for line in sys.stdin:
        count = int(line)
        print(json.dumps([one_request() for _ in range(count)]), flush=True)


# -- the parent -------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=10, help="requests per round")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(arguments.worker)
        return
    import harness

    harness.setup_django()
    harness.require_vendor("postgresql")
    names = variants()
    processes = {
        name: subprocess.Popen(
            [sys.executable, __file__, "--worker", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in names
    }
    queries = {}
    for name, process in processes.items():
        assert process.stdout is not None
        queries[name] = json.loads(process.stdout.readline())["queries"]
    timings: dict[str, list[float]] = {name: [] for name in names}
    cpu_timings: dict[str, list[float]] = {name: [] for name in names}
    # Per round, each variant's median over the absent median of the same round: robust
    # to the machine's load drifting between rounds.
    paired: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(arguments.rounds):
        order = names[:]
        random.shuffle(order)
        round_medians = {}
        for name in order:
            process = processes[name]
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(f"{arguments.requests}\n")
            process.stdin.flush()
            batch = json.loads(process.stdout.readline())
            timings[name].extend(wall for wall, _ in batch)
            cpu_timings[name].extend(cpu for _, cpu in batch)
            round_medians[name] = statistics.median(wall for wall, _ in batch)
        for name in names:
            paired[name].append(round_medians[name] / round_medians["absent"])
    for process in processes.values():
        assert process.stdin is not None
        process.stdin.close()
        process.wait()
    absent = statistics.median(timings["absent"])
    absent_cpu = statistics.median(cpu_timings["absent"])
    rows = []
    for name in names:
        median = statistics.median(timings[name])
        cpu = statistics.median(cpu_timings[name])
        rows.append(
            [
                name,
                queries[name],
                len(timings[name]),
                median,
                median / absent,
                statistics.median(paired[name]),
                cpu,
                cpu / absent_cpu,
            ]
        )
    disabled_us = disabled_middleware_cost_us()
    print(
        f"PerfkitMiddleware with ENABLED=False, in-process: {disabled_us:.2f} µs a request, "
        f"{disabled_us / 1000 / absent:.6f} of the absent median"
    )
    import django

    harness.report(
        "detection_overhead",
        [
            "variant",
            "queries",
            "requests",
            "median ms",
            "ratio to absent",
            "paired ratio",
            "median CPU ms",
            "CPU ratio",
        ],
        rows,
        django=django.get_version(),
        rounds=arguments.rounds,
        requests_per_round=arguments.requests,
        disabled_middleware_us=disabled_us,
    )


def disabled_middleware_cost_us(calls: int = 50_000) -> float:
    """What the disabled middleware adds to a request, without a database or network:
    the median of five runs of ``calls`` calls around a view that does nothing."""
    import timeit

    from django.http import HttpResponse
    from django.test import RequestFactory, override_settings

    from perfkit.middleware import PerfkitMiddleware

    request = RequestFactory().get("/")
    response = HttpResponse()

    def view(request: object) -> HttpResponse:
        return response

    wrapped = PerfkitMiddleware(view)
    with override_settings(PERFKIT={"ENABLED": False}):
        with_middleware = statistics.median(
            timeit.repeat(lambda: wrapped(request), number=calls, repeat=5)
        )
    bare = statistics.median(timeit.repeat(lambda: view(request), number=calls, repeat=5))
    return (with_middleware - bare) / calls * 1e6


if __name__ == "__main__":
    main()
