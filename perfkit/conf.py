"""The ``PERFKIT`` settings dict, read lazily.

Every key is declared once in :data:`SPECS` (default, accepted types, allowed values)
and exposed as one typed property of :class:`PerfkitSettings`. Values are read from
``django.conf.settings`` at call time, never at import time, so ``override_settings``
works everywhere. A value of the wrong type falls back to the default at run time; the
system checks in :mod:`perfkit.checks` report it, so a typo never breaks a request.

Every key is documented in ``docs/settings.md`` (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from django.conf import settings

Action = Literal["log", "warn", "raise"]
ACTIONS: tuple[Action, ...] = get_args(Action)

_MISSING = object()


@dataclass(frozen=True)
class SettingProblem:
    """A value that a ``PERFKIT`` key does not accept: of the wrong type, or out of range."""

    kind: Literal["type", "value"]
    message: str


@dataclass(frozen=True)
class SettingSpec:
    """What one ``PERFKIT`` key accepts."""

    default: Any
    types: tuple[type, ...]
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    nullable: bool = False

    def problem(self, value: Any) -> SettingProblem | None:
        """Why ``value`` is not acceptable, or None when it is."""
        if value is None and self.nullable:
            return None
        # bool is an int subclass: only accept it where bool is declared.
        if isinstance(value, bool) and bool not in self.types:
            return SettingProblem("type", f"expected {self.type_names()}, got bool")
        if not isinstance(value, self.types):
            got = type(value).__name__
            return SettingProblem("type", f"expected {self.type_names()}, got {got}")
        if self.choices and value not in self.choices:
            allowed = ", ".join(repr(choice) for choice in self.choices)
            return SettingProblem("value", f"expected one of {allowed}, got {value!r}")
        if self.minimum is not None and cast(float, value) < self.minimum:
            return SettingProblem("value", f"must be at least {self.minimum:g}, got {value!r}")
        return None

    def type_names(self) -> str:
        names = [kind.__name__ for kind in self.types]
        if self.nullable:
            names.append("None")
        return " or ".join(names)


SPECS: dict[str, SettingSpec] = {
    # -- detection (capture, detect, middleware) ---------------------------------------
    "ENABLED": SettingSpec(True, (bool,)),
    "ACTION": SettingSpec("log", (str,), choices=ACTIONS),
    "N_PLUS_ONE_THRESHOLD": SettingSpec(2, (int,), minimum=2),
    "REPEATED_QUERY_THRESHOLD": SettingSpec(5, (int,), minimum=2),
    "REPEATED_WRITE_THRESHOLD": SettingSpec(5, (int,), minimum=2),
    "SLOW_QUERY_MS": SettingSpec(100.0, (int, float), minimum=0),
    "EXPLAIN_SLOW_QUERIES": SettingSpec(False, (bool,)),
    "DETECT_UNUSED_EAGER_LOADS": SettingSpec(True, (bool,)),
    "LOG_PARAMETERS": SettingSpec(False, (bool,)),
    "ALLOWLIST": SettingSpec((), (list, tuple)),
    "CALL_SITE_EXCLUDE": SettingSpec((), (list, tuple)),
    "QUERY_BUDGET": SettingSpec(None, (int,), minimum=1, nullable=True),
    "DB_TIME_BUDGET_MS": SettingSpec(None, (int, float), minimum=0, nullable=True),
    "SERVER_TIMING": SettingSpec(False, (bool,)),
    "FINDINGS_HEADER": SettingSpec(False, (bool,)),
    # -- audit --------------------------------------------------------------------------
    "AUDIT_STATEMENT_TIMEOUT_MS": SettingSpec(10_000, (int,), minimum=1),
    "AUDIT_UNUSED_MAX_SCANS": SettingSpec(50, (int,), minimum=0),
    "AUDIT_UNUSED_MIN_BYTES": SettingSpec(1_048_576, (int,), minimum=0),
    "AUDIT_STATS_MIN_AGE_DAYS": SettingSpec(7, (int, float), minimum=0),
    "AUDIT_REPLICAS": SettingSpec((), (list, tuple)),
    "AUDIT_LARGE_TABLE_ROWS": SettingSpec(10_000, (int,), minimum=0),
    # -- pagination ---------------------------------------------------------------------
    "PAGINATION_INVALID_STATUS": SettingSpec(404, (int,), choices=(404, 400)),
    "PAGINATION_MAX_PAGE": SettingSpec(100_000, (int,), minimum=1),
    "PAGINATION_MAX_OFFSET": SettingSpec(1_000_000, (int,), minimum=0),
    "PAGINATION_DEFERRED_JOIN_OFFSET": SettingSpec(1_000, (int,), minimum=0),
    "PAGINATION_ESTIMATE_THRESHOLD": SettingSpec(10_000, (int,), minimum=0),
    "PAGINATION_COUNT_CACHE_SECONDS": SettingSpec(60, (int,), minimum=1),
}


def user_settings() -> Mapping[str, Any]:
    """The project's ``PERFKIT`` dict, or an empty mapping when absent or malformed."""
    value = getattr(settings, "PERFKIT", None)
    return value if isinstance(value, Mapping) else {}


