"""Checks for lesson 00 (images as arrays): greyscale, the mean absolute difference behind the
semantic gap, Frobenius inner product, cosine similarity, and the count of numbers in an array.

The references they compare against live in :mod:`course_utils.images`.

Usage::

    from course_utils.exercises.lesson00 import check_to_grayscale
    to_grayscale = check_to_grayscale(to_grayscale).use
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils.checks import Case, CheckResult, array_problem, as_float_array, one_number, run_check
from course_utils.images import cosine_similarity as reference_cosine_similarity
from course_utils.images import count_numbers as reference_count_numbers
from course_utils.images import frobenius_inner as reference_frobenius_inner
from course_utils.images import mean_abs_difference as reference_mean_abs_difference
from course_utils.images import to_grayscale as reference_to_grayscale


def _rng_image(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape).astype(np.uint8)


def check_to_grayscale(fn: Callable) -> CheckResult:
    """Check ``to_grayscale(rgb) -> (H, W)`` luminance. Usage: ``to_grayscale = check_to_grayscale(fn).use``."""
    red = np.zeros((1, 1, 3), np.uint8)
    red[..., 0] = 255
    white = np.full((2, 3, 3), 255, np.uint8)
    photo = _rng_image((5, 7, 3), 0)
    cases = [
        Case("a pure red pixel is 0.299 * 255", (red,), np.array([[0.299 * 255]]),
             hint="weight the channels 0.299 R + 0.587 G + 0.114 B (channels are the last axis)"),
        Case("a white uint8 image stays 255, no overflow", (white,), np.full((2, 3), 255.0),
             hint="convert to float before multiplying: uint8 arithmetic wraps around at 256"),
        Case("a 5x7 random image keeps its height and width", (photo,), reference_to_grayscale(photo),
             hint="reduce over the channel axis (-1), not over rows or columns"),
    ]
    return run_check("to_grayscale", fn, cases, reference=reference_to_grayscale)


def check_frobenius_inner(fn: Callable) -> CheckResult:
    """Check ``frobenius_inner(a, b) -> float``. Usage: ``frobenius_inner = check_frobenius_inner(fn).use``."""
    a = np.arange(6.0).reshape(2, 3)
    b = np.array([[1.0, 0, -1], [2, 1, 0]])
    big = _rng_image((20, 30), 1)
    cases = [
        Case("a 2x3 example by hand: 0*1 + 1*0 + 2*(-1) + 3*2 + 4*1 + 5*0 = 8", (a, b), np.array(8.0),
             hint="multiply element by element, then add everything up (not a matrix product)"),
        Case("non-square images (2x3 with 2x3)", (b, a), np.array(8.0),
             hint="A @ B needs matching inner sizes; the Frobenius product does not"),
        Case("uint8 images do not overflow", (big, big), np.array(reference_frobenius_inner(big, big)),
             hint="convert to float first: uint8 products wrap around at 256"),
        Case("returns a single number", (a, a), np.array(55.0), hint="sum over all entries"),
    ]
    return run_check("frobenius_inner", fn, cases, reference=reference_frobenius_inner)


def check_cosine_similarity(fn: Callable) -> CheckResult:
    """Check ``cosine_similarity(a, b) -> float in [-1, 1]``. Usage: ``cos = check_cosine_similarity(fn).use``."""
    img = _rng_image((8, 8), 2).astype(np.float64)
    other = _rng_image((8, 8), 3).astype(np.float64)
    cases = [
        Case("an image is perfectly similar to itself", (img, img), np.array(1.0),
             hint="divide <A, B>_F by ||A||_F * ||B||_F"),
        Case("a brighter copy (x3) is still perfectly similar", (img, 3 * img), np.array(1.0),
             hint="normalise by both norms so that scaling cancels"),
        Case("two different random images", (img, other), np.array(reference_cosine_similarity(img, other)),
             hint="use the Frobenius norm sqrt(sum A_ij^2) of each image"),
        Case("an all-black image gives 0, not NaN", (np.zeros((8, 8)), img), np.array(0.0),
             hint="return 0.0 when a norm is zero instead of dividing by zero"),
    ]
    return run_check("cosine_similarity", fn, cases, reference=reference_cosine_similarity)


def _mad_problem(out: Any, a: np.ndarray, b: np.ndarray) -> str | None:
    expected = reference_mean_abs_difference(a, b)
    problem = array_problem(one_number(out), ())
    if problem is not None:
        return problem + " (one number): average |a - b| over every pixel and channel"
    value = float(as_float_array(out).reshape(()))
    if abs(value - expected) <= 1e-9 * max(1.0, expected):
        return None
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(all="ignore"):
        suspects = {
            "uint8 arithmetic wrapped around (3 - 5 is 254 in uint8): convert to float first":
                float(np.mean(np.abs(np.asarray(a) - np.asarray(b)))),
            "the absolute value is missing: positive and negative differences cancel out":
                float(np.mean(a64 - b64)),
            "you summed instead of averaging: divide by the number of entries (np.mean)":
                float(np.sum(np.abs(a64 - b64))),
            "you returned the largest difference: take the mean, not the maximum":
                float(np.max(np.abs(a64 - b64))),
            "you squared the differences: the measure here is the mean ABSOLUTE difference":
                float(np.mean((a64 - b64) ** 2)),
        }
    for message, candidate in suspects.items():
        if abs(candidate - expected) > 1e-9 and abs(value - candidate) <= 1e-9 * max(1.0, abs(candidate)):
            return message
    return f"returned {value:.6g}, expected {expected:.6g}"


def check_mean_abs_difference(fn: Callable) -> CheckResult:
    """Check ``mean_abs_difference(a, b) -> float``, the mean of ``|a - b|`` in grey levels,
    on ``uint8`` images where ``a - b`` would wrap around.

    Usage: ``mean_abs_difference = check_mean_abs_difference(mean_abs_difference).use``.
    """
    photo = _rng_image((6, 5, 3), 4)
    darker = (photo * 0.5).astype(np.uint8)
    a = np.array([[10.0, 20.0], [30.0, 40.0]])
    b = np.array([[12.0, 15.0], [30.0, 50.0]])
    cases = [
        Case("a 2x2 example by hand: (2 + 5 + 0 + 10) / 4 = 4.25", (a, b),
             hint="np.mean(np.abs(a - b))"),
        Case("an image against itself gives 0", (photo, photo)),
        Case("a uint8 photo against a darker uint8 copy", (photo, darker),
             hint="convert both to float before subtracting: uint8 differences wrap around"),
        Case("the order does not matter: darker copy first", (darker, photo),
             hint="take the absolute value of each difference"),
    ]
    return run_check("mean_abs_difference", fn, cases, reference=reference_mean_abs_difference,
                     diagnose=_mad_problem)


def _count_problem(out: Any, shape: tuple[int, ...]) -> str | None:
    expected = reference_count_numbers(shape)
    problem = array_problem(one_number(out), ())
    if problem is not None:
        return problem + " (one whole number)"
    value = float(as_float_array(out).reshape(()))
    if value == expected:
        return None
    if len(shape) >= 3 and value == int(np.prod(shape[-3:-1])):
        return "the channels are missing: a colour pixel holds 3 numbers (H x W x C)"
    if value == sum(shape):
        return "you added the sizes: multiply them (H x W x C)"
    if len(shape) == 4 and value == int(np.prod(shape[1:])):
        return "the batch axis is missing: a batch of N images holds N times as many numbers"
    if value == len(shape):
        return "that is the number of axes (len(shape)): multiply the sizes of all axes"
    return f"returned {value:.0f}, expected {expected}"


def check_count_numbers(fn: Callable) -> CheckResult:
    """Check ``count_numbers(shape) -> int``, how many numbers an array of that shape holds.

    Usage: ``count_numbers = check_count_numbers(count_numbers).use``.
    """
    cases = [
        Case("a grey Fashion-MNIST image, shape (28, 28)", ((28, 28),)),
        Case("a colour photo, shape (5, 7, 3)", ((5, 7, 3),), hint="height x width x channels"),
        Case("a batch of 32 colour images, shape (32, 20, 30, 3)", ((32, 20, 30, 3),),
             hint="multiply the sizes of every axis, the batch axis included"),
        Case("a single pixel, shape (1, 1, 3)", ((1, 1, 3),)),
    ]
    return run_check("count_numbers", fn, cases, reference=reference_count_numbers, diagnose=_count_problem)
