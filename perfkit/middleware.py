"""``PerfkitMiddleware``: capture each request, detect, act. Sync and async in one class.

Per request: a capture scope (a ContextVar, so concurrent requests never mix), then
detection when the response is ready, then the ``ACTION``: log (one line per finding on
the ``perfkit`` logger), warn, or raise. Optional ``Server-Timing`` and
``X-Perfkit-Findings`` headers; optional query-count and db-time budgets. Any error
inside perfkit is logged and the response goes out unchanged; only ``"raise"`` changes
it, on purpose.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase

from perfkit.capture import Capture
from perfkit.capture.view_site import view_site
from perfkit.conf import perfkit_settings
from perfkit.detection import DetectionOptions, Report, act, build_report
from perfkit.detection.actions import raise_for

logger = logging.getLogger("perfkit")

FINDINGS_HEADER = "X-Perfkit-Findings"


class _RequestScope:
    __slots__ = ("capture", "options")

    def __init__(self, capture: Capture, options: DetectionOptions) -> None:
        self.capture = capture
        self.options = options


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
        scope = self._open(sys._getframe())
        if scope is None:
            return self.get_response(request)
        try:
            response = cast(HttpResponseBase, self.get_response(request))
        finally:
            scope.capture.close()
        report = self._report(request, scope)
        return self._act(request, response, scope, report)

    async def __acall__(self, request: HttpRequest) -> Any:
        scope = self._open(sys._getframe())
        if scope is None:
            return await self.get_response(request)  # type: ignore[misc]
        try:
            response = await self.get_response(request)  # type: ignore[misc]
        finally:
            scope.capture.close()
        if scope.options.explain_slow_queries:
            # EXPLAIN talks to the database: not from the event loop.
            report = await sync_to_async(self._report)(request, scope)
        else:
            report = self._report(request, scope)
        return self._act(request, response, scope, report)

    # -- steps ----------------------------------------------------------------------------
    def _open(self, boundary: FrameType) -> _RequestScope | None:
        try:
            if not perfkit_settings.ENABLED:
                return None
            options = DetectionOptions.from_settings()
            capture = Capture(call_site_exclude=options.call_site_exclude, boundary=boundary)
            capture.__enter__()
            return _RequestScope(capture, options)
        except Exception:
            logger.exception("perfkit: could not start capturing this request")
            return None

    def _report(self, request: HttpRequest, scope: _RequestScope) -> Report | None:
        try:
            report = build_report(
                scope.capture,
                scope.options,
                fallback_site=view_site(request),
                sender=type(self),
                request=request,
            )
        except Exception:
            logger.exception("perfkit: detection failed; the response is unchanged")
            return None
        if report.errors:
            logger.warning(
                "perfkit: %d error(s) while observing %s; first: %r",
                len(report.errors),
                request.path,
                report.errors[0],
            )
        return report

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
        except Exception:
            logger.exception("perfkit: acting on findings failed; the response is unchanged")
            return response
        if action == "raise" and report.findings:
            raise_for(report)
        return response


def add_server_timing(response: HttpResponseBase, report: Report) -> None:
    """``Server-Timing: db;dur=12.3;desc="42 queries", perfkit;desc="2 findings"``."""
    entry = (
        f'db;dur={report.db_time_ms:.1f};desc="{report.queries} queries", '
        f'perfkit;desc="{len(report.findings)} findings"'
    )
    existing = response.headers.get("Server-Timing")
    response.headers["Server-Timing"] = f"{existing}, {entry}" if existing else entry
