"""seed_demo throughput: rows per second into an empty database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfkit_bench \
        python bench/seed_throughput.py --scale 1000

Migrates the database named by DATABASE_URL, empties it (manage.py flush: TRUNCATE on
PostgreSQL), then times seed_demo at the given scale and reports rows per second.
"""

from __future__ import annotations

import argparse
import io
import re
import time

from harness import report, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    arguments = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    out = io.StringIO()
    started = time.perf_counter()
    call_command("seed_demo", scale=arguments.scale, no_progress=True, stdout=out)
    elapsed = time.perf_counter() - started
    match = re.search(r"Seeded ([\d,]+) rows", out.getvalue())
    rows = int(match.group(1).replace(",", "")) if match else 0
    report(
        "seed_throughput",
        ["scale", "rows", "seconds", "rows_per_s"],
        [[arguments.scale, rows, round(elapsed, 2), round(rows / elapsed)]],
    )


if __name__ == "__main__":
    main()
