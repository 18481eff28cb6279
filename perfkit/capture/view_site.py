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
from perfkit.capture.declarations import class_source
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
    """Where a view builds the rows a fix applies to: ``name`` and ``location``;
    ``names`` and ``strings`` are the identifiers and string literals of that code."""

    name: str  # "BookListView.get_queryset()", "BookListView.queryset", "book_list"
    location: str  # "path/to/views.py:LINE"
    names: frozenset[str] = frozenset()
    strings: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"


def queryset_target(
    view: ViewDetail, model_name: str = "", mentioning: str = ""
) -> QuerysetTarget | None:
    """The place in the project where ``view`` builds its queryset; None when the view is
    not the project's, or when that code does not name ``model_name`` (the model whose
    rows a fix joins from) or the string ``mentioning`` (the path an unused eager load
    names): then the rows came from somewhere else."""
    subject = view.view
    if isinstance(subject, type):
        target = _class_target(subject)
    else:
        target = _function_target(subject, model_name)
    if target is None:
        return None
    if model_name and model_name not in target.names:
        return None
    if mentioning and mentioning not in target.strings:
        return None
    return target


@lru_cache(maxsize=256)
def _class_target(view_class: type) -> QuerysetTarget | None:
    project_classes = [
        klass
        for klass in view_class.__mro__
        if (source := class_source(klass)) is not None and is_project_file(source.filename)
    ]
    for klass in project_classes:
        source = class_source(klass)
        assert source is not None
        for node in source.body.body:
            if isinstance(node, ast.FunctionDef) and node.name == "get_queryset":
                return _target(f"{klass.__qualname__}.get_queryset()", source.filename, node)
    for klass in project_classes:
        source = class_source(klass)
        assert source is not None
        for node in source.body.body:
            if isinstance(node, ast.Assign) and "queryset" in _assigned_names(node):
                return _target(f"{klass.__qualname__}.queryset", source.filename, node)
    if project_classes:
        source = class_source(project_classes[0])
        assert source is not None
        name = f"the queryset of {project_classes[0].__qualname__}"
        return _target(name, source.filename, source.body)
    return None


def _assigned_names(node: ast.Assign) -> set[str]:
    return {target.id for target in node.targets if isinstance(target, ast.Name)}


def _target(name: str, filename: str, node: ast.AST) -> QuerysetTarget:
    names, strings = _names_and_strings(node)
    line = getattr(node, "lineno", 0)
    return QuerysetTarget(name, f"{display_path(filename)}:{line}", names, strings)


def _names_and_strings(node: ast.AST) -> tuple[frozenset[str], frozenset[str]]:
    names, strings = set(), set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            names.add(child.id)
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            strings.add(child.value)
    return frozenset(names), frozenset(strings)


@lru_cache(maxsize=256)
def _function_target(function: Any, model_name: str) -> QuerysetTarget | None:
    """(Parsing the view's source is done once per view and model: a view with an N+1
    has it on every request.)"""
    try:
        target = inspect.unwrap(function)
        filename = inspect.getsourcefile(target)
        lines, first = inspect.getsourcelines(target)
    except (OSError, TypeError):
        return None
    if not filename or not is_project_file(filename):
        return None
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return None
    naming = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id == model_name and isinstance(node.ctx, ast.Load)
    ]
    names, strings = _names_and_strings(tree)
    line = first + (min(naming) if naming else 1) - 1
    name = f"the queryset in {getattr(target, '__qualname__', 'the view')}"
    return QuerysetTarget(name, f"{display_path(filename)}:{line}", names, strings)
