from __future__ import annotations

import pytest

from perfkit.signals import finding_detected


@pytest.fixture
def received():
    """Findings sent through the signal, with the request they belong to."""
    found = []

    def receiver(sender, finding, request, **kwargs):
        found.append((request, finding))

    finding_detected.connect(receiver)
    yield found
    finding_detected.disconnect(receiver)
