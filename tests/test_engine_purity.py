"""The engine imports NumPy and pandas only: no Streamlit, no Plotly."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE_MODULES = [
    "playground",
    "playground.engine.activations",
    "playground.engine.heads",
    "playground.engine.losses",
    "playground.engine.initializers",
    "playground.data.datasets",
    "playground.engine.optimizers",
    "playground.engine.network",
    "playground.engine.layers",
    "playground.data.userdata",
    "playground.training.history",
    "playground.training.config",
    "playground.training.trainer",
    "playground.teaching.diagnostics",
    "playground.teaching.lessons",
    "playground.teaching.walkthrough",
    "playground.teaching.diagram",
    "playground.teaching.notes",
    "playground.links.model_file",
    "playground.links.url",
    "playground.links.hiding",
]
FORBIDDEN = ["streamlit", "plotly"]


def _loaded_after_import(modules):
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


@pytest.mark.parametrize(
    "module",
    ["playground", "playground.training.trainer", "playground.engine.network", ENGINE_MODULES],
    ids=["playground", "trainer", "network", "all-engine-modules"],
)
def test_engine_import_leaves_ui_libraries_unloaded(module):
    modules = module if isinstance(module, list) else [module]
    loaded = _loaded_after_import(modules)
    assert set(modules) <= loaded  # the import really happened
    for name in FORBIDDEN:
        assert not {m for m in loaded if m == name or m.startswith(name + ".")}, f"{name} imported by {modules}"


def test_the_check_can_see_a_forbidden_import():
    # Control: the probe does report a module that was imported (json stands in for streamlit).
    assert "json" in _loaded_after_import(["json"])
