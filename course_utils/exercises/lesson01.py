"""Checkers for lesson 01 (the perceptron): the sign activation, the sigmoid and the
perceptron learning rule.

Usage::

    from course_utils.exercises.lesson01 import check_perceptron_predict
    perceptron_predict = check_perceptron_predict(perceptron_predict).use
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from course_utils.checks import Case, CheckResult, as_float_array, rel_error, run_check

__all__ = ["reference_perceptron_predict", "reference_sigmoid", "reference_perceptron_update",
           "check_perceptron_predict", "check_sigmoid", "check_perceptron_update"]


# ----------------------------------------------------------------------------- references
def reference_perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Class 1 where ``w . x + b >= 0`` and class 0 elsewhere, for every row ``x`` of ``X``.

    Usage: ``labels = reference_perceptron_predict(X, w, b)`` with ``X`` of shape ``(N, m)``.
    """
    return (np.asarray(X) @ np.asarray(w) + b >= 0).astype(int)


def reference_sigmoid(s: Any, a: float = 1.0) -> np.ndarray:
    """The logistic sigmoid ``1 / (1 + exp(-a s))``, elementwise.

    Usage: ``reference_sigmoid(1.45)`` (about 0.81).
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-a * np.asarray(s, dtype=np.float64)))


def reference_perceptron_update(w: np.ndarray, b: float, x: np.ndarray, t: int, lr: float = 1.0):
    """One step of Rosenblatt's rule on one example ``(x, t)``: returns ``(w_new, b_new)``.

    ``y = 1 if w . x + b >= 0 else 0``; ``w_new = w + lr (t - y) x``; ``b_new = b + lr (t - y)``.
    Usage: ``w, b = reference_perceptron_update(w, b, x, t, lr=0.1)``.
    """
    y = int(np.dot(w, x) + b >= 0)
    return np.asarray(w, dtype=np.float64) + lr * (t - y) * np.asarray(x, dtype=np.float64), b + lr * (t - y)


# ----------------------------------------------------------------------------- predict
def _predict_validator(X, w, b) -> Callable[[Any], str | None]:
    expected = reference_perceptron_predict(X, w, b)

    def validate(out: Any) -> str | None:
        got = as_float_array(out)
        if got is None:
            return f"returned {type(out).__name__}, expected an array of 0/1 labels"
        if got.shape != expected.shape:
            extra = " (flatten it: X @ w with w of shape (m,) gives shape (N,))" if got.size == expected.size else ""
            return f"wrong shape: returned {got.shape}, expected {expected.shape}{extra}"
        if np.any(np.isnan(got)):
            return "returned NaN"
        if np.any(got == -1):
            return "returned -1/+1 labels (np.sign?): the perceptron here outputs 0 or 1, use s >= 0"
        if not np.all(np.isin(got, (0, 1))):
            return "returned values other than 0 and 1: threshold the score s, do not return s itself"
        if np.array_equal(got, expected):
            return None
        if np.array_equal(got, 1 - expected):
            return "every label is flipped: class 1 is where w . x + b >= 0"
        if np.array_equal(got, (np.asarray(X) @ w - b >= 0).astype(int)):
            return "the bias has the wrong sign: s = w . x + b"
        if np.array_equal(got, (np.asarray(X) @ w + b > 0).astype(int)):
            return "a point exactly on the boundary (s = 0) must get class 1: use >= 0, not > 0"
        return f"{int(np.sum(got != expected))} of {len(expected)} labels are wrong"
    return validate


def check_perceptron_predict(fn: Callable) -> CheckResult:
    """Check ``fn(X, w, b) -> labels``: 0/1 labels of shape ``(N,)``, class 1 where
    ``w . x + b >= 0``; covers the seed example, 3-D inputs and points on the boundary.

    Usage: ``perceptron_predict = check_perceptron_predict(perceptron_predict).use``.
    """
    rng = np.random.default_rng(1)
    w_seed, b_seed = np.array([1.0, -1.0]), 10.0
    cases = [
        Case("the seed example w = (1, -1), b = 10 on 4 points",
             (np.array([[0.0, 0.0], [0.0, 20.0], [15.0, 5.0], [2.0, 30.0]]), w_seed, b_seed), None),
        Case("200 random points in 2-D", (rng.normal(size=(200, 2)) * 10, np.array([0.5, 2.0]), -3.0), None),
        Case("points in 3-D (a plane as boundary)", (rng.normal(size=(50, 3)), np.array([1.0, -2.0, 0.5]), 0.3), None,
             "do not assume two inputs: use X @ w"),
        Case("points exactly on the line (s = 0)", (np.array([[0.0, 10.0], [5.0, 15.0], [1.0, 0.0]]), w_seed, b_seed),
             None, "the convention here: s >= 0 gives class 1"),
        Case("a single point as a (1, 2) batch", (np.array([[3.0, 1.0]]), w_seed, b_seed), None),
    ]
    for case in cases:
        case.expected = _predict_validator(*case.args)
    return run_check("perceptron_predict", fn, cases, reference=reference_perceptron_predict)


# ----------------------------------------------------------------------------- sigmoid
def _sigmoid_validator(s, a, tol) -> Callable[[Any], str | None]:
    expected = reference_sigmoid(s, a)

    def validate(out: Any) -> str | None:
        got = as_float_array(out)
        if got is None:
            return f"returned {type(out).__name__}, expected a number or an array"
        if got.shape != expected.shape:
            return f"wrong shape: returned {got.shape}, expected {expected.shape} (apply it elementwise)"
        if np.any(np.isnan(got)):
            return ("NaN for large |s|: exp(-s) / (1 + exp(-s)) gives inf/inf; "
                    "write it as 1 / (1 + exp(-a * s))")
        if rel_error(got, expected) <= tol:
            return None
        if rel_error(got, 1 - expected) <= tol:
            return "the sign of the exponent is flipped: 1 / (1 + exp(-a * s)), with a minus"
        if a != 1 and rel_error(got, reference_sigmoid(s, 1.0)) <= tol:
            return "the slope a is ignored: multiply s by a inside the exponential"
        if rel_error(got, reference_sigmoid(s, 1.0 / a)) <= tol:
            return "a divides s instead of multiplying it: exp(-a * s)"
        if np.any(got < 0) or np.any(got > 1):
            return "values outside [0, 1]: a sigmoid is a probability"
        return f"wrong values: rel_error {rel_error(got, expected):.1e} > tolerance {tol:.0e}"
    return validate


def check_sigmoid(fn: Callable, tol: float = 1e-7) -> CheckResult:
    """Check ``fn(s, a=1.0)``, the sigmoid ``1 / (1 + exp(-a s))``: zero, the seed's 81 %
    example, arrays, the slope ``a`` and large ``|s|``.

    Usage: ``sigmoid = check_sigmoid(sigmoid).use``.
    """
    cases = [
        Case("s = 0 gives 0.5", (0.0, 1.0), None),
        Case("the seed's car example, s = 1.45 gives about 0.81", (1.45, 1.0), None),
        Case("an array of scores", (np.linspace(-6, 6, 13), 1.0), None, "use np.exp, which works elementwise"),
        Case("a steeper slope a = 3", (np.array([-1.0, 0.2, 1.0]), 3.0), None),
        Case("a gentler slope a = 0.5", (np.array([-2.0, 0.5, 4.0]), 0.5), None),
        Case("large |s|: s = -1000 and 1000", (np.array([-1000.0, 1000.0]), 1.0), None),
    ]
    for case in cases:
        case.expected = _sigmoid_validator(*case.args, tol)
    return run_check("sigmoid", fn, cases, reference=reference_sigmoid)


# ----------------------------------------------------------------------------- update rule
def _update_validator(w, b, x, t, lr, tol=1e-9) -> Callable[[Any], str | None]:
    w_exp, b_exp = reference_perceptron_update(w, b, x, t, lr)
    y = int(np.dot(w, x) + b >= 0)

    def validate(out: Any) -> str | None:
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            return "return a pair (w_new, b_new)"
        w_got, b_got = as_float_array(out[0]), as_float_array(out[1])
        if w_got is None or b_got is None or b_got.size != 1:
            return "w_new must be an array like w and b_new one number"
        if w_got.shape != np.shape(w):
            return f"w_new has shape {w_got.shape}, expected {np.shape(w)} like w"
        b_got = float(b_got.reshape(()))
        w_ok = rel_error(w_got, w_exp) <= tol
        b_ok = abs(b_got - b_exp) <= tol * max(1, abs(b_exp))
        if w_ok and b_ok:
            return None
        if y == t:
            return "the point is already classified correctly, nothing should change: the step is lr * (t - y)"
        if np.allclose(w_got, w) and np.isclose(b_got, b):
            return "nothing changed for a misclassified point: add lr * (t - y) * x to w and lr * (t - y) to b"
        if rel_error(w_got, w - (w_exp - w)) <= tol:
            return "w moved the wrong way: the step is + lr * (t - y) * x with (t - y), not (y - t)"
        if w_ok and np.isclose(b_got, b):
            return "the bias was not updated: b_new = b + lr * (t - y)"
        if rel_error(w_got, w + (t - y) * np.asarray(x)) <= tol and lr != 1:
            return "the learning rate is ignored: multiply the step by lr"
        if not w_ok:
            return f"w_new = {np.round(w_got, 4)}, expected {np.round(w_exp, 4)}"
        return f"b_new = {b_got:.4g}, expected {b_exp:.4g}"
    return validate


def check_perceptron_update(fn: Callable) -> CheckResult:
    """Check ``fn(w, b, x, t, lr) -> (w_new, b_new)``, one step of the perceptron rule.

    Usage: ``perceptron_update = check_perceptron_update(perceptron_update).use``.
    """
    w = np.array([1.0, -1.0])
    cases = [
        Case("a correctly classified point (t = 1, s > 0): no change", (w, 10.0, np.array([5.0, 2.0]), 1, 0.5), None),
        Case("a correctly classified point (t = 0, s < 0): no change", (w, 10.0, np.array([0.0, 20.0]), 0, 0.5), None),
        Case("a missed class-1 point: w moves towards x", (w, 10.0, np.array([0.0, 25.0]), 1, 0.5), None),
        Case("a missed class-0 point: w moves away from x", (w, 10.0, np.array([4.0, 1.0]), 0, 0.1), None),
        Case("3 inputs, learning rate 1", (np.array([0.2, -0.4, 0.1]), -1.0, np.array([1.0, 2.0, -3.0]), 1, 1.0), None),
    ]
    for case in cases:
        case.expected = _update_validator(*case.args)
    return run_check("perceptron_update", fn, cases, reference=reference_perceptron_update)
