"""A PostgreSQL schema planting every problem, and the look-alikes that must not be
reported, on the testproject's tables (inside the test's transaction)."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from perfkit.audit.run import run_audit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def sql(*statements):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in statements:
            cursor.execute(statement)


def ids(result, *checks):
    return {f.id for f in result.findings if not checks or f.check in checks}


def test_redundancy_and_look_alikes():
    sql(
        # planted
        "CREATE INDEX dup_a ON school_student (last_name)",
        "CREATE INDEX dup_b ON school_student (last_name)",
        "CREATE INDEX wide ON school_student (last_name, first_name)",
        "CREATE INDEX like_pk ON school_teacher (id)",
        # look-alikes
        "CREATE INDEX ops ON school_student (first_name text_pattern_ops)",
        "CREATE INDEX plain ON school_student (first_name)",
        'CREATE INDEX coll ON school_student (first_name COLLATE "C")',
        "CREATE INDEX hashed ON school_student USING hash (first_name)",
        "CREATE INDEX part_a ON school_student (grade) WHERE grade > 5",
        "CREATE INDEX part_b ON school_student (grade) WHERE grade < 3",
        "CREATE UNIQUE INDEX twin_u ON school_teacher (last_name, email)",
        "CREATE INDEX twin_n ON school_teacher (last_name, email)",
        "CREATE INDEX incl ON school_teacher (first_name) INCLUDE (email)",
        "CREATE INDEX incl_wide ON school_teacher (first_name, last_name)",
        "CREATE INDEX expr ON school_student (lower(email))",
    )
    result = run_audit(app_labels=["school"])
    redundancy = ids(result, "PA201", "PA202", "PA204")
    assert redundancy == {
        "PA201:school_student:dup_b",
        "PA202:school_student:dup_a",
        "PA204:school_teacher:like_pk",
    }
    # every hand-made index is drift, but never Django's own _like indexes
    drift = ids(result, "PA102")
    assert "PA102:school_student:expr" in drift and "PA102:school_student:ops" in drift
    assert not any(i.endswith("_like") for i in ids(result))


def test_missing_foreign_key_index_and_questionable():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'staff_shift' "
            "AND indexdef LIKE '%%(schedule_id)'"
        )
        [(name,)] = cursor.fetchall()
    sql(
        f"DROP INDEX {name}",
        "CREATE INDEX partial_schedule ON staff_shift (schedule_id) WHERE date > '2026-01-01'",
    )
    result = run_audit(app_labels=["staff"], checks=["PA301", "PA302", "PA101"])
    assert "PA302:staff_shift:schedule_id" in ids(result)
    assert f"PA101:staff_shift:{name}" in ids(result)
    sql("DROP INDEX partial_schedule")
    assert "PA301:staff_shift:schedule_id" in ids(run_audit(app_labels=["staff"], checks=["PA301"]))


def test_invalid_index_gives_the_recovery():
    sql(
        "CREATE INDEX broken ON school_student (grade)",
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'broken'::regclass",
    )
    [finding] = run_audit(checks=["PA401"]).findings
    assert finding.index == "broken"
    assert finding.fix == (
        "DROP INDEX CONCURRENTLY IF EXISTS broken; then python manage.py migrate school"
    )


def test_unused_indexes_respect_every_condition(settings):
    settings.PERFKIT = {
        "AUDIT_UNUSED_MIN_BYTES": 0,
        "AUDIT_STATS_MIN_AGE_DAYS": 0,
        "AUDIT_UNUSED_MAX_SCANS": 1,
    }
    sql(
        "CREATE INDEX never_read ON school_student (grade)",
        "CREATE UNIQUE INDEX never_read_unique ON school_student (email, grade)",
    )
    unused = ids(run_audit(app_labels=["school"], checks=["PA402"]))
    assert "PA402:school_student:never_read" in unused
    assert not any("unique" in i or "pkey" in i for i in unused)  # protected
    assert not any(i.endswith("_like") for i in unused)  # Django's LIKE index on email
    assert not any(":school_attendance:school_attendance_student_id" in i for i in unused)  # FK
    settings.PERFKIT = {**settings.PERFKIT, "AUDIT_UNUSED_MIN_BYTES": 10**9}
    assert ids(run_audit(app_labels=["school"], checks=["PA402"])) == set()


def test_unused_is_not_reported_just_after_a_stats_reset(settings):
    settings.PERFKIT = {"AUDIT_UNUSED_MIN_BYTES": 0, "AUDIT_STATS_MIN_AGE_DAYS": 7}
    sql("SELECT pg_stat_reset()", "CREATE INDEX never_read ON school_student (grade)")
    result = run_audit(app_labels=["school"], checks=["PA402"])
    assert result.findings == []
    assert "too early to call an index unused" in result.skipped[0]


def test_unused_must_be_unused_on_every_replica(settings, django_db_blocker):
    # The same server under a second alias stands in for a replica whose index is used.
    settings.PERFKIT = {"AUDIT_UNUSED_MIN_BYTES": 0, "AUDIT_STATS_MIN_AGE_DAYS": 0}
    sql("CREATE INDEX never_read ON school_student (grade)")
    result = run_audit(app_labels=["school"], checks=["PA402"], replicas=["missing-alias"])
    assert result.findings == [] and "unreadable" in result.skipped[0]


@pytest.fixture
def replica():
    """A second alias on the test database whose search_path is its own schema: its
    ``school_student`` and indexes have their own scan counters, like a replica's."""
    default = connections["default"]
    options = {**default.settings_dict["OPTIONS"], "options": "-c search_path=replica_sim"}
    # Registered as a connection only, not in settings: Django's test case allows it.
    connections["replica"] = type(default)({**default.settings_dict, "OPTIONS": options}, "replica")
    setup = [
        "DROP SCHEMA IF EXISTS replica_sim CASCADE",
        "CREATE SCHEMA replica_sim",
        "CREATE TABLE replica_sim.school_student (grade int, email text)",
        "INSERT INTO replica_sim.school_student "
        "SELECT g % 10, g::text FROM generate_series(1, 50) AS g",
        "CREATE INDEX never_read ON replica_sim.school_student (grade)",
        "CREATE INDEX idle_everywhere ON replica_sim.school_student (email)",
        "SET enable_seqscan = off",
    ]
    with connections["replica"].cursor() as cursor:
        for statement in setup:
            cursor.execute(statement)
        for _ in range(3):  # never_read is read on the replica
            cursor.execute("SELECT count(*) FROM school_student WHERE grade = 1")
    connections["replica"].close()  # a backend flushes its statistics when it exits
    yield "replica"
    with connections["replica"].cursor() as cursor:
        cursor.execute("DROP SCHEMA replica_sim CASCADE")
    connections["replica"].close()
    del connections["replica"]


