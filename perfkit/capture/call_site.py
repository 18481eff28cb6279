"""The call site of a query: the line a person edits.

Walking out from the query, the first of these wins:

- a frame of the project (outside Django, perfkit, installed packages and the standard
  library, and outside ``CALL_SITE_EXCLUDE``): that line. When a template, a serializer
  field or the admin called it a few frames out (a model method a template reads, a
  ``SerializerMethodField``, a ``list_display`` callable), the site says so;
- a line of the project found through a frame that renders it: the template line of a
  ``{{ }}``/``{% %}`` (Django's engine or Jinja2), the declaration of the DRF serializer
  field being read, the admin's ``list_display`` entry or inline field
  (:mod:`~perfkit.capture.template_site`, :mod:`~perfkit.capture.serializer_site`,
  :mod:`~perfkit.capture.admin_site`).

With neither, the query came from library code only: the innermost such template,
serializer or admin line, else the innermost library frame outside the ORM and the
database layer, labelled as library code. In async code the ORM runs in a worker thread
(``sync_to_async``) whose stack holds no frame of the code that awaited; the awaiting
coroutine is found instead (:mod:`~perfkit.capture.awaiting`).

What each code object is gets decided once and cached, so the walk costs a dict lookup
per frame; frame locals are read only on the few frames that render templates,
serializers, admin rows or views.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any

from perfkit.capture.admin_site import changelist_column_mark, inline_field_mark
from perfkit.capture.awaiting import awaiting_frame
from perfkit.capture.serializer_site import serializer_field_mark
from perfkit.capture.site_details import (
    CalledFrom,
    MarkedLine,
    SerializerFieldDetail,
    SiteDetail,
    TemplateDetail,
    ViewDetail,
    view_of,
)
from perfkit.capture.source_paths import (
    display_path,
    is_library_path,
    library_directories,
    standard_library_directories,
)
from perfkit.capture.template_site import (
    django_template_line,
    jinja_template_line,
    template_mark,
)

# What a code object is (cached per code object). Most frames are skipped: 0, so the
# walk tests them with one truth test.
_SKIPPED = 0  # perfkit, the ORM and database layer, the standard library, asgiref
_USER = 1
_LIBRARY = 2  # installed code: the location when no frame of the project made the query
_THREAD_HOP = 3  # asgiref's SyncToAsync.thread_handler: frames outside it host the thread
_VIEW_ENTRY = 4  # Django's View.as_view() closure: knows the class-based view that runs
_DJANGO_TEMPLATE = 5  # Node.render_annotated: one {{ }} or {% %} of a template
_JINJA_TEMPLATE = 6  # code compiled from a Jinja2 template
_SERIALIZER = 7  # DRF's Serializer.to_representation: reads one field at a time
_CHANGELIST_ROW = 8  # the admin's items_for_result: shows one list_display entry at a time
_FIRST_MARK = _DJANGO_TEMPLATE

_FRAMES_BY_NAME = {
    ("asgiref.sync", "thread_handler"): _THREAD_HOP,
    ("django.views.generic.base", "view"): _VIEW_ENTRY,
    ("django.template.base", "render_annotated"): _DJANGO_TEMPLATE,
    ("rest_framework.serializers", "to_representation"): _SERIALIZER,
    ("django.contrib.admin.templatetags.admin_list", "items_for_result"): _CHANGELIST_ROW,
}
# Library modules that are never the interesting line: they run every query.
_PLUMBING = ("django.db", "django.utils.functional", "asgiref")
# How far out of a project line to look for the template, serializer or admin around it:
# a model method a template reads is 5 frames inside the template node.
_CALLER_FRAMES = 6
_PLAIN_SITES_KEPT = 4096


@dataclass(frozen=True, slots=True)
class CallSite:
    """Where a query came from.

    ``filename``/``lineno`` is a Python line or a template line; ``in_user_code`` is True
    when it is the project's and False for library code (and for ``UNKNOWN_SITE``);
    ``detail`` says what the line belongs to (a template, a serializer field, the admin,
    a view), when the stack said.
    """

    filename: str
    lineno: int
    function: str
    in_user_code: bool = True
    detail: SiteDetail | None = None

    @property
    def location(self) -> str:
        """``path/to/file.py:LINE``, relative to the project root, or for library code to
        the directory it is installed in (``django/db/models/query.py:LINE``)."""
        return f"{display_path(self.filename)}:{self.lineno}"

    @property
    def known(self) -> bool:
        return self.lineno > 0

    @property
    def label(self) -> str:
        """A few words on what the location is: ``ClassSerializer.teacher``, ``template
        rendered by ClassListView``, ``library code``; empty for a plain project line."""
        detail = self.detail.label if self.detail is not None else ""
        if self.in_user_code or not self.known:
            return detail
        return f"library code, {detail}" if detail else "library code"


UNKNOWN_SITE = CallSite("<unknown>", 0, "<unknown>", in_user_code=False)


@lru_cache(maxsize=1)
def _perfkit_directory() -> str:
    # This file is perfkit/capture/call_site.py: perfkit is two levels up.
    return os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "")


@lru_cache(maxsize=4096)
def is_project_file(filename: str) -> bool:
    """True for a file of the project (not installed code, not perfkit, not in memory)."""
    if not filename or filename.startswith("<"):
        return False
    path = os.path.realpath(filename)
    return not path.startswith(_perfkit_directory()) and not is_library_path(path)


def _is_standard_library(path: str) -> bool:
    site_packages = next((d for d in library_directories() if path.startswith(d)), "")
    standard = next((d for d in standard_library_directories() if path.startswith(d)), "")
    return bool(standard) and len(standard) >= len(site_packages)


class CallSiteResolver:
    """Finds the call site on a stack; one instance per ``CALL_SITE_EXCLUDE`` value."""

    def __init__(self, exclude: tuple[str, ...] = ()) -> None:
        self.exclude = exclude
        self._path_patterns = tuple(entry for entry in exclude if _is_path_pattern(entry))
        self._module_prefixes = tuple(entry for entry in exclude if not _is_path_pattern(entry))
        # Keyed by id(code): hashing a code object hashes its constants every time (0.4 us
        # for one of Django's larger functions), and a walk looks up a dozen. The codes
        # are kept, so that no id is reused while it is a key.
        self._kinds: dict[int, int] = {}
        self._classified: list[CodeType] = []
        self._plain_sites: dict[tuple[int, int], CallSite] = {}
        self._lock = threading.Lock()

    def kind(self, frame: FrameType) -> int:
        code = frame.f_code
        kind = self._kinds.get(id(code))
        if kind is None:
            kind = self._classify(frame)
            with self._lock:
                if id(code) not in self._kinds:
                    self._classified.append(code)
                    self._kinds[id(code)] = kind
        return kind

    def is_user(self, frame: FrameType) -> bool:
        return self.kind(frame) == _USER

    def _classify(self, frame: FrameType) -> int:
        code = frame.f_code
        filename = code.co_filename
        module = frame.f_globals.get("__name__") or ""
        if "__jinja_template__" in frame.f_globals:
            return _JINJA_TEMPLATE
        marked = _FRAMES_BY_NAME.get((module, code.co_name))
        if marked is not None:
            return marked
        if not filename or filename.startswith("<"):
            return _SKIPPED
        path = os.path.realpath(filename)
        if path.startswith(_perfkit_directory()):
            return _SKIPPED
        if is_library_path(path):
            if module.startswith(_PLUMBING) or _is_standard_library(path):
                return _SKIPPED
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
        ``task`` is the scope's asyncio task, if it was opened in one.
        """
        library_frame: FrameType | None = None
        library_mark: MarkedLine | None = None
        view: ViewDetail | None = None  # the view a frame or an outer template names
        hop: FrameType | None = None
        current = frame
        kinds = self._kinds
        while current is not None and current is not boundary:
            kind = kinds.get(id(current.f_code))
            if kind is None:
                kind = self.kind(current)
            if not kind:  # _SKIPPED: most frames
                current = current.f_back
                continue
            if kind == _USER:
                return self._project_line(current, boundary)
            if kind >= _FIRST_MARK:
                mark = self._read_mark(kind, current, view, first=library_mark is None)
                if mark is not None:
                    if mark.in_project:
                        return _site_of(mark)
                    if library_mark is None:
                        library_mark = mark
                    elif view is None:  # an included template's context may lack the view
                        view = view_of(mark.detail)
            elif kind == _LIBRARY:
                library_frame = library_frame or current
            elif kind == _VIEW_ENTRY:
                view = view or _view_entry(current)
            elif kind == _THREAD_HOP:
                hop = current
                break  # code run by sync_to_async: what called it is in the awaiting task
            current = current.f_back
        if hop is not None or task is not None:
            awaited = awaiting_frame(hop, task, self.is_user, boundary)
            if awaited is not None:
                code = awaited.f_code
                return CallSite(code.co_filename, awaited.f_lineno, code.co_name)
        if library_mark is not None:
            return _site_of(library_mark, view)
        if library_frame is not None:
            code = library_frame.f_code
            return CallSite(code.co_filename, library_frame.f_lineno, code.co_name, False, view)
        return UNKNOWN_SITE

    def _project_line(self, frame: FrameType, boundary: FrameType | None) -> CallSite:
        """The site of a project frame, with the template, serializer field or admin
        entry that called it when one is a few frames out."""
        caller = frame.f_back
        kinds = self._kinds
        for _ in range(_CALLER_FRAMES):
            if caller is None or caller is boundary:
                break
            kind = kinds.get(id(caller.f_code))
            if kind is None:
                kind = self.kind(caller)
            if kind in (_USER, _THREAD_HOP):
                break
            if kind >= _FIRST_MARK:
                mark = self._read_mark(kind, caller, None, first=True)
                if mark is not None:
                    code = frame.f_code
                    around = CalledFrom(mark.detail, f"{display_path(mark.filename)}:{mark.line}")
                    return CallSite(code.co_filename, frame.f_lineno, code.co_name, True, around)
            caller = caller.f_back
        # The same line queries again and again in an N+1: build its site once. (The code
        # was classified as the project's, so it is kept: its id stays its own.)
        key = (id(frame.f_code), frame.f_lineno)
        site = self._plain_sites.get(key)
        if site is None:
            code = frame.f_code
            site = CallSite(code.co_filename, frame.f_lineno, code.co_name)
            if len(self._plain_sites) >= _PLAIN_SITES_KEPT:
                self._plain_sites.clear()
            self._plain_sites[key] = site
        return site

    def _read_mark(
        self, kind: int, frame: FrameType, view: ViewDetail | None, *, first: bool
    ) -> MarkedLine | None:
        """The line a template, serializer or admin frame points at. ``first`` is True for
        the innermost such frame seen so far: only there is a library template's context
        searched for an admin inline (the project's inline class is the line to edit)."""
        try:
            if kind == _SERIALIZER:
                return serializer_field_mark(frame, is_project_file)
            if kind == _CHANGELIST_ROW:
                return changelist_column_mark(frame, is_project_file)
            found = (
                django_template_line(frame)
                if kind == _DJANGO_TEMPLATE
                else jinja_template_line(frame)
            )
            if found is None:
                return None
            in_project = is_project_file(found[0])
            if not in_project and first:
                inline = inline_field_mark(found[3], is_project_file)
                if inline is not None:
                    return inline
            return template_mark(found, in_project, view)
        except Exception:  # a frame not shaped as expected: read it as plain library code
            return None


