"""Lesson 00 (images as arrays): each check passes the reference and names the fault of wrong implementations."""

import numpy as np
import pytest

from course_utils import images
from course_utils.checks import ExerciseFailed
from course_utils.exercises import lesson00 as ex

# The wrong implementations of each checker, with the fault its message must name; the contract
# (tests/test_checker_contract.py) runs every one of them and asks for at least three per checker.
WRONG = {
    "to_grayscale": (ex.check_to_grayscale, [
        (lambda rgb: rgb.mean(axis=-1), "wrong values"),                                   # plain average
        (lambda rgb: (rgb * np.array([0.299, 0.587, 0.114])).sum(axis=0), "shape"),       # wrong axis
        (lambda rgb: (rgb * np.array([0.299, 0.587, 0.114])).astype(np.uint8).sum(-1).astype(np.uint8),
         "overflow"),                                                                       # uint8 wrap
    ]),
    "frobenius_inner": (ex.check_frobenius_inner, [
        (lambda a, b: np.trace(a @ b), "raised ValueError"),               # matrix product, shapes clash
        (lambda a, b: a * b, "returned shape"),                            # forgot to sum
        (lambda a, b: float(np.sum(a.astype(np.uint8) * b.astype(np.uint8))), "overflow"),
    ]),
    "cosine_similarity": (ex.check_cosine_similarity, [
        (lambda a, b: float(np.sum(a * b)), "divide <A, B>_F"),
        (lambda a, b: float(np.sum(a * b) / np.sum(a * a)), "scaling cancels"),                # one norm only
        (lambda a, b: float(np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b))), "NaN"),  # 0/0
    ]),
    "mean_abs_difference": (ex.check_mean_abs_difference, [
        (lambda a, b: float(np.mean(np.abs(np.asarray(a) - np.asarray(b)))), "wrapped around"),   # uint8
        (lambda a, b: float(np.mean(np.asarray(a, float) - np.asarray(b, float))), "absolute value"),
        (lambda a, b: float(np.sum(np.abs(np.asarray(a, float) - np.asarray(b, float)))), "summed"),
        (lambda a, b: float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)))), "largest"),
        (lambda a, b: np.abs(np.asarray(a, float) - np.asarray(b, float)), "one number"),          # no mean
    ]),
    "count_numbers": (ex.check_count_numbers, [
        (lambda shape: int(np.prod(shape[-3:-1])) if len(shape) >= 3 else int(np.prod(shape)), "channels"),
        (lambda shape: sum(shape), "added the sizes"),
        (lambda shape: int(np.prod(shape[1:])) if len(shape) == 4 else int(np.prod(shape)), "batch axis"),
        (lambda shape: len(shape), "number of axes"),
    ]),
}


def test_strict_mode_raises_on_a_wrong_answer(monkeypatch):
    monkeypatch.setenv("COURSE_CHECKS_STRICT", "1")
    with pytest.raises(ExerciseFailed):
        ex.check_frobenius_inner(lambda a, b: 0.0)


def test_count_numbers_of_a_photo():
    assert images.count_numbers((400, 600, 3)) == 720000
    assert images.count_numbers((2, 28, 28)) == 1568
