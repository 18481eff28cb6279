"""Where a class declares something: the line of an attribute, a method, or one string in
a list attribute (``list_display = ["title", "author__name"]``), read from the class's
source with ``ast``. Serializer fields and admin options are declared as class
attributes; these lines are what a person edits. Cached per class.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class ClassSource:
    filename: str
    line: int  # the ``class`` line
    body: ast.ClassDef  # line numbers already those of the file


@lru_cache(maxsize=512)
def class_source(cls: type) -> ClassSource | None:
    """The parsed source of ``cls``, or None when it has none (built in, made at runtime)."""
    try:
        filename = inspect.getsourcefile(cls)
        lines, first = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return None
    if not filename:
        return None
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return None
    ast.increment_lineno(tree, first - 1)
    body = next((node for node in tree.body if isinstance(node, ast.ClassDef)), None)
    if body is None:
        return None
    return ClassSource(filename, body.lineno, body)


def _assigned(node: ast.stmt, name: str) -> ast.expr | None:
    """The value ``node`` assigns to ``name``, if it does."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                return node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.value if node.target.id == name else None
    return None


def _body_of(source: ClassSource, nested: str | None) -> list[ast.stmt]:
    if nested is None:
        return source.body.body
    for node in source.body.body:
        if isinstance(node, ast.ClassDef) and node.name == nested:
            return node.body
    return []


def attribute_line(cls: type, name: str, nested: str | None = None) -> int | None:
    """The line of ``name = ...`` in the body of ``cls`` (or of its class ``nested``)."""
    source = class_source(cls)
    if source is None:
        return None
    for node in _body_of(source, nested):
        if _assigned(node, name) is not None:
            return node.lineno
    return None


def method_line(cls: type, name: str) -> int | None:
    """The ``def`` line of method ``name`` in the body of ``cls``."""
    source = class_source(cls)
    if source is None:
        return None
    for node in source.body.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node.lineno
    return None


def string_line(cls: type, attribute: str, value: str, nested: str | None = None) -> int | None:
    """The line of the string ``value`` inside ``attribute = [...]`` in the body of
    ``cls`` (or of its class ``nested``, e.g. ``Meta``)."""
    source = class_source(cls)
    if source is None:
        return None
    for node in _body_of(source, nested):
        assigned = _assigned(node, attribute)
        if assigned is None:
            continue
        for child in ast.walk(assigned):
            if isinstance(child, ast.Constant) and child.value == value:
                return child.lineno
    return None


def declaring_class(cls: type, name: str) -> type | None:
    """The first class in ``cls``'s MRO whose own body declares ``name`` (an attribute or
    a method)."""
    for klass in cls.__mro__:
        if klass is object:
            continue
        if attribute_line(klass, name) is not None or method_line(klass, name) is not None:
            return klass
    return None