def test_index_used_on_a_replica_is_not_unused(settings, replica):
    settings.PERFKIT = {
        "AUDIT_UNUSED_MIN_BYTES": 0,
        "AUDIT_STATS_MIN_AGE_DAYS": 0,
        "AUDIT_UNUSED_MAX_SCANS": 1,
    }
    sql(
        "CREATE INDEX never_read ON school_student (grade)",
        "CREATE INDEX idle_everywhere ON school_student (email)",
    )
    alone = ids(run_audit(app_labels=["school"], checks=["PA402"]))
    assert {"PA402:school_student:never_read", "PA402:school_student:idle_everywhere"} <= alone
    result = run_audit(app_labels=["school"], checks=["PA402"], replicas=[replica])
    with_replica = {f.id: f for f in result.findings}
    assert "PA402:school_student:never_read" not in with_replica  # scanned on the replica
    idle = with_replica["PA402:school_student:idle_everywhere"]
    assert "on every replica" in idle.message


def test_sequence_near_overflow():
    sql("CREATE TEMPORARY TABLE IF NOT EXISTS keep (v bigint)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM school_teacher_id_seq")
        [(before,)] = cursor.fetchall()
        cursor.execute("SELECT setval('school_teacher_id_seq', 9000000000000000000)")
    try:
        [finding] = run_audit(app_labels=["school"], checks=["PA406"]).findings
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval('school_teacher_id_seq', %s)", [max(before, 1)])
    assert finding.effective_severity == "error" and "98%" in finding.message


def test_nullable_leading_column():
    sql(
        "CREATE INDEX checkin ON school_attendance (check_in_time)",
    )
    from tests.factories import AttendanceFactory

    AttendanceFactory.create_batch(6, check_in_time=None)
    sql("ANALYZE school_attendance")
    assert "PA404:school_attendance:checkin" in ids(run_audit(checks=["PA404"]))


