"""Concurrent builds that survive production, proven on PostgreSQL by fault injection:
a conflicting lock, a cancelled build, a statement timeout shorter than the build, the
same migration run twice and reversed, a unique build over duplicates; and the SQL of
the generated migrations linted by squawk. (Off PostgreSQL the operations are the plain
ones: see test_round_trip.py and test_operations_state.py.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.indexgen.round_trip_helpers import ok
from tests.indexgen.sample_project import postgres_server

pytestmark = pytest.mark.postgres

SINGLE = "shop_order_status_63c2c0_idx"
MIGRATION = f"0002_order_{SINGLE}"


def connect(sample, autocommit=True):
    import psycopg

    return psycopg.connect(**postgres_server(), dbname=sample.database_name, autocommit=autocommit)


def seed(sample, rows=2000):
    with connect(sample) as conn:
        conn.execute("INSERT INTO shop_customer (id, name) VALUES (1, 'c')")
        conn.execute(
            "INSERT INTO shop_order (customer_id, status, reference, created_at) "
            "SELECT 1, 'paid', 'R-' || g, now() FROM generate_series(1, %s) AS g",
            (rows,),
        )


def generate(sample, **retry_options):
    """perfindex add shop.Order status, with ``retry_options`` written into the operation."""
    ok(sample.run("perfindex", "add", "shop.Order", "status"))
    path = sample.migrations_dir / f"{MIGRATION}.py"
    if retry_options:
        options = "".join(f"            {key}={value!r},\n" for key, value in retry_options.items())
        text = path.read_text()
        assert "AddIndexConcurrently(\n" in text
        path.write_text(
            text.replace("AddIndexConcurrently(\n", f"AddIndexConcurrently(\n{options}", 1)
        )
    return path


def index_state(sample, name=SINGLE):
    """(valid, ready) of the index, or None when there is none."""
    rows = sample.query(
        "SELECT indisvalid, indisready FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = %s",
        (name,),
    )
    return rows[0] if rows else None


class Holder(threading.Thread):
    """Another session holding ``statement``'s lock (or snapshot) for ``seconds``, or
    until released."""

    def __init__(self, sample, statement, seconds, isolation="READ COMMITTED"):
        super().__init__(daemon=True)
        self.connection = connect(sample, autocommit=False)
        self.connection.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
        self.connection.execute(statement)  # held from here, before the thread starts
        self.seconds = seconds
        self.released = threading.Event()

    def run(self):
        self.released.wait(self.seconds)
        self.connection.rollback()
        self.connection.close()

    def release(self):
        self.released.set()
        self.join()


class Writer(threading.Thread):
    """Inserts rows until stopped; records each INSERT's duration as the server saw it
    (clock_timestamp() - statement_timestamp(): lock waits included, client scheduling not)."""

    def __init__(self, sample):
        super().__init__(daemon=True)
        self.connection = connect(sample)
        self.durations: list[float] = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            [(seconds,)] = self.connection.execute(
                "INSERT INTO shop_order (customer_id, status, reference, created_at) "
                "VALUES (1, 'new', 'W', now()) "
                "RETURNING extract(epoch FROM clock_timestamp() - statement_timestamp())"
            ).fetchall()
            self.durations.append(float(seconds))
            time.sleep(0.01)
        self.connection.close()


def start_migrate(sample, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "django", "migrate", "shop", *args],
        cwd=sample.root,
        env=sample.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(sample, query, parameters=(), seconds=30):
    """Poll ``query`` until it returns a row; return that row."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = sample.query(query, parameters)
        if rows:
            return rows[0]
        time.sleep(0.05)
    raise AssertionError(f"nothing came of {query!r} in {seconds} s")


def test_a_conflicting_lock_is_waited_out_without_holding_writers(sample):
    seed(sample)
    generate(sample, lock_timeout="300ms", attempts=40, retry_delay=0.2)
    holder = Holder(sample, "LOCK TABLE shop_order IN SHARE UPDATE EXCLUSIVE MODE", 60)
    holder.start()
    writer = Writer(sample)
    writer.start()
    migrate = start_migrate(sample)
    # The build queues for the table's lock: hold it through several lock timeouts.
    wait_for(
        sample,
        "SELECT pid FROM pg_locks WHERE relation = 'shop_order'::regclass AND NOT granted "
        "AND mode = 'ShareUpdateExclusiveLock'",
    )
    time.sleep(1.5)
    holder.release()
    _, stderr = migrate.communicate(timeout=120)
    writer.stop.set()
    writer.join()
    assert migrate.returncode == 0, stderr
    retries = re.findall(
        rf"Could not build {SINGLE} on attempt \d+ of 40 \(a lock timeout after 300ms\)",
        stderr,
    )
    assert len(retries) >= 2, stderr  # it did time out and retry, more than once
    assert index_state(sample) == (True, True)
    assert len(writer.durations) > 20
    assert max(writer.durations) <= 0.3 + 0.1, max(writer.durations)


