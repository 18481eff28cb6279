"""Shared pieces of the benchmark scripts: Django set-up, timing, the report format."""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    """Configure the testproject against ``DATABASE_URL`` and set Django up."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")
    import django

    django.setup()


def require_vendor(vendor: str) -> None:
    from django.db import connection

    if connection.vendor != vendor:
        sys.exit(f"this benchmark needs {vendor}; DATABASE_URL names {connection.vendor}")


def interleaved_medians_ms(
    functions: dict[str, Callable[[], Any]], repeat: int, warmup: int = 1
) -> dict[str, float]:
    """Median wall time of each function in milliseconds, measured side by side.

    ``warmup`` untimed rounds run every function first (caches, connections, lazy
    imports are then as warm for the first as for the last); each of the ``repeat``
    timed rounds then runs every function once, in a new random order, so that load on
    the machine drifting during the run slows every function alike.
    """
    for _ in range(warmup):
        for function in functions.values():
            function()
    timings: dict[str, list[float]] = {name: [] for name in functions}
    order = list(functions)
    for _ in range(repeat):
        random.shuffle(order)
        for name in order:
            started = time.perf_counter()
            functions[name]()
            timings[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in timings.items()}


def interleaved_runs(
    run: Callable[[str], tuple[float, float]], variants: Sequence[str], rounds: int
) -> list[list[Any]]:
    """``run(variant)`` gives (CPU s, wall s) of one run. One warm-up run of every
    variant first, counted nowhere; then ``rounds`` rounds, each variant once a round in
    a new random order. One row a variant: median CPU s, its ratio to the first
    variant's, the paired ratio (per round, then the median) and the median wall s."""
    for variant in variants:
        run(variant)
    cpu: dict[str, list[float]] = {variant: [] for variant in variants}
    wall: dict[str, list[float]] = {variant: [] for variant in variants}
    paired: dict[str, list[float]] = {variant: [] for variant in variants}
    for _ in range(rounds):
        order = list(variants)
        random.shuffle(order)
        this_round = {}
        for variant in order:
            this_round[variant], elapsed = run(variant)
            cpu[variant].append(this_round[variant])
            wall[variant].append(elapsed)
        for variant in variants:
            paired[variant].append(this_round[variant] / this_round[variants[0]])
    base = statistics.median(cpu[variants[0]])
    return [
        [
            variant,
            round(statistics.median(cpu[variant]), 3),
            round(statistics.median(cpu[variant]) / base, 3),
            round(statistics.median(paired[variant]), 3),
            round(statistics.median(wall[variant]), 3),
        ]
        for variant in variants
    ]


RUN_COLUMNS = ["variant", "CPU s (median)", "CPU ratio", "paired CPU ratio", "wall s (median)"]


def child_run(
    command: Sequence[str], cwd: Path, env: dict[str, str], exit_codes: Sequence[int] = (0,)
) -> tuple[float, float]:
    """(CPU s, wall s) of one subprocess (user + system, from ``getrusage``); exits
    with its output when it ends with a code not in ``exit_codes``."""
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        list(command), cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in exit_codes:
        output = (completed.stdout + completed.stderr)[-4000:]
        sys.exit(f"{' '.join(command)} exited {completed.returncode}:\n{output}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), elapsed


def median_ms(function: Callable[[], Any], repeat: int, warmup: int = 2) -> float:
    """Median wall time of ``function`` over ``repeat`` runs, in milliseconds."""
    for _ in range(warmup):
        function()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def report(name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], **extra: Any) -> None:
    """Print ``rows`` as a table, then one JSON line with the same figures."""
    widths = [
        max(len(str(column)), *(len(format_cell(row[i])) for row in rows))
        for i, column in enumerate(columns)
    ]
    print(
        " | ".join(str(column).ljust(width) for column, width in zip(columns, widths, strict=True))
    )
    print("-+-".join("-" * width for width in widths))
    for row in rows:
        print(
            " | ".join(
                format_cell(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
            )
        )
    from django.db import connection

    payload = {
        "bench": name,
        "vendor": connection.vendor,
        "rows": [dict(zip(columns, row, strict=True)) for row in rows],
        **extra,
    }
    print(json.dumps(payload, default=str))


def format_cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
