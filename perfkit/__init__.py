"""perfkit: database performance hygiene for Django."""

from __future__ import annotations

from perfkit.exceptions import PerfkitError

__version__ = "0.1.0.dev0"

__all__ = ["PerfkitError", "__version__"]
