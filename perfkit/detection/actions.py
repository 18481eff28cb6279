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
    signal: bool = True,
) -> Report:
    """Analyse ``capture``, apply the allowlist, and (unless ``signal`` is False, for a
    caller that sends it itself, see :func:`perfkit.signals.send_findings`) send
    ``finding_detected`` per finding."""
    found = find_problems(capture, options, fallback_site)
    if found:
        kept, ignored, unmatched = split(found, options.allowlist)
    else:  # nothing to match: every allowlist entry matched nothing here
        kept, ignored, unmatched = found, [], list(options.allowlist)
    report = Report(
        findings=kept,
        queries=capture.query_count,
        db_time_ms=capture.total_ms,
        captured=list(capture.queries),
        ignored=ignored,
        unmatched_allowlist=unmatched,
        errors=list(capture.errors),
    )
    if signal and kept:
        from perfkit.signals import send_findings

        send_findings(kept, sender=sender or Finding, request=request)
    return report


def log_line(finding: Finding) -> str:
    """The finding's message, and its parameters when ``LOG_PARAMETERS`` put them there."""
    if finding.params is None:
        return finding.message
    return f"{finding.message} params={finding.params}"


def act(report: Report, action: Action | None, options: DetectionOptions) -> None:
    """Do what ``action`` says with the findings; None means only report them."""
    if not report.findings or action is None:
        return
    if action == "log":
        if not logger.isEnabledFor(logging.WARNING):
            return  # nobody listens: skip building the lines
        for finding in report.findings:
            logger.warning(log_line(finding), extra={"perfkit_finding": finding.as_dict()})
    elif action == "warn":
        for finding in report.findings:
            warnings.warn(log_line(finding), PerfkitWarning, stacklevel=3)
    elif action == "raise":
        raise_for(report)


def raise_for(report: Report) -> None:
    error_class = NPlusOneError if report.of_kind("n_plus_one") else DetectionError
    raise error_class(report.findings)
