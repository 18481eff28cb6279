"""What the scenario tests share: where a marked line is, a small school to render, and
applying a finding's suggested fix to the view, serializer view or admin it names."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from perfkit.signals import finding_detected
from tests.factories import ClassFactory, EnrollmentFactory, StudentFactory, TeacherFactory


def marked_line(path: str | Path, marker: str) -> str:
    """``path:LINE`` of the line ending with ``# expect: MARKER`` (``{# expect: MARKER #}``
    in a template), ``path`` relative to the working directory."""
    path = Path(path)
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        stripped = text.rstrip()
        if stripped.endswith((f"# expect: {marker}", f"{{# expect: {marker} #}}")):
            return f"{path.resolve().relative_to(Path.cwd())}:{number}"
    raise LookupError(f"{marker} in {path}")


def def_line(function: Any) -> str:
    """``path:LINE`` of a function's ``def``."""
    source = Path(inspect.getsourcefile(function)).resolve().relative_to(Path.cwd())
    lines, first = inspect.getsourcelines(function)
    offset = next(i for i, text in enumerate(lines) if text.lstrip().startswith("def "))
    return f"{source}:{first + offset}"


def class_line(cls: type) -> str:
    source = Path(inspect.getsourcefile(cls)).resolve().relative_to(Path.cwd())
    return f"{source}:{inspect.getsourcelines(cls)[1]}"


def school(classes: int, students: int = 2) -> None:
    """``classes`` classes, each with its own teacher and ``students`` students."""
    for _ in range(classes):
        school_class = ClassFactory(teacher=TeacherFactory())
        for student in StudentFactory.create_batch(students):
            EnrollmentFactory(school_class=school_class, student=student)


class Visit:
    """One request through perfkit's middleware: the response, the findings it sent and
    the number of queries it ran."""

    def __init__(self, url: str, client: Client | None = None) -> None:
        found: list[Any] = []

        def receiver(sender: Any, finding: Any, **kwargs: Any) -> None:
            found.append(finding)

        finding_detected.connect(receiver)
        try:
            with CaptureQueriesContext(connection) as queries:
                self.response = (client or Client()).get(url)
        finally:
            finding_detected.disconnect(receiver)
        self.findings = found
        self.queries = len(queries)

    def n_plus_ones(self) -> list[Any]:
        return [f for f in self.findings if f.kind == "n_plus_one"]


_VIEW_FIX = re.compile(
    r'^Add (select_related|prefetch_related)\("([\w]+)"\) to (\w+)\.get_queryset\(\) \('
)
_VIEW_ATTRIBUTE_FIX = re.compile(
    r'^Add (select_related|prefetch_related)\("([\w]+)"\) to (\w+)\.queryset \('
)
_COUNT_FIX = re.compile(r'^Count in the query instead: annotate\(Count\("(\w+)"\)\) on (\w+)\.')


def located_then_fixed(
    url: str,
    expected: list[tuple[str, str, str, str]],
    views: Any,
    monkeypatch: Any,
    add_rows: Any,
) -> tuple[Visit, Visit]:
    """Visit ``url``: its N+1s are exactly ``expected`` (relation, location, label, fix).
    Apply each fix to the view classes in ``views`` and visit again: no N+1 is left, and
    with ``add_rows()`` run the page makes the same queries (O(1)). Returns both visits
    for what a caller checks of the responses."""
    before = Visit(url)
    assert before.response.status_code == 200
    found = sorted(
        (f.relation, f.location, f.location_label, f.suggestion) for f in before.n_plus_ones()
    )
    assert found == sorted(expected), [f.message for f in before.findings]

    for finding in before.n_plus_ones():
        apply_view_fix(finding.suggestion, views, monkeypatch)
    fixed = Visit(url)
    assert fixed.n_plus_ones() == []
    add_rows()  # twice the rows: the same number of queries
    assert Visit(url).queries == fixed.queries
    return before, fixed


