"""System checks on PostgreSQL connection settings: connections reused (or pooled),
and a statement timeout, so that one slow query cannot hold a worker forever."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Warning


def check_database_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    return database_settings_problems(getattr(settings, "DATABASES", {}))


def database_settings_problems(databases: dict[str, dict[str, Any]]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for alias, database in databases.items():
        if "postgresql" not in str(database.get("ENGINE", "")):
            continue
        options = database.get("OPTIONS") or {}
        pooled = bool(options.get("pool"))
        if not pooled and database.get("CONN_MAX_AGE", 0) == 0:
            messages.append(
                Warning(
                    f"DATABASES[{alias!r}] opens a new PostgreSQL connection for every "
                    "request (CONN_MAX_AGE = 0, no pool): a few milliseconds each.",
                    hint='Set CONN_MAX_AGE (e.g. 60) or OPTIONS["pool"] (Django 5.1+).',
                    id="perfkit.W201",
                )
            )
        if pooled and database.get("CONN_MAX_AGE", 0) not in (0, None):
            messages.append(
                Warning(
                    f"DATABASES[{alias!r}] sets both a pool and CONN_MAX_AGE; Django "
                    "refuses persistent connections with a pool.",
                    hint="Keep the pool and drop CONN_MAX_AGE.",
                    id="perfkit.W202",
                )
            )
        if "statement_timeout" not in str(options.get("options", "")):
            messages.append(
                Warning(
                    f"DATABASES[{alias!r}] has no statement_timeout: one runaway query can "
                    "hold a worker and its locks indefinitely.",
                    hint='OPTIONS = {"options": "-c statement_timeout=30000"} (milliseconds). '
                    "perfkit's generated index migrations lift it for their concurrent builds.",
                    id="perfkit.W203",
                )
            )
    return messages
