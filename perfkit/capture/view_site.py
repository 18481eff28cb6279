"""Where a request's view is defined: the location of findings that have no frame in
user code (queries made inside a DRF serializer or a template, say)."""

from __future__ import annotations

import inspect
from typing import Any

from perfkit.capture.call_site import CallSite

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
        site = CallSite(filename, line, name) if filename else None
    except (OSError, TypeError):
        site = None
    _view_sites[func] = site
    return site
