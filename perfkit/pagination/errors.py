"""What a paginator raises: :class:`InvalidPagination` (a 4xx) for bad client input, and
:class:`PaginatorMisconfigured` and its children (Django's ``ImproperlyConfigured``) for a
paginator or view that cannot work as written. The system checks in
:mod:`perfkit.pagination.checks` report the same configuration problems at start-up."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import NotFound

from perfkit.conf import perfkit_settings
from perfkit.exceptions import PerfkitError

# Positions and page numbers past this many digits are refused before int() sees them.
MAX_DIGITS = 18


class InvalidPagination(NotFound):
    """An invalid page or cursor. A :class:`~rest_framework.exceptions.NotFound`, as DRF's
    paginators raise, so code that catches ``NotFound`` keeps working; its status comes
    from ``PERFKIT["PAGINATION_INVALID_STATUS"]`` (404, or 400) when it is raised."""

    def __init__(self, detail: Any, code: str | None = None) -> None:
        super().__init__(detail, code)
        self.status_code = perfkit_settings.PAGINATION_INVALID_STATUS


class PaginatorMisconfigured(PerfkitError, ImproperlyConfigured):
    """A paginator attribute, or the ordering it pages by, that cannot work."""


class UnusableOrderingEntry(PaginatorMisconfigured):
    """An ordering entry that is neither a field path nor ``F(...).asc()/desc()``, or a
    path that ends where no column is (a reverse relation, a generic foreign key, a
    transform)."""


class UnknownOrderingField(PaginatorMisconfigured):
    """An ordering path that names no field of the model and no annotation."""


class MultiValuedOrdering(PaginatorMisconfigured):
    """An ordering path through a reverse foreign key or a many-to-many relation: a row
    has many values there, so it has no single position."""


class InvalidNullsPlacement(PaginatorMisconfigured):
    """A ``nulls`` entry other than ``"first"`` or ``"last"``."""


class UnsupportedOrderingType(PaginatorMisconfigured):
    """An ordering term whose values a cursor cannot carry (JSON, binary, files...)."""


class InvalidPaginatorAttribute(PaginatorMisconfigured):
    """A ``count_strategy`` or per-view limit that the paginator does not accept."""


def positive_int(raw: Any) -> int | None:
    """``raw`` as a positive whole number of at most :data:`MAX_DIGITS` ASCII digits,
    or None."""
    text = str(raw).strip()
    # ASCII only: str.isdigit() also accepts "²", which int() then refuses.
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_DIGITS or int(text) < 1:
        return None
    return int(text)