def test_workload_suggestion_confirmed_with_hypopg(settings):
    settings.PERFKIT = {"AUDIT_LARGE_TABLE_ROWS": 1000}
    sql(
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
        "CREATE EXTENSION IF NOT EXISTS hypopg",
        "INSERT INTO school_student (first_name, last_name, email, grade) "
        "SELECT 'A', 'L' || n, 's' || n || '@x.test', n % 12 FROM generate_series(1, 5000) n",
        "ANALYZE school_student",
        "SELECT pg_stat_statements_reset()",
    )
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT * FROM school_student WHERE grade = %s ORDER BY last_name", [3])
    [finding] = run_audit(app_labels=["school"], checks=["PA501"]).findings
    assert finding.autofix["fields"] == ["grade", "last_name"]
    assert "hypothetical index (hypopg)" in finding.message


def test_workload_without_pg_stat_statements_says_so():
    sql("DROP EXTENSION IF EXISTS pg_stat_statements")
    result = run_audit(app_labels=["school"], checks=["PA501"])
    assert result.findings == []
    assert "pg_stat_statements is not installed in this database" in result.skipped[0]


def test_bloated_index(settings):
    settings.PERFKIT = {"AUDIT_UNUSED_MIN_BYTES": 0}
    sql(
        "INSERT INTO school_student (first_name, last_name, email, grade) "
        "SELECT 'A', 'Lastname' || n, 's' || n || '@x.test', n % 12 "
        "FROM generate_series(1, 20000) n",
        "CREATE INDEX by_last_name ON school_student (last_name)",
        "DELETE FROM school_student WHERE grade > 0",
        "ANALYZE school_student",
    )
    found = {f.index: f for f in run_audit(app_labels=["school"], checks=["PA403"]).findings}
    assert found["by_last_name"].fix == "REINDEX INDEX CONCURRENTLY by_last_name;"


def test_declared_index_with_another_access_method_or_opclass():
    sql(
        "DROP INDEX schedule_department_idx",
        "CREATE INDEX schedule_department_idx ON staff_schedule USING hash (department_id)",
        # look-alike: int8_ops is bigint's default operator class, the same index
        "DROP INDEX shift_employee_date_idx",
        "CREATE INDEX shift_employee_date_idx ON staff_shift (employee_id int8_ops, date)",
    )
    [redefined] = run_audit(app_labels=["staff"], checks=["PA103"]).findings
    assert redefined.id == "PA103:staff_schedule:schedule_department_idx"
    assert "the access method is hash, declared btree" in redefined.message
    sql(
        "DROP INDEX shift_employee_date_idx",
        "CREATE INDEX shift_employee_date_idx ON staff_shift (employee_id, date DESC)",
    )
    found = {f.id: f for f in run_audit(app_labels=["staff"], checks=["PA103"]).findings}
    redefined = found["PA103:staff_shift:shift_employee_date_idx"]
    assert "the keys or their directions differ" in redefined.message


def test_statistics_age_is_the_latest_of_reset_start_and_creation():
    from datetime import UTC, datetime, timedelta

    from perfkit.audit.health import conservative_age

    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    started = now - timedelta(days=30)
    # never reset: the server's start, not a hundred years
    age = conservative_age(None, started, None, now)
    assert age.since == started and age.days == 30
    assert age.source == (
        "the server's start (pg_postmaster_start_time()); stats_reset is NULL: never reset"
    )
    # a database created after the server started: its creation
    created = now - timedelta(hours=2)
    age = conservative_age(None, started, created, now)
    assert age.since == created and age.source.startswith("the database's creation")
    # reset after both
    reset = now - timedelta(minutes=5)
    age = conservative_age(reset, started, created, now)
    assert age.since == reset
    assert age.source == "the last statistics reset (pg_stat_database.stats_reset)"


def test_unused_waits_for_statistics_older_than_the_new_database(settings):
    """The test database was created minutes ago, its stats_reset is NULL or recent, and
    the server may have run for days: not old enough, and the reason says which moment."""
    settings.PERFKIT = {"AUDIT_UNUSED_MIN_BYTES": 0, "AUDIT_STATS_MIN_AGE_DAYS": 1}
    sql("CREATE INDEX never_read ON school_student (grade)")
    result = run_audit(app_labels=["school"], checks=["PA402"])
    assert result.findings == []
    [skipped] = result.skipped
    assert skipped.startswith(
        "PA402 unused indexes: the scan counters have been counting only since "
    )
    assert "the database's creation" in skipped or "the last statistics reset" in skipped
    assert "less than 1 days (AUDIT_STATS_MIN_AGE_DAYS)" in skipped
