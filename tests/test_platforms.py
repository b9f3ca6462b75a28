"""The pinned set installs on every platform TensorFlow 2.21 supports, and the set-up stops in one
line on the others (tools/check_platform.py).

The resolution tests ask uv for a resolution of pyproject.toml + constraints.txt for each target
platform: metadata only, nothing is installed. They are the only tests here that may skip, and only
when the package index cannot be reached.
"""

import functools
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import urllib.request
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

pytestmark = pytest.mark.platform    # resolves the pins for other platforms from the package index

ROOT = Path(__file__).resolve().parent.parent
INDEX = os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL") or "https://pypi.org/simple"
# Shared between runs, so that a second run answers from the cache in seconds.
UV_CACHE = Path(tempfile.gettempdir()) / "dlcv-course-uv-cache"
NETWORK_ERROR = re.compile(
    r"dns error|failed to lookup address|name or service not known|temporary failure in name resolution"
    r"|connection refused|connection reset|network is unreachable|tcp connect error|error sending request"
    r"|operation timed out|timed out|could not connect|client error \(connect\)",
    re.IGNORECASE)

_spec = importlib.util.spec_from_file_location("check_platform", ROOT / "tools" / "check_platform.py")
check_platform = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_platform)

# platform.system() -> sys_platform, for evaluating pyproject's markers.
SYS_PLATFORM = {"Linux": "linux", "Windows": "win32", "Darwin": "darwin"}


# ---- tools/check_platform.py -----------------------------------------------------------------

SUPPORTED_PLATFORMS = sorted(check_platform.PLATFORMS)


@pytest.mark.parametrize("system,machine", SUPPORTED_PLATFORMS)
@pytest.mark.parametrize("version", [(3, 11, 0), (3, 11, 2), (3, 11, 7), (3, 12, 0), (3, 13, 9)])
def test_supported_platforms_pass(version, system, machine):
    assert check_platform.problem(version + ("final", 0), system, machine) is None


@pytest.mark.parametrize("version,system,machine,bits", [
    ((3, 12, 4), "Darwin", "x86_64", 64),      # Intel Mac: no TensorFlow 2.21 wheel at all
    ((3, 11, 7), "Darwin", "x86_64", 64),
    ((3, 14, 0), "Linux", "x86_64", 64),       # no TensorFlow wheel for 3.14 ...
    ((3, 14, 2), "Darwin", "arm64", 64),
    ((3, 15, 0), "Windows", "AMD64", 64),      # ... nor anything newer
    ((3, 10, 12), "Linux", "aarch64", 64),     # too old
    ((3, 10, 12), "Linux", "x86_64", 64),
    ((3, 8, 10), "Windows", "AMD64", 64),
    ((3, 12, 4), "Linux", "x86_64", 32),       # 32-bit Python on a 64-bit OS
    ((3, 12, 4), "Linux", "i686", 32),
    ((3, 12, 4), "Linux", "armv7l", 32),
    ((3, 12, 4), "Windows", "x86", 32),
    ((3, 12, 4), "Windows", "ARM64", 64),
    ((3, 12, 4), "FreeBSD", "amd64", 64),
    ((3, 12, 4), "", "", 64),                  # platform could not tell
])
def test_unsupported_platforms_get_one_line_with_the_way_out(version, system, machine, bits):
    message = check_platform.problem(version + ("final", 0), system, machine, bits)
    assert message and "\n" not in message
    assert "PYTHON=" in message and "Colab" in message, message
    assert "3.11.0" in message and "macOS arm64" in message, message   # what is supported
    assert "install" in message, message                                 # how to get a Python there


@pytest.mark.parametrize("system,machine,bits,allowed", [
    ("Linux", "x86_64", 64, True), ("Darwin", "arm64", 64, True), ("Darwin", "x86_64", 64, False),
    ("Linux", "x86_64", 32, False), ("Windows", "ARM64", 64, False)])
def test_platform_only_ignores_the_python_version(system, machine, bits, allowed):
    """The conda route checks the platform only: conda brings its own Python."""
    for version in [(3, 8, 10), (3, 12, 4), (3, 15, 0)]:
        message = check_platform.problem(version, system, machine, bits, check_python=False)
        assert (message is None) == allowed, (version, system, machine, message)


