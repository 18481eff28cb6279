"""pytest plugin for the DRF pagination gate: DRF's paginators replaced by perfkit's.

DRF's ``tests/test_pagination.py`` reaches its paginators as attributes of the module
(``pagination.PageNumberPagination``, in ``setup_method``), so replacing those attributes
once Django is set up, before any test module is collected, makes every test that
subclasses or builds one use perfkit's class. ``LimitOffsetPagination`` stays DRF's:
perfkit has none. After collection the run stops if a collected test module sees other
classes than perfkit's (the gate would then test DRF against itself).
"""

from __future__ import annotations

import pytest

SWAPPED = ("PageNumberPagination", "CursorPagination")


# trylast: after DRF's conftest has configured settings and called django.setup() in its
# own pytest_configure (rest_framework.pagination imports Django's template machinery).
@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    from rest_framework import pagination

    import perfkit.pagination

    for name in SWAPPED:
        setattr(pagination, name, getattr(perfkit.pagination, name))


def pytest_collection_finish(session: pytest.Session) -> None:
    import perfkit.pagination

    for item in session.items:
        module = getattr(item, "module", None)
        seen = getattr(module, "pagination", None)
        if getattr(seen, "__name__", None) != "rest_framework.pagination":
            continue
        for name in SWAPPED:
            if getattr(seen, name) is not getattr(perfkit.pagination, name):
                raise pytest.UsageError(
                    f"{item.nodeid} sees {getattr(seen, name)!r} as pagination.{name}, "
                    "not perfkit's"
                )
