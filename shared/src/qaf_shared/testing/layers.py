"""What a service's modules import, read from their source, for the tests that keep its
layers pointing one way (docs/architecture.md, "The shape of every service")."""

from __future__ import annotations

import ast
from pathlib import Path


def imports_of(module: Path) -> set[str]:
    """Every name `module` imports: each module, and `module.name` for each name a from-import
    takes (so `from pkg import api` counts as `pkg.api`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imports_above(package: Path, layer: str, forbidden: tuple[str, ...]) -> set[str]:
    """What the modules of `layer` (a glob under `package`, e.g. `handlers/**/*.py`) import
    that starts with one of `forbidden`, as `module: name`; raises when the glob finds no
    module, so a moved layer cannot pass by being empty."""
    modules = sorted(package.glob(layer))
    if not modules:
        raise AssertionError(f"no module matches {layer}")
    return {
        f"{module.relative_to(package)}: {name}"
        for module in modules
        for name in imports_of(module)
        if name.startswith(forbidden)
    }
