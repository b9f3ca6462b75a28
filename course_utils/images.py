"""Images as arrays: grey levels and the similarity of two images, as lesson 00 derives them.

Usage::

    from course_utils.images import to_grayscale, cosine_similarity
    cosine_similarity(to_grayscale(a), to_grayscale(b))
"""

from __future__ import annotations

import numpy as np

LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601


def to_grayscale(rgb: np.ndarray) -> np.ndarray:
    """Luminance ``0.299 R + 0.587 G + 0.114 B`` of an (..., 3) image, as float64.

    Derived in lesson 00 (images as arrays), exercise 1. Usage: ``grey = to_grayscale(photo)``.
    """
    return np.asarray(rgb, dtype=np.float64)[..., :3] @ LUMA_WEIGHTS


def frobenius_inner(a: np.ndarray, b: np.ndarray) -> float:
    """``<A, B>_F = sum_ij A_ij B_ij`` (``= trace(A^T B)``).

    Derived in lesson 00 (images as arrays), exercise 2. Usage: ``frobenius_inner(a, b)``.
    """
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """``<A, B>_F / (||A||_F ||B||_F)``, and 0.0 when either image is all zeros.

    Derived in lesson 00 (images as arrays), exercise 3. Usage: ``cosine_similarity(a, b)``.
    """
    norm = np.linalg.norm(np.asarray(a, dtype=np.float64)) * np.linalg.norm(np.asarray(b, dtype=np.float64))
    return 0.0 if norm == 0 else frobenius_inner(a, b) / norm


def mean_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference ``mean |A - B|`` of two images of the same shape, in grey levels.

    Derived in lesson 00 (images as arrays), exercise on the semantic gap.
    Usage: ``mean_abs_difference(photo, darker_photo)``.
    """
    return float(np.mean(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def count_numbers(shape: tuple[int, ...]) -> int:
    """How many numbers (array entries) an array of ``shape`` holds: the product of its sizes.

    Derived in lesson 00 (images as arrays), exercise on the network's input.
    Usage: ``count_numbers((224, 224, 3))`` gives 150528.
    """
    return int(np.prod(shape, dtype=np.int64))
