"""A module standing for a project's own query helpers (see CALL_SITE_EXCLUDE tests)."""

from __future__ import annotations

from testproject.school.models import Class


def count_classes() -> int:
    return Class.objects.count()
