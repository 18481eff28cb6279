"""System checks. Every ID is stable and listed in ``docs/checks.md``.

ID ranges: ``perfkit.E0xx`` the ``PERFKIT`` dict itself; ``1xx`` detection;
``2xx`` audit and database settings; ``4xx`` pagination.
"""

from __future__ import annotations

import difflib
import importlib.util
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags
from django.core.checks import register as register_check

from perfkit.conf import SPECS


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``PERFKIT`` must be a dict of known keys with values of the right type."""
    if not hasattr(settings, "PERFKIT"):
        return []
    value = settings.PERFKIT
    if not isinstance(value, dict):
        return [
            Error(
                f"PERFKIT must be a dict, got {type(value).__name__}.",
                hint="Set PERFKIT = {...} in your settings; see docs/settings.md.",
                id="perfkit.E001",
            )
        ]
    errors: list[CheckMessage] = []
    for key, item in value.items():
        spec = SPECS.get(key) if isinstance(key, str) else None
        if spec is None:
            guesses = difflib.get_close_matches(str(key), SPECS, n=1)
            hint = (
                f"Did you mean {guesses[0]!r}?"
                if guesses
                else "Known keys are listed in docs/settings.md."
            )
            errors.append(Error(f"Unknown PERFKIT key {key!r}.", hint=hint, id="perfkit.E002"))
            continue
        problem = spec.problem(item)
        if problem is None:
            continue
        errors.append(
            Error(
                f"PERFKIT[{key!r}] {problem.message}.",
                hint=f"The default is {spec.default!r}; see docs/settings.md.",
                id="perfkit.E003" if problem.kind == "type" else "perfkit.E004",
            )
        )
    return errors


def register() -> None:
    """Register every perfkit check. Called once from ``PerfkitConfig.ready()``."""
    register_check(Tags.compatibility)(check_settings)
    from perfkit.detection.checks import check_detection_settings

    register_check(Tags.compatibility)(check_detection_settings)
    from perfkit.audit.settings_checks import check_database_settings

    register_check(Tags.compatibility)(check_database_settings)
    if not _installed("rest_framework"):
        return  # the paginators need DRF
    from perfkit.pagination.checks import check_paginated_orderings

    register_check(Tags.compatibility)(check_paginated_orderings)


def _installed(package: str) -> bool:
    """Whether ``package`` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(package) is not None
    except ImportError:
        return False
