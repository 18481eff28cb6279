"""Exceptions raised by perfkit. Every one of them is a :class:`PerfkitError`."""

from __future__ import annotations


class PerfkitError(Exception):
    """Base class of every exception perfkit raises on purpose."""


class ConfigurationError(PerfkitError):
    """The ``PERFKIT`` settings cannot be used as they are."""
