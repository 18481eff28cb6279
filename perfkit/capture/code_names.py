"""The qualified name of the function around a source line: ``Class.method``.

A finding's location is ``path:LINE``. Lines move with every edit above them; the name
of the function that holds the line does not. The baseline keys findings by
``path::qualname``, and the toolbar panel shows the name next to the location.
"""

from __future__ import annotations

import ast
import os
from functools import lru_cache

from perfkit.capture.source_paths import real_path

_Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def split_location(location: str) -> tuple[str, int]:
    """``("path/to/file.py", 12)`` from ``"path/to/file.py:12"``; line 0 when absent."""
    path, _, line = location.rpartition(":")
    if not path or not line.isdigit():
        return location, 0
    return path, int(line)


def qualname_at(path: str, line: int) -> str | None:
    """The qualified name of the innermost def/class holding ``line``, None at module
    level or when the file cannot be read. ``path`` is a path as locations show it
    (relative to the project root or to a library's directory) or any real path."""
    found = real_path(path)
    if found is None or not found.endswith(".py"):
        return None
    try:
        stamp = os.stat(found).st_mtime_ns
    except OSError:
        return None
    path = found
    scopes = _scopes(path, stamp)
    best: tuple[int, str] | None = None
    for start, end, name in scopes:
        if start <= line <= end and (best is None or start >= best[0]):
            best = (start, name)
    return best[1] if best else None


def call_site_key(location: str) -> str:
    """``path::Qual.name`` for a location, ``path::<module>`` at module level, and the
    location itself when it names no readable file."""
    path, line = split_location(location)
    if line == 0 or not path.endswith(".py"):
        return location
    name = qualname_at(path, line)
    if name is None:
        return f"{path}::<module>" if real_path(path) else location
    return f"{path}::{name}"


@lru_cache(maxsize=256)
def _scopes(path: str, stamp: int) -> tuple[tuple[int, int, str], ...]:
    try:
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return ()
    found: list[tuple[int, int, str]] = []
    _collect(tree, "", found)
    return tuple(found)


def _collect(node: ast.AST, prefix: str, found: list[tuple[int, int, str]]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _Scope):
            name = f"{prefix}{child.name}"
            start = min([child.lineno, *(item.lineno for item in child.decorator_list)])
            found.append((start, child.end_lineno or child.lineno, name))
            inner = f"{name}.<locals>." if not isinstance(child, ast.ClassDef) else f"{name}."
            _collect(child, inner, found)
        else:
            _collect(child, prefix, found)
