"""The set-up files agree with each other, and notebooks are committed without outputs."""

import re
import subprocess
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def _pins(lines):
    pins = {}
    for line in lines:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(3)
    return pins


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_pyproject_dependency_is_pinned():
    project = _pyproject()
    deps = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    assert deps and all("==" in d for d in deps), [d for d in deps if "==" not in d]


def test_environment_yml_lists_the_same_packages_and_versions():
    project = _pyproject()
    extras = project["optional-dependencies"]
    wanted = _pins(project["dependencies"] + [d for name, extra in extras.items() if name != "gpu"
                                              for d in extra])
    env = _pins(line.strip().lstrip("- ") for line in (ROOT / "environment.yml").read_text().splitlines())
    assert env == wanted


def test_constraints_agree_with_pyproject():
    project = _pyproject()
    wanted = _pins(project["dependencies"] + project["optional-dependencies"]["cpu"])
    constraints = _pins((ROOT / "constraints.txt").read_text().splitlines())
    assert {k: constraints.get(k) for k in wanted} == wanted


def test_ci_runs_make_test_only():
    run = (ROOT / ".ci" / "run").read_text()
    commands = [l for l in run.splitlines() if l.strip() and not l.startswith("#")
                and not l.startswith(("set ", "cd "))]
    assert all(c.strip().startswith("make test") for c in commands), commands


def test_committed_notebooks_have_no_outputs():
    files = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    paths = files or [str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")]
    assert paths, "no notebooks found"
    for path in paths:
        nb = nbformat.read(ROOT / path, as_version=4)
        dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not dirty, f"{path}: cells {dirty} have outputs; clear them before committing"
