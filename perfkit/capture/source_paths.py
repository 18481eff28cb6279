"""Where a source file belongs, and how its path is shown.

A path is shown relative to the project root when it is the project's, and relative to
the directory it was installed in when it is a library's (``django/db/models/query.py``,
``wagtail/admin/templates/wagtailadmin/home.html``): the same text on every machine, in
the log line, the toolbar panel and the pytest summary. Anything else stays absolute.

The project root is the working directory (where ``manage.py`` and pytest run), and for
files outside it the directory that holds the settings package (a server started
elsewhere).
"""

from __future__ import annotations

import asyncio
import os
import site
import sys
import sysconfig
from functools import lru_cache

import django


def _directory(path: str) -> str:
    return os.path.join(os.path.realpath(path), "")


@lru_cache(maxsize=1)
def standard_library_directories() -> tuple[str, ...]:
    paths = {sysconfig.get_paths().get(key) for key in ("stdlib", "platstdlib")}
    paths.add(os.path.dirname(asyncio.__path__[0]))
    return tuple(sorted({_directory(path) for path in paths if path}, key=len, reverse=True))


@lru_cache(maxsize=1)
def library_directories() -> tuple[str, ...]:
    """Where installed code lives, longest first (a virtualenv may sit inside the project)."""
    paths = {sysconfig.get_paths().get(key) for key in ("purelib", "platlib")}
    paths.update(getattr(site, "getsitepackages", list)())
    user_site = getattr(site, "getusersitepackages", lambda: None)()
    if isinstance(user_site, str):
        paths.add(user_site)
    paths.add(os.path.dirname(os.path.dirname(django.__file__)))
    found = {_directory(path) for path in paths if path}
    found.update(standard_library_directories())
    return tuple(sorted(found, key=len, reverse=True))


def is_library_path(path: str) -> bool:
    """True for the standard library and installed packages (``path`` is a real path)."""
    if path.startswith(library_directories()):
        return True
    return os.sep + "site-packages" + os.sep in path or os.sep + "dist-packages" + os.sep in path


def project_roots() -> tuple[str, ...]:
    """The working directory, then the directory holding the settings package."""
    cwd, settings_root = os.getcwd(), _settings_root()
    roots = _roots.get((cwd, settings_root))
    if roots is None:  # resolving the links of every directory in the path: once
        real = _directory(cwd)
        roots = (real, settings_root) if settings_root and settings_root != real else (real,)
        if len(_roots) >= 64:
            _roots.clear()
        _roots[(cwd, settings_root)] = roots
    return roots


_roots: dict[tuple[str, str | None], tuple[str, ...]] = {}


_settings_roots: list[str] = []


def _settings_root() -> str | None:
    """The directory holding the settings package (found once settings are configured)."""
    if not _settings_roots:
        name = _settings_module()
        module = sys.modules.get(name or "")
        filename = getattr(module, "__file__", None)
        if not name or not filename:
            return None
        root = os.path.realpath(filename)
        for _ in range(name.count(".") + 1):
            root = os.path.dirname(root)
        _settings_roots.append(_directory(root))
    return _settings_roots[0]


def _settings_module() -> str | None:
    from django.conf import settings

    try:
        # override_settings() wraps the settings in holders that say None here.
        holder = getattr(settings, "_wrapped", None) if settings.configured else None
        for _ in range(20):
            name = getattr(holder, "SETTINGS_MODULE", None)
            if name or holder is None:
                break
            holder = getattr(holder, "default_settings", None)
    except Exception:  # settings that cannot be read
        return None
    return name or os.environ.get("DJANGO_SETTINGS_MODULE")


@lru_cache(maxsize=2048)
def display_path(filename: str) -> str:
    """``filename`` relative to its library directory or to the project root."""
    if not filename or filename.startswith("<"):
        return filename
    path = os.path.realpath(filename)
    for directory in library_directories():
        if path.startswith(directory):
            return path[len(directory) :]
    for root in project_roots():
        if path.startswith(root):
            return path[len(root) :]
    return filename


def real_path(shown: str) -> str | None:
    """The file a shown path names: as given, below the project root, or in a library
    directory; None when there is no such file. A file found is remembered (per working
    directory): a finding's location is looked up again and again."""
    key = (shown, os.getcwd())
    found = _found_files.get(key)
    if found is not None and os.path.isfile(found):
        return found
    found = _real_path(shown)
    if found is not None:
        if len(_found_files) >= 1024:
            _found_files.clear()
        _found_files[key] = found
    return found


_found_files: dict[tuple[str, str], str] = {}


def _real_path(shown: str) -> str | None:
    candidates = [shown]
    if not os.path.isabs(shown):
        candidates.extend(os.path.join(root, shown) for root in project_roots())
        candidates.extend(os.path.join(directory, shown) for directory in library_directories())
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    return None
