"""Concurrent index builds and drops on PostgreSQL that survive production.

What the generated operations (:mod:`perfkit.indexgen.operations`) run on PostgreSQL:

- **No statement timeout for the build.** ``CREATE INDEX CONCURRENTLY`` scans the table
  twice and waits for older transactions: it may take far longer than the
  ``statement_timeout`` a site sets for its requests (perfkit's own check
  ``perfkit.W203`` recommends one). The session runs ``SET statement_timeout = 0`` for
  the build and ``RESET``\\s it afterwards.
- **A lock timeout, with bounded retries and backoff.** Every lock the build or drop
  waits for (the table's SHARE UPDATE EXCLUSIVE lock, older transactions, and for a
  unique constraint the brief ACCESS EXCLUSIVE lock that attaches it) is waited for at
  most ``lock_timeout``; then the attempt is abandoned and retried after a pause that
  doubles each time, up to ``attempts`` attempts. No statement of the migration holds a
  queue of writers behind it for longer than the lock timeout.
- **Idempotent.** Before building, the index of that name is looked up: a VALID index
  with the declared definition is kept (nothing to do); an INVALID one left by a failed
  or cancelled build is dropped concurrently and rebuilt, unless another session is
  still building it (``pg_stat_progress_create_index``), which is an error that says
  so. A VALID index with another definition is an error, never silently kept.
- **No INVALID leftover of its own.** A build that fails (a lock timeout before a retry,
  duplicate values under a unique index, any other error but a cancellation) drops the
  INVALID index it left behind before going on. A cancelled build is left as it is: a
  cancel asks for the work to stop, and the next ``migrate`` finishes the job.

When the schema editor only collects SQL (``sqlmigrate``), the statements of the normal
path are collected and nothing is looked up: ``SET``, ``CREATE [UNIQUE] INDEX
CONCURRENTLY IF NOT EXISTS`` (or ``DROP INDEX CONCURRENTLY IF EXISTS``), ``RESET``. They
pass squawk's rules.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from perfkit.exceptions import PerfkitError
from perfkit.schema.definitions import IndexDefinition
from perfkit.schema.present import present_indexes, relation_exists

logger = logging.getLogger("perfkit.indexgen")

DEFAULT_LOCK_TIMEOUT = "2s"
DEFAULT_ATTEMPTS = 6
DEFAULT_RETRY_DELAY = 1.0  # seconds before the second attempt; doubles each time
MAXIMUM_RETRY_DELAY = 30.0
_LOCK_TIMEOUT = re.compile(r"\d+(?:\.\d+)?\s*(?:us|ms|s|min|h|d)?\Z")

# SQLSTATEs: waits a retry may get past, and the ones with a message of their own.
_RETRIED = {"55P03": "a lock timeout", "40P01": "a deadlock"}
_UNIQUE_VIOLATION = "23505"
_CANCELLED = "57014"


class ConcurrentBuildFailed(PerfkitError):
    """A concurrent build or drop could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait for each lock, and how often to try again."""

    lock_timeout: str = DEFAULT_LOCK_TIMEOUT
    attempts: int = DEFAULT_ATTEMPTS
    retry_delay: float = DEFAULT_RETRY_DELAY

    def __post_init__(self) -> None:
        if not _LOCK_TIMEOUT.match(str(self.lock_timeout)) or str(self.lock_timeout) in ("0",):
            raise ValueError(
                f"lock_timeout={self.lock_timeout!r}: give a PostgreSQL duration greater "
                "than zero, such as '2s' or '500ms'."
            )
        if self.attempts < 1 or self.retry_delay < 0:
            raise ValueError("attempts must be at least 1 and retry_delay at least 0.")

    def pauses(self) -> Iterator[float]:
        """The pause before each retry: retry_delay, doubling, at most 30 seconds."""
        delay = self.retry_delay
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, MAXIMUM_RETRY_DELAY)


@dataclass(frozen=True)
class IndexBuild:
    """One index to build: its table, name, statement and declared definition.

    ``create_sql`` is the ``CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS`` statement;
    ``attach_sql``, for a unique constraint Django makes with ``ALTER TABLE``, the
    re-runnable statement that turns the built index into that constraint.
    """

    table: str
    name: str
    create_sql: str
    declared: IndexDefinition | None
    attach_sql: str = ""


def build_index(
    schema_editor: BaseDatabaseSchemaEditor, build: IndexBuild, policy: RetryPolicy
) -> None:
    """Build ``build`` concurrently, idempotently, with the policy's lock timeout and
    retries (see the module docstring)."""
    with _session_settings(schema_editor, policy):
        if schema_editor.collect_sql:
            schema_editor.execute(build.create_sql, params=None)
            if build.attach_sql:
                schema_editor.execute(build.attach_sql, params=None)
            return
        existing = _index_named(schema_editor, build.table, build.name)
        if existing is None or _cleared(schema_editor, build, existing, policy):
            _create(schema_editor, build, policy)
        if build.attach_sql:
            _retrying(
                schema_editor, policy, f"attach {build.name} as a constraint", build.attach_sql
            )


def drop_index(
    schema_editor: BaseDatabaseSchemaEditor,
    name: str,
    policy: RetryPolicy,
    drop_sql: str = "",
) -> None:
    """``DROP INDEX CONCURRENTLY IF EXISTS`` (or ``drop_sql``), with the policy's lock
    timeout and retries, and no statement timeout."""
    statement = drop_sql or f"DROP INDEX CONCURRENTLY IF EXISTS {_quote(schema_editor, name)}"
    with _session_settings(schema_editor, policy):
        if schema_editor.collect_sql:
            schema_editor.execute(statement, params=None)
            return
        _retrying(schema_editor, policy, f"drop {name}", statement)


# -- the steps -----------------------------------------------------------------------------


def _cleared(
    schema_editor: BaseDatabaseSchemaEditor,
    build: IndexBuild,
    existing: IndexDefinition,
    policy: RetryPolicy,
) -> bool:
    """For an index already named ``build.name``: False when it is the declared index
    (keep it), True after dropping an abandoned INVALID one; otherwise an error."""
    if existing.valid:
        if build.declared is None or build.declared.same_definition(existing):
            logger.info("%s already exists on %s as declared: nothing to build.", *_names(build))
            return False
        raise ConcurrentBuildFailed(
            f"An index named {build.name} already exists on {build.table}, as "
            f"{existing.describe()}, but the migration declares {build.declared.describe()} "
            f"({'; '.join(build.declared.differences(existing))}). perfkit does not replace "
            "it: drop or rename it (DROP INDEX CONCURRENTLY), then migrate again."
        )
    builders = _builders(schema_editor, build.name)
    if existing.building or builders:
        who = f" (pid {', '.join(map(str, builders))})" if builders else ""
        raise ConcurrentBuildFailed(
            f"The index {build.name} on {build.table} is INVALID because another session"
            f"{who} is still building it. Wait for that build to finish (or cancel it with "
            "pg_cancel_backend), then migrate again."
        )
    logger.warning(
        "%s on %s is INVALID, left by a build that failed or was cancelled: dropping it "
        "and building it again.",
        *_names(build),
    )
    _retrying(
        schema_editor,
        policy,
        f"drop the INVALID leftover {build.name}",
        f"DROP INDEX CONCURRENTLY IF EXISTS {_quote(schema_editor, build.name)}",
    )
    return True


def _create(
    schema_editor: BaseDatabaseSchemaEditor, build: IndexBuild, policy: RetryPolicy
) -> None:
    """Build, retrying after lock timeouts. Each retry first drops the INVALID index the
    attempt before left (one try: if an old transaction still blocks it, that is the
    next lock timeout); any other failure drops it for good, except a cancellation."""
    pauses = policy.pauses()
    for attempt in range(1, policy.attempts + 1):
        try:
            if attempt > 1:
                _drop_own_leftover(schema_editor, build)
            schema_editor.execute(build.create_sql, params=None)
            break
        except DatabaseError as error:
            reason = _RETRIED.get(_sqlstate(error))
            if reason is None:
                if _sqlstate(error) != _CANCELLED:
                    _retrying(
                        schema_editor,
                        policy,
                        f"drop the INVALID leftover {build.name}",
                        f"DROP INDEX CONCURRENTLY IF EXISTS {_quote(schema_editor, build.name)}",
                    )
                raise ConcurrentBuildFailed(
                    _failure(f"build {build.name}", error, build)
                ) from error
            pause = next(pauses, None)
            if pause is None:
                raise ConcurrentBuildFailed(
                    _gave_up(schema_editor, f"build {build.name}", reason, policy)
                    + " If the attempt left an INVALID index, the next migrate drops and "
                    "rebuilds it."
                ) from error
            _log_retry(f"build {build.name}", attempt, reason, policy, pause)
    built = _index_named(schema_editor, build.table, build.name)
    if built is None or not built.valid:
        raise ConcurrentBuildFailed(
            f"CREATE INDEX CONCURRENTLY returned but {build.name} on {build.table} is "
            f"{'missing' if built is None else 'INVALID'}: another session may have created "
            "or dropped it meanwhile. Migrate again."
        )
    if build.declared is not None and not build.declared.same_definition(built):
        raise ConcurrentBuildFailed(
            f"{build.name} on {build.table} is {built.describe()}, not the declared "
            f"{build.declared.describe()}: another session created an index of that name "
            "meanwhile. Drop or rename it, then migrate again."
        )


def _drop_own_leftover(schema_editor: BaseDatabaseSchemaEditor, build: IndexBuild) -> None:
    """Drop the INVALID index the attempt before left (it did not exist before the first
    attempt: any earlier one was kept or dropped then)."""
    leftover = _index_named(schema_editor, build.table, build.name)
    if leftover is not None and not leftover.valid and not leftover.building:
        schema_editor.execute(
            f"DROP INDEX CONCURRENTLY IF EXISTS {_quote(schema_editor, build.name)}", params=None
        )


def _retrying(
    schema_editor: BaseDatabaseSchemaEditor, policy: RetryPolicy, what: str, statement: str
) -> None:
    """Run ``statement``; after a lock timeout or deadlock, try again after a pause, up
    to the policy's attempts."""
    pauses = policy.pauses()
    for attempt in range(1, policy.attempts + 1):
        try:
            schema_editor.execute(statement, params=None)
            return
        except DatabaseError as error:
            reason = _RETRIED.get(_sqlstate(error))
            if reason is None:
                raise ConcurrentBuildFailed(_failure(what, error, None)) from error
            pause = next(pauses, None)
            if pause is None:
                raise ConcurrentBuildFailed(
                    _gave_up(schema_editor, what, reason, policy)
                ) from error
            _log_retry(what, attempt, reason, policy, pause)


