"""The knobs of one detection scope: the ``PERFKIT`` settings plus per-scope overrides."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class DetectionOptions:
    """Thresholds and switches for one scope.

    Build it with :meth:`from_settings`, which reads ``PERFKIT`` now and applies keyword
    overrides (``n_plus_one_threshold=3``, ``allowlist=[...]``, …): the pytest marker and
    ``perfkit.detect(...)`` pass theirs this way.
    """

    n_plus_one_threshold: int = 2
    repeated_query_threshold: int = 5
    repeated_write_threshold: int = 5
    slow_query_ms: float = 100.0
    explain_slow_queries: bool = False
    detect_unused_eager_loads: bool = True
    log_parameters: bool = False
    allowlist: tuple[Any, ...] = ()
    call_site_exclude: tuple[str, ...] = ()
    query_budget: int | None = None
    db_time_budget_ms: float | None = None

    @classmethod
    def from_settings(cls, **overrides: Any) -> DetectionOptions:
        from perfkit.conf import perfkit_settings as conf

        options = cls(
            n_plus_one_threshold=conf.N_PLUS_ONE_THRESHOLD,
            repeated_query_threshold=conf.REPEATED_QUERY_THRESHOLD,
            repeated_write_threshold=conf.REPEATED_WRITE_THRESHOLD,
            slow_query_ms=conf.SLOW_QUERY_MS,
            explain_slow_queries=conf.EXPLAIN_SLOW_QUERIES,
            detect_unused_eager_loads=conf.DETECT_UNUSED_EAGER_LOADS,
            log_parameters=conf.LOG_PARAMETERS,
            allowlist=conf.ALLOWLIST,
            call_site_exclude=conf.CALL_SITE_EXCLUDE,
            query_budget=conf.QUERY_BUDGET,
            db_time_budget_ms=conf.DB_TIME_BUDGET_MS,
        )
        return options.with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> DetectionOptions:
        known = {field.name for field in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise TypeError(f"unknown detection option(s): {', '.join(unknown)}")
        for name in ("allowlist", "call_site_exclude"):
            if name in overrides and overrides[name] is not None:
                overrides[name] = tuple(overrides[name])
        return replace(self, **overrides)
