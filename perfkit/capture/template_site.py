"""The template line behind a query, read from the frames that render it.

Django's engine renders every ``{{ }}`` and ``{% %}`` through ``Node.render_annotated``,
whose ``self`` knows its template (``origin.name``) and line (``token.lineno``); the
innermost such frame is the tag that ran, inside an ``{% include %}``, an
``{% extends %}`` block or an inclusion tag's own template alike. Jinja2 compiles a
template to Python whose globals hold the template, which maps the compiled line back to
the template's own (its debug info). Nothing is patched: the stack already says it.
"""

from __future__ import annotations

from functools import lru_cache
from types import FrameType
from typing import Any

from perfkit.capture.site_details import MarkedLine, TemplateDetail, ViewDetail

_KEPT = 4096
_marks: dict[tuple[Any, ...], MarkedLine] = {}


def view_class_in_context(context: Any) -> type | None:
    """The class of the view a template context names (``ContextMixin`` puts it there)."""
    try:
        view = context.get("view")
    except Exception:  # a context of another kind: no view to read
        return None
    if view is None or isinstance(view, str | int | float):
        return None
    return type(view)


def django_template_line(frame: FrameType) -> tuple[str, int, str, Any] | None:
    """``(filename, line, template name, context)`` of a ``Node.render_annotated`` frame,
    or None for a template without a file (``Template("...")`` in code)."""
    scope = frame.f_locals
    node = scope.get("self")
    origin = getattr(node, "origin", None)
    filename = getattr(origin, "name", None)
    line = getattr(getattr(node, "token", None), "lineno", None)
    if not isinstance(filename, str) or filename.startswith("<") or not isinstance(line, int):
        return None
    name = getattr(origin, "template_name", None) or filename
    return filename, line, str(name), scope.get("context")


def jinja_template_line(frame: FrameType) -> tuple[str, int, str, Any] | None:
    """The same for a frame of a compiled Jinja2 template."""
    template = frame.f_globals.get("__jinja_template__")
    filename = getattr(template, "filename", None) or frame.f_code.co_filename
    if template is None or not filename or filename.startswith("<"):
        return None
    line = _jinja_line(template, frame.f_lineno)
    name = getattr(template, "name", None) or filename
    return filename, line, str(name), frame.f_locals.get("context")


@lru_cache(maxsize=4096)
def _jinja_line(template: Any, compiled_line: int) -> int:
    try:
        return int(template.get_corresponding_lineno(compiled_line))
    except Exception:  # no debug info: the compiled line is all there is
        return compiled_line


def template_mark(
    found: tuple[str, int, str, Any], in_project: bool, view: ViewDetail | None
) -> MarkedLine:
    """The marked line of a template frame (one object per line and view: a loop renders
    the same tag again and again)."""
    filename, line, name, context = found
    view_class = view_class_in_context(context)
    key = (filename, line, name, in_project, view_class, view)
    mark = _marks.get(key)
    if mark is None:
        shown_view = ViewDetail(view_class) if view_class is not None else view
        mark = MarkedLine(filename, line, name, in_project, TemplateDetail(name, line, shown_view))
        if len(_marks) >= _KEPT:
            _marks.clear()
        _marks[key] = mark
    return mark
