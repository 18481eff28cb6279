"""Test-suite wiring: the database comes from ``DATABASE_URL`` (see testproject/settings.py).

Tests marked ``@pytest.mark.postgres`` need a real PostgreSQL server. On SQLite they are
skipped, visibly. With ``PERFKIT_REQUIRE_POSTGRES=1`` (set by CI for its PostgreSQL pass)
a missing or unreachable server stops the run, a skipped PostgreSQL test counts as a
failure, and a run in which no PostgreSQL test ran fails: they can never silently not run.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db import connections
from hypothesis import settings

# Timing deadlines fail property tests on a loaded machine, not on slow code: the speed
# targets live in bench/, measured side by side.
settings.register_profile("perfkit", deadline=None)
settings.load_profile("perfkit")

REQUIRE_POSTGRES = os.environ.get("PERFKIT_REQUIRE_POSTGRES") == "1"
_postgres_outcomes: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}


def database_vendor() -> str:
    return connections["default"].vendor


def pytest_configure(config: pytest.Config) -> None:
    if not REQUIRE_POSTGRES or hasattr(config, "workerinput"):
        return
    if database_vendor() != "postgresql":
        raise pytest.UsageError(
            "PERFKIT_REQUIRE_POSTGRES=1 but DATABASE_URL does not name a PostgreSQL database."
        )
    settings = connections["default"].settings_dict
    try:
        import psycopg

        psycopg.connect(
            dbname="postgres",
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            connect_timeout=5,
        ).close()
    except Exception as error:  # any failure to connect ends the run here
        raise pytest.UsageError(
            f"PERFKIT_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable: {error}"
        ) from error


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if database_vendor() == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if REQUIRE_POSTGRES and report.skipped and item.get_closest_marker("postgres"):
        report.outcome = "failed"
        report.longrepr = f"PostgreSQL test skipped while PERFKIT_REQUIRE_POSTGRES=1: {item.nodeid}"
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "postgres" not in report.keywords:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _postgres_outcomes[report.outcome] += 1


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    ran = _postgres_outcomes["passed"] + _postgres_outcomes["failed"]
    terminalreporter.write_line(
        f"perfkit: {ran} PostgreSQL-only tests ran ({_postgres_outcomes['passed']} passed, "
        f"{_postgres_outcomes['failed']} failed, {_postgres_outcomes['skipped']} skipped) "
        f"on {database_vendor()}"
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    ran = _postgres_outcomes["passed"] + _postgres_outcomes["failed"]
    if REQUIRE_POSTGRES and not hasattr(session.config, "workerinput") and ran == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
