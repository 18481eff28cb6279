"""perfaudit never writes: the audited database's row counters do not move, and its only
transaction is read-only from the start and rolled back."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COUNTERS = (
    "SELECT tup_inserted, tup_updated, tup_deleted, xact_commit, xact_rollback "
    "FROM pg_stat_database WHERE datname = current_database()"
)


def flush_and_read():
    """Flush this backend's pending statistics, then read the counters from another
    session (the flush call is itself one committed transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    time.sleep(0.3)  # the backend flushes when it goes idle
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        autocommit=True,
    ) as other:
        return other.execute(COUNTERS).fetchone()


def delta(after, before):
    return tuple(a - b for a, b in zip(after, before, strict=True))


def test_perfaudit_never_writes(tmp_path):
    before = flush_and_read()
    with CaptureQueriesContext(connection) as captured, (tmp_path / "out.json").open("w") as out:
        call_command(
            "perfaudit", "--format", "json", "--fail-level", "error", stdout=out, stderr=out
        )
    after = flush_and_read()
    inserted, updated, deleted = (a - b for a, b in zip(after[:3], before[:3], strict=True))
    assert (inserted, updated, deleted) == (0, 0, 0)
    # One transaction, read-only from its first statement, rolled back; nothing committed.
    statements = [query["sql"].strip().split()[0].upper() for query in captured.captured_queries]
    assert statements[:2] == ["BEGIN", "SET"]
    assert captured.captured_queries[1]["sql"] == "SET LOCAL transaction_read_only = on"
    assert statements[-1] == "ROLLBACK" and statements.count("ROLLBACK") == 1
    assert "COMMIT" not in statements
    assert set(statements) <= {"BEGIN", "SET", "SELECT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
