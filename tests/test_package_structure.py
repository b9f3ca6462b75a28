"""The rules of CONTRIBUTING.md that a test can enforce: no import cycles, foundations that import
nothing from the course, checkers in exercises/, no __all__, a usage line on every public function,
classes at module level, no private attribute of another object (Keras' in particular), no
``functools.lru_cache``, no ``sys.path.insert`` outside the notebooks' Colab cell, every lesson's
set-up cell calls ``freeze_imports()`` first and then seeds, only the platform test skips, and the
``slow`` list of tests/conftest.py names real tests, at most 10 % of them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_utils"
PYTHON_FILES = [*PACKAGE.rglob("*.py"), *(ROOT / "tools").glob("*.py"), *(ROOT / "tests").glob("*.py"),
                ROOT / "conftest.py"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


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


def test_each_exercise_module_holds_checkers():
    for path in (PACKAGE / "exercises").glob("lesson*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        public = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
        assert any(name.startswith("check_") for name in public), f"{path.name}: {public}"


def test_all_is_used_nowhere():
    for path in PACKAGE.rglob("*.py"):
        assert "__all__" not in path.read_text(encoding="utf-8"), path


def test_every_public_function_has_a_usage_line():
    for path in PACKAGE.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.name != "main":
                doc = ast.get_docstring(node) or ""
                assert "Usage" in doc, f"{path.relative_to(ROOT)}: {node.name} has no usage line"


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"))


def test_no_class_statement_inside_a_function():
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(_tree(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n.name for n in ast.walk(node) if isinstance(n, ast.ClassDef)]
                assert not inner, f"{path.relative_to(ROOT)}: class {inner} inside {node.name}()"


def test_no_private_attribute_of_another_object():
    """``obj._x`` only on ``self`` or ``cls``: no Keras ``layer._name``, ``op._compute_...`` and the like."""
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(_tree(path)):
            private = None
            if isinstance(node, ast.Attribute) and re.match(r"_[^_]", node.attr):
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    private = node.attr
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) > 1
                  and isinstance(node.args[1], ast.Constant) and re.match(r"_[^_]", str(node.args[1].value))):
                private = node.args[1].value
            assert private is None, f"{path.relative_to(ROOT)}:{node.lineno}: private attribute {private}"


def test_no_lru_cache_in_the_package():
    """A cache keyed on a model keeps it alive: per-model caches go through inference.compiled_for."""
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(_tree(path)):
            names = []
            if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "functools":
                names = [node.attr]
            elif isinstance(node, ast.ImportFrom) and node.module == "functools":
                names = [a.name for a in node.names]
            found = set(names) & {"lru_cache", "cache", "cached_property"}
            assert not found, f"{path.relative_to(ROOT)}:{node.lineno}: functools.{found}"


def _sys_path_edits(tree: ast.AST) -> list[int]:
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("insert", "append") and ast.unparse(n.func.value) == "sys.path"]


def test_no_sys_path_edit_outside_the_notebooks_colab_cell():
    """Tools run as ``python tools/x.py`` find their siblings; tests find them through pytest's pythonpath."""
    edits = [f"{path.relative_to(ROOT)}:{line}" for path in PYTHON_FILES for line in _sys_path_edits(_tree(path))]
    edits += [path.name for path in NOTEBOOKS for cell in nbformat.read(path, as_version=4).cells
              if cell.cell_type == "code" and "course-setup" not in cell.metadata.get("tags", [])
              and "sys.path" in cell.source]
    assert edits == []


def test_each_lessons_setup_cell_freezes_imports_first_then_seeds():
    for path in NOTEBOOKS:
        code = [c.source for c in nbformat.read(path, as_version=4).cells
                if c.cell_type == "code" and "course-setup" not in c.metadata.get("tags", [])]
        statements = [ast.unparse(s) for s in ast.parse(code[0]).body]
        assert statements[:2] == ["from course_utils.startup import freeze_imports", "freeze_imports()"], path.name
        assert "seed_everything(" in code[0] + code[1], f"{path.name}: no seed_everything in the set-up cells"


def test_only_the_platform_test_may_skip():
    for path in (ROOT / "tests").glob("test_*.py"):
        if path.name != "test_platforms.py":
            found = re.findall(r"pytest\.(?:skip|importorskip|xfail)\(|mark\.(?:skip|skipif|xfail)\b",
                               path.read_text(encoding="utf-8"))
            assert not found, f"{path.name}: {found}"


def test_the_slow_list_names_real_tests_and_at_most_a_tenth_of_them():
    conftest = _tree(ROOT / "tests" / "conftest.py")
    (SLOW,) = [ast.literal_eval(n.value) for n in conftest.body
               if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "SLOW"]
    defined = set()
    count = 0
    for path in (ROOT / "tests").glob("test_*.py"):
        for node in _tree(path).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                defined.add(f"tests/{path.name}::{node.name}")
                count += 1
    assert set(SLOW) <= defined, set(SLOW) - defined
    assert len(SLOW) <= 0.1 * count
