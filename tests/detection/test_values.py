"""No parameter or literal value in findings, logs, warnings, exceptions or signals
unless LOG_PARAMETERS is on; with it, the SQL as it ran and the first query's parameters."""

from __future__ import annotations

import logging
import re
import warnings

import pytest
from django.db import connection

import perfkit
from perfkit.signals import finding_detected
from testproject.school.models import Class

pytestmark = pytest.mark.django_db

SECRET = "hunter2 is the password"


def raw_lookups():
    """Five raw queries with the value inlined, as hand-written SQL often does."""
    with connection.cursor() as cursor:
        for _ in range(5):
            cursor.execute(f"SELECT id FROM school_class WHERE name = '{SECRET}' AND id > 42")


def orm_lookups():
    for _ in range(5):
        list(Class.objects.filter(name=SECRET))


def everything_said(scope_options, work):
    """Every text perfkit produces about ``work``'s findings, joined."""
    sent = []

    def receiver(sender, finding, **kwargs):
        sent.append(repr(finding))

    finding_detected.connect(receiver)
    texts = []
    try:
        with perfkit.detect(slow_query_ms=0, **scope_options) as report:
            work()
        for action in ("log", "warn"):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                handler = Collect()
                logging.getLogger("perfkit").addHandler(handler)
                try:
                    perfkit.detection.act(report, action, options_of(scope_options))
                finally:
                    logging.getLogger("perfkit").removeHandler(handler)
            texts += [str(w.message) for w in caught] + handler.lines
        with pytest.raises(perfkit.NPlusOneError) as raised:
            perfkit.detection.act(report, "raise", options_of(scope_options))
        texts.append(str(raised.value))
    finally:
        finding_detected.disconnect(receiver)
    texts += sent + [repr(f.as_dict()) for f in report.findings]
    return report, "\n".join(texts)


def options_of(scope_options):
    return perfkit.detection.DetectionOptions.from_settings(**scope_options)


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage() + repr(getattr(record, "perfkit_finding", "")))


@pytest.mark.parametrize("work", [raw_lookups, orm_lookups])
def test_no_value_leaves_perfkit_by_default(work):
    report, said = everything_said({}, work)

    assert {f.kind for f in report.findings} >= {"n_plus_one", "slow_query"}
    assert SECRET not in said
    assert "hunter2" not in said
    assert all(f.params is None for f in report.findings)
    if work is raw_lookups:
        # number literals too (a duration such as "0.42 ms" or a line ":42" is no value)
        assert not re.search(r"(?<![\d.:])42(?![\d.])", said), said
        assert all("name = ?" in f.sql for f in report.findings)


def test_log_parameters_adds_the_sql_as_it_ran_and_the_first_querys_parameters():
    report, said = everything_said({"log_parameters": True}, orm_lookups)

    [n_plus_one] = report.of_kind("n_plus_one")
    assert n_plus_one.params is not None and SECRET in n_plus_one.params
    assert f"params={n_plus_one.params}" in said

    report, said = everything_said({"log_parameters": True}, raw_lookups)
    assert all(SECRET in f.sql for f in report.findings if f.sql)


@pytest.mark.postgres
def test_no_literal_in_the_plan_summary():
    report, said = everything_said({"explain_slow_queries": True}, raw_lookups)

    plans = [f.explain for f in report.of_kind("slow_query")]
    assert plans and all(plan and "school_class" in plan for plan in plans)
    assert "hunter2" not in said
