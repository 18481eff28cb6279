"""The ``PERFKIT`` settings dict, read lazily.

Every key is declared once, as a typed :class:`Setting` attribute of
:class:`PerfkitSettings` (default, accepted types, allowed values); :data:`SPECS` lists
them. Values are read from ``django.conf.settings`` when first asked for, never at
import time, and kept until Django's ``setting_changed`` says ``PERFKIT`` changed, so
``override_settings`` works everywhere. A value of the wrong type falls back to
the default at run time; the system checks in :mod:`perfkit.checks` report it, so a typo
never breaks a request.

Every key is documented in ``docs/settings.md`` (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, cast, get_args, overload

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

Action = Literal["log", "warn", "raise"]
ACTIONS: tuple[Action, ...] = get_args(Action)
T = TypeVar("T")

_MISSING = object()


@dataclass(frozen=True)
class SettingProblem:
    """A value that a ``PERFKIT`` key does not accept: of the wrong type, or out of range."""

    kind: Literal["type", "value"]
    message: str


class Setting(Generic[T]):
    """One ``PERFKIT`` key: what it accepts and its default, read as a typed attribute of
    :class:`PerfkitSettings`. ``convert`` turns an accepted value into the attribute's type
    (``tuple`` for a list, ``float`` for an int)."""

    def __init__(
        self,
        default: Any,
        types: tuple[type, ...],
        *,
        choices: tuple[Any, ...] = (),
        minimum: float | None = None,
        nullable: bool = False,
        convert: Callable[[Any], T] | None = None,
    ) -> None:
        self.default = default
        self.types = types
        self.choices = choices
        self.minimum = minimum
        self.nullable = nullable
        self.convert = convert
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Setting[T]: ...

    @overload
    def __get__(self, instance: PerfkitSettings, owner: type) -> T: ...

    def __get__(self, instance: PerfkitSettings | None, owner: type) -> Setting[T] | T:
        if instance is None:
            return self
        try:
            return cast(T, _read[self.name])
        except KeyError:
            pass
        value = user_settings().get(self.name, _MISSING)
        if value is _MISSING or self.problem(value) is not None:
            value = self.default
        if self.convert is not None and value is not None:
            value = self.convert(value)
        _read[self.name] = value
        return cast(T, value)

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


# Values already read and checked, by key: requests read a dozen keys each. Emptied when
# Django reports PERFKIT changed (override_settings, pytest-django's settings fixture).
_read: dict[str, Any] = {}


@receiver(setting_changed)
def _forget_read_values(*, setting: str, **kwargs: Any) -> None:
    if setting == "PERFKIT":
        _read.clear()


def user_settings() -> Mapping[str, Any]:
    """The project's ``PERFKIT`` dict, or an empty mapping when absent or malformed."""
    value = getattr(settings, "PERFKIT", None)
    return value if isinstance(value, Mapping) else {}


def _strings(values: Any) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


class PerfkitSettings:
    """Typed, lazy access to ``settings.PERFKIT``: one attribute per key."""

    def derived(self, key: str, build: Callable[[], T]) -> T:
        """A value built from the settings (``build()``), kept like the settings are."""
        try:
            return cast(T, _read[key])
        except KeyError:
            value = _read[key] = build()
            return value

    # -- detection (capture, detection, middleware) ------------------------------------
    ENABLED: Setting[bool] = Setting(True, (bool,))
    ACTION: Setting[Action] = Setting("log", (str,), choices=ACTIONS)
    N_PLUS_ONE_THRESHOLD: Setting[int] = Setting(2, (int,), minimum=2)
    REPEATED_QUERY_THRESHOLD: Setting[int] = Setting(5, (int,), minimum=2)
    REPEATED_WRITE_THRESHOLD: Setting[int] = Setting(5, (int,), minimum=2)
    SLOW_QUERY_MS: Setting[float] = Setting(100.0, (int, float), minimum=0, convert=float)
    EXPLAIN_SLOW_QUERIES: Setting[bool] = Setting(False, (bool,))
    DETECT_UNUSED_EAGER_LOADS: Setting[bool] = Setting(True, (bool,))
    LOG_PARAMETERS: Setting[bool] = Setting(False, (bool,))
    ALLOWLIST: Setting[tuple[Any, ...]] = Setting((), (list, tuple), convert=tuple)
    CALL_SITE_EXCLUDE: Setting[tuple[str, ...]] = Setting((), (list, tuple), convert=_strings)
    QUERY_BUDGET: Setting[int | None] = Setting(None, (int,), minimum=1, nullable=True)
    DB_TIME_BUDGET_MS: Setting[float | None] = Setting(
        None, (int, float), minimum=0, nullable=True, convert=float
    )
    SERVER_TIMING: Setting[bool] = Setting(False, (bool,))
    FINDINGS_HEADER: Setting[bool] = Setting(False, (bool,))
    # -- audit --------------------------------------------------------------------------
    AUDIT_STATEMENT_TIMEOUT_MS: Setting[int] = Setting(10_000, (int,), minimum=1)
    AUDIT_UNUSED_MAX_SCANS: Setting[int] = Setting(50, (int,), minimum=0)
    AUDIT_UNUSED_MIN_BYTES: Setting[int] = Setting(1_048_576, (int,), minimum=0)
    AUDIT_STATS_MIN_AGE_DAYS: Setting[float] = Setting(7, (int, float), minimum=0, convert=float)
    AUDIT_REPLICAS: Setting[tuple[str, ...]] = Setting((), (list, tuple), convert=_strings)
    AUDIT_LARGE_TABLE_ROWS: Setting[int] = Setting(10_000, (int,), minimum=0)
    # -- pagination ---------------------------------------------------------------------
    PAGINATION_INVALID_STATUS: Setting[int] = Setting(404, (int,), choices=(404, 400))
    PAGINATION_MAX_PAGE: Setting[int] = Setting(100_000, (int,), minimum=1)
    PAGINATION_MAX_OFFSET: Setting[int] = Setting(1_000_000, (int,), minimum=0)
    PAGINATION_DEFERRED_JOIN_OFFSET: Setting[int] = Setting(1_000, (int,), minimum=0)
    PAGINATION_ESTIMATE_THRESHOLD: Setting[int] = Setting(10_000, (int,), minimum=0)
    PAGINATION_COUNT_CACHE_SECONDS: Setting[int] = Setting(60, (int,), minimum=1)


SPECS: dict[str, Setting[Any]] = {
    name: setting for name, setting in vars(PerfkitSettings).items() if isinstance(setting, Setting)
}
"""Every ``PERFKIT`` key, as declared on :class:`PerfkitSettings`."""

perfkit_settings = PerfkitSettings()
