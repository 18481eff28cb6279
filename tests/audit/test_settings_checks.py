from __future__ import annotations

import pytest

from perfkit.audit.settings_checks import check_database_settings, database_settings_problems

POSTGRES = "django.db.backends.postgresql"


@pytest.mark.parametrize(
    ("database", "expected"),
    [
        ({"ENGINE": POSTGRES, "CONN_MAX_AGE": 0}, ["perfkit.W201", "perfkit.W203"]),
        (
            {"ENGINE": POSTGRES, "CONN_MAX_AGE": 60, "OPTIONS": {"pool": True}},
            ["perfkit.W202", "perfkit.W203"],
        ),
        (
            {
                "ENGINE": POSTGRES,
                "CONN_MAX_AGE": 0,
                "OPTIONS": {"pool": True, "options": "-c statement_timeout=5000"},
            },
            [],
        ),
        (
            {
                "ENGINE": POSTGRES,
                "CONN_MAX_AGE": 60,
                "OPTIONS": {"options": "-c statement_timeout=5000"},
            },
            [],
        ),
        ({"ENGINE": "django.db.backends.sqlite3", "CONN_MAX_AGE": 0}, []),
    ],
)
def test_database_settings_checks(database, expected):
    assert [m.id for m in database_settings_problems({"default": database})] == expected


def test_the_testproject_settings_are_sane():
    assert check_database_settings() == []
