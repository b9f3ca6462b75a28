"""Checkers for lesson 07 (data augmentation): the rotation-angle unit conversion, a shift by a known
number of pixels, and the deck's ``ImageDataGenerator`` settings written as Keras 3 layers.

The NumPy reference of the shift is here (``shift_image``); those of the other two are in
:mod:`course_utils.augmentation` (``rotation_factor``, ``deck_augmentation``), which builds on them.
Each validator recognises the usual mistakes and names them.

Usage::

    from course_utils.exercises.lesson07 import check_rotation_factor
    rotation_factor = check_rotation_factor(rotation_factor).use
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils import checks
from course_utils.augmentation import deck_augmentation, rotation_factor, shear_slope
from course_utils.checks import Case, CheckResult, run_check

TOL = {"rtol": 1e-6, "atol": 1e-9}   # this lesson's answers are exact formulas


def shift_image(image: np.ndarray, dx: int, dy: int, fill_value: float = 0.0) -> np.ndarray:
    """Move the content of ``image`` (H, W) or (H, W, C) by whole pixels: ``dx`` right, ``dy`` down.

    Pixels that come in from outside get ``fill_value`` (``fill_mode="constant"``).
    Usage: ``shift_image(x, 3, -2)`` (lesson 07).
    """
    image = np.asarray(image)
    h, w = image.shape[:2]
    out = np.full_like(image, fill_value, dtype=np.result_type(image, np.float32))
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src = image[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


def _factor_problem(out: Any, degrees: float) -> str | None:
    out = checks.one_number(out)
    problem = checks.array_problem(out, ())
    if problem is not None:
        return f"{problem}: return one number, the fraction of a full turn"
    got = checks.as_float_array(out)
    if checks.close(got, degrees / 360, **TOL):
        return None
    fault = checks.first_fault(got, [
        (degrees, "returned the degrees unchanged: RandomRotation takes a fraction of a full turn"),
        (math.radians(degrees), "returned radians: RandomRotation takes a fraction of a full turn (degrees / 360)"),
        (degrees / 180, ("divided by 180 (or doubled the range): a full turn is 360 degrees, and the "
                        "factor is the half-width of the range, as rotation_range was")),
        (degrees / (2 * math.pi), "divided degrees by 2 pi: that mixes units; a full turn is 360 degrees"),
        (degrees / 720, "halved: the factor is the half-width of the range, as rotation_range was"),
    ], **TOL)
    return fault or f"wrong value {float(got):.6g}: expected degrees / 360 = {degrees / 360:.6g}"


def check_rotation_factor(fn: Callable) -> CheckResult:
    """Check ``fn(degrees)``: Keras 3's ``RandomRotation`` factor for ``rotation_range=degrees``.

    Usage: ``rotation_factor = check_rotation_factor(rotation_factor).use``.
    """
    cases = [Case(f"rotation_range={d}", (d,), hint="a fraction of a full turn: degrees / 360")
             for d in (40, 90, 7.5)]
    return run_check("rotation_factor", fn, cases, reference=rotation_factor, diagnose=_factor_problem)


def _shift_problem(out: Any, image: np.ndarray, dx: int, dy: int) -> str | None:
    expected = shift_image(image, dx, dy)
    problem = checks.array_problem(out, image.shape)
    if problem is not None:
        return f"{problem}: return an image of the input's shape"
    got = checks.as_float_array(out)
    if checks.close(got, expected, **TOL):
        return None
    fault = checks.first_fault(got, [
        (np.roll(image, (dy, dx), axis=(0, 1)), "wrapped around (np.roll): pixels coming in must be 0"),
        (shift_image(image, dy, dx), "swapped dx and dy: dx moves along the columns (axis 1)"),
        (shift_image(image, -dx, -dy), "moved the wrong way: positive dx moves the content right, dy down"),
        (shift_image(image, -dx, dy), "moved the wrong way horizontally: positive dx moves the content right"),
        (shift_image(image, dx, -dy), "moved the wrong way vertically: positive dy moves the content down"),
        (image, "returned the image unchanged"),
    ], **TOL)
    return fault or "wrong values: out[y + dy, x + dx] = image[y, x], zeros where nothing comes in"


def check_shift_image(fn: Callable) -> CheckResult:
    """Check ``fn(image, dx, dy)``: the content moved ``dx`` pixels right and ``dy`` down, zeros filled in.

    Usage: ``shift_image = check_shift_image(shift_image).use``.
    """
    rng = np.random.default_rng(7)
    cases = []
    for name, shape, dx, dy in [("6x8 image, dx=2, dy=1", (6, 8), 2, 1),
                                ("7x5x3 image, dx=-1, dy=3", (7, 5, 3), -1, 3),
                                ("9x9 image, dx=0, dy=-4", (9, 9), 0, -4),
                                ("5x6 image, dx=3, dy=-2", (5, 6), 3, -2)]:
        image = rng.uniform(0.1, 1.0, size=shape)
        cases.append(Case(name, (image, dx, dy), hint="copy a slice into a zero image; dx is the column shift"))
    return run_check("shift_image", fn, cases, reference=shift_image, diagnose=_shift_problem)


# The numbers a layer list is judged by, in this order; a missing layer gives NaN.
_SETTINGS = ("rescale", "rotation", "width_shift", "height_shift", "shear_x", "shear_y", "zoom_height",
             "zoom_width", "horizontal_flip")


def _layers_of(out: Any) -> list | None:
    if hasattr(out, "layers"):
        return list(out.layers)
    if isinstance(out, (list, tuple)):
        return list(out)
    return None


def _half_width(value: Any) -> float:
    """A Keras factor (a number or a (lower, upper) pair) as its half-width; +-f is f."""
    if isinstance(value, (list, tuple)):
        lower, upper = (float(v) for v in value)
        return (upper - lower) / 2 if lower < 0 < upper or lower == -upper else max(abs(lower), abs(upper))
    return abs(float(value)) if value is not None else float("nan")


def _settings(layers: list) -> tuple[np.ndarray, list[str]]:
    """The numbers of ``_SETTINGS`` read from the layers' configs, and the fill modes seen."""
    found = dict.fromkeys(_SETTINGS, float("nan"))
    fills = []
    for layer in layers:
        kind, config = type(layer).__name__, layer.get_config()
        if "fill_mode" in config:
            fills.append(f"{kind}: {config['fill_mode']}")
        if kind == "Rescaling":
            found["rescale"] = float(config["scale"])
        elif kind == "RandomRotation":
            found["rotation"] = _half_width(config["factor"])
        elif kind == "RandomTranslation":
            found["height_shift"] = _half_width(config["height_factor"])
            found["width_shift"] = _half_width(config["width_factor"])
        elif kind == "RandomShear":
            found["shear_x"] = max(abs(float(v)) for v in np.ravel(config["x_factor"]))
            found["shear_y"] = max(abs(float(v)) for v in np.ravel(config["y_factor"]))
        elif kind == "RandomZoom":
            found["zoom_height"] = _half_width(config["height_factor"])
            width = config.get("width_factor")
            found["zoom_width"] = _half_width(width) if width is not None else float("nan")
        elif kind == "RandomFlip":
            found["horizontal_flip"] = 1.0 if config["mode"] in ("horizontal", "horizontal_and_vertical") else 0.0
    return np.array([found[k] for k in _SETTINGS]), fills


