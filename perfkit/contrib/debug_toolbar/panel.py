"""``PerfkitPanel``: the request's findings in django-debug-toolbar.

The panel captures the queries of the request (everything the toolbar runs after it:
the rest of the middleware and the view), runs detection when the response is ready,
and shows each finding's kind, relation, call site, count, time and fix. The toolbar's
own work is outside the capture: the panels before this one wrap it, and what the
toolbar does afterwards (storing panel data, rendering) runs after the capture ends or
inside :func:`perfkit.capture.excluded`. Only this module imports ``debug_toolbar``.

``finding_detected`` is sent here only for a request the middleware does not observe
(with the request), so that each finding is signalled once. An error inside perfkit
never breaks the page: it is logged once per process and the panel shows nothing.
"""

from __future__ import annotations

import sys
from typing import Any

from debug_toolbar.panels import Panel
from django.http import HttpRequest, HttpResponseBase
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from perfkit.capture import Capture, excluded
from perfkit.capture.code_names import qualname_at, split_location
from perfkit.capture.errors import log_error
from perfkit.capture.view_site import view_site
from perfkit.detection import DetectionOptions, Finding, build_report
from perfkit.detection.findings import KIND_LABELS
from perfkit.signals import observed_by_middleware

TEMPLATE = "perfkit/debug_toolbar/panel.html"


class PerfkitPanel(Panel):
    """The findings of one request (WSGI requests; the toolbar's async support is partial)."""

    title = _("perfkit")
    template = TEMPLATE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._capture: Capture | None = None
        self._options: DetectionOptions | None = None

    @property
    def nav_subtitle(self) -> str:
        stats = self.get_stats()  # type: ignore[no-untyped-call]
        if "findings" not in stats:
            return ""
        found = len(stats["findings"])
        return f"{found} finding{'' if found == 1 else 's'}, {stats['queries']} queries"

    def process_request(self, request: HttpRequest) -> HttpResponseBase:
        try:
            self._options = DetectionOptions.from_settings()
            self._capture = Capture(
                call_site_exclude=self._options.call_site_exclude, boundary=sys._getframe()
            )
            self._capture.__enter__()
        except Exception as error:  # never break the page over the panel
            log_error(error, "the toolbar panel could not start capturing")
            self._capture = None
        try:
            response: HttpResponseBase = super().process_request(request)  # type: ignore[no-untyped-call]
        finally:
            if self._capture is not None:
                try:
                    self._capture.close()
                except Exception as error:
                    log_error(error, "the toolbar panel could not close its capture")
        return response

    def generate_stats(self, request: HttpRequest, response: HttpResponseBase) -> None:
        capture, options = self._capture, self._options
        if capture is None or options is None:
            return
        with excluded():
            try:
                report = build_report(
                    capture,
                    options,
                    fallback_site=view_site(request),
                    sender=type(self),
                    request=request,
                    signal=not observed_by_middleware(request),
                )
            except Exception as error:
                log_error(error, "the toolbar panel's detection failed")
                return
            self.record_stats(  # type: ignore[no-untyped-call]
                {
                    "findings": [finding_row(finding) for finding in report.findings],
                    "ignored": len(report.ignored),
                    "queries": report.queries,
                    "db_time_ms": round(report.db_time_ms, 2),
                }
            )

    @property
    def content(self) -> str:
        return render_to_string(self.template, self.get_stats())  # type: ignore[no-untyped-call]


def finding_row(finding: Finding) -> dict[str, Any]:
    """What the panel shows of a finding: plain values (the toolbar stores them as JSON)."""
    path, line = split_location(finding.location)
    return {
        "kind": finding.kind,
        "kind_label": KIND_LABELS[finding.kind],
        "relation": finding.relation or "",
        "location": finding.location,
        "label": finding.location_label,
        "function": (qualname_at(path, line) if line else None) or "",
        "count": finding.count,
        "total_ms": round(finding.total_ms, 2),
        "suggestion": finding.suggestion,
        "sql": finding.fingerprint or finding.sql,
    }