def _gave_up(
    schema_editor: BaseDatabaseSchemaEditor, what: str, reason: str, policy: RetryPolicy
) -> str:
    return (
        f"Could not {what}: {reason} (lock_timeout {policy.lock_timeout}) on each of "
        f"{policy.attempts} attempts. {_blockers(schema_editor)} Migrate again when they are "
        "done, or give the operation a longer lock_timeout or more attempts."
    )


def _log_retry(what: str, attempt: int, reason: str, policy: RetryPolicy, pause: float) -> None:
    logger.warning(
        "Could not %s on attempt %d of %d (%s after %s): retrying in %.1f s.",
        what,
        attempt,
        policy.attempts,
        reason,
        policy.lock_timeout,
        pause,
    )
    time.sleep(pause)


def _failure(what: str, error: DatabaseError, build: IndexBuild | None) -> str:
    detail = " ".join(str(error).split())
    state = _sqlstate(error)
    if state == _UNIQUE_VIOLATION and build is not None:
        return (
            f"Could not {what}: {build.table} holds duplicate values for the unique index "
            f"({detail}). The partly built index was dropped. Remove the duplicates, then "
            "migrate again."
        )
    if state == _CANCELLED:
        return (
            f"Could not {what}: the build was cancelled ({detail}). The INVALID index it "
            "left is dropped and rebuilt by the next migrate."
        )
    return f"Could not {what}: {detail}"