class PerfkitSettings:
    """Typed, lazy access to ``settings.PERFKIT``."""

    def value(self, name: str) -> Any:
        spec = SPECS[name]
        value = user_settings().get(name, _MISSING)
        if value is _MISSING or spec.problem(value) is not None:
            return spec.default
        return value

    # -- detection ---------------------------------------------------------------------
    @property
    def ENABLED(self) -> bool:
        return cast(bool, self.value("ENABLED"))

    @property
    def ACTION(self) -> Action:
        return cast(Action, self.value("ACTION"))

    @property
    def N_PLUS_ONE_THRESHOLD(self) -> int:
        return cast(int, self.value("N_PLUS_ONE_THRESHOLD"))

    @property
    def REPEATED_QUERY_THRESHOLD(self) -> int:
        return cast(int, self.value("REPEATED_QUERY_THRESHOLD"))

    @property
    def REPEATED_WRITE_THRESHOLD(self) -> int:
        return cast(int, self.value("REPEATED_WRITE_THRESHOLD"))

    @property
    def SLOW_QUERY_MS(self) -> float:
        return float(self.value("SLOW_QUERY_MS"))

    @property
    def EXPLAIN_SLOW_QUERIES(self) -> bool:
        return cast(bool, self.value("EXPLAIN_SLOW_QUERIES"))

    @property
    def DETECT_UNUSED_EAGER_LOADS(self) -> bool:
        return cast(bool, self.value("DETECT_UNUSED_EAGER_LOADS"))

    @property
    def LOG_PARAMETERS(self) -> bool:
        return cast(bool, self.value("LOG_PARAMETERS"))

    @property
    def ALLOWLIST(self) -> tuple[Any, ...]:
        return tuple(self.value("ALLOWLIST"))

    @property
    def CALL_SITE_EXCLUDE(self) -> tuple[str, ...]:
        return tuple(str(entry) for entry in self.value("CALL_SITE_EXCLUDE"))

    @property
    def QUERY_BUDGET(self) -> int | None:
        return cast("int | None", self.value("QUERY_BUDGET"))

    @property
    def DB_TIME_BUDGET_MS(self) -> float | None:
        budget = self.value("DB_TIME_BUDGET_MS")
        return None if budget is None else float(budget)

    @property
    def SERVER_TIMING(self) -> bool:
        return cast(bool, self.value("SERVER_TIMING"))

    @property
    def FINDINGS_HEADER(self) -> bool:
        return cast(bool, self.value("FINDINGS_HEADER"))

    # -- audit --------------------------------------------------------------------------
    @property
    def AUDIT_STATEMENT_TIMEOUT_MS(self) -> int:
        return cast(int, self.value("AUDIT_STATEMENT_TIMEOUT_MS"))

    @property
    def AUDIT_UNUSED_MAX_SCANS(self) -> int:
        return cast(int, self.value("AUDIT_UNUSED_MAX_SCANS"))

    @property
    def AUDIT_UNUSED_MIN_BYTES(self) -> int:
        return cast(int, self.value("AUDIT_UNUSED_MIN_BYTES"))

    @property
    def AUDIT_STATS_MIN_AGE_DAYS(self) -> float:
        return float(self.value("AUDIT_STATS_MIN_AGE_DAYS"))

    @property
    def AUDIT_REPLICAS(self) -> tuple[str, ...]:
        return tuple(str(alias) for alias in self.value("AUDIT_REPLICAS"))

    @property
    def AUDIT_LARGE_TABLE_ROWS(self) -> int:
        return cast(int, self.value("AUDIT_LARGE_TABLE_ROWS"))

    # -- pagination ---------------------------------------------------------------------
    @property
    def PAGINATION_INVALID_STATUS(self) -> int:
        return cast(int, self.value("PAGINATION_INVALID_STATUS"))

    @property
    def PAGINATION_MAX_PAGE(self) -> int:
        return cast(int, self.value("PAGINATION_MAX_PAGE"))

    @property
    def PAGINATION_MAX_OFFSET(self) -> int:
        return cast(int, self.value("PAGINATION_MAX_OFFSET"))

    @property
    def PAGINATION_DEFERRED_JOIN_OFFSET(self) -> int:
        return cast(int, self.value("PAGINATION_DEFERRED_JOIN_OFFSET"))

    @property
    def PAGINATION_ESTIMATE_THRESHOLD(self) -> int:
        return cast(int, self.value("PAGINATION_ESTIMATE_THRESHOLD"))

    @property
    def PAGINATION_COUNT_CACHE_SECONDS(self) -> int:
        return cast(int, self.value("PAGINATION_COUNT_CACHE_SECONDS"))


perfkit_settings = PerfkitSettings()
