"""What detection costs per query, per model instance, per relation read and per finding.

Each figure is the CPU time of an operation inside a capture minus the same operation
outside one, measured in one process: batches of the two run alternately (after a
warm-up batch of each), and the fastest batch of each is kept, which filters out the
machine's other work. In a real request perfkit's code also evicts some of Django's
from the CPU caches, so the whole request slows a little more than these sum to
(bench/detection_overhead.py measures whole requests).

- ``a query``: a ``SELECT 1`` through a cursor (recorded, with its call site);
- ``a model instance``: one row of a 50-row queryset, beyond its query;
- ``a select_related row``: one row of a 50-row ``select_related("teacher")`` queryset;
- ``a relation read``: reading a ``select_related`` relation already loaded;
- ``a lazy load``: reading a relation that runs a query (an N+1's unit), its query
  included;
- ``a scope``: opening and closing a capture and detecting in an empty one;
- ``a finding``: detecting and logging one N+1 (a 5-query capture), beyond detecting
  the same capture with the N+1 allowlisted.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfkit_bench \\
        python bench/detection_costs.py
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import report, setup_django


def fastest(operation: Callable[[], object], batch: int) -> float:
    started = time.process_time()
    for _ in range(batch):
        operation()
    return (time.process_time() - started) / batch


def side_by_side(
    plain: Callable[[], object], inside: Callable[[], object], batch: int, rounds: int
) -> tuple[float, float]:
    """(plain, inside) in µs: the fastest of ``rounds`` alternating batches."""
    from perfkit.capture import Capture

    def captured() -> None:
        with Capture(call_site_exclude=()):
            inside()

    scope_us = fastest_scope_us(rounds)
    fastest(plain, batch), fastest(captured, batch)  # the warm-up batch of each
    best_plain = best_inside = float("inf")
    for _ in range(rounds):
        best_plain = min(best_plain, fastest(plain, batch))
        best_inside = min(best_inside, fastest(captured, batch))
    return best_plain * 1e6, best_inside * 1e6 - scope_us


_scope_us: list[float] = []


def fastest_scope_us(rounds: int) -> float:
    """The cost of the empty ``with Capture():`` around each measured operation (µs)."""
    if not _scope_us:
        from perfkit.capture import Capture

        def empty() -> None:
            with Capture(call_site_exclude=()):
                pass

        fastest(empty, 500)
        _scope_us.append(min(fastest(empty, 500) for _ in range(rounds)) * 1e6)
    return _scope_us[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    options = parser.parse_args()
    setup_django()
    from django.db import connection

    import perfkit
    from perfkit.capture import Capture
    from perfkit.detection import DetectionOptions, build_report
    from testproject.school.models import Class

    if Class.objects.filter(teacher__isnull=False).count() < 50:
        sys.exit("seed at least 50 classes first: manage.py seed_demo --scale 60")
    logger = logging.getLogger("perfkit")  # a handler that drops what it is given
    logger.handlers, logger.propagate = [logging.NullHandler()], False
    rounds = options.rounds

    def raw_query() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    plain_rows = Class.objects.order_by("id")[:50]
    joined_rows = Class.objects.select_related("teacher").order_by("id")[:50]
    loaded = list(joined_rows)
    pks = list(Class.objects.order_by("id").values_list("pk", flat=True)[:50])

    def reads() -> None:
        for school_class in loaded:
            school_class.teacher  # noqa: B018

    def lazy_loads() -> None:
        for school_class in Class.objects.filter(pk__in=pks[:5]):
            school_class.teacher  # noqa: B018

    rows: list[list[object]] = []
    query_plain, query_in = side_by_side(raw_query, raw_query, 50, rounds)
    rows.append(["a query", query_plain, query_in - query_plain])
    fetch_plain, fetch_in = side_by_side(
        lambda: list(plain_rows.all()), lambda: list(plain_rows.all()), 5, rounds
    )
    per_row = (fetch_in - fetch_plain - (query_in - query_plain)) / 50
    rows.append(["a model instance", fetch_plain / 50, per_row])
    joined_plain, joined_in = side_by_side(
        lambda: list(joined_rows.all()), lambda: list(joined_rows.all()), 5, rounds
    )
    per_joined = (joined_in - joined_plain - (query_in - query_plain)) / 50
    rows.append(["a select_related row", joined_plain / 50, per_joined])
    reads_plain, reads_in = side_by_side(reads, reads, 20, rounds)
    rows.append(["a relation read", reads_plain / 50, (reads_in - reads_plain) / 50])
    lazy_plain, lazy_in = side_by_side(lazy_loads, lazy_loads, 5, rounds)
    outer = (query_in - query_plain) + 5 * per_row  # the 5-row query the loop walks
    rows.append(["a lazy load", lazy_plain / 6, (lazy_in - lazy_plain - outer) / 5])

    options_ = DetectionOptions.from_settings()
    allowed = DetectionOptions.from_settings(allowlist=["school.Class.teacher"])

    def empty_scope() -> None:
        with Capture(call_site_exclude=()) as capture:
            pass
        build_report(capture, options_)

    scope_cost = min(fastest(empty_scope, 500) for _ in range(rounds)) * 1e6
    rows.append(["a scope", 0.0, scope_cost])
    with Capture(call_site_exclude=()) as capture:
        lazy_loads()

    def detect_and_log() -> None:
        found = build_report(capture, options_, signal=False)
        perfkit.detection.act(found, "log", options_)

    def detect_allowed() -> None:
        build_report(capture, allowed, signal=False)

    finding = min(fastest(detect_and_log, 200) for _ in range(rounds)) * 1e6
    nothing = min(fastest(detect_allowed, 200) for _ in range(rounds)) * 1e6
    rows.append(["a finding", 0.0, finding - nothing])
    print(f"load average: {os.getloadavg()}")
    report(
        "detection_costs",
        ["unit", "Django's own µs", "perfkit adds µs"],
        [[name, round(plain, 2), round(added, 2)] for name, plain, added in rows],
        rounds=rounds,
        load_average=os.getloadavg(),
    )


if __name__ == "__main__":
    main()
