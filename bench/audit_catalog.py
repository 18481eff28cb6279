"""perfaudit's catalog work on a generated schema: N tables with five indexes each.

    createdb -h 127.0.0.1 -U postgres perfkit_bench_audit
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfkit_bench_audit \
        python bench/audit_catalog.py --tables 10000

Creates (once, in batches: one transaction cannot lock ten thousand new tables) tables
bench_t0 … bench_tN-1, each with a primary key and four indexes (one undeclared and
duplicating another, one prefix-redundant), and a model for each (generated in a
registry of their own, declaring three of the indexes and an unindexed
``Meta.ordering``). Then runs the whole audit, every check, over the first 100 models
and over all N, in one read-only transaction each: the models' declared indexes, the
catalog introspection, drift, redundancy, missing FK and ordering indexes, low
cardinality, and the PostgreSQL health and workload checks. It counts the SQL statements,
times the run (and, for the largest, each step), and reports the process's peak RSS and
the machine's load average. Reading the migration graph (what ``perfaudit`` does first)
is left out: the generated models have no migrations.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections import Counter
from contextlib import contextmanager

from harness import report, require_vendor, setup_django

BATCH = 250  # tables created per transaction


def create_schema(connection, tables: int) -> int:
    """The bench tables (those missing), in batches; returns the secondary index count."""
    with connection.cursor() as cursor:
        # So that the workload check (PA501) plans real top statements too.
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'")
        if cursor.fetchone():  # PA501 then confirms its suggestions with hypothetical plans
            cursor.execute("CREATE EXTENSION IF NOT EXISTS hypopg")
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname ~ '^bench_t[0-9]+$'")
        [(existing,)] = cursor.fetchall()
        for first in range(existing, tables, BATCH):
            cursor.execute(
                """
                DO $$ BEGIN
                  FOR n IN %(first)s..%(last)s LOOP
                    EXECUTE format('CREATE TABLE IF NOT EXISTS bench_t%%s (id bigserial PRIMARY
                      KEY, a int, b int, c text, flag boolean)', n);
                    EXECUTE format('CREATE INDEX IF NOT EXISTS bench_t%%s_a ON bench_t%%s (a)',
                      n, n);
                    EXECUTE format('CREATE INDEX IF NOT EXISTS bench_t%%s_a2 ON bench_t%%s (a)',
                      n, n);
                    EXECUTE format('CREATE INDEX IF NOT EXISTS bench_t%%s_ab ON bench_t%%s
                      (a, b)', n, n);
                    EXECUTE format('CREATE INDEX IF NOT EXISTS bench_t%%s_c ON bench_t%%s (c)',
                      n, n);
                  END LOOP;
                END $$
                """,
                {"first": first, "last": min(first + BATCH, tables) - 1},
            )
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename ~ '^bench_t[0-9]+$' "
            "AND indexname NOT LIKE '%%pkey'"
        )
        [(index_count,)] = cursor.fetchall()
    return int(index_count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    arguments = parser.parse_args()
    setup_django()
    require_vendor("postgresql")

    from django.apps.registry import Apps
    from django.conf import settings
    from django.db import connection, models
    from django.test.utils import CaptureQueriesContext

    import perfkit.audit.run
    from perfkit.audit.audited_models import AuditedModel
    from perfkit.audit.readonly import read_only
    from perfkit.audit.run import audit_models
    from perfkit.schema.declared import declared_indexes

    # Every check runs: PA402 even on a database created minutes ago.
    settings.PERFKIT = {**getattr(settings, "PERFKIT", {}), "AUDIT_STATS_MIN_AGE_DAYS": 0}
    started = time.perf_counter()
    index_count = create_schema(connection, arguments.tables)
    schema_seconds = time.perf_counter() - started

    registry = Apps()  # the generated models stay out of the project's registry

    def model(n: int) -> type[models.Model]:
        meta = type(
            "Meta",
            (),
            {
                "app_label": "bench",
                "apps": registry,
                "db_table": f"bench_t{n}",
                "ordering": ["-b"],
                "indexes": [
                    models.Index(fields=["a"], name=f"bench_t{n}_a"),
                    models.Index(fields=["a", "b"], name=f"bench_t{n}_ab"),
                    models.Index(fields=["c"], name=f"bench_t{n}_c"),
                ],
            },
        )
        fields = {
            "id": models.BigAutoField(primary_key=True),
            "a": models.IntegerField(null=True),
            "b": models.IntegerField(null=True),
            "c": models.TextField(null=True),
            "flag": models.BooleanField(null=True),
        }
        return type(f"T{n}", (models.Model,), {"__module__": __name__, "Meta": meta, **fields})

    generated = [model(n) for n in range(arguments.tables)]
    steps: Counter[str] = Counter()

    @contextmanager
    def step(name: str):
        began = time.perf_counter()
        try:
            yield
        finally:
            steps[name] += time.perf_counter() - began

    # Time the catalog read and each family of checks, through the audit's own names.
    read_indexes = perfkit.audit.run.present_indexes

    def timed_read(connection, tables):
        with step("present indexes (one catalog query)"):
            return read_indexes(connection, tables)

    perfkit.audit.run.present_indexes = timed_read
    timed_runners = [
        (ids, lambda context, runner=runner, ids=ids: _timed(step, ",".join(ids), runner, context))
        for ids, runner in perfkit.audit.run.RUNNERS
    ]
    rows = []
    for size in sorted({min(100, arguments.tables), arguments.tables}):
        steps.clear()
        perfkit.audit.run.RUNNERS[:] = timed_runners
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured, read_only(connection):
            with step("declared indexes"):
                audited = [
                    AuditedModel(
                        f"bench.{m.__name__}",
                        "bench",
                        m.__name__,
                        m._meta.db_table,
                        m,
                        tuple(declared_indexes(m, connection)),
                    )
                    for m in generated[:size]
                ]
            result = audit_models(connection, audited)
        elapsed = time.perf_counter() - started
        statements = [q["sql"] for q in captured.captured_queries]
        catalog = [
            s
            for s in statements
            if not s.upper().startswith(("SET", "SAVEPOINT", "RELEASE", "ROLLBACK"))
        ]
        indexes = size * 5  # four secondary indexes and the primary key's
        rows.append([size, indexes, len(catalog), len(result.findings), round(elapsed, 2)])
        skipped = result.skipped
        by_check = Counter(finding.check for finding in result.findings)
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report(
        "audit_catalog",
        ["tables", "indexes", "catalog_queries", "findings", "seconds"],
        rows,
        indexes_in_schema=index_count,
        schema_created_seconds=round(schema_seconds, 1),
        steps_of_largest_run={name: round(seconds, 2) for name, seconds in steps.items()},
        peak_rss_mib=round(peak_rss_mib),
        load_average=[round(load, 2) for load in os.getloadavg()],
        cpus=os.cpu_count(),
        skipped=skipped,
        findings_by_check=dict(sorted(by_check.items())),
    )


def _timed(step, name, runner, context):
    with step(name):
        return list(runner(context))


if __name__ == "__main__":
    main()
