"""What this machine is: versions, devices, run mode, Colab, data sources, measured speed.

``make setup`` and lesson 00 print :func:`environment_report`. The Colab test is written once
here (:data:`COLAB_CHECK`); the Colab set-up cell that ``make badges`` stamps into every lesson
uses the same expression, since it runs before ``course_utils`` is installed.

Usage::

    from course_utils.environment import environment_report, on_colab
    print(environment_report())
"""

from __future__ import annotations

import os
import platform
import sys

import numpy as np

from course_utils.config import PRESENTER_ENV, QUICK_ENV, is_presenter, mode_name
from course_utils.data import fashion_mnist_source
from course_utils.paths import cache_dir, keras_home
from course_utils.speed import cached_reference, describe

# The one Colab test, as Python source: the stamped set-up cell pastes it, on_colab() runs it.
COLAB_CHECK = '"google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ'


def on_colab() -> bool:
    """True inside Google Colab (same test as :data:`COLAB_CHECK`). Usage: ``if on_colab(): ...``."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def environment_report() -> str:
    """A short text report: versions, CPU/GPU, run mode, Colab, where each dataset was found, speed.

    Usage: ``print(environment_report())``.
    """
    lines = [
        (f"Python      {platform.python_version()} on {platform.system()} {platform.machine()}"
         f", {os.cpu_count()} CPU cores"),
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
    lines.append(f"Presenter   {'on: shipped weights instead of long trainings' if is_presenter() else 'off'}"
                 f" ({PRESENTER_ENV}={os.environ.get(PRESENTER_ENV, '')!r})")
    lines.append(f"Colab       {'yes' if on_colab() else 'no'}")
    lines.append(f"Fashion-MNIST  {fashion_mnist_source()}")
    lines.append(f"Speed       {describe(cached_reference())}")
    lines.append(f"Caches      Keras {keras_home()}, course {cache_dir()}")
    return "\n".join(lines)
