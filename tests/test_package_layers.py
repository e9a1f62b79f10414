"""The sub-packages of playground import one way: ui -> teaching, plots, links -> training -> data, engine.

Read from the source with ast, function-level imports included (a function-level import hides a
dependency, it does not remove it). The engine and the data import nothing else of the playground.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "playground"
# Each top-level part of the package and its floor: an import may go to the same floor or below.
FLOORS = {
    "engine": 0,
    "data": 0,
    "training": 1,
    "teaching": 2,
    "links": 2,
    "plots": 2,
    "ui": 3,
}
SELF_CONTAINED = {"engine", "data"}  # the two bottom floors do not even import each other


def _part(module: str) -> str | None:
    """'playground.training.trainer' -> 'training'; 'playground' itself (the package's face) -> None."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 and pieces[0] == "playground" else None


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path) -> list[tuple[str, int]]:
    """(imported playground module, line) for every import in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from playground.teaching import diagram` imports playground.teaching.diagram; `from playground
            # import plots` imports playground.plots (and runs the face, which the trainer's floor covers)
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names += [node.module] if node.module != "playground" else []
        else:
            continue
        found += [(name, node.lineno) for name in names if name.startswith("playground")]
    return found


MODULES = _modules()


def test_every_module_belongs_to_a_known_part():
    parts = {_part(name) for name in MODULES} - {None}
    assert parts == set(FLOORS), f"parts without a floor: {parts - set(FLOORS)}"


@pytest.mark.parametrize("module", sorted(name for name in MODULES if _part(name)))
def test_a_module_imports_only_its_own_floor_or_below(module):
    part = _part(module)
    wrong = []
    for target, line in _imports(MODULES[module]):
        target_part = _part(target)
        if target_part is None:
            if target == "playground":
                wrong.append(f"line {line}: imports the package's face 'playground' (import its sub-module)")
            continue
        if target_part not in FLOORS:
            continue  # `from playground.plots import x` names an attribute, not a part: covered by plots' floor
        if FLOORS[target_part] > FLOORS[part]:
            wrong.append(
                f"line {line}: {target} ({target_part}, floor {FLOORS[target_part]}) from floor {FLOORS[part]}"
            )
        if part in SELF_CONTAINED and target_part != part:
            wrong.append(f"line {line}: {target}: the {part} imports nothing else of the playground")
    assert not wrong, f"{module} imports upward:\n" + "\n".join(wrong)


def test_the_check_sees_an_upward_import(tmp_path):
    # Control: an engine module importing the trainer is reported by the same reading.
    path = tmp_path / "bad.py"
    path.write_text("def f():\n    from playground.training.trainer import Trainer\n")
    assert ("playground.training.trainer", 2) in _imports(path)
    assert FLOORS[_part("playground.training.trainer")] > FLOORS["engine"]
