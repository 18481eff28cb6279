"""Checks that read the statistics collector, which only sees committed, flushed work."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from perfkit.audit.run import run_audit
from tests.factories import StudentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_table_read_mostly_by_sequential_scans(settings):
    settings.PERFKIT = {"AUDIT_LARGE_TABLE_ROWS": 3}
    StudentFactory.create_batch(5)
    with connection.cursor() as cursor:
        # Statistics outlive the tests' flushes: earlier tests' index scans count too,
        # so outnumber whatever is there.
        cursor.execute(
            "SELECT coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'school_student'"
        )
        (index_scans,) = cursor.fetchone()
        for _ in range(index_scans + 12):
            cursor.execute("SELECT count(*) FROM school_student WHERE grade = 5")
        cursor.execute("SELECT pg_stat_force_next_flush()")
    time.sleep(0.3)  # the backend flushes its statistics when it goes idle
    findings = run_audit(app_labels=["school"], checks=["PA405"]).findings
    [student] = [f for f in findings if f.table == "school_student"]
    assert "sequential scans" in student.message
