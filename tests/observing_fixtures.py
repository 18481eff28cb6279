"""Fixtures the capture and middleware tests share (their conftests import them)."""

from __future__ import annotations

import pytest

from perfkit.capture.errors import forget_logged_errors
from perfkit.signals import finding_detected


@pytest.fixture(autouse=True)
def fresh_error_log():
    """perfkit logs each distinct error once per process: every test starts afresh."""
    forget_logged_errors()
    yield
    forget_logged_errors()


@pytest.fixture
def received():
    """Findings sent through the signal, with the request they belong to."""
    found = []

    def receiver(sender, finding, request, **kwargs):
        found.append((request, finding))

    finding_detected.connect(receiver)
    yield found
    finding_detected.disconnect(receiver)
