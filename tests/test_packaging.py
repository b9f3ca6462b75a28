"""The set-up files agree with each other (markers included), the wheel is a working package, and
notebooks are committed without outputs."""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import nbformat
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# Marker environments of the platforms TensorFlow 2.21 has wheels for (tools/check_platform.py),
# at the oldest and newest Python that requires-python allows.
PLATFORM_ENVIRONMENTS = [
    dict(default_environment(), sys_platform=sys_platform, platform_system=system, platform_machine=machine,
         os_name="nt" if system == "Windows" else "posix", python_version=version[:4], python_full_version=version,
         implementation_name="cpython", platform_python_implementation="CPython")
    for sys_platform, system, machine in [("linux", "Linux", "x86_64"), ("linux", "Linux", "aarch64"),
                                          ("win32", "Windows", "AMD64"), ("darwin", "Darwin", "arm64")]
    for version in ["3.11.5", "3.13.0"]
]


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


def _requirements(lines):
    """{(name, marker): specifier}, markers normalised by packaging so that both files compare equal."""
    reqs = [Requirement(line) for line in lines]
    return {(canonicalize_name(r.name), str(r.marker) if r.marker else ""): str(r.specifier) for r in reqs}


def test_environment_yml_lists_the_same_packages_versions_and_markers():
    project = _pyproject()
    extras = project["optional-dependencies"]
    wanted = _requirements(project["dependencies"] + [d for name, extra in extras.items() if name != "gpu"
                                                      for d in extra])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert _requirements([line for line in pip if not line.startswith("-")]) == wanted
    assert "-e ." in pip


def test_cpu_extra_picks_one_tensorflow_per_platform():
    cpu = [Requirement(r) for r in _pyproject()["optional-dependencies"]["cpu"]]
    for env in PLATFORM_ENVIRONMENTS:
        chosen = [r.name for r in cpu if r.marker is None or r.marker.evaluate(env)]
        want = "tensorflow-cpu" if env["platform_machine"] in ("x86_64", "AMD64") else "tensorflow"
        assert chosen == [want], (env["sys_platform"], env["platform_machine"], chosen)


def _constraints():
    """The requirements of constraints.txt, comments left out."""
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / "constraints.txt").read_text().splitlines()]
    return [Requirement(line) for line in lines if line]


def test_constraints_agree_with_pyproject():
    project = _pyproject()
    wanted = _pins(project["dependencies"] + project["optional-dependencies"]["cpu"])
    constraints = _pins((ROOT / "constraints.txt").read_text().splitlines())
    assert {k: constraints.get(k) for k in wanted} == wanted


def test_constraints_pin_every_requirement_on_every_platform():
    """The universal lock: wherever pyproject asks for a package, constraints.txt pins that same
    version, once, on each supported platform and Python."""
    project = _pyproject()
    extras = project["optional-dependencies"]
    wanted = [Requirement(r) for r in project["dependencies"] + extras["cpu"] + extras["lab"] + extras["dev"]]
    constraints = _constraints()
    assert all(len(c.specifier) == 1 and next(iter(c.specifier)).operator == "==" for c in constraints)
    for env in PLATFORM_ENVIRONMENTS:
        pinned = {}
        for c in constraints:
            if c.marker is None or c.marker.evaluate(env):
                name = canonicalize_name(c.name)
                assert name not in pinned, f"{name} pinned twice for {env['sys_platform']} {env['platform_machine']}"
                pinned[name] = str(c.specifier)
        for r in wanted:
            if r.marker is None or r.marker.evaluate(env):
                assert pinned.get(canonicalize_name(r.name)) == str(r.specifier), (r, env["platform_machine"])


def test_constraints_say_how_to_regenerate_them():
    header = (ROOT / "constraints.txt").read_text().split("\n", 3)[:2]
    command = header[1].lstrip("# ").split()
    assert header[0].startswith("#") and command[:4] == ["uv", "pip", "compile", "pyproject.toml"], header
    assert "--universal" in command and "-o" in command and command[command.index("-o") + 1] == "constraints.txt"
    assert {command[i + 1] for i, word in enumerate(command) if word == "--extra"} == {"cpu", "lab", "dev"}


def test_makefile_bootstraps_the_pinned_uv():
    pinned = _pins(_pyproject()["optional-dependencies"]["dev"])["uv"]
    recipe = (ROOT / "Makefile").read_text().split("\n$(STAMP):", 1)[1].split("\n\n", 1)[0]
    assert f"uv=={pinned}" in recipe, recipe


def test_ci_runs_make_test_only():
    run = (ROOT / ".ci" / "run").read_text()
    commands = [l for l in run.splitlines() if l.strip() and not l.startswith("#")
                and not l.startswith(("set ", "cd "))]
    assert all(c.strip().startswith("make test") for c in commands), commands


def test_committed_notebooks_have_no_outputs():
    files = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True,
                           check=False).stdout.split()
    paths = files or [str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")]
    assert paths, "no notebooks found"
    for path in paths:
        nb = nbformat.read(ROOT / path, as_version=4)
        dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not dirty, f"{path}: cells {dirty} have outputs; clear them before committing"


IMPORT_ALL = """
import importlib, json, pkgutil, sys
from pathlib import Path
import course_utils
failures = []
modules = ["course_utils"] + [m.name for m in pkgutil.walk_packages(
    course_utils.__path__, "course_utils.", onerror=lambda name: failures.append([name, repr(sys.exc_info()[1])]))]
for name in modules:
    try:
        importlib.import_module(name)
    except Exception as error:
        failures.append([name, repr(error)])
shipped = Path(course_utils.__file__).parent / "shipped"
print(json.dumps({"file": course_utils.__file__, "modules": modules, "failures": failures,
                  "shipped": {p.name: p.stat().st_size for p in shipped.glob("*")}}))
"""


def test_wheel_installs_a_working_package(tmp_path):
    """`pip install .` (not editable) gives every module of course_utils and the shipped files."""
    src = tmp_path / "src"          # a copy, so that the build leaves nothing in the repository
    shutil.copytree(ROOT / "course_utils", src / "course_utils", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shipped_dir = src / "course_utils" / "shipped"
    if not any(shipped_dir.glob("*")):   # not there yet: a stand-in still proves the package-data rule
        shipped_dir.mkdir(exist_ok=True)
        (shipped_dir / "stand-in.h5").write_bytes(b"\0" * 16)
    shipped = {p.name: p.stat().st_size for p in shipped_dir.glob("*")}

    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    build = subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                                  "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True,
                           check=False)
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("course_utils-*.whl")
    version = _pyproject()["version"]
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert tops == {"course_utils", f"course_utils-{version}.dist-info"}, tops

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = subprocess.run(pip + ["--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
                             capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stderr
    # The course's packages come from .venv's site-packages, listed by a .pth file. Only the path
    # is added: .venv's own .pth files (the editable course_utils among them) are not run.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    paths = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(site) / "course_env.pth").write_text("\n".join(paths) + "\n")

    elsewhere = tmp_path / "elsewhere"   # outside the repository, so the source tree cannot be imported
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg")
    run = subprocess.run([str(python), "-c", IMPORT_ALL], cwd=elsewhere, env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(found["file"]).is_relative_to(venv), f"imported {found['file']}, not the installed wheel"
    assert not found["failures"], found["failures"]
    expected = {p.relative_to(src).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
                for p in (src / "course_utils").rglob("*.py")}
    assert expected <= set(found["modules"]), sorted(expected - set(found["modules"]))
    assert found["shipped"] == shipped
