"""The analysis layer's curated public names: everything listed exists, and the trajectory
package lists every public name its modules define (importers use only the package)."""

import ast
import importlib
from pathlib import Path

import stocktake.analysis
import stocktake.analysis.trajectory as trajectory


def _defined(path: Path) -> set[str]:
    """The public names a module defines at its top level (not those it imports)."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


def test_every_module_the_analysis_layer_lists_imports():
    for name in stocktake.analysis.__all__:
        importlib.import_module(f"stocktake.analysis.{name}")


def test_the_trajectory_package_lists_every_public_name_of_its_modules():
    modules = [p for p in Path(trajectory.__file__).parent.glob("*.py") if p.stem != "__init__"]
    defined = set().union(*map(_defined, modules))
    assert {"Trajectory", "assess", "ON_TRACK", "target_verdict"} <= defined
    assert sorted(trajectory.__all__) == sorted(defined)
    for name in trajectory.__all__:
        getattr(trajectory, name)
