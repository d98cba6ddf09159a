"""Imports flow one way (docs/architecture.md): the domain model at the bottom, the pure analysis
layer and the store above it, intake above the store, the delivery domain (plans, chains,
assessments, stocktakes: pure) and the reports that render it above analysis, services above
them all, and the shells (CLI, web) and the demo on top. A test, so that a shortcut cannot
creep in."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "stocktake"
# stocktake.text (words that remember how they were made) sits below every layer and imports
# nothing; stocktake.errors (the one error model) sits on it, below every other layer. Both
# are added to each layer's set below.
BOTTOM = {"errors", "text"}
ALLOWED = {
    "model": {"model", "errors"},
    "analysis": {"model", "analysis", "errors"},
    "store": {"model", "store", "errors"},
    "intake": {"model", "store", "analysis", "intake", "errors"},
    # Computed indicators: Ibis over the record-level sources, beside the store.
    "compute": {"model", "compute", "errors"},
    "delivery": {"model", "analysis", "delivery", "errors"},
    "results": {"model", "analysis", "delivery", "results", "errors"},
    "reports": {"model", "analysis", "delivery", "results", "reports", "errors"},
    "services": {"model", "store", "analysis", "intake", "delivery", "results", "reports",
                 "compute", "services", "errors"},
    "demo": {"model", "store", "intake", "delivery", "services", "demo", "errors"},
    "web": {"model", "store", "analysis", "intake", "delivery", "results", "services",
            "reports", "web", "errors"},
    # The CLI is the outermost shell: it also starts the web server and builds the demo.
    "cli": {"model", "store", "analysis", "intake", "delivery", "results", "services",
            "reports", "web", "demo", "compute", "cli", "errors"},
}


def _stocktake_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    layer_depth = len(path.relative_to(PACKAGE).parts) - 1
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                parts = list(path.relative_to(PACKAGE).parts[:-1])
                up = node.level - 1
                base = parts[: len(parts) - up] if up <= layer_depth else []
                target = [*base, *(node.module.split(".") if node.module else [])]
                if target:
                    found.add(target[0])
            elif node.module and node.module.startswith("stocktake."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names
                      if a.name.startswith("stocktake.")}
    return found


@pytest.mark.slow
def test_imports_only_flow_downwards():
    wrong = []
    for layer, allowed in ALLOWED.items():
        allowed = allowed | BOTTOM
        for path in (PACKAGE / layer).rglob("*.py"):
            for imported in _stocktake_imports(path) - allowed:
                wrong.append(f"{path.relative_to(PACKAGE)} imports stocktake.{imported}")
    assert wrong == []


def test_the_bottom_imports_only_what_is_below_it():
    assert _stocktake_imports(PACKAGE / "text.py") == set()
    assert _stocktake_imports(PACKAGE / "errors.py") <= {"text"}


def test_the_check_sees_a_bad_import(tmp_path):
    bad = PACKAGE / "analysis" / "_layer_probe.py"
    bad.write_text("from ..store import schema\n")
    try:
        assert "store" in _stocktake_imports(bad)
    finally:
        bad.unlink()
