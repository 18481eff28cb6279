"""The fix of a finding, worded for the place it applies to.

A lazy relation read row by row is fixed where the rows are loaded: the view's
``get_queryset()`` (or ``queryset``) for a template, a serializer or a view's own loop;
the ``ModelAdmin``'s ``list_select_related`` or ``get_queryset()`` for a changelist
column; the inline's ``get_queryset()`` or ``formfield_for_foreignkey()`` for an inline
formset. Which place that is comes from the call site's detail
(:mod:`perfkit.capture.site_details`) or, failing that, from the request's view. With
neither, the fix names "the queryset that loads the parent rows".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from perfkit.capture import CallSite, CapturedQuery
from perfkit.capture.declarations import attribute_line, class_source, method_line
from perfkit.capture.records import RelationLoad
from perfkit.capture.site_details import AdminDetail, CalledFrom, ViewDetail, view_of
from perfkit.capture.source_paths import display_path
from perfkit.capture.view_site import QuerysetTarget, queryset_target
from perfkit.detection.prefetched import prefetched_relation_fix

_PREFETCH_KINDS = frozenset(
    {"reverse_many", "many_to_many", "generic_relation", "generic_foreign_key"}
)
_PARENT_ROWS = "the queryset that loads the parent rows"


def relation_fix(query: CapturedQuery, request_view: ViewDetail | None = None) -> str:
    """The fix for an N+1 through ``query.relation``."""
    relation = query.relation
    assert relation is not None
    model = relation.label.rsplit(".", 1)[0]
    if relation.prefetched:
        return prefetched_relation_fix(relation)
    if relation.kind == "deferred":
        return (
            f'"{relation.attribute}" was deferred, then read row by row: remove it from '
            f"defer() or add it to only() where the {model} queryset is built."
        )
    counting = "COUNT(" in query.fingerprint.upper() and relation.kind in _PREFETCH_KINDS
    admin = admin_of(query.call_site)
    if admin is not None:
        return _admin_relation_fix(admin, relation, counting)
    where = _target_text(query.call_site, request_view, _parent_model(relation))
    if counting:
        return (
            f'Count in the query instead: annotate(Count("{relation.path}")) on {where}, '
            f"and read the annotation ({relation.path}__count)."
        )
    return f'Add {_eager_method(relation)}("{relation.path}") to {where}.'


def repeated_query_fix(
    fingerprint: str, count: int, site: CallSite, request_view: ViewDetail | None = None
) -> str:
    """The fix for the same query run ``count`` times from one place."""
    admin = admin_of(site)
    if admin is not None and admin.role == "inline" and admin.field_name:
        widget_fix = _inline_widget_fix(admin, count)
        if widget_fix:
            return widget_fix
    if "COUNT(" in fingerprint.upper():
        return (
            f"The same COUNT ran {count} times from here: count all groups in one query "
            "with values(...).annotate(Count(...)) or annotate the parent queryset."
        )
    # A loop in your own code is at the location itself; a template's or serializer's
    # loop walks the rows the view loaded.
    target = _target(site, request_view, "") if site.detail is not None else None
    walked = str(target) if target else "the queryset the loop walks"
    return (
        f"The same query ran {count} times from here: fetch the rows in one query "
        f"(filter(pk__in=...), in_bulk(), or select_related/prefetch_related on {walked})."
    )


def unused_eager_load_fix(
    method: str,
    path: str,
    label: str,
    instances: int,
    site: CallSite,
    request_view: ViewDetail | None = None,
) -> str:
    """The fix for an eager load nothing read."""
    admin = admin_of(site)
    target: str | QuerysetTarget | None = (
        _admin_queryset_target(admin) if admin else _target(site, request_view, "", path)
    )
    where = f" in {target}" if target else ""
    return (
        f'{method}("{path}") loaded {label} for {instances} object(s) but nothing read it: '
        f'remove "{path}" from {method}(){where}.'
    )


def admin_of(site: CallSite) -> AdminDetail | None:
    detail = site.detail
    if isinstance(detail, CalledFrom):
        detail = detail.around
    return detail if isinstance(detail, AdminDetail) else None


# -- views ----------------------------------------------------------------------------------
def _target(
    site: CallSite, request_view: ViewDetail | None, model_name: str, mentioning: str = ""
) -> QuerysetTarget | None:
    view = view_of(site.detail) or request_view
    return queryset_target(view, model_name, mentioning) if view is not None else None


def _target_text(site: CallSite, request_view: ViewDetail | None, model_name: str) -> str:
    target = _target(site, request_view, model_name)
    return str(target) if target else _PARENT_ROWS


def _parent_model(relation: RelationLoad) -> str:
    """``Class`` for ``school.Class.teacher``: the model whose rows the view loads when
    the path has one step (deeper paths start from a model the label does not name)."""
    return relation.label.split(".")[1] if "__" not in relation.path else ""


def _eager_method(relation: RelationLoad) -> str:
    joins = relation.joinable and relation.kind in ("forward", "reverse_one_to_one")
    return "select_related" if joins else "prefetch_related"


# -- the admin ------------------------------------------------------------------------------
def _admin_relation_fix(admin: AdminDetail, relation: RelationLoad, counting: bool) -> str:
    path = relation.path
    if counting:
        then = f", and read the annotation ({path}__count)"
        return _in_get_queryset(admin, f'annotate(Count("{path}"))', then)
    method = _eager_method(relation)
    if admin.role == "list_display" and method == "select_related":
        paths = ", ".join(f'"{p}"' for p in _list_select_related(admin, path))
        one = "," if "," not in paths else ""
        place = _option_place(admin, "list_select_related")
        return f"Set list_select_related = ({paths}{one}) on {place}."
    return _in_get_queryset(admin, f'{method}("{path}")')


def _in_get_queryset(admin: AdminDetail, call: str, then: str = "") -> str:
    """``Add CALL to X.get_queryset() (path:LINE).`` or, when X has none of its own, how
    to write one."""
    name = admin.model_admin.__qualname__
    declared = _declared(admin.model_admin, "get_queryset", method=True)
    if declared:
        return f"Add {call} to {name}.get_queryset() ({declared}){then}."
    return (
        f"Override get_queryset() on {_class_place(admin.model_admin)}: "
        f"return super().get_queryset(request).{call}{then}."
    )


def _list_select_related(admin: AdminDetail, path: str) -> list[str]:
    """Every relation the changelist needs joined: what ``list_select_related`` lists now
    (or, when it is True/False, the relations in ``list_display`` Django joined by
    itself), and ``path``."""
    current = admin.list_select_related
    if isinstance(current, tuple):
        paths = list(current)
    else:
        paths = [name for name in admin.list_display if _is_forward_relation(admin.model, name)]
    return [*paths, path] if path not in paths else paths


def _is_forward_relation(model: Any, name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except Exception:  # not a field: a callable, a method, a lookup
        return False
    return bool(field.concrete and (field.many_to_one or field.one_to_one))


def _admin_queryset_target(admin: AdminDetail) -> str:
    return f"list_select_related or get_queryset() of {_class_place(admin.model_admin)}"


def _option_place(admin: AdminDetail, option: str) -> str:
    declared = _declared(admin.model_admin, option, method=False)
    if declared:
        return f"{admin.model_admin.__qualname__} ({declared})"
    return _class_place(admin.model_admin)


def _declared(cls: type, name: str, *, method: bool) -> str:
    for klass in _project_bases(cls):
        line = method_line(klass, name) if method else attribute_line(klass, name)
        source = class_source(klass)
        if line is not None and source is not None:
            return f"{display_path(source.filename)}:{line}"
    return ""


def _class_place(cls: type) -> str:
    source = class_source(cls)
    if source is None:
        return cls.__qualname__
    return f"{cls.__qualname__} ({display_path(source.filename)}:{source.line})"


def _project_bases(cls: type) -> Iterable[type]:
    return [k for k in cls.__mro__ if not k.__module__.startswith(("django.", "builtins"))]


def _inline_widget_fix(admin: AdminDetail, count: int) -> str:
    field = admin.field_name
    place = _class_place(admin.model_admin)
    if admin.widget == "ForeignKeyRawIdWidget":
        return (
            f'ForeignKeyRawIdWidget looks up each row\'s "{field}" with its own query '
            f"({count} queries). If the rows need not change it, show it read-only: "
            f'readonly_fields = ("{field}",) on {place}, and select_related("{field}") in '
            "its get_queryset(); else these queries are the widget's cost."
        )
    if admin.widget in ("Select", "SelectMultiple"):
        return (
            f'Each of the inline\'s {count} forms queries the "{field}" choices again. Build '
            f"them once per request: override formfield_for_foreignkey() on {place}: "
            "field = super().formfield_for_foreignkey(db_field, request, **kwargs); "
            f'if db_field.name == "{field}": field.choices = list(field.choices); '
            "return field."
        )
    return ""
