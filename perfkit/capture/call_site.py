"""The user's call site of a query: the first frame outside Django, perfkit and installed
packages (site-packages, the standard library), or outside ``CALL_SITE_EXCLUDE``.

Decisions are cached per code object, so resolving a call site costs one dict lookup per
stack frame. In async code the ORM runs in a worker thread whose stack holds no user
frame; then the suspended coroutines of the scope's asyncio task are read instead (the
task is parked on the ``await`` that led to the query, so its innermost user frame is the
line that awaited).
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import site
import sys
import sysconfig
import threading
from dataclasses import dataclass
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any

import django

_USER = 0
_LIBRARY = 1
_PERFKIT = 2
_THREAD_HOP = 3  # asgiref's SyncToAsync.thread_handler: frames outside it host the thread


@dataclass(frozen=True, slots=True)
class CallSite:
    """Where a query came from. ``in_user_code`` is False when no user frame was found."""

    filename: str
    lineno: int
    function: str
    in_user_code: bool = True

    @property
    def location(self) -> str:
        """``path/to/file.py:LINE``, the path relative to the working directory when below it."""
        return f"{display_path(self.filename)}:{self.lineno}"


UNKNOWN_SITE = CallSite("<unknown>", 0, "<unknown>", in_user_code=False)


@lru_cache(maxsize=1024)
def display_path(filename: str) -> str:
    cwd = os.getcwd()
    if filename.startswith(cwd + os.sep):
        return os.path.relpath(filename, cwd)
    return filename


def _directory(path: str) -> str:
    return os.path.join(os.path.realpath(path), "")


@lru_cache(maxsize=1)
def _library_directories() -> tuple[str, ...]:
    paths = {
        sysconfig.get_paths().get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")
    }
    paths.update(getattr(site, "getsitepackages", list)())
    paths.add(os.path.dirname(django.__file__))
    paths.add(os.path.dirname(asyncio.__file__))
    return tuple(sorted(_directory(path) for path in paths if path))


@lru_cache(maxsize=1)
def _perfkit_directory() -> str:
    # This file is perfkit/capture/call_site.py: perfkit is two levels up.
    return _directory(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class CallSiteResolver:
    """Finds the user's frame on a stack; one instance per ``CALL_SITE_EXCLUDE`` value."""

    def __init__(self, exclude: tuple[str, ...] = ()) -> None:
        self.exclude = exclude
        self._path_patterns = tuple(entry for entry in exclude if _is_path_pattern(entry))
        self._module_prefixes = tuple(entry for entry in exclude if not _is_path_pattern(entry))
        self._kinds: dict[CodeType, int] = {}
        self._lock = threading.Lock()

    def kind(self, frame: FrameType) -> int:
        code = frame.f_code
        kind = self._kinds.get(code)
        if kind is None:
            module = frame.f_globals.get("__name__") or ""
            kind = self._classify(code.co_filename, module, code.co_name)
            with self._lock:
                self._kinds[code] = kind
        return kind

    def _classify(self, filename: str, module: str, code_name: str = "") -> int:
        if not filename or filename.startswith("<"):
            return _LIBRARY
        if module == "asgiref.sync" and code_name == "thread_handler":
            return _THREAD_HOP
        path = os.path.realpath(filename)
        if path.startswith(_perfkit_directory()):
            return _PERFKIT
        if path.startswith(_library_directories()):
            return _LIBRARY
        if os.sep + "site-packages" + os.sep in path or os.sep + "dist-packages" + os.sep in path:
            return _LIBRARY
        for prefix in self._module_prefixes:
            if module == prefix or module.startswith(prefix + "."):
                return _LIBRARY
        for pattern in self._path_patterns:
            if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(display_path(path), pattern):
                return _LIBRARY
        return _USER

    def resolve(
        self, frame: FrameType | None, task: Any = None, boundary: FrameType | None = None
    ) -> CallSite:
        """The call site for a stack whose innermost frame is ``frame``.

        Frames from ``boundary`` outwards (e.g. the middleware and whoever called the
        handler, such as a test client) do not belong to the scope and are not searched.
        """
        fallback: FrameType | None = None
        current = frame
        kinds = self._kinds
        while current is not None and current is not boundary:
            kind = kinds.get(current.f_code)
            if kind is None:
                kind = self.kind(current)
            if kind == _USER:
                return CallSite(
                    current.f_code.co_filename, current.f_lineno, current.f_code.co_name
                )
            if kind == _THREAD_HOP:
                break  # code run by sync_to_async: what called it is in the awaiting task
            if kind == _LIBRARY and fallback is None:
                fallback = current
            current = current.f_back
        if task is not None:
            awaited = self._innermost_user_frame_of(task, boundary)
            if awaited is not None:
                return awaited
        if fallback is None:
            return UNKNOWN_SITE
        code = fallback.f_code
        return CallSite(code.co_filename, fallback.f_lineno, code.co_name, in_user_code=False)

    def _innermost_user_frame_of(self, task: Any, boundary: FrameType | None) -> CallSite | None:
        try:
            awaitable = task.get_coro()
        except Exception:  # a finished or foreign task: nothing to read
            return None
        found: CallSite | None = None
        for _ in range(200):  # a chain of awaits is never this deep; guards against cycles
            frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
            if frame is None:
                break
            if frame is boundary:
                found = None  # only frames awaited from inside the scope count
            elif self.kind(frame) == _USER:
                found = CallSite(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
            awaitable = getattr(awaitable, "cr_await", None) or getattr(
                awaitable, "gi_yieldfrom", None
            )
            if awaitable is None:
                break
        return found


def _is_path_pattern(entry: str) -> bool:
    return "/" in entry or os.sep in entry or entry.endswith(".py") or "*" in entry


_resolvers: dict[tuple[str, ...], CallSiteResolver] = {}


def resolver_for(exclude: tuple[str, ...]) -> CallSiteResolver:
    """The shared resolver for one ``CALL_SITE_EXCLUDE`` value (its cache survives scopes)."""
    resolver = _resolvers.get(exclude)
    if resolver is None:
        resolver = _resolvers.setdefault(exclude, CallSiteResolver(exclude))
    return resolver


def current_task() -> Any:
    """The running asyncio task, or None outside an event loop."""
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


def caller_frame(depth: int = 1) -> FrameType:
    return sys._getframe(depth + 1)
