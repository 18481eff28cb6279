"""DRF paginators: a true keyset :class:`CursorPagination` and a
:class:`PageNumberPagination` with cheap counts. Needs the ``drf`` extra; this package is
the only part of perfkit that imports rest_framework."""

from perfkit.pagination.cursor import CursorPagination
from perfkit.pagination.page_number import PageNumberPagination

__all__ = ["CursorPagination", "PageNumberPagination"]
