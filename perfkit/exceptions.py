"""Exceptions raised by perfkit. Every one of them is a :class:`PerfkitError`."""

from __future__ import annotations

from typing import Any


class PerfkitError(Exception):
    """Base class of every exception perfkit raises on purpose."""


class ConfigurationError(PerfkitError):
    """The ``PERFKIT`` settings cannot be used as they are."""


class UsageError(PerfkitError):
    """A tool was given input it cannot use (a file, an argument); nothing was done.

    Management commands turn it into a ``CommandError`` with exit status 2.
    """


class DetectionError(PerfkitError):
    """Raised at the end of a detection scope configured to raise; holds the findings."""

    def __init__(self, findings: list[Any]) -> None:
        self.findings = list(findings)
        lines = "\n".join(f"  - {finding.message}" for finding in self.findings)
        super().__init__(f"perfkit found {len(self.findings)} problem(s):\n{lines}")


class NPlusOneError(DetectionError):
    """A :class:`DetectionError` whose findings include at least one N+1."""
