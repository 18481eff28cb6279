"""``perfkit.detect()``: capture and detect around any block or function."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, cast

from perfkit.capture import Capture
from perfkit.conf import Action
from perfkit.detection.actions import act, build_report
from perfkit.detection.options import DetectionOptions
from perfkit.detection.report import Report

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("perfkit")


class detect:
    """Capture the queries of a block and detect problems in them when it ends.

    ::

        with perfkit.detect() as report:
            ...
        report.findings  # list[Finding]

        @perfkit.detect(action="raise")
        def rebuild_cache(): ...

    ``action`` is what to do with findings at the end: None (the default) only fills the
    report; ``"log"``, ``"warn"``, or ``"raise"`` (``perfkit.NPlusOneError`` when an N+1
    is among the findings, else ``perfkit.DetectionError``). Nothing is raised when the
    block itself raised. Keyword ``overrides`` replace ``PERFKIT`` settings for this
    scope (see :class:`DetectionOptions`: ``n_plus_one_threshold``, ``allowlist``, …).
    Used as a decorator, every call is its own scope (also for ``async def``).
    """

    def __new__(cls, func: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        if func is not None:  # @perfkit.detect without parentheses: a plain wrapper
            return cls(**kwargs).decorate(func)
        return super().__new__(cls)

    def __init__(
        self,
        func: Callable[..., Any] | None = None,
        *,
        action: Action | None = None,
        options: DetectionOptions | None = None,
        **overrides: Any,
    ) -> None:
        self.action = action
        self._options = options
        self._overrides = overrides
        if options is None:
            DetectionOptions().with_overrides(**overrides)  # unknown names fail here, early
        self.report = Report()
        self.capture: Capture | None = None

    def _fresh(self) -> detect:
        return detect(action=self.action, options=self._options, **self._overrides)

    def __call__(self, func: F) -> F:
        return self.decorate(func)

    def decorate(self, func: F) -> F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return await func(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return cast(F, run)

    def __enter__(self) -> Report:
        self.options = self._options or DetectionOptions.from_settings(**self._overrides)
        self.capture = Capture(call_site_exclude=self.options.call_site_exclude)
        self.capture.__enter__()
        return self.report

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        capture = self.capture
        assert capture is not None
        capture.close()
        try:
            finished = build_report(capture, self.options)
        except Exception as error:  # a bug in perfkit must not break the code it watched
            logger.exception("perfkit: detection failed; the report is empty")
            finished = Report(queries=capture.query_count, errors=[error])
        for name in vars(finished):
            setattr(self.report, name, getattr(finished, name))
        if exc_type is None:
            act(self.report, self.action, self.options)
