"""The knobs of one detection scope: the ``PERFKIT`` settings plus per-scope overrides.

Each field is the lower-case name of its ``PERFKIT`` key, and its default is that key's
default in :data:`perfkit.conf.SPECS`: the settings are the one definition of both.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from perfkit.conf import SPECS, perfkit_settings


def _default(field_name: str) -> Any:
    return SPECS[field_name.upper()].default


@dataclass(frozen=True)
class DetectionOptions:
    """Thresholds and switches for one scope.

    Build it with :meth:`from_settings`, which reads ``PERFKIT`` now and applies keyword
    overrides (``n_plus_one_threshold=3``, ``allowlist=[...]``, …): the pytest marker and
    ``perfkit.detect(...)`` pass theirs this way.
    """

    n_plus_one_threshold: int = _default("n_plus_one_threshold")
    repeated_query_threshold: int = _default("repeated_query_threshold")
    repeated_write_threshold: int = _default("repeated_write_threshold")
    slow_query_ms: float = _default("slow_query_ms")
    explain_slow_queries: bool = _default("explain_slow_queries")
    detect_unused_eager_loads: bool = _default("detect_unused_eager_loads")
    log_parameters: bool = _default("log_parameters")
    allowlist: tuple[Any, ...] = _default("allowlist")
    call_site_exclude: tuple[str, ...] = _default("call_site_exclude")
    query_budget: int | None = _default("query_budget")
    db_time_budget_ms: float | None = _default("db_time_budget_ms")

    @classmethod
    def from_settings(cls, **overrides: Any) -> DetectionOptions:
        configured = perfkit_settings.derived(cls.__qualname__, cls._configured)
        return configured.with_overrides(**overrides) if overrides else configured

    @classmethod
    def _configured(cls) -> DetectionOptions:
        return cls(**{f.name: getattr(perfkit_settings, f.name.upper()) for f in fields(cls)})

    def with_overrides(self, **overrides: Any) -> DetectionOptions:
        if not overrides:
            return self
        known = {field.name for field in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise TypeError(f"unknown detection option(s): {', '.join(unknown)}")
        for name in ("allowlist", "call_site_exclude"):
            if name in overrides and overrides[name] is not None:
                overrides[name] = tuple(overrides[name])
        return replace(self, **overrides)
