"""Run mode (quick or full), budgets, seeds and the presenter switch.

Quick mode (``COURSE_QUICK=1``, set by ``make test``) shrinks data and epochs; every cell still
runs. The presenter switch (``COURSE_PRESENTER=1``, or ``set_presenter(True)`` in a first cell on
Colab) makes lessons load shipped weights and histories instead of running long trainings; it is
independent of quick mode, so CI still runs every training on a tiny budget.

Usage::

    from course_utils.config import budget, seed_everything, use_shipped
    epochs = budget(full=8, quick=1)
    if use_shipped():
        model = fashion_cnn(weights="shipped")
"""

from __future__ import annotations

import gc
import os
import random
from typing import TypeVar

T = TypeVar("T")

QUICK_ENV = "COURSE_QUICK"
PRESENTER_ENV = "COURSE_PRESENTER"
_TRUE = {"1", "true", "yes", "on"}
_presenter_override: bool | None = None


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def is_quick() -> bool:
    """True when ``COURSE_QUICK`` is set to a true value (``make test`` sets it).

    Usage: ``if is_quick(): ...`` (prefer :func:`budget`).
    """
    return _env_true(QUICK_ENV)


def mode_name() -> str:
    """``"quick"`` or ``"full"``. Usage: ``print(mode_name())``."""
    return "quick" if is_quick() else "full"


def budget(full: T, quick: T) -> T:
    """Return ``quick`` in quick mode and ``full`` otherwise.

    Usage: ``epochs = budget(full=8, quick=1)``.
    """
    return quick if is_quick() else full


def set_presenter(on: bool | None = True) -> None:
    """Turn the presenter switch on or off for this kernel (``None``: follow ``COURSE_PRESENTER`` again).

    For a first cell on Colab, where no environment variable can be set before the kernel starts.
    Usage: ``set_presenter(True)``.
    """
    global _presenter_override
    _presenter_override = None if on is None else bool(on)


def is_presenter() -> bool:
    """True when the presenter switch is on: :func:`set_presenter` if called, else ``COURSE_PRESENTER``.

    Usage: ``if is_presenter(): ...`` (lessons call :func:`use_shipped`).
    """
    return _env_true(PRESENTER_ENV) if _presenter_override is None else _presenter_override


def use_shipped(what: str = "the shipped weights") -> bool:
    """Whether a lesson should load ``what`` instead of training; says so in one line when it does.

    Call it before any long training starts. Usage: ``if use_shipped(): model = fashion_cnn()``.
    """
    if is_presenter():
        print(f"Presenter mode ({PRESENTER_ENV}=1): loading {what} instead of training.")
        return True
    return False


_imports_frozen = False   # set by the first call of _import_keras


def _import_keras():
    """Import Keras (and TensorFlow); the first call also takes the imports out of the collector's sight.

    The import makes about 400,000 objects that live as long as the process (modules, classes,
    functions) and almost no garbage, yet Python's cyclic garbage collector scans all of them at
    every full collection: six times during the import, then again whenever a model is built or
    traced (0.1-0.4 s each; 1.4 s of lesson 09's quick run). So the first call imports with the
    collector paused and ``gc.freeze()``s what is alive into the permanent generation, which later
    collections skip (objects alive then are never collected, so call it before building models,
    as every lesson's first cell does). Everything made afterwards is collected as usual.
    """
    global _imports_frozen
    if _imports_frozen:
        import keras

        return keras
    collecting = gc.isenabled()
    gc.disable()
    try:
        import keras
    finally:
        gc.freeze()
        _imports_frozen = True
        if collecting:
            gc.enable()
    return keras


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and Keras (TensorFlow) so a run can be repeated.

    The first call imports Keras the fast way (:func:`_import_keras`).
    Usage: ``seed_everything(42)``.
    """
    import importlib.util
    import sys

    import numpy as np

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    if "keras" in sys.modules or importlib.util.find_spec("keras") is not None:
        _import_keras().utils.set_random_seed(seed)
