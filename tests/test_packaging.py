"""The set-up files agree with each other (markers included): pyproject's ranges start at Colab's
versions and hold the locks (constraints.txt, constraints-gpu.txt), environment.yml and the Colab
test venv use them; the wheel builds with no warning into a working package with its licences; the
pre-commit hooks are local; notebooks are committed without outputs."""

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
import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
# Marker environments of the platforms TensorFlow 2.21 has wheels for (tools/check_platform.py),
# at the oldest and newest Python that requires-python allows.
PLATFORM_ENVIRONMENTS = [
    dict(default_environment(), sys_platform=sys_platform, platform_system=system, platform_machine=machine,
         os_name="nt" if system == "Windows" else "posix", python_version=version[:4], python_full_version=version,
         implementation_name="cpython", platform_python_implementation="CPython")
    for sys_platform, system, machine in [("linux", "Linux", "x86_64"), ("linux", "Linux", "aarch64"),
                                          ("win32", "Windows", "AMD64"), ("darwin", "Darwin", "arm64")]
    for version in ["3.11.0", "3.13.0"]
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


def _colab_versions():
    """{name: version} of colab/versions.txt (Colab's runtime), and its Python."""
    lines = (ROOT / "colab" / "versions.txt").read_text().splitlines()
    pins = {canonicalize_name(name): version for name, version in _pins(lines).items()}
    python = next(line.split("==")[1].strip() for line in lines if line.startswith("# python=="))
    return pins, python


def test_pyproject_gives_ranges_that_start_at_colabs_versions():
    """Each requirement is a range with an upper end (or an exact pin); where Colab has the package, the
    lower end is Colab's version (make test-colab runs there), TensorFlow's builds included."""
    project = _pyproject()
    colab, colab_python = _colab_versions()
    deps = [Requirement(d) for d in project["dependencies"]
            + [d for extra in project["optional-dependencies"].values() for d in extra]]
    for r in deps:
        ops = {s.operator for s in r.specifier}
        assert ops == {"=="} or ops == {">=", "<"}, r
        lower = next((s.version for s in r.specifier if s.operator in (">=", "==")), None)
        name = "tensorflow" if canonicalize_name(r.name) == "tensorflow-cpu" else canonicalize_name(r.name)
        if name in colab:
            assert lower == colab[name], (str(r), colab[name])
    named = {canonicalize_name(r.name) for r in deps} | {"tensorflow"}
    missing = set(colab) - named - {"protobuf", "h5py"}       # these two come with TensorFlow and Keras
    assert not missing, missing
    assert SpecifierSet(project["requires-python"]).contains(colab_python)
    assert SpecifierSet(project["requires-python"]).contains("3.11.0")     # Debian 12's python3 is 3.11.2


def test_wheel_license_is_spdx_with_its_files():
    text = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project, build = text["project"], text["build-system"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE", "LICENSE-CONTENT.md"]
    assert all((ROOT / name).is_file() for name in project["license-files"])
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert "CC BY 4.0" in (ROOT / "LICENSE-CONTENT.md").read_text()
    setuptools = next(Requirement(r) for r in build["requires"] if r.startswith("setuptools"))
    assert not setuptools.specifier.contains("76.1") and setuptools.specifier.contains("77.0")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["license"] == project["license"]
    assert citation["version"] == project["version"] and citation["authors"]
    assert citation["repository-code"] == project["urls"]["Source"]


def _requirements(lines):
    """{(name, marker): specifier}, markers normalised by packaging so that both files compare equal."""
    reqs = [Requirement(line) for line in lines]
    return {(canonicalize_name(r.name), str(r.marker) if r.marker else ""): str(r.specifier) for r in reqs}


def test_environment_yml_installs_the_students_set_from_the_lock():
    """conda: conda-forge without Anaconda's defaults, the [cpu,lab] set under constraints.txt, no test tools."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert SpecifierSet(_pyproject()["requires-python"]).contains(python.split("=")[1] + ".0")
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert pip == ["-c constraints.txt", "-e .[cpu,lab]"], pip
    assert "check_platform.py --platform-only" in (ROOT / "environment.yml").read_text().splitlines()[0]


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


def _constraints(name="constraints.txt"):
    """The requirements of a lock, comments left out."""
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines()]
    return [Requirement(line) for line in lines if line]


@pytest.mark.parametrize("lock,tensorflow", [("constraints.txt", "cpu"), ("constraints-gpu.txt", "gpu")])
def test_lock_pins_every_requirement_on_every_platform(lock, tensorflow):
    """The universal locks: wherever pyproject asks for a package, the lock pins one version of it, within
    pyproject's range, on each supported platform and Python (the CUDA set in constraints-gpu.txt)."""
    project = _pyproject()
    extras = project["optional-dependencies"]
    wanted = [Requirement(r) for r in project["dependencies"] + extras[tensorflow] + extras["lab"] + extras["dev"]]
    constraints = _constraints(lock)
    assert all(len(c.specifier) == 1 and next(iter(c.specifier)).operator == "==" for c in constraints)
    envs = PLATFORM_ENVIRONMENTS if tensorflow == "cpu" else PLATFORM_ENVIRONMENTS[:2]   # CUDA: Linux x86-64
    for env in envs:
        pinned = {}
        for c in constraints:
            if c.marker is None or c.marker.evaluate(env):
                name = canonicalize_name(c.name)
                assert name not in pinned, f"{name} pinned twice for {env['sys_platform']} {env['platform_machine']}"
                pinned[name] = next(iter(c.specifier)).version
        for r in wanted:
            if r.marker is None or r.marker.evaluate(env):
                version = pinned.get(canonicalize_name(r.name))
                assert version and r.specifier.contains(version), (str(r), version, env["platform_machine"])
        if tensorflow == "gpu":
            assert "tensorflow-cpu" not in pinned and {"nvidia-cudnn-cu12", "nvidia-cublas-cu12"} <= set(pinned)


def test_gpu_lock_agrees_with_the_cpu_lock():
    """Both locks pin the same version of every package they share (constraints-gpu.txt is compiled
    under constraints.txt): switching GPU=0/1 changes TensorFlow's build and the CUDA wheels only."""
    def versions(name):
        found = {}
        for c in _constraints(name):
            found.setdefault(canonicalize_name(c.name), set()).add(str(c.specifier))
        return found
    cpu, gpu = versions("constraints.txt"), versions("constraints-gpu.txt")
    shared = cpu.keys() & gpu.keys()
    assert len(shared) > 100 and {name for name in shared if cpu[name] != gpu[name]} == set()
    assert {name for name in gpu.keys() - cpu.keys() if not name.startswith("nvidia-")} <= {"tensorflow"}
    assert cpu.keys() - gpu.keys() <= {"tensorflow-cpu"}


@pytest.mark.parametrize("lock,extras", [("constraints.txt", {"cpu", "lab", "dev"}),
                                         ("constraints-gpu.txt", {"gpu", "lab", "dev"})])
def test_locks_say_how_to_regenerate_them(lock, extras):
    header = (ROOT / lock).read_text().split("\n", 3)[:2]
    command = header[1].lstrip("# ").split()
    assert header[0].startswith("#") and command[:4] == ["uv", "pip", "compile", "pyproject.toml"], header
    assert "--universal" in command and "-o" in command and command[command.index("-o") + 1] == lock
    assert command[command.index("--python-version") + 1] == "3.11"        # requires-python's lower end
    found = {command[i + 1] for i, word in enumerate(command) if word == "--extra"}
    assert extras <= found and not {"cpu", "gpu"} - extras & found, found
    if lock == "constraints-gpu.txt":
        assert command[command.index("-c") + 1] == "constraints.txt"


def _install_recipe():
    return (ROOT / "Makefile").read_text().split("\n$(VENV)/.installed-$(TF_EXTRA)-%:", 1)[1].split("\n\n", 1)[0]


def test_makefile_bootstraps_the_pinned_uv():
    pinned = _pins(_pyproject()["optional-dependencies"]["dev"])["uv"]
    assert f"uv=={pinned}" in _install_recipe()


def _dry_run(tmp_path, *args, stamps=()):
    """`make -n` in the repository with a venv of its own under tmp_path (nothing runs)."""
    venv = tmp_path / "venv"
    venv.mkdir(exist_ok=True)
    for stamp in stamps:
        (venv / stamp).touch()
    run = subprocess.run(["make", "-n", f"VENV={venv}", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    return [line for line in run.stdout.splitlines() if "uv pip install" in line and "-e" in line]


def test_make_lab_installs_no_test_tools_and_make_test_adds_them(tmp_path):
    (lab,) = _dry_run(tmp_path, "lab")
    assert '-c constraints.txt -e ".[cpu,lab]"' in lab, lab
    (dev,) = _dry_run(tmp_path, "check")
    assert '-c constraints.txt -e ".[cpu,lab,dev]"' in dev, dev
    # After `make lab`, `make test` adds the test tools in the same venv; after `make test`, `make lab` has
    # nothing to install.
    assert len(_dry_run(tmp_path, "test", stamps=[".installed-cpu-lab"])) == 1
    assert _dry_run(tmp_path, "lab", stamps=[".installed-cpu-dev", ".installed-cpu-lab"]) == []


def test_switching_gpu_leaves_one_tensorflow(tmp_path):
    """GPU=1 after GPU=0 (and back) first removes the other set's TensorFlow and CUDA wheels, then
    installs from the other lock."""
    recipe = _install_recipe()
    (gpu,) = _dry_run(tmp_path, "lab", "GPU=1", stamps=[".installed-cpu-lab"])
    assert '-c constraints-gpu.txt -e ".[gpu,lab]"' in gpu, gpu
    assert "$(OTHER_TF_EXTRA)" in recipe and "$(DROP_TENSORFLOW)" in recipe
    drop = (ROOT / "Makefile").read_text().split("\nDROP_TENSORFLOW =", 1)[1].split("\n\n", 1)[0]
    pattern = re.search(r"sed -n -E '(s/.*?/p)'", drop).group(1)
    freeze = "keras==3.15.1\ntensorflow==2.21.0\ntensorflow-cpu==2.21.0\ntensorflow-io-gcs-filesystem==0.37\n" \
             "nvidia-cudnn-cu12==9.28.0.42\nnvidia-cublas-cu12==12.9.3.13\ntensorboard==2.21.0\n"
    dropped = subprocess.run(["sed", "-n", "-E", pattern.replace("\\\\", "\\")], input=freeze,
                             capture_output=True, text=True, check=True).stdout.split()
    assert dropped == ["tensorflow", "tensorflow-cpu", "nvidia-cudnn-cu12", "nvidia-cublas-cu12"], dropped


def test_colab_test_venv_adds_only_locked_tools():
    """make test-colab: Colab's versions plus the Colab cell's two packages (course.toml) and the test tools,
    at constraints.txt's pins; course_utils itself --no-deps, as the Colab cell installs it."""
    locked = {canonicalize_name(k): v for k, v in _pins((ROOT / "constraints.txt").read_text().splitlines()).items()}
    tools = {canonicalize_name(k): v for k, v in
             _pins((ROOT / "colab" / "test-tools.txt").read_text().splitlines()).items()}
    assert tools and all(locked.get(name) == version for name, version in tools.items()), tools
    colab, _ = _colab_versions()
    assert not set(tools) & set(colab)
    extra = tomllib.loads((ROOT / "course.toml").read_text())["colab"]["extra_packages"]
    assert {canonicalize_name(Requirement(r).name) for r in extra} <= set(tools)
    assert {"pytest", "nbval", "nbconvert", "ipykernel"} <= set(tools)
    text = (ROOT / "Makefile").read_text()
    recipe = text.split("\n$(COLAB_STAMP):", 1)[1].split("\n\n", 1)[0]
    assert "-r colab/versions.txt -r colab/test-tools.txt" in recipe and "--no-deps -e ." in recipe
    assert Version(_colab_versions()[1]).release[:2] == (3, 13) and "python3.13" in recipe + text


def test_pre_commit_hooks_are_local_and_strip_outputs_and_run_ruff():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]     # no hook repository to fetch
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    assert {"strip-notebook-outputs", "ruff"} <= set(hooks)
    assert "ruff check" in hooks["ruff"]["entry"] and hooks["strip-notebook-outputs"]["files"].endswith("ipynb$")
    assert all(hook["language"] in ("system", "python") for hook in hooks.values())


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
    for name in ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT.md"):
        shutil.copy2(ROOT / name, src / name)
    shipped_dir = src / "course_utils" / "shipped"
    if not any(shipped_dir.glob("*")):   # not there yet: a stand-in still proves the package-data rule
        shipped_dir.mkdir(exist_ok=True)
        (shipped_dir / "stand-in.h5").write_bytes(b"\0" * 16)
    shipped = {p.name: p.stat().st_size for p in shipped_dir.glob("*")}

    # Built with this venv's setuptools (no isolation), which must be one the build-system accepts; -v shows
    # the backend's warnings, and any warning fails the test (a SetuptoolsDeprecationWarning today is a
    # refused build after its deadline).
    import setuptools

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    wanted = next(Requirement(r) for r in requires if r.startswith("setuptools"))
    assert wanted.specifier.contains(setuptools.__version__), (setuptools.__version__, str(wanted))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    build = subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-v",
                                  "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True,
                           check=False)
    assert build.returncode == 0, build.stderr
    warned = [line for line in (build.stdout + build.stderr).splitlines() if re.search(r"Warning|[Dd]eprecat", line)]
    assert not warned, "\n".join(warned)
    (wheel,) = (tmp_path / "dist").glob("course_utils-*.whl")
    version = _pyproject()["version"]
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"course_utils", f"course_utils-{version}.dist-info"}, tops
    metadata = zipfile.ZipFile(wheel).read(f"course_utils-{version}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata.splitlines(), metadata[:800]
    assert {f"course_utils-{version}.dist-info/licenses/{n}" for n in ("LICENSE", "LICENSE-CONTENT.md")} <= set(names)

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
