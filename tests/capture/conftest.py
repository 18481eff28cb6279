from __future__ import annotations

from tests.observing_fixtures import fresh_error_log, received  # noqa: F401 (fixtures)
