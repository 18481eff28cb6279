"""``PerfkitMiddleware``: capture each request, detect, act. Sync and async in one class.

Per request: a capture scope (a ContextVar, so concurrent requests never mix), then
detection when the response is ready, then the ``ACTION``: log (one line per finding on
the ``perfkit`` logger), warn, or raise. Optional ``Server-Timing`` and
``X-Perfkit-Findings`` headers; optional query-count and db-time budgets. A streaming
response is observed until its last chunk: detection runs when the stream ends.

Any error inside perfkit is logged (once per process, with its traceback) and the
response goes out unchanged; only ``"raise"`` changes it, on purpose, and never over an
exception of the view's own.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextvars import ContextVar
from functools import partial
from types import FrameType
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

from perfkit.capture import Capture
from perfkit.capture.errors import log_error
from perfkit.capture.streams import ObservedAsyncChunks, ObservedChunks
from perfkit.capture.view_site import view_site
from perfkit.conf import perfkit_settings
from perfkit.detection import DetectionOptions, Report, act, build_report
from perfkit.detection.actions import raise_for
from perfkit.signals import finding_detected, mark_observed_by_middleware, send_findings

FINDINGS_HEADER = "X-Perfkit-Findings"


class _RequestScope:
    __slots__ = ("capture", "options", "token", "view_raised")

    def __init__(self, capture: Capture, options: DetectionOptions) -> None:
        self.capture = capture
        self.options = options
        self.view_raised = False
        self.token: Any = None


# The request being observed in this context: process_exception() marks it.
_current_scope: ContextVar[_RequestScope | None] = ContextVar("perfkit_request", default=None)


class PerfkitMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        scope = self._open(request, sys._getframe())
        if scope is None:
            return self.get_response(request)
        try:
            response = cast(HttpResponseBase, self.get_response(request))
        except BaseException:
            self._close(scope)
            raise
        if self._stream(request, response, scope):
            return response
        self._close(scope)
        report = self._report(request, scope, signal=True)
        return self._act(request, response, scope, report)

    async def __acall__(self, request: HttpRequest) -> Any:
        scope = self._open(request, sys._getframe())
        if scope is None:
            return await self.get_response(request)  # type: ignore[misc]
        try:
            response = await self.get_response(request)  # type: ignore[misc]
        except BaseException:
            self._close(scope)
            raise
        if self._stream(request, response, scope):
            return response
        self._close(scope)
        # EXPLAIN and the signal's receivers talk to the database: not from the event loop.
        if scope.options.explain_slow_queries:
            report = await sync_to_async(self._report)(request, scope, signal=False)
        else:
            report = self._report(request, scope, signal=False)
        if report is not None and report.findings and finding_detected.has_listeners():
            await sync_to_async(self._signal)(request, report)
        return self._act(request, response, scope, report)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """The view raised: ``ACTION = "raise"`` must not replace its exception."""
        scope = _current_scope.get()
        if scope is not None:
            scope.view_raised = True

    # -- steps ----------------------------------------------------------------------------
    def _open(self, request: HttpRequest, boundary: FrameType) -> _RequestScope | None:
        try:
            if not perfkit_settings.ENABLED:
                return None
            options = DetectionOptions.from_settings()
            capture = Capture(call_site_exclude=options.call_site_exclude, boundary=boundary)
            capture.__enter__()
        except Exception as error:
            log_error(error, "could not start capturing this request")
            return None
        scope = _RequestScope(capture, options)
        scope.token = _current_scope.set(scope)
        mark_observed_by_middleware(request)
        return scope

    def _close(self, scope: _RequestScope) -> None:
        _leave(scope)
        try:
            scope.capture.close()
        except Exception as error:
            log_error(error, "closing the request's capture failed")

    def _report(self, request: HttpRequest, scope: _RequestScope, signal: bool) -> Report | None:
        try:
            return build_report(
                scope.capture,
                scope.options,
                fallback_site=view_site(request),
                sender=type(self),
                request=request,
                signal=signal,
            )
        except Exception as error:
            log_error(error, "detection failed; the response is unchanged")
            return None

    def _signal(self, request: HttpRequest, report: Report) -> None:
        try:
            send_findings(report.findings, sender=type(self), request=request)
        except Exception as error:
            log_error(error, "sending finding_detected failed")

    def _act(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        scope: _RequestScope,
        report: Report | None,
    ) -> HttpResponseBase:
        if report is None:
            return response
        try:
            if perfkit_settings.SERVER_TIMING:
                add_server_timing(response, report)
            if perfkit_settings.FINDINGS_HEADER:
                response.headers[FINDINGS_HEADER] = str(len(report.findings))
            action = perfkit_settings.ACTION
            if action != "raise":
                act(report, action, scope.options)
        except Exception as error:
            log_error(error, "acting on findings failed; the response is unchanged")
            return response
        if action == "raise" and report.findings and not scope.view_raised:
            raise_for(report)
        return response

    # -- streaming responses ---------------------------------------------------------------
    def _stream(
        self, request: HttpRequest, response: HttpResponseBase, scope: _RequestScope
    ) -> bool:
        """Keep observing a streaming body until it ends; False when it is not one.

        A ``FileResponse`` reading a file runs no queries while it streams: it is
        handled as any response (and keeps the server's file wrapper).
        """
        if not isinstance(response, StreamingHttpResponse):
            return False
        if getattr(response, "file_to_stream", None) is not None:
            return False
        try:
            _leave(scope)
            scope.capture.suspend()
            finish = partial(self._finish_stream, request, scope)
            if response.is_async:
                response.streaming_content = ObservedAsyncChunks(
                    cast(AsyncIterator[bytes], response.streaming_content), scope.capture, finish
                )
            else:
                response.streaming_content = ObservedChunks(
                    cast(Iterator[bytes], response.streaming_content), scope.capture, finish
                )
        except Exception as error:
            log_error(error, "could not observe the streamed response")
            self._close(scope)
            return False
        return True

    def _finish_stream(self, request: HttpRequest, scope: _RequestScope) -> None:
        """The stream ended: detect and act. Headers went out with the first chunk, and
        the response is the client's already, so ``"raise"`` logs instead."""
        try:
            scope.capture.close()
        except Exception as error:
            log_error(error, "closing the request's capture failed")
        report = self._report(request, scope, signal=True)
        if report is None:
            return
        action = perfkit_settings.ACTION
        try:
            act(report, "log" if action == "raise" else action, scope.options)
        except Exception as error:
            log_error(error, "acting on findings failed")


def _leave(scope: _RequestScope) -> None:
    """This context is done with the request (once; a token cannot be reset twice)."""
    token, scope.token = scope.token, None
    if token is not None:
        try:
            _current_scope.reset(token)
        except ValueError:  # left in another context than the one it was entered in
            _current_scope.set(None)


def add_server_timing(response: HttpResponseBase, report: Report) -> None:
    """``Server-Timing: db;dur=12.3;desc="42 queries", perfkit;desc="2 findings"``."""
    entry = (
        f'db;dur={report.db_time_ms:.1f};desc="{report.queries} queries", '
        f'perfkit;desc="{len(report.findings)} findings"'
    )
    existing = response.headers.get("Server-Timing")
    response.headers["Server-Timing"] = f"{existing}, {entry}" if existing else entry
