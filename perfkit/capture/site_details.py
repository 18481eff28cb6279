"""What a call site belongs to beyond a line of Python: the template line that rendered
it, the serializer field that read it, the admin column or inline that showed it, the
view that ran it. Detection words its fixes from these (the view's ``get_queryset``, the
admin's ``list_select_related``); the label says it in a few words next to the location.

Details hold classes and plain values, never frames or request objects.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple


@dataclass(frozen=True, slots=True)
class ViewDetail:
    """The view that ran: a class-based view's class, or a view function."""

    view: Any

    @property
    def name(self) -> str:
        return str(getattr(self.view, "__qualname__", None) or type(self.view).__qualname__)

    @property
    def label(self) -> str:
        return f"view {self.name}"


@dataclass(frozen=True, slots=True)
class TemplateDetail:
    """A template line (``{{ }}`` or ``{% %}``) and the view whose response it rendered
    (None when the template context does not say and no request does)."""

    template: str
    line: int
    view: ViewDetail | None = None

    @property
    def label(self) -> str:
        return f"template rendered by {self.view.name}" if self.view else "template"

    def or_view(self, view: ViewDetail) -> TemplateDetail:
        """This detail, with ``view`` when it names none."""
        return self if self.view is not None else replace(self, view=view)


@dataclass(frozen=True, slots=True)
class SerializerFieldDetail:
    """A field of a DRF serializer: ``BookSerializer.author``."""

    serializer: type
    field_name: str
    source: str
    view: ViewDetail | None = None

    @property
    def label(self) -> str:
        return f"{self.serializer.__qualname__}.{self.field_name}"

    def or_view(self, view: ViewDetail) -> SerializerFieldDetail:
        """This detail, with ``view`` when it names none."""
        return self if self.view is not None else replace(self, view=view)


AdminRole = Literal["list_display", "inline"]


@dataclass(frozen=True, slots=True)
class AdminDetail:
    """A ``ModelAdmin`` changelist column (``list_display``) or an inline's field.

    For a column, ``list_display`` and ``list_select_related`` are the changelist's (a
    tuple of paths, or True/False as Django takes it); for an inline field, ``widget`` is
    the class name of the field's widget.
    """

    model_admin: type
    field_name: str
    role: AdminRole
    model: Any = None
    widget: str = ""
    list_display: tuple[str, ...] = ()
    list_select_related: tuple[str, ...] | bool = False

    @property
    def label(self) -> str:
        if self.role == "list_display":
            return f'{self.model_admin.__qualname__}.list_display "{self.field_name}"'
        return f'{self.model_admin.__qualname__} field "{self.field_name}"'

    @property
    def view(self) -> ViewDetail | None:
        return None


MarkDetail = TemplateDetail | SerializerFieldDetail | AdminDetail


@dataclass(frozen=True, slots=True)
class CalledFrom:
    """A Python line of the project that a template, a serializer or the admin called
    (a model method read by a template, a ``SerializerMethodField``, a ``list_display``
    callable): the line stays the location, ``around`` says what called it."""

    around: MarkDetail
    location: str  # where ``around`` is: the template line or the declaration

    @property
    def label(self) -> str:
        if isinstance(self.around, TemplateDetail):
            return f"called from {self.location}"
        return self.around.label

    @property
    def view(self) -> ViewDetail | None:
        return self.around.view


SiteDetail = ViewDetail | TemplateDetail | SerializerFieldDetail | AdminDetail | CalledFrom


class MarkedLine(NamedTuple):
    """A line found through a template, serializer or admin frame: where it is, whether
    it is the project's (else a library's), and what it belongs to."""

    filename: str
    line: int
    function: str
    in_project: bool
    detail: MarkDetail


def view_of(detail: SiteDetail | None) -> ViewDetail | None:
    """The view a detail knows of, if any."""
    if detail is None:
        return None
    if isinstance(detail, ViewDetail):
        return detail
    return detail.view
