"""The wheel declares exactly the distributions its code imports."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The engine, and the generated code its _generated symlink leads to.
SOURCES = (ROOT / "overlays" / "orq_images", ROOT / "generated" / "orq_images")
# Imported only where the importer brings it: pytest loads the plugin module.
BROUGHT_BY_THE_IMPORTER = {"pytest"}


def _imported_top_level_names() -> set[str]:
    names = set()
    for path in (path for source in SOURCES for path in source.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"orq_images"}


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def name(requirement: str) -> str:
        return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower()

    required = {name(r) for r in project["dependencies"]}
    optional = {name(r) for extra in project["optional-dependencies"].values() for r in extra}
    return required, optional


def test_every_imported_distribution_is_declared_and_nothing_more() -> None:
    by_module = importlib.metadata.packages_distributions()
    imported = {
        dist.lower()
        for module in _imported_top_level_names() - BROUGHT_BY_THE_IMPORTER
        for dist in by_module.get(module, [module])
    }
    required, optional = _declared()
    assert imported - required - optional == set(), "imported but not declared"
    assert (required | optional) - imported == set(), "declared but never imported"
