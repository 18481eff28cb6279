"""pytest plugin for the DRF suite gate: add "perfkit" to the settings DRF's tests build.

DRF's ``tests/conftest.py`` calls ``settings.configure(INSTALLED_APPS=(...))`` in its
``pytest_configure``. perfkit's plugin only observes where "perfkit" is an installed app,
so before that hook runs, ``LazySettings.configure`` is wrapped to append it. The wrapper
removes itself on its one call; nothing else in DRF's settings changes and DRF's files
stay as shipped. The run stops if DRF configured its settings some other way.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import LazySettings, global_settings, settings

APP = "perfkit"
_original_configure = LazySettings.configure


def configure_with_perfkit(
    self: LazySettings, default_settings: Any = global_settings, **options: Any
) -> None:
    LazySettings.configure = _original_configure  # type: ignore[method-assign]
    options["INSTALLED_APPS"] = (*options.get("INSTALLED_APPS", ()), APP)
    _original_configure(self, default_settings, **options)


# pytest_configure is a historic hook, which takes no wrapper: install before every other
# implementation (DRF's conftest among them) and check once configuration is over.
@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    LazySettings.configure = configure_with_perfkit  # type: ignore[method-assign]


def pytest_sessionstart(session: pytest.Session) -> None:
    if LazySettings.configure is configure_with_perfkit:
        LazySettings.configure = _original_configure  # type: ignore[method-assign]
    if not settings.configured or APP not in settings.INSTALLED_APPS:
        raise pytest.UsageError(
            f"{__name__}: DRF's conftest did not call settings.configure() in "
            f"pytest_configure, so {APP!r} is not in INSTALLED_APPS and the gate would "
            "test nothing"
        )