def test_a_cancelled_build_is_recovered_by_the_next_migrate(sample):
    seed(sample)
    generate(sample, lock_timeout="30s")
    # An old snapshot makes the build wait in its last phase, long enough to cancel it.
    holder = Holder(sample, "SELECT count(*) FROM shop_customer", 60, isolation="REPEATABLE READ")
    holder.start()
    migrate = start_migrate(sample)
    (pid,) = wait_for(
        sample,
        "SELECT p.pid FROM pg_stat_progress_create_index p "
        "JOIN pg_class c ON c.oid = p.index_relid WHERE c.relname = %s",
        (SINGLE,),
    )
    assert sample.query("SELECT pg_cancel_backend(%s)", (pid,)) == [(True,)]
    _, stderr = migrate.communicate(timeout=60)
    holder.release()
    assert migrate.returncode == 1
    assert f"Could not build {SINGLE}: the build was cancelled" in stderr
    assert index_state(sample) == (False, True)  # the cancelled build's INVALID index

    again = sample.run("migrate", "shop")
    assert again.returncode == 0, again.stdout + again.stderr
    assert (
        f"{SINGLE} on shop_order is INVALID, left by a build that failed or was cancelled: "
        "dropping it and building it again." in again.stderr
    )
    assert index_state(sample) == (True, True)


def test_a_build_longer_than_the_statement_timeout_succeeds(sample):
    seed(sample)
    generate(sample)  # the defaults: lock_timeout 2s
    sample.extra_environment["PERFKIT_SAMPLE_OPTIONS"] = "-c statement_timeout=1000"
    # The build waits 1.5 s for an old snapshot: longer than the statement timeout.
    holder = Holder(sample, "SELECT count(*) FROM shop_customer", 1.5, "REPEATABLE READ")
    holder.start()
    started = time.monotonic()
    migrate = sample.run("migrate", "shop")
    holder.join()
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert time.monotonic() - started > 1.5
    assert index_state(sample) == (True, True)
    # Control: the same build without perfkit's SET statement_timeout = 0 is cancelled.
    import psycopg

    holder = Holder(sample, "SELECT count(*) FROM shop_customer", 1.5, "REPEATABLE READ")
    holder.start()
    with connect(sample) as conn:
        conn.execute("SET statement_timeout = 1000")
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            conn.execute("CREATE INDEX CONCURRENTLY control_idx ON shop_order (status)")
        holder.join()
        conn.execute("DROP INDEX CONCURRENTLY IF EXISTS control_idx")


def test_the_same_migration_twice_and_reverse_then_forward(sample):
    generate(sample)
    ok(sample.run("migrate", "shop"))
    # Applied but not recorded (a deploy cut short after the build): run it again.
    sample.query(
        "DELETE FROM django_migrations WHERE app = 'shop' AND name = %s",
        (MIGRATION,),
        autocommit=True,
    )
    again = sample.run("migrate", "shop")
    assert again.returncode == 0, again.stdout + again.stderr
    assert index_state(sample) == (True, True)
    ok(sample.run("migrate", "shop", "0001"))
    assert index_state(sample) is None
    ok(sample.run("migrate", "shop"))
    assert index_state(sample) == (True, True)
    # Reversed twice: the second finds nothing to drop.
    ok(sample.run("migrate", "shop", "0001"))
    ok(sample.run("migrate", "shop", MIGRATION, "--fake"))
    ok(sample.run("migrate", "shop", "0001"))
    assert index_state(sample) is None


def test_an_index_another_session_is_still_building_is_an_error(sample):
    seed(sample)
    generate(sample)
    holder = Holder(sample, "SELECT count(*) FROM shop_customer", 60, isolation="REPEATABLE READ")
    holder.start()
    errors = []

    def build_elsewhere():
        try:
            with connect(sample) as conn:
                conn.execute(f'CREATE INDEX CONCURRENTLY "{SINGLE}" ON shop_order (status)')
        except Exception as error:  # reported below
            errors.append(error)

    other = threading.Thread(target=build_elsewhere, daemon=True)
    other.start()
    (pid,) = wait_for(
        sample,
        "SELECT p.pid FROM pg_stat_progress_create_index p "
        "JOIN pg_class c ON c.oid = p.index_relid WHERE c.relname = %s",
        (SINGLE,),
    )
    migrate = sample.run("migrate", "shop")
    holder.release()
    other.join(timeout=60)
    assert errors == []
    assert migrate.returncode == 1
    assert (
        f"The index {SINGLE} on shop_order is INVALID because another session (pid {pid}) "
        "is still building it. Wait for that build to finish (or cancel it with "
        "pg_cancel_backend), then migrate again." in migrate.stderr
    )
    # That build finished: the migration now finds the index as declared.
    again = sample.run("migrate", "shop")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "INVALID" not in again.stderr
    assert index_state(sample) == (True, True)


