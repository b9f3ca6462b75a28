"""Run mode (quick or full), budgets, seeds, cache paths and the environment report.

Usage::

    from course_utils.config import budget, seed_everything
    epochs = budget(full=8, quick=1)
"""

from __future__ import annotations

import os
import platform
import random
import sys
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

QUICK_ENV = "COURSE_QUICK"


def is_quick() -> bool:
    """True when ``COURSE_QUICK`` is set to a true value (``make test`` sets it).

    Usage: ``if is_quick(): ...`` (prefer :func:`budget`).
    """
    return os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def mode_name() -> str:
    """``"quick"`` or ``"full"``. Usage: ``print(mode_name())``."""
    return "quick" if is_quick() else "full"


def budget(full: T, quick: T) -> T:
    """Return ``quick`` in quick mode and ``full`` otherwise.

    Usage: ``epochs = budget(full=8, quick=1)``.
    """
    return quick if is_quick() else full


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and Keras (TensorFlow) so a run can be repeated.

    Usage: ``seed_everything(42)``.
    """
    import numpy as np

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    if "keras" in sys.modules or _can_import("keras"):
        import keras

        keras.utils.set_random_seed(seed)


def _can_import(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def keras_home() -> Path:
    """Keras' cache folder: ``$KERAS_HOME`` or ``~/.keras`` (datasets/ and models/ live there).

    Usage: ``keras_home() / "datasets"``.
    """
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def cache_dir() -> Path:
    """The course's own cache (converted weights): ``$XDG_CACHE_HOME/course_utils``
    or ``~/.cache/course_utils``; created on first use.

    Usage: ``cache_dir() / "efficientnet_lite0.weights.h5"``.
    """
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser()
    path = base / "course_utils"
    path.mkdir(parents=True, exist_ok=True)
    return path


def repo_root() -> Path:
    """The repository folder that holds ``course_utils`` (and ``data/``).

    Usage: ``repo_root() / "data"``.
    """
    return Path(__file__).resolve().parent.parent


def on_colab() -> bool:
    """True inside Google Colab. Usage: ``if on_colab(): ...``."""
    return "google.colab" in sys.modules or _can_import("google.colab")


def environment_report() -> str:
    """A short text report: versions, CPU/GPU, run mode, Colab, where each dataset was found.

    Usage: ``print(environment_report())``.
    """
    import numpy as np

    lines = [
        f"Python      {platform.python_version()} on {platform.system()} {platform.machine()}"
        f", {os.cpu_count()} CPU cores",
        f"NumPy       {np.__version__}",
    ]
    try:
        import keras
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        lines.append(f"TensorFlow  {tf.__version__}   Keras {keras.__version__}"
                     f" (backend {keras.backend.backend()})")
        lines.append("Devices     " + (f"{len(gpus)} GPU(s): " + ", ".join(g.name for g in gpus)
                                       if gpus else "CPU only (no GPU found)"))
    except ImportError as exc:  # pragma: no cover - depends on the install
        lines.append(f"TensorFlow  not importable ({exc}); run `make setup`")
    lines.append(f"Mode        {mode_name()} ({QUICK_ENV}={os.environ.get(QUICK_ENV, '')!r})")
    lines.append(f"Colab       {'yes' if on_colab() else 'no'}")
    from course_utils.data import fashion_mnist_source

    lines.append(f"Fashion-MNIST  {fashion_mnist_source()}")
    lines.append(f"Caches      Keras {keras_home()}, course {cache_dir()}")
    return "\n".join(lines)
