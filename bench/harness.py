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
