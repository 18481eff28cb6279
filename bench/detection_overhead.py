"""Overhead of N+1 detection per request, side by side with its peers.

One worker process per variant (each needs its own INSTALLED_APPS/MIDDLEWARE, and zeal
and nplusone patch Django for good). Every worker first serves one warm-up round that is
not counted; then the parent interleaves rounds between the workers, in a new random
order each round, so that a busy machine slows every variant alike. It reports, per view
and variant, the median CPU time of a request in the Django process
(``time.process_time``: far less disturbed by the database server and other processes
than wall time), the paired CPU ratio (per round, the variant's median over
``absent``'s median in the same round; the median of those), and the median wall time:

- ``absent``: no detection middleware;
- ``perfkit disabled``: PerfkitMiddleware with ``PERFKIT = {"ENABLED": False}``;
- ``perfkit on``: PerfkitMiddleware with default settings (it finds and logs the N+1s);
- ``django-zeal``: zeal's app and middleware (warnings ignored, not raised);
- ``nplusone``: nplusone's app and middleware (Django 5.2 only: it crashes on 6.x).

The views (``--views``, default all three):

- ``clean``: 1 query, 50 classes with their teachers by ``select_related``;
- ``n+1``: 50 classes, each teacher read lazily: 51 queries;
- ``200``: 100 classes, each teacher and enrollments read lazily: 201 queries.

``--rss-requests N`` then sends N more requests of ``--rss-view`` (default the N+1 view)
to every worker at once, after 1,000 (at most) to warm up, and reports each one's
resident memory growth (``VmRSS``) per 10,000 requests. Loggers and warnings
are silenced alike for all variants.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfkit_bench \
        python bench/detection_overhead.py --rounds 30 --requests 20
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


def clean(request):  # type: ignore[no-untyped-def]
    from django.http import JsonResponse

    from testproject.school.models import Class

    classes = Class.objects.select_related("teacher").order_by("id")[:50]
    return JsonResponse({"rows": [c.teacher.last_name for c in classes]})


def n_plus_one(request):  # type: ignore[no-untyped-def]
    from django.http import JsonResponse

    from testproject.school.models import Class

    classes = Class.objects.order_by("id")[:50]
    return JsonResponse({"rows": [c.teacher.last_name for c in classes]})


def two_hundred_queries(request):  # type: ignore[no-untyped-def]
    from django.http import JsonResponse

    from testproject.school.models import Class

    rows = []
    for school_class in Class.objects.order_by("id")[:CLASSES]:
        rows.append((school_class.teacher.last_name, len(school_class.enrollments.all())))
    return JsonResponse({"rows": len(rows)})


VIEWS = {"clean": clean, "n+1": n_plus_one, "200": two_hundred_queries}


urlpatterns: list[object] = []


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def worker(variant: str) -> None:
    """Serve commands from the parent, one a line: ``VIEW COUNT`` runs COUNT requests of
    VIEW and answers their (wall ms, CPU ms); ``rss VIEW COUNT`` answers the RSS growth."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")
    import harness

    sys.path.insert(0, str(harness.ROOT))
    configure(variant)
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.urls import path

    urlpatterns.extend(path(f"bench/{name}/", view) for name, view in VIEWS.items())
    client = Client()

    def one_request(view: str) -> tuple[float, float]:
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(f"/bench/{view}/")
        elapsed = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - cpu_started) * 1000
        assert response.status_code == 200, response.status_code
        reset_queries()
        return elapsed, cpu

    executed: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        executed.append(sql)
        return execute(sql, params, many, context)

    queries = {}
    for name in VIEWS:
        executed.clear()
        with connection.execute_wrapper(count):
            one_request(name)
        queries[name] = len(executed)
    print(json.dumps({"ready": variant, "queries": queries}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if words[0] == "rss":
            view, requests = words[1], int(words[2])
            for _ in range(min(requests, 1000)):  # warm: caches and pools reach their size
                one_request(view)
            before = rss_kib()
            for _ in range(requests):
                one_request(view)
            print(json.dumps(rss_kib() - before), flush=True)
            continue
        view, requests = words[0], int(words[1])
        print(json.dumps([one_request(view) for _ in range(requests)]), flush=True)


# -- the parent -------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=5, help="requests per round")
    parser.add_argument("--views", default=",".join(VIEWS), help="comma-separated: clean,n+1,200")
    parser.add_argument("--rss-requests", type=int, default=0, help="requests for the RSS test")
    parser.add_argument(
        "--rss-view", default="n+1", choices=list(VIEWS), help="view for the RSS test"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(arguments.worker)
        return
    import harness

    harness.setup_django()
    harness.require_vendor("postgresql")
    views = [view for view in arguments.views.split(",") if view]
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

    def ask(name: str, command: str) -> object:
        process = processes[name]
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(command + "\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    for view in views:  # the warm-up round: counted nowhere
        for name in names:
            ask(name, f"{view} {arguments.requests}")
    wall: dict[tuple[str, str], list[float]] = {(v, n): [] for v in views for n in names}
    cpu: dict[tuple[str, str], list[float]] = {(v, n): [] for v in views for n in names}
    # Per round, each variant's median over the absent median of the same round: robust
    # to the machine's load drifting between rounds.
    paired: dict[tuple[str, str], list[float]] = {(v, n): [] for v in views for n in names}
    for _ in range(arguments.rounds):
        for view in views:
            order = names[:]
            random.shuffle(order)
            round_cpu = {}
            for name in order:
                batch = ask(name, f"{view} {arguments.requests}")
                assert isinstance(batch, list)
                wall[view, name].extend(w for w, _ in batch)
                cpu[view, name].extend(c for _, c in batch)
                round_cpu[name] = statistics.median(c for _, c in batch)
            for name in names:
                paired[view, name].append(round_cpu[name] / round_cpu["absent"])
    rss = {}
    if arguments.rss_requests:  # every worker at once: only its own growth is measured
        for name in names:
            process = processes[name]
            assert process.stdin is not None
            process.stdin.write(f"rss {arguments.rss_view} {arguments.rss_requests}\n")
            process.stdin.flush()
        for name in names:
            process = processes[name]
            assert process.stdout is not None
            growth = json.loads(process.stdout.readline())
            assert isinstance(growth, int)
            rss[name] = growth / 1024 * 10_000 / arguments.rss_requests
    for process in processes.values():
        assert process.stdin is not None
        process.stdin.close()
        process.wait()
    rows = []
    for view in views:
        absent_cpu = statistics.median(cpu[view, "absent"])
        for name in names:
            rows.append(
                [
                    view,
                    name,
                    queries[name][view],
                    statistics.median(cpu[view, name]),
                    statistics.median(cpu[view, name]) / absent_cpu,
                    statistics.median(paired[view, name]),
                    statistics.median(wall[view, name]),
                    round(rss[name], 2) if name in rss else "",
                ]
            )
    disabled_us = disabled_middleware_cost_us()
    print(f"PerfkitMiddleware with ENABLED=False, in-process: {disabled_us:.2f} µs a request")
    print(f"load average at the end: {os.getloadavg()}")
    import django

    harness.report(
        "detection_overhead",
        [
            "view",
            "variant",
            "queries",
            "median CPU ms",
            "CPU ratio",
            "paired CPU ratio",
            "median wall ms",
            "RSS MB/10k req",
        ],
        rows,
        django=django.get_version(),
        rounds=arguments.rounds,
        requests_per_round=arguments.requests,
        rss_view=arguments.rss_view,
        rss_requests=arguments.rss_requests,
        disabled_middleware_us=disabled_us,
        load_average=os.getloadavg(),
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
