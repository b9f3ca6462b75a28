"""Checks for lesson 00 (images as arrays): greyscale, Frobenius inner product, cosine similarity.

The references they compare against live in :mod:`course_utils.images`.

Usage::

    from course_utils.exercises.lesson00 import check_to_grayscale
    to_grayscale = check_to_grayscale(to_grayscale).use
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils.checks import Case, CheckResult, run_check
from course_utils.images import cosine_similarity as reference_cosine_similarity
from course_utils.images import frobenius_inner as reference_frobenius_inner
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
