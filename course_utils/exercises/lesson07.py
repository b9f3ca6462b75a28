"""Checkers for lesson 07 (data augmentation): the affine matrix of a rotation, shear and zoom about the
image centre, a shift by a known number of pixels, the deck's ``ImageDataGenerator`` settings written as
Keras 3 layers, and the overfitting gap of a training history.

The NumPy references of the matrix and the shift are here (``augment_matrix``, ``shift_image``); the
others are in :mod:`course_utils.augmentation` (``deck_augmentation``, ``overfitting_gap``). Each
validator recognises the usual mistakes and names them.

Usage::

    from course_utils.exercises.lesson07 import check_augment_matrix
    augment_matrix = check_augment_matrix(augment_matrix).use
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils import checks
from course_utils.augmentation import (
    deck_augmentation,
    overfitting_gap,
    rotation_matrix,
    shear_matrix,
    shear_slope,
    translation_matrix,
    zoom_matrix,
)
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


READINGS = {"radians": "radians, as Keras 1 read shear_range in 2016 (the deck's source)",
            "degrees": "degrees, as keras.preprocessing reads shear_range from Keras 2.2 on"}


def augment_matrix(degrees: float, shear: float, zoom_x: float, zoom_y: float, height: int, width: int,
                   unit: str = "radians") -> np.ndarray:
    """Rotation, shear and zoom about the image centre in one matrix (output (x, y, 1) -> input point).

    ``T(c) R(degrees) H(sin shear) Z(zoom_x, zoom_y) T(-c)``, ``c = ((W - 1) / 2, (H - 1) / 2)``, with
    ``H = [[1, 0], [s, 1]]`` (columns move, Keras 3's ``RandomShear`` ``y_factor``) and ``shear`` an
    ``ImageDataGenerator`` ``shear_range`` angle read in ``unit``. Keras 1's order, without the shift.
    Usage: ``scipy_warp(photo, augment_matrix(30, 0.2, 1.2, 1.2, *photo.shape[:2]))`` (lesson 07).
    """
    cx, cy = (width - 1) / 2, (height - 1) / 2
    centred_shear = translation_matrix(-cx, -cy) @ shear_matrix(0.0, shear_slope(shear, unit)) @ translation_matrix(cx, cy)
    return rotation_matrix(degrees, height, width) @ centred_shear @ zoom_matrix(zoom_x, zoom_y, height, width)


def _matrix_faults(degrees: float, shear: float, zx: float, zy: float, h: int, w: int, unit: str) -> list:
    """The usual wrong matrices of one reading, each with its message."""
    s = shear_slope(shear, unit)
    t = math.radians(degrees)

    def rot(angle: float) -> np.ndarray:
        return np.array([[math.cos(angle), -math.sin(angle), 0], [math.sin(angle), math.cos(angle), 0], [0, 0, 1]])

    def about(m: np.ndarray, cx: float, cy: float) -> np.ndarray:
        return translation_matrix(-cx, -cy) @ m @ translation_matrix(cx, cy)

    shear_y, zoom = shear_matrix(0.0, s), np.diag([zx, zy, 1.0])
    right = about(rot(t) @ shear_y @ zoom, (w - 1) / 2, (h - 1) / 2)
    return [
        (rot(t) @ shear_y @ zoom, "about the origin (the top-left pixel), not the centre: T(c) M T(-c)"),
        (about(rot(degrees) @ shear_y @ zoom, (w - 1) / 2, (h - 1) / 2),
         "gave degrees to cos and sin: convert the angle to radians"),
        (about(rot(-t) @ shear_y @ zoom, (w - 1) / 2, (h - 1) / 2),
         "rotated the wrong way: [[cos, -sin], [sin, cos]] maps an output pixel to the input point"),
        (right.T, "transposed: the last row is (0, 0, 1), the translation is the last column"),
        (about(rot(t) @ shear_y @ np.diag([1 / zx, 1 / zy, 1.0]), (w - 1) / 2, (h - 1) / 2),
         "zoom inverted: a zoom factor z > 1 samples a larger area, diag(z_x, z_y), not 1 / z"),
        (about(rot(t) @ shear_y @ np.diag([zy, zx, 1.0]), (w - 1) / 2, (h - 1) / 2),
         "swapped zoom_x and zoom_y: zoom_x scales x, the column"),
        (about(rot(t) @ shear_y @ zoom, w / 2, h / 2),
         "centre at (W / 2, H / 2): the pixel grid's centre is ((W - 1) / 2, (H - 1) / 2)"),
        (about(rot(t) @ shear_y @ zoom, (h - 1) / 2, (w - 1) / 2),
         "swapped the centre's coordinates: c = ((W - 1) / 2, (H - 1) / 2), x first"),
        (about(zoom @ shear_y @ rot(t), (w - 1) / 2, (h - 1) / 2),
         "composed in the wrong order: R H Z (rotation on the left, zoom on the right), as Keras 1"),
        (about(rot(t) @ shear_matrix(0.0, shear if unit == "radians" else math.radians(shear)) @ zoom,
               (w - 1) / 2, (h - 1) / 2), "used the shear angle as the slope: the slope is sin(angle)"),
        (about(rot(t) @ shear_matrix(s, 0.0) @ zoom, (w - 1) / 2, (h - 1) / 2),
         "sheared along x: Keras 1 moved the columns up and down, H = [[1, 0], [sin(angle), 1]]"),
    ]


def _matrix_problem(out: Any, degrees: float, shear: float, zx: float, zy: float, h: int, w: int) -> str | None:
    problem = checks.array_problem(out, (3, 3))
    if problem is not None:
        return f"{problem}: return the 3x3 matrix"
    got = checks.as_float_array(out)
    if any(checks.close(got, augment_matrix(degrees, shear, zx, zy, h, w, unit), **TOL) for unit in READINGS):
        return None
    faults = [f for unit in READINGS for f in _matrix_faults(degrees, shear, zx, zy, h, w, unit)]
    fault = checks.first_fault(got, faults, **TOL)
    return fault or "wrong values: M = T(c) R H Z T(-c), c = ((W - 1) / 2, (H - 1) / 2)"


def shear_reading(fn: Callable) -> str | None:
    """How ``fn`` (an ``augment_matrix``) reads the deck's ``shear_range=0.2``: "radians", "degrees" or None.

    Usage: ``shear_reading(augment_matrix)`` (lesson 07).
    """
    got = checks.as_float_array(fn(0.0, 0.2, 1.0, 1.0, 28, 28))
    return next((unit for unit in READINGS if got is not None
                 and checks.close(got, augment_matrix(0.0, 0.2, 1.0, 1.0, 28, 28, unit), **TOL)), None)


def check_augment_matrix(fn: Callable) -> CheckResult:
    """Check ``fn(degrees, shear, zoom_x, zoom_y, height, width)``: rotation, shear and zoom about the centre.

    ``shear`` is the deck's ``shear_range`` angle: both readings pass (radians, Keras 1 in 2016; degrees,
    Keras 2.2 and later), and the check says which one ``fn`` used.
    Usage: ``augment_matrix = check_augment_matrix(augment_matrix).use``.
    """
    hint = "M = T(c) R H Z T(-c); radians in cos and sin; H's slope is sin(shear)"
    cases = [Case(f"rotation {d} deg, shear {s}, zoom ({zx}, {zy}), {h}x{w}", (d, s, zx, zy, h, w), hint=hint)
             for d, s, zx, zy, h, w in [(30, 0.0, 1.0, 1.0, 20, 30), (0, 0.0, 1.25, 0.8, 28, 28),
                                        (0, 0.2, 1.0, 1.0, 28, 28), (-40, 0.2, 1.2, 0.9, 20, 31),
                                        (15, -0.5, 0.8, 1.1, 25, 16)]]
    result = run_check("augment_matrix", fn, cases, reference=augment_matrix, diagnose=_matrix_problem)
    if result.passed:
        print(f"  you read shear_range=0.2 in {READINGS[shear_reading(fn)]}")
    return result


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
    """A Keras factor (a number or a symmetric pair (-f, f)) as its half-width f; NaN if one-sided."""
    if isinstance(value, (list, tuple)):
        lower, upper = (float(v) for v in value)
        return upper if np.isclose(lower, -upper) else float("nan")
    return abs(float(value)) if value is not None else float("nan")


ORDER = ("Rescaling", "RandomRotation", "RandomTranslation", "RandomShear", "RandomZoom", "RandomFlip")


def _one_sided(layers: list) -> str | None:
    """The first random layer whose range is a pair that is not (-f, f), named with its argument."""
    for layer in layers:
        config = layer.get_config()
        for arg in ("factor", "height_factor", "width_factor"):
            value = config.get(arg) if type(layer).__name__ != "RandomShear" else None
            if isinstance(value, (list, tuple)) and not np.isclose(float(value[0]), -float(value[1])):
                return f"{type(layer).__name__}({arg}={tuple(value)})"
    return None


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
    one_sided = _one_sided(layers)
    if one_sided:
        return (f"{one_sided} draws from a one-sided range; ImageDataGenerator drew from [-r, r]: give one "
                f"number r (or the pair (-r, r))")
    if missing:
        return "missing: " + ", ".join(dict.fromkeys(names[m] for m in missing))
    order = [type(layer).__name__ for layer in layers if type(layer).__name__ in ORDER]
    if order != list(ORDER):
        return f"layers in the order {', '.join(order)}: the text asks for {', '.join(ORDER)}"
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
    if got[4] > 1e-6 and got[5] < 1e-6:
        return "sheared along x: Keras 1's shear moved columns up and down, RandomShear(y_factor=...)"
    if not (got[4] < 1e-6 and _deck_shear_reading(got[5])):
        return (f"RandomShear y_factor {got[5]:.3g}: expected the slope sin(0.2) = {shear_slope(0.2):.3f} "
                f"(0.2 rad, Keras 1) or sin(0.2 deg) = {shear_slope(0.2, 'degrees'):.4f} (Keras 2.2+)")
    if not (np.isclose(got[6], 0.2) and np.isclose(got[7], 0.2)):
        return f"RandomZoom factors {got[6]:.3g}, {got[7]:.3g}: height and width both 0.2"
    if got[8] != 1.0:
        return "RandomFlip must flip horizontally (mode='horizontal')"
    wrong = [f for f in fills if not f.endswith(f": {fill_mode}")]
    if wrong:
        return f"fill_mode must be {fill_mode!r} on every geometric layer; got " + ", ".join(wrong)
    return None


def _deck_shear_reading(slope: float) -> str | None:
    """Which reading of the deck's ``shear_range=0.2`` a ``RandomShear`` slope is: "radians", "degrees" or None."""
    return next((unit for unit in READINGS if np.isclose(slope, shear_slope(0.2, unit), rtol=0.01, atol=1e-5)), None)


