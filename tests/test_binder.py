"""Serving a class: repo2docker (Binder, JupyterHub) builds from binder/, and the dev container.

repo2docker's plan (``jupyter-repo2docker --no-build --debug``, no Docker daemon needed) installs
Debian's Fashion-MNIST, the pinned packages, runs the post-build step and the start script; the
post-build step caches the ImageNet weights in a fresh venv; the start script sets the log level."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement

from course_utils.pretrained import WEIGHTS_SHA256

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"


def _plan() -> str:
    r2d = Path(sys.executable).with_name("jupyter-repo2docker")
    done = subprocess.run([str(r2d), "--no-build", "--debug", str(ROOT)], capture_output=True, text=True,
                          timeout=300, check=True)
    return done.stdout + done.stderr


def test_repo2docker_plan_installs_data_packages_caches_weights_and_starts_quietly():
    plan = _plan()
    assert "Building conda environment for python=3.11" in plan     # binder/runtime.txt
    steps = ["apt-get install --yes --no-install-recommends dataset-fashion-mnist",
             'pip install --no-cache-dir -r "binder/requirements.txt"',
             "RUN ./binder/postBuild",
             'ENV R2D_ENTRYPOINT="${REPO_DIR}/binder/start"']
    positions = [plan.find(step) for step in steps]
    assert -1 not in positions, [s for s, p in zip(steps, positions) if p == -1]
    assert positions == sorted(positions), "apt, then pip, then postBuild, then the start script"
    assert "environment.yml" not in plan    # binder/ wins over the root's conda file


def test_binder_requirements_are_the_lock_and_the_students_extras():
    lines = [line for line in (BINDER / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == ["-c ../constraints.txt", "-e .[cpu,lab]"]
    assert (BINDER / "../constraints.txt").resolve() == ROOT / "constraints.txt"
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    assert (BINDER / "apt.txt").read_text().split() == ["dataset-fashion-mnist"]
    lock = {Requirement(line.split("#")[0]).name for line in (ROOT / "constraints.txt").read_text().splitlines()
            if line and not line.startswith((" ", "#"))}
    assert {"jupyterlab", "jupyterlab-rise", "tensorflow-cpu"} <= lock


def test_start_script_sets_the_log_level_and_runs_the_command():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run([str(BINDER / "start"), "env"], env=env, capture_output=True, text=True, check=True).stdout
    assert "TF_CPP_MIN_LOG_LEVEL=2" in out.splitlines()
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"      # a hub's own setting wins
    out = subprocess.run([str(BINDER / "start"), "env"], env=env, capture_output=True, text=True, check=True).stdout
    assert "TF_CPP_MIN_LOG_LEVEL=0" in out.splitlines()


def test_post_build_caches_the_weights_and_opens_jupyterlab_in_a_fresh_venv(tmp_path):
    venv = tmp_path / "venv"
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                    "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[cpu]"], check=True, timeout=600)
    home = tmp_path / "home"
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
           "KERAS_HOME": str(home / ".keras")}
    done = subprocess.run(["bash", str(BINDER / "postBuild")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "EfficientNet-Lite0 weights verified and cached" in done.stdout
    stamp = home / ".cache" / "course_utils" / "efficientnet_lite0_imagenet.sha256"
    assert stamp.read_text().split()[0] == WEIGHTS_SHA256
    assert (home / ".keras" / "models" / "imagenet_class_index.json").is_file()
    config = json.loads((venv / "etc" / "jupyter" / "jupyter_server_config.d" / "course.json").read_text())
    assert config["ServerApp"]["default_url"] == "/lab/tree/notebooks"


def test_dev_container_sets_up_the_course_with_the_log_level_and_the_lab_port():
    config = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert config["image"].startswith("mcr.microsoft.com/devcontainers/python:3.12")   # within requires-python
    assert config["postCreateCommand"].endswith("make setup") and "dataset-fashion-mnist" in config["postCreateCommand"]
    assert config["containerEnv"] == {"TF_CPP_MIN_LOG_LEVEL": "2"} and 8888 in config["forwardPorts"]