_marked_sites: dict[int, tuple[MarkedLine, ViewDetail | None, CallSite]] = {}


def _site_of(mark: MarkedLine, view: ViewDetail | None = None) -> CallSite:
    """The call site of a marked line (one object per line: the readers reuse theirs)."""
    kept = _marked_sites.get(id(mark))
    if kept is not None and kept[0] is mark and kept[1] == view:
        return kept[2]
    detail: SiteDetail = mark.detail
    if view is not None and isinstance(detail, TemplateDetail | SerializerFieldDetail):
        detail = detail.or_view(view)
    site = CallSite(mark.filename, mark.line, mark.function, mark.in_project, detail)
    if len(_marked_sites) >= _PLAIN_SITES_KEPT:
        _marked_sites.clear()
    _marked_sites[id(mark)] = (mark, view, site)  # holding ``mark`` keeps its id unique
    return site


def _view_entry(frame: FrameType) -> ViewDetail | None:
    view_class = frame.f_locals.get("cls")  # as_view()'s closure holds the view class
    return ViewDetail(view_class) if isinstance(view_class, type) else None


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
    """The running asyncio task, or None outside an event loop (asked without raising:
    every scope asks, and most run outside a loop)."""
    if asyncio.events._get_running_loop() is None:
        return None
    return asyncio.current_task()


def caller_frame(depth: int = 1) -> FrameType:
    return sys._getframe(depth + 1)
