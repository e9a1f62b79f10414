"""The modules of playground/ui import each other in one direction only (read from the source with ast).

state <- session <- the page sections (controls, guide, view, lens, export); charts holds what sections share.
Imports inside functions count too: a function-level import does not remove a circle, it only hides it.
"""

from __future__ import annotations

import ast
from pathlib import Path

UI_DIR = Path(__file__).resolve().parents[1] / "playground" / "ui"
PACKAGE = "playground.ui"
MODULES = sorted(path.stem for path in UI_DIR.glob("*.py"))


def _imported_ui_modules(path: Path) -> list[tuple[str, int, bool]]:
    """(ui module, line, at module level) for every import of a playground.ui module in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against playground.ui (no subpackages here)
                base = ".".join([PACKAGE, *filter(None, [node.module])])
            else:
                base = node.module or ""
            targets = [f"{base}.{alias.name}" for alias in node.names] if base == PACKAGE else [base]
        for target in targets:
            if target == PACKAGE or not target.startswith(PACKAGE + "."):
                continue
            name = target[len(PACKAGE) + 1 :].split(".")[0]
            module = name if name in MODULES else "__init__"  # `from playground.ui import main`
            found.append((module, node.lineno, id(node) in top_level))
    return found


def _graph() -> dict[str, set[str]]:
    return {
        module: {target for target, _, _ in _imported_ui_modules(UI_DIR / f"{module}.py") if target != module}
        for module in MODULES
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``graph`` (as a path that ends where it starts), or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if target == "__init__":
                continue  # importing the package's entry point is not a dependency between sections
            circle = visit(target)
            if circle:
                return circle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        circle = visit(module)
        if circle:
            return circle
    return None


def test_the_ui_modules_import_each_other_without_a_circle():
    circle = _cycle(_graph())
    assert circle is None, "import circle in playground/ui: " + " -> ".join(circle)


def test_ui_modules_are_imported_at_module_level():
    """A function-level import of a ui module is how a circle gets hidden; there is no other reason for one."""
    hidden = [
        f"{module}.py:{line} imports {target}"
        for module in MODULES
        for target, line, top in _imported_ui_modules(UI_DIR / f"{module}.py")
        if not top
    ]
    assert not hidden


def test_state_and_session_sit_below_the_page_sections():
    graph = _graph()
    assert {"state", "session", "charts"} <= set(graph)
    assert graph["state"] == set()  # the state object imports no other ui module
    assert graph["session"] <= {"state"}  # transitions that draw nothing: only the state below them
    assert graph["charts"] <= {"state", "live"}  # shared chart helpers: no page section
    # No page section imports another; the package's main() lays them out, and the live view (view.py)
    # draws the gradient-flow lens inside its fragment. The stream (a server route, not a section) trains
    # frames as the live view's fragment does (pacing.py); nothing but the package imports the stream.
    assert graph["stream"] <= {"live", "state", "pacing"}
    assert graph["pacing"] <= {"state", "session"}  # how much a frame trains: no chart, no section
    assert all("stream" not in targets for module, targets in graph.items() if module != "__init__")
    sections = {"controls", "guide", "view", "lens", "export"}
    for module, targets in graph.items():
        if module == "__init__":
            continue
        allowed = {"view": {"lens"}}.get(module, set())
        others = (targets & sections) - allowed
        assert not others, f"{module} imports the page section(s) {sorted(others)}"


def test_the_cycle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
