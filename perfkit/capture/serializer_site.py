"""The DRF serializer field behind a query, read from the serializer's own frame.

``Serializer.to_representation`` walks its fields with ``for field in fields:``; while a
field reads its attribute (a relation, a ``source="a.b"`` chain, a nested serializer or a
``many=True`` list), that frame's ``self`` is the serializer and ``field`` the field. The
line reported is where the serializer declares the field (``author = AuthorSerializer()``)
or names it (``Meta.fields``). DRF is never imported here: the frame is recognised by its
module and function name (see :mod:`perfkit.capture.call_site`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from types import FrameType
from typing import Any

from perfkit.capture.declarations import attribute_line, class_source, string_line
from perfkit.capture.site_details import MarkedLine, SerializerFieldDetail, ViewDetail

_KEPT = 4096
_marks: dict[tuple[Any, ...], MarkedLine] = {}


def serializer_field_mark(frame: FrameType, in_project: Callable[[str], bool]) -> MarkedLine | None:
    """The field a ``to_representation`` frame is reading, or None (a ``ListSerializer``
    frame, which has no ``field``)."""
    scope = frame.f_locals
    serializer = scope.get("self")
    field = scope.get("field")
    name = getattr(field, "field_name", None)
    if serializer is None or not isinstance(name, str):
        return None
    serializer_class: type = type(serializer)
    source = getattr(field, "source", None)
    view_class = _view_class_of(serializer)
    key = (serializer_class, name, source, view_class)
    mark = _marks.get(key)  # one object per field and view: a list reads it row after row
    if mark is None:
        declared = field_declaration(serializer_class, name)
        if declared is None:
            return None
        filename, line = declared
        view = ViewDetail(view_class) if view_class is not None else None
        detail = SerializerFieldDetail(
            serializer_class, name, source if isinstance(source, str) else name, view
        )
        mark = MarkedLine(filename, line, detail.label, in_project(filename), detail)
        if len(_marks) >= _KEPT:
            _marks.clear()
        _marks[key] = mark
    return mark


def _view_class_of(serializer: Any) -> type | None:
    try:
        view = serializer.context.get("view")  # DRF's generic views put themselves here
    except Exception:  # no context, or not a mapping
        return None
    return type(view) if view is not None else None


@lru_cache(maxsize=1024)
def field_declaration(serializer: type, name: str) -> tuple[str, int] | None:
    """``(filename, line)`` where ``serializer`` (or a base) declares field ``name``; the
    ``Meta.fields`` entry for a field ModelSerializer builds; the class line otherwise."""
    classes = [
        klass
        for klass in serializer.__mro__
        if klass is not object and not klass.__module__.startswith("rest_framework.")
    ]
    for klass in classes:
        line = attribute_line(klass, name)
        if line is not None:
            return _in_file(klass, line)
    for klass in classes:
        line = (
            string_line(klass, "fields", name, nested="Meta")
            or attribute_line(klass, "fields", nested="Meta")
            or attribute_line(klass, "exclude", nested="Meta")
        )
        if line is not None:
            return _in_file(klass, line)
    for klass in classes:
        source = class_source(klass)
        if source is not None:
            return source.filename, source.line
    return None


def _in_file(klass: type, line: int) -> tuple[str, int] | None:
    source = class_source(klass)
    return (source.filename, line) if source is not None else None