def apply_view_fix(suggestion: str, module: Any, monkeypatch: Any) -> None:
    """Apply a fix that names a view's ``get_queryset()`` or ``queryset``: what it says
    to add, where it says (``module`` holds the view class it names)."""
    from django.db.models import Count

    if match := _VIEW_FIX.match(suggestion):
        method, path, name = match.groups()
        _wrap_get_queryset(getattr(module, name), lambda qs: getattr(qs, method)(path), monkeypatch)
    elif match := _VIEW_ATTRIBUTE_FIX.match(suggestion):
        method, path, name = match.groups()
        view = getattr(module, name)
        monkeypatch.setattr(view, "queryset", getattr(view.queryset, method)(path))
    elif match := _COUNT_FIX.match(suggestion):
        path, name = match.groups()
        _wrap_get_queryset(getattr(module, name), lambda qs: qs.annotate(Count(path)), monkeypatch)
    else:
        raise AssertionError(f"not a view fix: {suggestion}")


def _wrap_get_queryset(view: type, change: Any, monkeypatch: Any) -> None:
    original = view.get_queryset

    def get_queryset(self: Any) -> Any:
        return change(original(self))

    monkeypatch.setattr(view, "get_queryset", get_queryset)


def literal_tuple(text: str) -> tuple[str, ...]:
    """``("a", "b")`` → ``("a", "b")``, from a fix's Python."""
    value = ast.literal_eval(text)
    assert isinstance(value, tuple)
    return value


_LIST_SELECT_RELATED = re.compile(r"^Set list_select_related = (\(.*?\)) on (\w+) ")
_ADMIN_GET_QUERYSET = re.compile(
    r"^Override get_queryset\(\) on (\w+) \([^)]*\): return super\(\)\.get_queryset\(request\)"
    r"\.(\w+\(.*?\)\)?)[,.]"
)
_CHOICES_ONCE = re.compile(
    r'override formfield_for_foreignkey\(\) on (\w+) .*db_field\.name == "(\w+)"'
)
_READ_ONLY = re.compile(r'readonly_fields = \("(\w+)",\) on (\w+) .*select_related\("(\w+)"\)')


def apply_admin_fix(suggestion: str, admin_class: type, monkeypatch: Any) -> None:
    """Apply a fix that names a ModelAdmin or an inline: its ``list_select_related``,
    its ``get_queryset()``, its ``formfield_for_foreignkey()`` or ``readonly_fields``."""
    if match := _LIST_SELECT_RELATED.match(suggestion):
        assert match.group(2) == admin_class.__name__
        monkeypatch.setattr(admin_class, "list_select_related", literal_tuple(match.group(1)))
    elif match := _ADMIN_GET_QUERYSET.match(suggestion):
        assert match.group(1) == admin_class.__name__
        method, args = _call(match.group(2))
        original = admin_class.get_queryset

        def get_queryset(self: Any, request: Any) -> Any:
            return getattr(original(self, request), method)(*args)

        monkeypatch.setattr(admin_class, "get_queryset", get_queryset)
    elif match := _CHOICES_ONCE.search(suggestion):
        assert match.group(1) == admin_class.__name__
        name = match.group(2)

        def formfield_for_foreignkey(self: Any, db_field: Any, request: Any, **kwargs: Any) -> Any:
            field = super(admin_class, self).formfield_for_foreignkey(db_field, request, **kwargs)
            if db_field.name == name:
                field.choices = list(field.choices)
            return field

        monkeypatch.setattr(admin_class, "formfield_for_foreignkey", formfield_for_foreignkey)
    elif match := _READ_ONLY.search(suggestion):
        name, owner, path = match.groups()
        assert owner == admin_class.__name__
        monkeypatch.setattr(admin_class, "readonly_fields", (name,))
        monkeypatch.setattr(admin_class, "raw_id_fields", ())
        original = admin_class.get_queryset
        monkeypatch.setattr(
            admin_class,
            "get_queryset",
            lambda self, request: original(self, request).select_related(path),
        )
    else:
        raise AssertionError(f"not an admin fix: {suggestion}")


def _call(text: str) -> tuple[str, list[Any]]:
    """``("prefetch_related", ["classes"])`` from ``prefetch_related("classes")``; a
    ``Count("x")`` argument becomes the aggregate."""
    from django.db.models import Count

    node = ast.parse(text, mode="eval").body
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    args = []
    for arg in node.args:
        if isinstance(arg, ast.Call):
            assert isinstance(arg.func, ast.Name) and arg.func.id == "Count"
            args.append(Count(ast.literal_eval(arg.args[0])))
        else:
            args.append(ast.literal_eval(arg))
    return node.func.id, args