# -- the catalog ---------------------------------------------------------------------------


def _index_named(
    schema_editor: BaseDatabaseSchemaEditor, table: str, name: str
) -> IndexDefinition | None:
    connection = schema_editor.connection
    found = [index for index in present_indexes(connection, [table]) if index.name == name]
    if found:
        return found[0]
    if relation_exists(connection, name):
        raise ConcurrentBuildFailed(
            f"A relation named {name} already exists, and it is not an index of {table}: "
            "index names share one namespace per schema. Rename one of them."
        )
    return None


def _builders(schema_editor: BaseDatabaseSchemaEditor, name: str) -> list[int]:
    """The backends building (or rebuilding) the index ``name`` right now."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.pid FROM pg_stat_progress_create_index p "
            "JOIN pg_class i ON i.oid = p.index_relid "
            "WHERE i.relname = %s AND i.relnamespace = current_schema()::regnamespace",
            [name],
        )
        return [row[0] for row in cursor.fetchall()]


def _blockers(schema_editor: BaseDatabaseSchemaEditor) -> str:
    """The oldest open transactions, which the build waits for (pid and age only: their
    statements may hold values that must not reach the logs)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, extract(epoch FROM now() - xact_start)::int, state "
            "FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() "
            "AND datname = current_database() ORDER BY xact_start LIMIT 3"
        )
        rows = cursor.fetchall()
    if not rows:
        return "No transaction is open now."
    listed = ", ".join(f"pid {pid} ({age} s, {state})" for pid, age, state in rows)
    return f"The oldest open transactions: {listed}."


# -- helpers -------------------------------------------------------------------------------


@contextmanager
def _session_settings(
    schema_editor: BaseDatabaseSchemaEditor, policy: RetryPolicy
) -> Iterator[None]:
    """No statement timeout and the policy's lock timeout, for this session, then both
    back to the connection's defaults (DATABASES' OPTIONS, PGOPTIONS, the server's)."""
    schema_editor.execute("SET statement_timeout = 0", params=None)
    schema_editor.execute(f"SET lock_timeout = '{policy.lock_timeout}'", params=None)
    try:
        yield
    finally:
        schema_editor.execute("RESET statement_timeout", params=None)
        schema_editor.execute("RESET lock_timeout", params=None)


def _sqlstate(error: BaseException) -> str:
    cause: Any = error.__cause__ or error
    return str(getattr(cause, "sqlstate", "") or "")


def _quote(schema_editor: BaseDatabaseSchemaEditor, name: str) -> str:
    return str(schema_editor.quote_name(name))


def _names(build: IndexBuild) -> tuple[str, str]:
    return build.name, build.table
