"""Turning a finished capture into a report, and acting on it: log, warn or raise."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from perfkit.capture import CallSite, Capture
from perfkit.conf import Action
from perfkit.detection.allowlist import split
from perfkit.detection.analysis import find_problems
from perfkit.detection.findings import Finding
from perfkit.detection.options import DetectionOptions
from perfkit.detection.report import Report
from perfkit.exceptions import DetectionError, NPlusOneError

logger = logging.getLogger("perfkit")


class PerfkitWarning(UserWarning):
    """Issued once per finding when the action is ``"warn"``."""


def build_report(
    capture: Capture,
    options: DetectionOptions,
    *,
    fallback_site: CallSite | None = None,
    sender: Any = None,
    request: Any = None,
) -> Report:
    """Analyse ``capture``, apply the allowlist, and send ``finding_detected`` per finding."""
    from perfkit.signals import finding_detected

    found = find_problems(capture, options, fallback_site)
    kept, ignored, unmatched = split(found, options.allowlist)
    report = Report(
        findings=kept,
        queries=capture.query_count,
        db_time_ms=capture.total_ms,
        captured=list(capture.queries),
        ignored=ignored,
        unmatched_allowlist=unmatched,
        errors=list(capture.errors),
    )
    for finding in kept:
        finding_detected.send(sender=sender or Finding, finding=finding, request=request)
    return report


def log_line(finding: Finding, options: DetectionOptions, params: Any = None) -> str:
    line = finding.message
    if options.log_parameters and params is not None:
        line += f" params={params!r}"
    return line


def act(report: Report, action: Action | None, options: DetectionOptions) -> None:
    """Do what ``action`` says with the findings; None means only report them."""
    if not report.findings or action is None:
        return
    if action == "log":
        for finding in report.findings:
            logger.warning(
                log_line(finding, options, _sample_params(report, finding)),
                extra={"perfkit_finding": finding.as_dict()},
            )
    elif action == "warn":
        for finding in report.findings:
            warnings.warn(
                log_line(finding, options, _sample_params(report, finding)),
                PerfkitWarning,
                stacklevel=3,
            )
    elif action == "raise":
        raise_for(report)


def raise_for(report: Report) -> None:
    error_class = NPlusOneError if report.of_kind("n_plus_one") else DetectionError
    raise error_class(report.findings)


def _sample_params(report: Report, finding: Finding) -> Any:
    for query in report.captured:
        if query.sql == finding.sql:
            return query.params
    return None
