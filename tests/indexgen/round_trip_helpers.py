"""Small helpers shared by the sample-project tests."""

from __future__ import annotations


def ok(result):
    """The stdout of a finished process that must have succeeded."""
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
