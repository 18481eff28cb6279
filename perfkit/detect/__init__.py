"""Detection over a capture: findings, reports, and the ``detect()`` scope."""

from __future__ import annotations

from perfkit.detect.act import PerfkitWarning, act, build_report
from perfkit.detect.allowlist import forget_matches, unmatched_entries
from perfkit.detect.analysis import find_problems
from perfkit.detect.findings import Finding
from perfkit.detect.options import DetectionOptions
from perfkit.detect.report import Report
from perfkit.detect.scope import detect

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
