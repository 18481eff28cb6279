"""The view of a request, and where that view builds its queryset.

``view_site(request)`` is the view's ``def`` (or ``class``) line: the location of what
concerns the whole request (query budgets) and of a finding whose queries left no line
at all. ``queryset_target(view, model)`` is what a fix names: the view's own
``get_queryset()``, else its ``queryset`` attribute, else the line of a view function
that names the model; None when the view is not the project's.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from perfkit.capture.call_site import CallSite, is_project_file
from perfkit.capture.declarations import attribute_line, class_source, method_line
from perfkit.capture.site_details import ViewDetail
from perfkit.capture.source_paths import display_path

_view_sites: dict[Any, CallSite | None] = {}


def view_site(request: Any) -> CallSite | None:
    """The ``def`` (or ``class``) line of the view that ``request`` resolved to, or None
    before URL resolution or when the view has no readable source."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    func = match.func
    if func in _view_sites:
        return _view_sites[func]
    target = getattr(func, "cls", None) or getattr(func, "view_class", None)
    target = target or inspect.unwrap(func)
    site: CallSite | None
    try:
        filename = inspect.getsourcefile(target)
        line = inspect.getsourcelines(target)[1]
        name = getattr(target, "__qualname__", "view")
        site = CallSite(filename, line, name, detail=ViewDetail(target)) if filename else None
    except (OSError, TypeError):
        site = None
    _view_sites[func] = site
    return site


@dataclass(frozen=True)
class QuerysetTarget:
    """Where a view builds the rows a fix applies to: ``name`` and ``location``."""

    name: str  # "BookListView.get_queryset()", "BookListView.queryset", "book_list"
    location: str  # "path/to/views.py:LINE"

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"


def queryset_target(view: ViewDetail, model_name: str) -> QuerysetTarget | None:
    """The place in the project where ``view`` builds its ``model_name`` queryset."""
    subject = view.view
    if isinstance(subject, type):
        return _class_target(subject)
    return _function_target(subject, model_name)


@lru_cache(maxsize=256)
def _class_target(view_class: type) -> QuerysetTarget | None:
    project_classes = [
        klass
        for klass in view_class.__mro__
        if (source := class_source(klass)) is not None and is_project_file(source.filename)
    ]
    for klass in project_classes:
        line = method_line(klass, "get_queryset")
        if line is not None:
            return _at(klass, f"{klass.__qualname__}.get_queryset()", line)
    for klass in project_classes:
        line = attribute_line(klass, "queryset")
        if line is not None:
            return _at(klass, f"{klass.__qualname__}.queryset", line)
    if project_classes:
        first = project_classes[0]
        source = class_source(first)
        if source is not None:
            return _at(first, f"the queryset of {first.__qualname__}", source.line)
    return None


def _at(klass: type, name: str, line: int) -> QuerysetTarget | None:
    source = class_source(klass)
    if source is None:
        return None
    return QuerysetTarget(name, f"{display_path(source.filename)}:{line}")


def _function_target(function: Any, model_name: str) -> QuerysetTarget | None:
    try:
        target = inspect.unwrap(function)
        filename = inspect.getsourcefile(target)
        lines, first = inspect.getsourcelines(target)
    except (OSError, TypeError):
        return None
    if not filename or not is_project_file(filename):
        return None
    line = _line_naming(textwrap.dedent("".join(lines)), model_name)
    name = f"the queryset in {getattr(target, '__qualname__', 'the view')}"
    return QuerysetTarget(name, f"{display_path(filename)}:{first + (line or 1) - 1}")


@lru_cache(maxsize=256)
def _line_naming(source: str, model_name: str) -> int | None:
    """The first line (1-based, within ``source``) that names ``model_name``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    lines = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id == model_name and isinstance(node.ctx, ast.Load)
    ]
    return min(lines) if lines else None
