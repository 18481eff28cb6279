"""perfaudit's catalog work on a generated schema: 1,000 tables and 4,000 indexes.

    createdb -h 127.0.0.1 -U postgres perfkit_bench_audit
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfkit_bench_audit \
        python bench/audit_catalog.py

Creates (once) tables bench_t0 … bench_t999, each with a primary key and four indexes
(one of them a duplicate, one prefix-redundant), then runs the audit's database side
(index introspection and every table-level check: redundancy, invalid, unused, nullable
leading columns, sequential scans, sequences) over the first 100 tables and over all
1,000, in one read-only transaction each, counting the SQL statements and timing them.
"""

from __future__ import annotations

import argparse
import time

from harness import report, require_vendor, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    arguments = parser.parse_args()
    setup_django()
    require_vendor("postgresql")

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from perfkit.audit import health, redundancy
    from perfkit.audit.context import AuditContext
    from perfkit.audit.introspection import present_indexes
    from perfkit.audit.readonly import read_only

    with connection.cursor() as cursor:
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

    runners = [
        redundancy.check_redundancy,
        health.check_invalid,
        health.check_unused,
        health.check_nullable_leading,
        health.check_sequential_scans,
        health.check_sequences,
    ]
    rows = []
    for size in sorted({min(100, arguments.tables), arguments.tables}):
        tables = [f"bench_t{n}" for n in range(size)]
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured, read_only(connection):
            present: dict[str, list] = {table: [] for table in tables}
            for index in present_indexes(connection, tables):
                present[index.table].append(index)
            context = AuditContext(connection, [], present)
            findings = [finding for runner in runners for finding in runner(context)]
        elapsed = time.perf_counter() - started
        statements = [q["sql"] for q in captured.captured_queries]
        catalog = [
            s
            for s in statements
            if not s.upper().startswith(("SET", "SAVEPOINT", "RELEASE", "ROLLBACK"))
        ]
        rows.append(
            [
                size,
                sum(len(v) for v in present.values()),
                len(catalog),
                len(findings),
                round(elapsed, 2),
            ]
        )
    report(
        "audit_catalog",
        ["tables", "indexes", "catalog_queries", "findings", "seconds"],
        rows,
        indexes_in_schema=index_count,
    )


if __name__ == "__main__":
    main()
