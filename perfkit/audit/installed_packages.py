"""Which installed apps are the project's own, and which come from installed packages.

An app whose module lies in an installed-packages directory (``site-packages``,
``dist-packages``, the interpreter's ``purelib``/``platlib`` or the standard library) is
a third-party app: Django's contrib apps, Wagtail, taggit. Its models and migrations are
rewritten by the next upgrade of the package, so perfkit never edits them: ``perfindex``
refuses, ``perfaudit --fix`` skips them, and ``perfaudit`` labels their findings and
leaves them out of its exit status unless asked. This module is the one place that
decides; everything else asks :func:`third_party_app`.
"""

from __future__ import annotations

import os
import site
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.apps import apps

_PACKAGE_DIRECTORY_NAMES = frozenset({"site-packages", "dist-packages"})


@dataclass(frozen=True)
class ThirdPartyApp:
    """An installed app that comes from a package: its label, module and directory."""

    label: str
    module: str
    path: str

    def describe(self) -> str:
        return f"the app {self.label!r} ({self.module}, installed in {self.path})"


@lru_cache(maxsize=1)
def _package_directories() -> tuple[Path, ...]:
    names = {
        sysconfig.get_paths().get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")
    }
    names.update(getattr(site, "getsitepackages", list)())
    return tuple(Path(os.path.realpath(name)) for name in names if name)


def is_package_path(path: str) -> bool:
    """Whether ``path`` lies in an installed-packages directory."""
    resolved = Path(os.path.realpath(path))
    if _PACKAGE_DIRECTORY_NAMES.intersection(resolved.parts):
        return True
    return any(resolved.is_relative_to(directory) for directory in _package_directories())


def third_party_app(app_label: str) -> ThirdPartyApp | None:
    """The app ``app_label`` if it comes from an installed package; None for the
    project's own apps (and for labels that name no installed app)."""
    try:
        config = apps.get_app_config(app_label)
    except LookupError:
        return None
    if not is_package_path(config.path):
        return None
    return ThirdPartyApp(config.label, config.name, config.path)


def is_project_app(app_label: str) -> bool:
    return third_party_app(app_label) is None
