"""The layers of docs/architecture.md: bot → router → knowledge → infra → config; imports point that way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["bot", "router", "knowledge", "infra", "config"]  # each may import those after it


def _imports(path: Path) -> set[str]:
    """Top-level packages a module imports (also inside functions and under TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", LAYERS)
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    above = set(LAYERS[: LAYERS.index(package)])
    wrong = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & above)
        for path in (ROOT / package).rglob("*.py")
        if _imports(path) & above
    }
    assert wrong == {}
