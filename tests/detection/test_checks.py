from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from perfkit.detection.checks import check_detection_settings


def messages_for(**perfkit):
    with override_settings(PERFKIT=perfkit):
        return [(message.id, message.msg) for message in check_detection_settings()]


def test_valid_entries_are_clean():
    assert (
        messages_for(
            ALLOWLIST=[
                "school.Class.teacher",
                "auth.User.teacher",
                "school.*",
                "testproject/school/views.py:*",
                {"kind": "slow_query", "location": "reports/*.py:*"},
            ],
            CALL_SITE_EXCLUDE=["myproject.db", "*/helpers/*.py"],
        )
        == []
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (3, "PERFKIT['ALLOWLIST'][0] must be a str or a dict, got int."),
        ("  ", "PERFKIT['ALLOWLIST'][0] is an empty string."),
        ({}, "PERFKIT['ALLOWLIST'][0] is an empty dict."),
        (
            {"relation": "a.B.c", "line": "3"},
            "PERFKIT['ALLOWLIST'][0] has unknown key(s) line; use kind, location, relation, sql.",
        ),
        ({"kind": 3}, "PERFKIT['ALLOWLIST'][0] must map keys to non-empty strings."),
    ],
)
def test_unusable_allowlist_entry_is_e101(entry, message):
    assert messages_for(ALLOWLIST=[entry]) == [("perfkit.E101", message)]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "school.Clas.teacher",
            "PERFKIT['ALLOWLIST'][0] names no installed model school.Clas, so it can never match.",
        ),
        (
            {"relation": "school.Class.teachr"},
            "PERFKIT['ALLOWLIST'][0] names no attribute 'teachr' of school.Class, "
            "so it can never match.",
        ),
        (
            "teacher",
            "PERFKIT['ALLOWLIST'][0] relation 'teacher' is not app_label.Model.attribute, "
            "so it can never match.",
        ),
    ],
)
def test_allowlist_relation_naming_nothing_is_w101(entry, message):
    assert messages_for(ALLOWLIST=[entry]) == [("perfkit.W101", message)]


def test_bad_call_site_exclude_entry_is_e102():
    assert messages_for(CALL_SITE_EXCLUDE=["ok", 5]) == [
        ("perfkit.E102", "PERFKIT['CALL_SITE_EXCLUDE'][1] must be a non-empty string, got 5.")
    ]


def test_check_command_reports_e101():
    with override_settings(PERFKIT={"ALLOWLIST": [{}]}), pytest.raises(SystemCheckError) as raised:
        call_command("check")
    assert "perfkit.E101" in str(raised.value)
