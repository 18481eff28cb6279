"""The Django admin option behind a query: a changelist column or an inline's field.

The changelist builds each row in ``items_for_result(cl, result, form)``, whose locals
hold the ``ChangeList`` (and through it the ``ModelAdmin``) and the ``list_display``
entry being shown. An inline formset renders inside the admin's own templates, whose
context holds ``inline_admin_formset`` (its ``opts`` is the ``InlineModelAdmin``) and
the ``field`` being rendered. The line reported is the admin class's own mention of the
entry (``list_display = [..., "author__name"]``, ``raw_id_fields = ["student"]``), or its
method for a callable column.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from types import FrameType
from typing import Any

from perfkit.capture.declarations import attribute_line, class_source, method_line, string_line
from perfkit.capture.site_details import AdminDetail, MarkedLine

_INLINE_OPTIONS = ("raw_id_fields", "autocomplete_fields", "readonly_fields", "fields")


def changelist_column_mark(
    frame: FrameType, in_project: Callable[[str], bool]
) -> MarkedLine | None:
    """The ``list_display`` entry an ``items_for_result`` frame is showing."""
    scope = frame.f_locals
    model_admin = getattr(scope.get("cl"), "model_admin", None)
    entry = scope.get("field_name")
    if model_admin is None or entry is None:
        return None
    name = _entry_name(entry)
    admin_class: type = type(model_admin)
    declared = admin_declaration(admin_class, name, ("list_display",))
    if declared is None:
        return None
    filename, line = declared
    changelist = scope["cl"]
    joined = getattr(changelist, "list_select_related", False)
    detail = AdminDetail(
        admin_class,
        name,
        "list_display",
        model=getattr(changelist, "model", None),
        list_display=tuple(_entry_name(item) for item in getattr(changelist, "list_display", ())),
        list_select_related=tuple(joined) if isinstance(joined, list | tuple) else bool(joined),
    )
    return MarkedLine(filename, line, detail.label, in_project(filename), detail)


def inline_field_mark(context: Any, in_project: Callable[[str], bool]) -> MarkedLine | None:
    """The inline field an admin template is rendering, from the template's context;
    None outside an inline formset."""
    try:
        inline = getattr(context.get("inline_admin_formset"), "opts", None)
        admin_field = context.get("field")
    except Exception:  # a context of another kind
        return None
    if inline is None:
        return None
    name, widget = _field_name_and_widget(admin_field)
    inline_class: type = type(inline)
    declared = admin_declaration(inline_class, name, _INLINE_OPTIONS)
    if declared is None:
        return None
    filename, line = declared
    detail = AdminDetail(inline_class, name, "inline", getattr(inline, "model", None), widget)
    return MarkedLine(filename, line, detail.label, in_project(filename), detail)


def _entry_name(entry: Any) -> str:
    return entry if isinstance(entry, str) else str(getattr(entry, "__name__", entry))


def _field_name_and_widget(admin_field: Any) -> tuple[str, str]:
    bound = getattr(admin_field, "field", None)
    if isinstance(bound, dict):  # AdminReadonlyField: a dict that names the field
        return str(bound.get("name") or ""), ""
    name = getattr(bound, "name", None)
    if not isinstance(name, str):
        return "", ""
    widget = getattr(getattr(bound, "field", None), "widget", None)
    widget = getattr(widget, "widget", widget)  # RelatedFieldWidgetWrapper holds the real one
    return name, type(widget).__name__ if widget is not None else ""


@lru_cache(maxsize=1024)
def admin_declaration(
    admin_class: type, name: str, options: tuple[str, ...]
) -> tuple[str, int] | None:
    """Where ``admin_class`` (or a base of it outside Django) mentions ``name``: in one of
    ``options``, as a method, or else the option's line, or else the class line."""
    classes = [
        klass
        for klass in admin_class.__mro__
        if klass is not object and not klass.__module__.startswith("django.contrib.admin")
    ]
    searches = [("string", option) for option in options] if name else []
    searches += [("method", name)] if name else []
    searches += [("attribute", option) for option in options]
    for how, what in searches:
        for klass in classes:
            if how == "string":
                line = string_line(klass, what, name)
            elif how == "method":
                line = method_line(klass, what)
            else:
                line = attribute_line(klass, what)
            source = class_source(klass) if line is not None else None
            if line is not None and source is not None:
                return source.filename, line
    for klass in classes:
        source = class_source(klass)
        if source is not None:
            return source.filename, source.line
    return None