def check_deck_augmentation(fn: Callable) -> CheckResult:
    """Check ``fn(fill_mode)``: the deck's ``ImageDataGenerator`` as Keras 3 layers (a ``Sequential``).

    Usage: ``deck_augmentation = check_deck_augmentation(deck_augmentation).use``.
    """
    cases = [Case(f"fill_mode={mode!r}", (mode,), hint="see the translation above: one layer per argument")
             for mode in ("nearest", "reflect")]
    result = run_check("deck_augmentation", fn, cases, reference=deck_augmentation, diagnose=_deck_problem)
    if result.passed:
        slope = _settings(_layers_of(fn("nearest")))[0][_SETTINGS.index("shear_y")]
        print(f"  your RandomShear reads shear_range=0.2 in {READINGS[_deck_shear_reading(slope)]}")
    return result


def _gap_problem(out: Any, history: dict, last: int) -> str | None:
    out = checks.one_number(out)
    problem = checks.array_problem(out, ())
    if problem is not None:
        return f"{problem}: return one number"
    got = checks.as_float_array(out)
    if checks.close(got, overfitting_gap(history, last), **TOL):
        return None
    clean, val, keras_acc = (np.array(history[k]) for k in ("clean_accuracy", "val_accuracy", "accuracy"))
    fault = checks.first_fault(got, [
        (np.mean(keras_acc[-last:]) - np.mean(val[-last:]),
         "used Keras' 'accuracy' (augmented batches, dropout on): use 'clean_accuracy'"),
        (np.mean(val[-last:]) - np.mean(clean[-last:]), "wrong sign: clean training minus validation"),
        (clean[-1] - val[-1], "used the last epoch only: average over the last `last` epochs"),
        (np.mean(clean) - np.mean(val), "averaged over every epoch: only the last `last` count"),
        (np.mean(clean[:last]) - np.mean(val[:last]), "averaged the first epochs: take the last `last`"),
        (np.mean(clean[-last - 1:-1]) - np.mean(val[-last - 1:-1]), "off by one: end with the last epoch"),
        (np.max(clean[-last:]) - np.max(val[-last:]), "took the maxima: average the last `last` epochs"),
    ], **TOL)
    return fault or "wrong value: mean of clean_accuracy[-last:] minus mean of val_accuracy[-last:]"


def check_overfitting_gap(fn: Callable) -> CheckResult:
    """Check ``fn(history, last)``: clean training minus validation accuracy, averaged over the last epochs.

    Usage: ``overfitting_gap = check_overfitting_gap(overfitting_gap).use``.
    """
    rng = np.random.default_rng(70)
    cases = []
    for n, last in ((12, 5), (30, 5), (8, 3)):
        clean = np.sort(rng.uniform(0.5, 1.0, n)).tolist()
        history = {"clean_accuracy": clean, "accuracy": (np.array(clean) - rng.uniform(0.05, 0.2, n)).tolist(),
                   "val_accuracy": rng.uniform(0.5, 0.8, n).tolist()}
        cases.append(Case(f"{n} epochs, last={last}", (history, last),
                          hint="np.mean(history['clean_accuracy'][-last:]) - the same of 'val_accuracy'"))
    return run_check("overfitting_gap", fn, cases, reference=overfitting_gap, diagnose=_gap_problem)
