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
from functools import partial
from types import FrameType
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

from perfkit.capture import Capture, current_capture
from perfkit.capture.errors import log_error
from perfkit.capture.streams import ObservedAsyncChunks, ObservedChunks
from perfkit.capture.view_site import view_site
from perfkit.conf import perfkit_settings
from perfkit.detection import DetectionOptions, Report, act, build_report
from perfkit.detection.actions import raise_for
from perfkit.signals import finding_detected, mark_observed_by_middleware, send_findings

FINDINGS_HEADER = "X-Perfkit-Findings"


class _RequestCapture(Capture):
    """A request's capture, with what the middleware acts on: the options it was opened
    with, and whether the view raised (``process_exception()`` marks it)."""

    view_raised = False

    def __init__(self, options: DetectionOptions, boundary: FrameType) -> None:
        super().__init__(call_site_exclude=options.call_site_exclude, boundary=boundary)
        self.options = options


def _request_capture() -> _RequestCapture | None:
    """The capture of the request running in this context: the innermost middleware
    capture (a debug-toolbar panel or ``perfkit.detect()`` may have opened one inside)."""
    capture = current_capture()
    while capture is not None and not isinstance(capture, _RequestCapture):
        capture = capture.parent
    return capture


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
        if isinstance(response, StreamingHttpResponse) and self._stream(request, response, scope):
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
        if isinstance(response, StreamingHttpResponse) and self._stream(request, response, scope):
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
        scope = _request_capture()
        if scope is not None:
            scope.view_raised = True

    # -- steps ----------------------------------------------------------------------------
    def _open(self, request: HttpRequest, boundary: FrameType) -> _RequestCapture | None:
        try:
            if not perfkit_settings.ENABLED:
                return None
            scope = _RequestCapture(DetectionOptions.from_settings(), boundary)
            scope.__enter__()
        except Exception as error:
            log_error(error, "could not start capturing this request")
            return None
        mark_observed_by_middleware(request)
        return scope

    def _close(self, scope: _RequestCapture) -> None:
        try:
            scope.close()
        except Exception as error:
            log_error(error, "closing the request's capture failed")

    def _report(self, request: HttpRequest, scope: _RequestCapture, signal: bool) -> Report | None:
        try:
            return build_report(
                scope,
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
        scope: _RequestCapture,
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
        self, request: HttpRequest, response: StreamingHttpResponse, scope: _RequestCapture
    ) -> bool:
        """Keep observing a streaming body until it ends; False when it is not one.

        A ``FileResponse`` reading a file runs no queries while it streams: it is
        handled as any response (and keeps the server's file wrapper).
        """
        if getattr(response, "file_to_stream", None) is not None:
            return False
        try:
            scope.suspend()
            finish = partial(self._finish_stream, request, scope)
            if response.is_async:
                response.streaming_content = ObservedAsyncChunks(
                    cast(AsyncIterator[bytes], response.streaming_content), scope, finish
                )
            else:
                response.streaming_content = ObservedChunks(
                    cast(Iterator[bytes], response.streaming_content), scope, finish
                )
        except Exception as error:
            log_error(error, "could not observe the streamed response")
            self._close(scope)
            return False
        return True

    def _finish_stream(self, request: HttpRequest, scope: _RequestCapture) -> None:
        """The stream ended: detect and act. Headers went out with the first chunk, and
        the response is the client's already, so ``"raise"`` logs instead."""
        self._close(scope)
        report = self._report(request, scope, signal=True)
        if report is None:
            return
        action = perfkit_settings.ACTION
        try:
            act(report, "log" if action == "raise" else action, scope.options)
        except Exception as error:
            log_error(error, "acting on findings failed")


def add_server_timing(response: HttpResponseBase, report: Report) -> None:
    """``Server-Timing: db;dur=12.3;desc="42 queries", perfkit;desc="2 findings"``."""
    entry = (
        f'db;dur={report.db_time_ms:.1f};desc="{report.queries} queries", '
        f'perfkit;desc="{len(report.findings)} findings"'
    )
    existing = response.headers.get("Server-Timing")
    response.headers["Server-Timing"] = f"{existing}, {entry}" if existing else entry
