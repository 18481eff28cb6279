from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from perfkit.checks import check_settings


def ids(messages):
    return [message.id for message in messages]


def test_no_perfkit_setting_is_fine(settings):
    del settings.PERFKIT
    assert check_settings() == []


def test_valid_settings_are_clean():
    with override_settings(PERFKIT={"ACTION": "raise", "SLOW_QUERY_MS": 50, "QUERY_BUDGET": None}):
        assert check_settings() == []


def test_perfkit_must_be_a_dict():
    with override_settings(PERFKIT=["ACTION"]):
        [error] = check_settings()
    assert error.id == "perfkit.E001"
    assert "must be a dict, got list" in error.msg


def test_misspelled_key_suggests_the_right_one():
    with override_settings(PERFKIT={"SLOW_QUERY_MSS": 10}):
        [error] = check_settings()
    assert error.id == "perfkit.E002"
    assert error.msg == "Unknown PERFKIT key 'SLOW_QUERY_MSS'."
    assert error.hint == "Did you mean 'SLOW_QUERY_MS'?"


def test_unknown_key_without_a_close_match_points_at_docs():
    with override_settings(PERFKIT={"COMPLETELY_DIFFERENT": 1}):
        [error] = check_settings()
    assert error.hint == "Known keys are listed in docs/settings.md."


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("ENABLED", "yes", "PERFKIT['ENABLED'] expected bool, got str."),
        ("SLOW_QUERY_MS", True, "PERFKIT['SLOW_QUERY_MS'] expected int or float, got bool."),
        ("QUERY_BUDGET", 2.5, "PERFKIT['QUERY_BUDGET'] expected int or None, got float."),
    ],
)
def test_wrong_type_is_e003(key, value, message):
    with override_settings(PERFKIT={key: value}):
        [error] = check_settings()
    assert (error.id, error.msg) == ("perfkit.E003", message)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "ACTION",
            "explode",
            "PERFKIT['ACTION'] expected one of 'log', 'warn', 'raise', got 'explode'.",
        ),
        ("N_PLUS_ONE_THRESHOLD", 1, "PERFKIT['N_PLUS_ONE_THRESHOLD'] must be at least 2, got 1."),
    ],
)
def test_out_of_range_value_is_e004(key, value, message):
    with override_settings(PERFKIT={key: value}):
        [error] = check_settings()
    assert (error.id, error.msg) == ("perfkit.E004", message)


def test_check_command_reports_the_misspelling(capsys):
    from django.core.management.base import SystemCheckError

    with override_settings(PERFKIT={"ACTON": "log"}), pytest.raises(SystemCheckError) as raised:
        call_command("check")
    assert "perfkit.E002" in str(raised.value)
    assert "Did you mean 'ACTION'?" in str(raised.value)


def test_testproject_check_is_clean():
    # In a fresh process: other tests install apps (the debug toolbar) whose checks stay
    # registered for the rest of a test session.
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
