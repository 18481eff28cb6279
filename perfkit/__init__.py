"""perfkit: database performance hygiene for Django."""

from __future__ import annotations

from perfkit.detection import Finding, Report, detect
from perfkit.exceptions import DetectionError, NPlusOneError, PerfkitError

__version__ = "0.1.0.dev0"

__all__ = [
    "DetectionError",
    "Finding",
    "NPlusOneError",
    "PerfkitError",
    "Report",
    "__version__",
    "detect",
]