def test_a_valid_index_with_another_definition_is_an_error(sample):
    generate(sample)
    sample.query(f'CREATE INDEX "{SINGLE}" ON shop_order (reference)', (), autocommit=True)
    migrate = sample.run("migrate", "shop")
    assert migrate.returncode == 1
    assert (
        f"An index named {SINGLE} already exists on shop_order, as {SINGLE} (reference), "
        f"but the migration declares {SINGLE} (status) (the keys or their directions "
        "differ). perfkit does not replace it" in migrate.stderr
    )


UNIQUE_MIGRATION = """\
from django.db import migrations, models

import perfkit.indexgen.operations


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("shop", "0001_initial")]
    operations = [
        perfkit.indexgen.operations.AddConstraintConcurrently(
            model_name="order",
            constraint=models.UniqueConstraint(fields=["reference"], name="shop_order_ref_uniq"),
        ),
    ]
"""


def test_a_unique_build_over_duplicates_fails_clearly_and_leaves_nothing(sample):
    seed(sample, rows=50)
    with connect(sample) as conn:
        conn.execute("UPDATE shop_order SET reference = 'DUP' WHERE id IN (3, 7)")
    (sample.migrations_dir / "0002_unique_reference.py").write_text(UNIQUE_MIGRATION)
    migrate = sample.run("migrate", "shop")
    assert migrate.returncode == 1
    assert (
        "Could not build shop_order_ref_uniq: shop_order holds duplicate values for the "
        "unique index" in migrate.stderr
    )
    assert "Key (reference)=(DUP) is duplicated" in migrate.stderr
    assert "The partly built index was dropped. Remove the duplicates, then migrate again." in (
        migrate.stderr
    )
    assert index_state(sample, "shop_order_ref_uniq") is None  # no INVALID leftover

    with connect(sample) as conn:
        conn.execute("DELETE FROM shop_order WHERE id = 7")
    ok(sample.run("migrate", "shop"))
    assert sample.query(
        "SELECT contype FROM pg_constraint WHERE conname = 'shop_order_ref_uniq'", ()
    ) == [("u",)]
    ok(sample.run("migrate", "shop", "0001"))
    assert sample.query("SELECT 1 FROM pg_class WHERE relname = 'shop_order_ref_uniq'", ()) == []


def squawk(sql, tmp_path):
    executable = shutil.which("squawk") or str(Path(sys.executable).with_name("squawk"))
    path = tmp_path / "migration.sql"
    path.write_text(sql)
    return subprocess.run(
        [executable, "--pg-version=15", str(path)], capture_output=True, text=True
    )


def test_the_sql_of_generated_migrations_passes_squawk(sample, tmp_path):
    ok(sample.run("perfindex", "add", "shop.Order", "status"))
    ok(sample.run("perfindex", "remove", "shop.Order", "shop_order_reference_idx"))
    (sample.migrations_dir / "0004_unique_reference.py").write_text(
        UNIQUE_MIGRATION.replace('"0001_initial"', '"0003_remove_order_shop_order_reference_idx"')
    )
    # Both directions of the generated ones; the unique constraint forwards (dropping a
    # constraint is what its reverse is for, and squawk's ban-drop-constraint says so).
    for name, expected, directions in (
        (MIGRATION, f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{SINGLE}"', 2),
        ("0003_remove_order_shop_order_reference_idx", "DROP INDEX CONCURRENTLY IF EXISTS", 2),
        ("0004_unique_reference", 'UNIQUE USING INDEX "shop_order_ref_uniq"', 1),
    ):
        for backwards in ((), ("--backwards",))[:directions]:
            sql = ok(sample.run("sqlmigrate", "shop", name, *backwards))
            if not backwards:
                assert expected in sql
            linted = squawk(sql, tmp_path)
            assert linted.returncode == 0, sql + linted.stdout + linted.stderr
    # Control: squawk does flag a plain concurrent build (no timeouts, not re-runnable).
    plain = 'CREATE INDEX CONCURRENTLY "x" ON "shop_order" ("status");\n'
    assert squawk(plain, tmp_path).returncode == 1