@pytest.mark.parametrize("system,needle", [("Linux", "apt-get"), ("Darwin", "brew"), ("Windows", "py -3.12")])
def test_too_old_python_says_how_to_get_one_on_that_system(system, needle):
    machine = {"Linux": "x86_64", "Darwin": "arm64", "Windows": "AMD64"}[system]
    message = check_platform.problem((3, 10, 4), system, machine)
    assert needle in message and "\n" not in message, message


def test_check_platform_script_is_silent_here():
    """This machine runs the course, so the script prints nothing and exits 0."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "check_platform.py")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_check_platform_main_prints_one_line_to_stderr(monkeypatch, capsys):
    monkeypatch.setattr(check_platform.platform, "system", lambda: "Darwin")
    monkeypatch.setattr(check_platform.platform, "machine", lambda: "x86_64")
    assert check_platform.main() == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "PYTHON=" in err and "Colab" in err


def test_check_platform_agrees_with_requires_python():
    requires = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    for version in [(3, 10, 14), (3, 11, 0), (3, 11, 4), (3, 11, 5), (3, 11, 9), (3, 12, 0), (3, 13, 0),
                    (3, 13, 11), (3, 14, 0), (3, 14, 1), (3, 15, 0), (4, 0, 0)]:
        allowed = check_platform.problem(version, "Linux", "x86_64") is None
        assert allowed == requires.contains(".".join(map(str, version))), version


@pytest.mark.parametrize("system,machine", SUPPORTED_PLATFORMS + [("Darwin", "x86_64")])
def test_cpu_extra_gives_exactly_one_tensorflow_on_supported_platforms(system, machine):
    """pyproject's markers and check_platform's list describe the same platforms."""
    cpu = [Requirement(r) for r in
           tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["cpu"]]
    env = {"sys_platform": SYS_PLATFORM[system], "platform_machine": machine, "platform_system": system,
           "python_version": "3.12", "python_full_version": "3.12.4"}
    chosen = [r.name for r in cpu if r.marker is None or r.marker.evaluate(env)]
    assert len(chosen) == (1 if (system, machine) in check_platform.PLATFORMS else 0), chosen


def test_makefile_checks_the_platform_first():
    text = (ROOT / "Makefile").read_text()
    recipe = text.split("\n$(VENV)/.installed-$(TF_EXTRA)-%:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert "tools/check_platform.py" in recipe[0], recipe[0]


# ---- resolving the pinned set for each platform (uv, metadata only) -----------------------------

def _uv():
    exe = Path(sys.executable).with_name("uv.exe" if os.name == "nt" else "uv")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "uv"]


@functools.cache
def _index_unreachable():
    """Why the package index cannot be reached, or None when it can (asked once per session)."""
    try:
        with urllib.request.urlopen(INDEX.rstrip("/") + "/pip/", timeout=10) as response:
            response.read(1)
    except OSError as error:
        return f"package index {INDEX} unreachable: {error}"
    return None


def _compile(target, python_version, requirements=None, tensorflow_extra="cpu"):
    """uv's resolution of the pinned set (or of `requirements`) for one target platform and Python;
    tensorflow_extra="gpu": the CUDA set against its own lock."""
    sources = ["-"] if requirements else ["pyproject.toml", "--extra", tensorflow_extra, "--extra", "lab",
                                          "--extra", "dev"]
    constraints = "constraints-gpu.txt" if tensorflow_extra == "gpu" else "constraints.txt"
    command = _uv() + ["pip", "compile", *sources, "-c", constraints,
                       "--python-platform", target, "--python-version", python_version,
                       "--only-binary", ":all:", "--no-header", "--no-annotate", "--quiet",
                       # This interpreter for anything uv runs: without it uv tries to download a
                       # Python matching --python-version, which costs seconds and needs more network.
                       "--python", sys.executable, "--no-python-downloads", "--cache-dir", str(UV_CACHE)]
    if _index_unreachable.cache_info().currsize and _index_unreachable():
        pytest.skip(_index_unreachable())     # known offline already: skip without waiting for uv's retries
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    result = subprocess.run(command, cwd=ROOT, input=requirements, capture_output=True, text=True,
                            timeout=300, env=env, check=False)
    if result.returncode != 0:
        offline = _index_unreachable()
        if offline or NETWORK_ERROR.search(result.stderr):
            pytest.skip(offline or "uv could not reach the package index: " + result.stderr.strip()[-500:])
    return result


def _resolved(stdout):
    return {re.sub(r"[-_.]+", "-", m.group(1)).lower(): m.group(2)
            for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", stdout, re.MULTILINE)}


def _locked(constraints):
    """{name: the versions the lock pins for it} (two where a marker splits it, as soupsieve at 3.11.5)."""
    locked = {}
    for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / constraints).read_text(), re.MULTILINE):
        locked.setdefault(re.sub(r"[-_.]+", "-", m.group(1)).lower(), set()).add(m.group(2))
    return locked


def _off_the_lock(resolved, constraints):
    locked = _locked(constraints)
    return {name: version for name, version in resolved.items() if version not in locked.get(name, ())}


# The oldest Python requires-python allows (3.11.0: Debian 12's own is 3.11.2) and the newest minor.
@pytest.mark.parametrize("python_version", ["3.11.0", "3.13"])
@pytest.mark.parametrize("target,tensorflow", [
    ("x86_64-unknown-linux-gnu", "tensorflow-cpu"),
    ("aarch64-unknown-linux-gnu", "tensorflow"),
    ("aarch64-apple-darwin", "tensorflow"),
    ("x86_64-pc-windows-msvc", "tensorflow-cpu"),
])
def test_pinned_set_resolves_for(target, tensorflow, python_version):
    result = _compile(target, python_version)
    assert result.returncode == 0, f"uv cannot resolve the pinned set for {target}:\n{result.stderr}"
    resolved = _resolved(result.stdout)
    assert resolved.get(tensorflow) == "2.21.0", sorted(resolved)
    other = {"tensorflow", "tensorflow-cpu"} - {tensorflow}
    assert not other & set(resolved), f"both TensorFlow builds resolved for {target}"
    assert _off_the_lock(resolved, "constraints.txt") == {}


@pytest.mark.parametrize("python_version", ["3.11.0", "3.13"])
def test_gpu_set_resolves_from_its_lock(python_version):
    """GPU=1 (Linux x86-64): one TensorFlow, the CUDA build, and every CUDA wheel pinned by constraints-gpu.txt."""
    result = _compile("x86_64-unknown-linux-gnu", python_version, tensorflow_extra="gpu")
    assert result.returncode == 0, f"uv cannot resolve the GPU set:\n{result.stderr}"
    resolved = _resolved(result.stdout)
    assert resolved.get("tensorflow") == "2.21.0" and "tensorflow-cpu" not in resolved, sorted(resolved)
    cuda = {name for name in resolved if name.startswith("nvidia-")}
    assert {"nvidia-cudnn-cu12", "nvidia-cublas-cu12"} <= cuda, sorted(resolved)
    assert _off_the_lock(resolved, "constraints-gpu.txt") == {}


@pytest.mark.parametrize("target,system,machine,python_version,tensorflow", [
    ("x86_64-apple-darwin", "Darwin", "x86_64", "3.12", "tensorflow"),     # Intel Mac: neither build
    ("x86_64-apple-darwin", "Darwin", "x86_64", "3.12", "tensorflow-cpu"),
    ("x86_64-unknown-linux-gnu", "Linux", "x86_64", "3.14", "tensorflow"),  # Python 3.14: none yet
])
def test_no_tensorflow_where_check_platform_stops(target, system, machine, python_version, tensorflow):
    """Where TensorFlow 2.21 has no wheel, the set-up cannot work: tools/check_platform.py stops it."""
    version = tuple(int(part) for part in python_version.split(".")) + (0,)
    assert check_platform.problem(version, system, machine) is not None
    result = _compile(target, python_version, f"{tensorflow}==2.21.0\n")
    assert result.returncode != 0, f"{tensorflow} 2.21.0 resolves for {target} {python_version} now: update " \
                                   "the markers in pyproject.toml and environment.yml, and tools/check_platform.py"
    assert "tensorflow" in result.stderr and "wheel" in result.stderr, result.stderr