def _deck_problem(out: Any, fill_mode: str) -> str | None:
    layers = _layers_of(out)
    if layers is None:
        return f"returned {type(out).__name__}: return a keras.Sequential (or a list) of layers"
    got, fills = _settings(layers)
    expected, _ = _settings(deck_augmentation(fill_mode).layers)
    missing = [name for name, value in zip(_SETTINGS, got) if np.isnan(value)]
    names = {"rescale": "Rescaling", "rotation": "RandomRotation", "width_shift": "RandomTranslation",
             "height_shift": "RandomTranslation", "shear_x": "RandomShear", "shear_y": "RandomShear",
             "zoom_height": "RandomZoom", "zoom_width": "RandomZoom (give width_factor too)",
             "horizontal_flip": "RandomFlip"}
    if missing:
        return "missing: " + ", ".join(dict.fromkeys(names[m] for m in missing))
    problem = checks.array_problem(got, expected.shape)
    if problem is not None:
        return problem
    rotation = got[1]
    if np.isclose(rotation, 40 / 180):
        return "RandomRotation(40 / 180): a full turn is 360 degrees, the factor is 40 / 360"
    if np.isclose(rotation, math.radians(40)):
        return "RandomRotation in radians: the factor is a fraction of a full turn, 40 / 360"
    if not np.isclose(rotation, 40 / 360, rtol=1e-3):
        return f"RandomRotation factor {rotation:.4g}: expected 40 / 360 = {40 / 360:.4g}"
    if np.isclose(got[0], 255):
        return "Rescaling(255): the deck divides, scale = 1 / 255"
    if not np.isclose(got[0], 1 / 255):
        return f"Rescaling scale {got[0]:.4g}: expected 1 / 255"
    if not (np.isclose(got[2], 0.2) and np.isclose(got[3], 0.2)):
        return f"RandomTranslation factors {got[3]:.3g}, {got[2]:.3g}: both shift ranges are 0.2 of the size"
    if np.isclose(got[5], shear_slope(0.2, "degrees"), atol=1e-3) or np.isclose(got[4], shear_slope(0.2, "degrees"), atol=1e-3):
        return "shear read as 0.2 degrees: the deck's 0.2 is radians (2016), a slope of sin(0.2) = 0.199"
    if got[4] > 1e-6 and got[5] < 1e-6:
        return "sheared along x: Keras 1's shear moved columns up and down, RandomShear(y_factor=...)"
    if not (got[4] < 1e-6 and np.isclose(got[5], shear_slope(0.2), atol=0.002)):
        return f"RandomShear y_factor {got[5]:.3g}: expected sin(0.2) = {shear_slope(0.2):.3f} (0.2 rad)"
    if not (np.isclose(got[6], 0.2) and np.isclose(got[7], 0.2)):
        return f"RandomZoom factors {got[6]:.3g}, {got[7]:.3g}: height and width both 0.2"
    if got[8] != 1.0:
        return "RandomFlip must flip horizontally (mode='horizontal')"
    wrong = [f for f in fills if not f.endswith(f": {fill_mode}")]
    if wrong:
        return f"fill_mode must be {fill_mode!r} on every geometric layer; got " + ", ".join(wrong)
    return None


def check_deck_augmentation(fn: Callable) -> CheckResult:
    """Check ``fn(fill_mode)``: the deck's ``ImageDataGenerator`` as Keras 3 layers (a ``Sequential``).

    Usage: ``deck_augmentation = check_deck_augmentation(deck_augmentation).use``.
    """
    cases = [Case(f"fill_mode={mode!r}", (mode,), hint="see the translation above: one layer per argument")
             for mode in ("nearest", "reflect")]
    return run_check("deck_augmentation", fn, cases, reference=deck_augmentation, diagnose=_deck_problem)
