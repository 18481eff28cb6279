"""``perfkit.detect()``: capture and detect around any block or function."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, cast

from asgiref.sync import sync_to_async

from perfkit.capture import Capture
from perfkit.capture.errors import log_error
from perfkit.conf import Action
from perfkit.detection.actions import act, build_report
from perfkit.detection.options import DetectionOptions
from perfkit.detection.report import Report

F = TypeVar("F", bound=Callable[..., Any])


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
    Used as a decorator, every call is its own scope (also for ``async def``). In async
    code use ``async with perfkit.detect()``: the ``finding_detected`` receivers (and an
    EXPLAIN) then run in a thread, never on the event loop. An error inside perfkit
    never reaches the block: it is logged once per process and the report is empty.
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
        if options is None and overrides:
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
                async with self._fresh():
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
        self._close_capture()
        self._fill_report(signal=True)
        if exc_type is None:
            act(self.report, self.action, self.options)

    async def __aenter__(self) -> Report:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        from perfkit.signals import finding_detected, send_findings

        self._close_capture()  # here: the scope's ContextVar belongs to this context
        if self.options.explain_slow_queries:  # EXPLAIN talks to the database
            await sync_to_async(self._fill_report)(signal=False)
        else:
            self._fill_report(signal=False)
        if self.report.findings and finding_detected.has_listeners():
            await sync_to_async(send_findings)(self.report.findings)
        if exc_type is None:
            act(self.report, self.action, self.options)

    def _close_capture(self) -> None:
        assert self.capture is not None
        try:
            self.capture.close()
        except Exception as error:
            log_error(error, "closing the capture failed")

    def _fill_report(self, *, signal: bool) -> None:
        capture = self.capture
        assert capture is not None
        try:
            finished = build_report(capture, self.options, signal=signal)
        except Exception as error:  # a bug in perfkit must not break the code it watched
            log_error(error, "detection failed; the report is empty")
            finished = Report(queries=capture.query_count, errors=[error])
        for name in vars(finished):
            setattr(self.report, name, getattr(finished, name))
