"""The package's shape (CONTRIBUTING.md, "Where each thing goes"): no import cycles, foundations that
import nothing from the course, checkers only in exercises/, no __all__, no helper written twice."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_utils"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every course_utils module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("course_utils"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)   # from course_utils import data
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("course_utils"))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def test_no_module_imports_one_that_imports_it_back():
    graph = _graph()
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join(stack + [node, nxt])
            if nxt not in state:
                visit(nxt, stack + [node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_foundations_import_nothing_from_the_course():
    graph = _graph()
    assert graph["course_utils.config"] == set() and graph["course_utils.paths"] == set()


def test_exercise_modules_hold_checkers_only():
    for path in (PACKAGE / "exercises").glob("lesson*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        public = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
        assert public and all(name.startswith("check_") for name in public), f"{path.name}: {public}"


def test_all_is_used_nowhere():
    for path in PACKAGE.rglob("*.py"):
        assert "__all__" not in path.read_text(encoding="utf-8"), path


def test_every_public_function_has_a_usage_line():
    for path in PACKAGE.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.name != "main":
                doc = ast.get_docstring(node) or ""
                assert "Usage" in doc, f"{path.relative_to(ROOT)}: {node.name} has no usage line"
