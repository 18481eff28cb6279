"""Detection over a capture: findings, reports, and the ``detect()`` scope."""

from __future__ import annotations

from perfkit.detection.actions import PerfkitWarning, act, build_report
from perfkit.detection.allowlist import forget_matches, unmatched_entries
from perfkit.detection.analysis import find_problems
from perfkit.detection.findings import Finding
from perfkit.detection.options import DetectionOptions
from perfkit.detection.report import Report
from perfkit.detection.scope import detect

__all__ = [
    "DetectionOptions",
    "Finding",
    "PerfkitWarning",
    "Report",
    "act",
    "build_report",
    "detect",
    "find_problems",
    "forget_matches",
    "unmatched_entries",
]
