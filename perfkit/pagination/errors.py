"""The 4xx a paginator answers bad input with: 404 like DRF by default, or 400."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import APIException

from perfkit.conf import perfkit_settings


class InvalidPagination(APIException):
    """An invalid page, page size or cursor. Its status comes from
    ``PERFKIT["PAGINATION_INVALID_STATUS"]`` at the time it is raised."""

    status_code = 404
    default_detail = "Invalid page."
    default_code = "invalid_page"

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail, code)
        self.status_code = perfkit_settings.PAGINATION_INVALID_STATUS


def positive_int(raw: Any, name: str) -> int:
    """``raw`` as a positive int, or an :class:`InvalidPagination` naming ``name``."""
    text = str(raw).strip()
    # ASCII only: str.isdigit() also accepts "²", which int() then refuses.
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) < 1:
        raise InvalidPagination(f"Invalid {name}: expected a positive whole number.")
    return int(text)
