"""The read-only transaction every audit statement runs in, on the audited database and
on each replica it reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from perfkit.conf import perfkit_settings


@contextmanager
def read_only(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """A transaction the audit cannot write in, rolled back at the end (it never
    wrote, and rolling back also undoes the SET LOCALs when nested in a savepoint)."""
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL transaction_read_only = on")
                cursor.execute(
                    "SET LOCAL statement_timeout = %s",
                    [f"{perfkit_settings.AUDIT_STATEMENT_TIMEOUT_MS}ms"],
                )
            elif connection.vendor == "sqlite":
                cursor.execute("PRAGMA query_only = ON")
        try:
            yield
        finally:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA query_only = OFF")
            transaction.set_rollback(True, using=connection.alias)
