"""Run inside a sample project: [sqlmigrate], makemigrations --check, migrate, look,
migrate back to 0001, look again; print what was seen as one JSON line.

    python inspect_round_trip.py '{"tables": [...], "queries": [...], "sqlmigrate": "0002"}'

One interpreter for all of it keeps the round-trip tests fast on a busy machine. "look"
reads pg_indexes / sqlite_master and the EXPLAIN of each query (on PostgreSQL with
sequential and bitmap scans priced out: the tables are nearly empty).
"""

from __future__ import annotations

import io
import json
import sys

import django

PRICE_OUT_SCANS = ("SET LOCAL enable_seqscan = off", "SET LOCAL enable_bitmapscan = off")


def look(tables, queries):
    from django.db import connection, transaction

    indexes, plans = {}, {}
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
                )
            else:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                    [table],
                )
            indexes.update((name, sql or "") for name, sql in cursor.fetchall())
        if connection.vendor == "postgresql":
            for setting in PRICE_OUT_SCANS:
                cursor.execute(setting)
            prefix = "EXPLAIN "
        else:
            prefix = "EXPLAIN QUERY PLAN "
        for query in queries:
            cursor.execute(prefix + query)
            plans[query] = "\n".join(str(row[-1]) for row in cursor.fetchall())
    return {"indexes": indexes, "plans": plans}


def main():
    arguments = json.loads(sys.argv[1])
    django.setup()
    from django.core.management import call_command

    seen = {}
    if arguments.get("sqlmigrate"):
        output = io.StringIO()
        call_command("sqlmigrate", "shop", arguments["sqlmigrate"], stdout=output)
        seen["sqlmigrate"] = output.getvalue()
    output = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", "shop", stdout=output)
    seen["makemigrations"] = output.getvalue()
    call_command("migrate", "shop", verbosity=0)
    seen["after"] = look(arguments["tables"], arguments["queries"])
    call_command("migrate", "shop", "0001", verbosity=0)
    seen["back"] = look(arguments["tables"], arguments["queries"])
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
