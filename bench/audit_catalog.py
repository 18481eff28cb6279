"""perfaudit's catalog work on a generated schema: 1,000 tables and 4,000 indexes.

    createdb -h 127.0.0.1 -U postgres perfkit_bench_audit
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfkit_bench_audit \
        python bench/audit_catalog.py

Creates (once) tables bench_t0 … bench_t999, each with a primary key and four indexes
(one undeclared and duplicating another, one prefix-redundant), and a model for each
(generated in a registry of their own, declaring three of the indexes and an unindexed
``Meta.ordering``). Then runs the whole audit, every check, over the first 100 models and
over all 1,000, in one read-only transaction each: the models' declared indexes, the
catalog introspection, drift, redundancy, missing FK and ordering indexes, low
cardinality, and the PostgreSQL health and workload checks. It counts the SQL statements
and times the run. Reading the migration graph (what ``perfaudit`` does first) is left
out: the generated models have no migrations.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from harness import report, require_vendor, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    arguments = parser.parse_args()
    setup_django()
    require_vendor("postgresql")

    from django.apps.registry import Apps
    from django.db import connection, models
    from django.test.utils import CaptureQueriesContext

    from perfkit.audit.audited_models import AuditedModel
    from perfkit.audit.readonly import read_only
    from perfkit.audit.run import audit_models
    from perfkit.schema.declared import declared_indexes

    with connection.cursor() as cursor:
        # So that the workload check (PA501) plans real top statements too.
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        cursor.execute(
            """
            DO $$ BEGIN
              FOR n IN 0..%(last)s LOOP
                EXECUTE format('CREATE TABLE IF NOT EXISTS bench_t%%s (id bigserial PRIMARY KEY,
                  a int, b int, c text, flag boolean)', n);
                EXECUTE format('CREATE INDEX IF NOT EXISTS bench_t%%s_a ON bench_t%%s (a)',
                  n, n);
                EXECUTE format('CREATE INDEX IF NOT EXISTS bench_t%%s_a2 ON bench_t%%s (a)',
                  n, n);
                EXECUTE format('CREATE INDEX IF NOT EXISTS bench_t%%s_ab ON bench_t%%s (a, b)',
                  n, n);
                EXECUTE format('CREATE INDEX IF NOT EXISTS bench_t%%s_c ON bench_t%%s (c)',
                  n, n);
              END LOOP;
            END $$
            """,
            {"last": arguments.tables - 1},
        )
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'bench_t%%' "
            "AND indexname NOT LIKE '%%pkey'"
        )
        [(index_count,)] = cursor.fetchall()

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
    rows = []
    for size in sorted({min(100, arguments.tables), arguments.tables}):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured, read_only(connection):
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
    report(
        "audit_catalog",
        ["tables", "indexes", "catalog_queries", "findings", "seconds"],
        rows,
        indexes_in_schema=index_count,
        skipped=skipped,
        findings_by_check=dict(sorted(by_check.items())),
    )


if __name__ == "__main__":
    main()
