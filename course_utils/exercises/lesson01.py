"""Checkers for lesson 01 (the perceptron): the sign activation, the sigmoid and the
perceptron learning rule. The reference implementations live in :mod:`course_utils.numpy_nn`.

Usage::

    from course_utils.exercises.lesson01 import check_perceptron_predict
    perceptron_predict = check_perceptron_predict(perceptron_predict).use
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from course_utils import checks
from course_utils.checks import Case, CheckResult, array_problem, as_float_array, rel_error, run_check
from course_utils.numpy_nn import perceptron_predict, perceptron_update, sigmoid


# ----------------------------------------------------------------------------- predict
def _predict_problem(out: Any, X: np.ndarray, w: np.ndarray, b: float) -> str | None:
    expected = perceptron_predict(X, w, b)
    problem = array_problem(out, expected.shape)
    if problem is not None:
        got = as_float_array(out)
        if got is not None and got.shape != expected.shape and got.size == expected.size:
            problem += " (flatten it: X @ w with w of shape (m,) gives shape (N,))"
        return problem
    got = as_float_array(out)
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


def check_perceptron_predict(fn: Callable) -> CheckResult:
    """Check ``fn(X, w, b) -> labels``: 0/1 labels of shape ``(N,)``, class 1 where
    ``w . x + b >= 0``; covers the two-input example of the lesson, 3-D inputs and points on the boundary.

    Usage: ``perceptron_predict = check_perceptron_predict(perceptron_predict).use``.
    """
    rng = np.random.default_rng(1)
    w_demo, b_demo = np.array([1.0, -1.0]), 10.0
    cases = [
        Case("the lesson's example w = (1, -1), b = 10 on 4 points",
             (np.array([[0.0, 0.0], [0.0, 20.0], [15.0, 5.0], [2.0, 30.0]]), w_demo, b_demo)),
        Case("200 random points in 2-D", (rng.normal(size=(200, 2)) * 10, np.array([0.5, 2.0]), -3.0)),
        Case("points in 3-D (a plane as boundary)", (rng.normal(size=(50, 3)), np.array([1.0, -2.0, 0.5]), 0.3),
             hint="do not assume two inputs: use X @ w"),
        Case("points exactly on the line (s = 0)", (np.array([[0.0, 10.0], [5.0, 15.0], [1.0, 0.0]]), w_demo, b_demo),
             hint="the convention here: s >= 0 gives class 1"),
        Case("a single point as a (1, 2) batch", (np.array([[3.0, 1.0]]), w_demo, b_demo)),
    ]
    return run_check("perceptron_predict", fn, cases, reference=perceptron_predict, diagnose=_predict_problem)


# ----------------------------------------------------------------------------- sigmoid
def _sigmoid_problem(out: Any, s: Any, a: float, tol: float) -> str | None:
    expected = sigmoid(s, a)
    problem = array_problem(out, expected.shape)
    if problem is not None:
        got = as_float_array(out)
        if got is not None and got.shape != expected.shape:
            problem += " (apply it elementwise)"
        return problem
    got = as_float_array(out)
    if rel_error(got, expected) <= tol:
        return None
    if rel_error(got, 1 - expected) <= tol:
        return "the sign of the exponent is flipped: 1 / (1 + exp(-a * s)), with a minus"
    if a != 1 and rel_error(got, sigmoid(s, 1.0)) <= tol:
        return "the slope a is ignored: multiply s by a inside the exponential"
    if rel_error(got, sigmoid(s, 1.0 / a)) <= tol:
        return "a divides s instead of multiplying it: exp(-a * s)"
    if np.any(got < 0) or np.any(got > 1):
        return "values outside [0, 1]: a sigmoid is a probability"
    return f"wrong values: rel_error {rel_error(got, expected):.1e} > tolerance {tol:.0e}"


def check_sigmoid(fn: Callable, tol: float = 1e-7) -> CheckResult:
    """Check ``fn(s, a=1.0)``, the sigmoid ``1 / (1 + exp(-a s))``: zero, the lesson's 81 %
    example, arrays, the slope ``a`` and large ``|s|``, where ``np.exp`` must not overflow
    (NumPy's overflow warnings fail the check).

    Usage: ``sigmoid = check_sigmoid(sigmoid).use``.
    """
    stable = ("np.exp(1000) overflows: use np.exp(-np.logaddexp(0, -a * s)), or two branches "
              "that only ever take exp of -|a s| (exp(-a s) for s >= 0, exp(a s) for s < 0)")
    cases = [
        Case("s = 0 gives 0.5", (0.0, 1.0)),
        Case("the car example of the lesson, s = 1.45 gives about 0.81", (1.45, 1.0)),
        Case("an array of scores", (np.linspace(-6, 6, 13), 1.0), hint="use np.exp, which works elementwise"),
        Case("a steeper slope a = 3", (np.array([-1.0, 0.2, 1.0]), 3.0)),
        Case("a gentler slope a = 0.5", (np.array([-2.0, 0.5, 4.0]), 0.5)),
        Case("large negative s = -1000 (gives 0, without overflow)", (np.array([-1000.0, -40.0]), 1.0),
             hint=stable),
        Case("large positive s = 1000 (gives 1, without overflow)", (np.array([40.0, 1000.0]), 1.0),
             hint=stable),
        Case("large |a s| from the slope: a = 50, s = -30 and 30", (np.array([-30.0, 30.0]), 50.0),
             hint=stable),
    ]
    return run_check("sigmoid", fn, cases, reference=sigmoid, diagnose=partial(_sigmoid_problem, tol=tol),
                     fail_on_warnings=True)


# ----------------------------------------------------------------------------- update rule
def _update_problem(out: Any, w: np.ndarray, b: float, x: np.ndarray, t: int, lr: float) -> str | None:
    tol = 1e-9
    w_exp, b_exp = perceptron_update(w, b, x, t, lr)
    y = int(np.dot(w, x) + b >= 0)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return "return a pair (w_new, b_new)"
    problem = array_problem(out[0], np.shape(w), "w_new") or array_problem(checks.one_number(out[1]), (), "b_new")
    if problem is not None:
        return problem + ": w_new must be an array like w and b_new one number"
    w_got, b_got = as_float_array(out[0]), float(as_float_array(out[1]).reshape(()))
    w_ok = rel_error(w_got, w_exp) <= tol
    b_ok = abs(b_got - b_exp) <= tol * max(1, abs(b_exp))
    if w_ok and b_ok:
        return None
    if np.dot(w, x) + b == 0 and np.allclose(w_got, w) and np.isclose(b_got, b):
        return ("a point exactly on the boundary (s = 0) is predicted as class 1 (s >= 0, as in exercise 1), "
                "so it is a mistake when t = 0: use >= 0, not > 0")
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


def check_perceptron_update(fn: Callable) -> CheckResult:
    """Check ``fn(w, b, x, t, lr) -> (w_new, b_new)``, one step of the perceptron rule.

    Usage: ``perceptron_update = check_perceptron_update(perceptron_update).use``.
    """
    w = np.array([1.0, -1.0])
    cases = [
        Case("a correctly classified point (t = 1, s > 0): no change", (w, 10.0, np.array([5.0, 2.0]), 1, 0.5)),
        Case("a correctly classified point (t = 0, s < 0): no change", (w, 10.0, np.array([0.0, 20.0]), 0, 0.5)),
        Case("a missed class-1 point: w moves towards x", (w, 10.0, np.array([0.0, 25.0]), 1, 0.5)),
        Case("a missed class-0 point: w moves away from x", (w, 10.0, np.array([4.0, 1.0]), 0, 0.1)),
        Case("a class-0 point exactly on the boundary (s = 0): predicted 1, so w moves away",
             (w, 10.0, np.array([0.0, 10.0]), 0, 0.5), hint="predict with the step of exercise 1: y = 1 when s >= 0"),
        Case("3 inputs, learning rate 1", (np.array([0.2, -0.4, 0.1]), -1.0, np.array([1.0, 2.0, -3.0]), 1, 1.0)),
    ]
    return run_check("perceptron_update", fn, cases, reference=perceptron_update, diagnose=_update_problem)
