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

import os
import random
from typing import TypeVar

import keras
import numpy as np

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


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and Keras (TensorFlow) so a run can be repeated.

    Usage: ``seed_everything(42)``.
    """
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
