"""The import rule of docs/architecture.md, checked on the source: every import in
perfkit/ (at module level or inside a function) goes one way between layers, and the
optional dependencies are imported only by the package that needs them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "perfkit"

# Each module belongs to the layer of its longest matching prefix.
LAYERS = {
    "perfkit.conf": "base",
    "perfkit.exceptions": "base",
    "perfkit.text_cache": "base",
    "perfkit.signals": "detection",  # finding_detected and sending it
    "perfkit.capture": "capture",
    "perfkit.schema": "schema",
    "perfkit.detection": "detection",
    "perfkit.middleware": "middleware",
    "perfkit.testing": "testing",
    "perfkit.contrib": "contrib",
    "perfkit.audit": "audit",
    "perfkit.indexgen": "indexgen",
    "perfkit.pagination": "pagination",
    "perfkit.management": "management",
    "perfkit.checks": "registration",
    "perfkit.apps": "registration",
    "perfkit": "public",
}

# Which layers each layer may import (its own always).
ALLOWED = {
    "base": set(),
    "capture": {"base"},
    "schema": {"base"},
    "detection": {"base", "capture", "schema"},
    "middleware": {"base", "capture", "detection"},
    "testing": {"base", "capture", "schema"},
    "contrib": {"base", "capture", "detection", "testing"},
    # The ordering check asks pagination which views page by which ordering (lazily,
    # only where DRF is installed): the one edge from the audit outwards.
    "audit": {"base", "schema", "pagination"},
    "indexgen": {"base", "schema", "audit"},
    "pagination": {"base", "schema"},
    "management": {"base", "schema", "audit", "indexgen", "public"},  # __version__
    "registration": {"base", "detection", "audit", "pagination"},
    "public": {"base", "detection"},
}

# Third-party packages only one layer may import.
OPTIONAL = {
    "rest_framework": {"pagination"},
    "debug_toolbar": {"contrib"},
    "libcst": {"indexgen"},
    "psycopg": set(),
    "pytest": {"contrib"},
}


def layer_of(module: str) -> str:
    best = max(
        (prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")),
        key=len,
    )
    return LAYERS[best]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str | None = None, *, module_level: bool = False) -> set[str]:
    """Every module ``path`` (the module ``name``) imports, relative imports resolved;
    with ``module_level``, only those it imports when imported (not inside functions,
    not under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if module_level else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            submodules = [
                alias.name
                for alias in node.names
                if base.startswith("perfkit") and _is_module(f"{base}.{alias.name}")
            ]
            # "from perfkit import checks" names a submodule, not the package's API.
            if len(submodules) < len(node.names):
                found.add(base)
            found.update(f"{base}.{name}" for name in submodules)
    return found


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.is_dir() or path.with_suffix(".py").exists()


MODULES = sorted(PACKAGE.rglob("*.py"))


def violations() -> list[str]:
    found = []
    for path in MODULES:
        importer = module_name(path)
        layer = layer_of(importer)
        for imported in sorted(imports_of(path)):
            top = imported.split(".")[0]
            if imported.startswith("perfkit.") or imported == "perfkit":
                if imported in LAYERS or any(imported.startswith(p + ".") for p in LAYERS):
                    target = layer_of(imported)
                else:  # "from perfkit import detect": the public API
                    target = "public"
                if target != layer and target not in ALLOWED[layer]:
                    found.append(f"{importer} ({layer}) imports {imported} ({target})")
            elif top in OPTIONAL and layer not in OPTIONAL[top]:
                found.append(f"{importer} ({layer}) imports {top}")
            elif top == "testproject" or top == "tests":
                found.append(f"{importer} imports {imported}")
    return found


def test_imports_go_one_way():
    assert violations() == []


def test_every_module_has_a_layer():
    assert all(layer_of(module_name(path)) in ALLOWED for path in MODULES)


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("detection", "audit"),
        ("pagination", "audit"),
        ("testing", "contrib"),
        ("contrib", "middleware"),
    ],
)
def test_the_rule_forbids_what_the_architecture_forbids(importer, imported):
    assert imported not in ALLOWED[importer]


def test_the_checker_sees_function_level_and_relative_imports(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text(
        "def f():\n    from perfkit.audit import run\n    from ..schema import plan\n"
    )
    assert {"perfkit.audit.run", "perfkit.schema.plan"} <= imports_of(
        module, "perfkit.capture.probe"
    )


def module_level_imports(path: Path) -> set[str]:
    known = {module_name(candidate) for candidate in MODULES}
    found = imports_of(path, module_level=True)
    return {name for name in found if name in known and name != module_name(path)}


def test_no_import_cycles():
    graph = {module_name(path): module_level_imports(path) for path in MODULES}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, " → ".join([*visiting[visiting.index(module) :], module])
        visiting.append(module)
        for imported in sorted(graph.get(module, ())):
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def test_perfkit_detect_is_the_function_and_detection_the_package():
    import importlib

    import perfkit

    assert callable(perfkit.detect) and not hasattr(perfkit.detect, "__path__")
    assert hasattr(importlib.import_module("perfkit.detection"), "__path__")


@pytest.mark.parametrize("path", [path for path in MODULES if path.name == "__init__.py"])
def test_no_package_attribute_hides_a_submodule(path):
    """``perfkit.detect`` was once both a subpackage and the function that hid it."""
    import importlib

    package = importlib.import_module(module_name(path))
    for child in path.parent.iterdir():
        name = child.stem
        if (child.suffix == ".py" and name != "__init__") or (child / "__init__.py").exists():
            attribute = getattr(package, name, None)
            assert attribute is None or hasattr(attribute, "__spec__"), (
                f"{package.__name__}.{name} is a {type(attribute).__name__}, not the submodule"
            )
