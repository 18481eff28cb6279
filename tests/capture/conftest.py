from __future__ import annotations

import pytest

from perfkit.capture.errors import forget_logged_errors


@pytest.fixture(autouse=True)
def fresh_error_log():
    """perfkit logs each distinct error once per process: every test starts afresh."""
    forget_logged_errors()
    yield
    forget_logged_errors()
