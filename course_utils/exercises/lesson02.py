"""Checkers for lesson 02 (softmax regression): softmax, cross-entropy and its gradient.

Each ``check_*`` runs the student's function on several cases (ordinary values, large values
for numerical stability, batches, edge cases) and prints one line per case naming the fault
it found (wrong axis, overflow, wrong shape, sum instead of mean, ...). The reference
implementations live in :mod:`course_utils.numpy_nn`.

Usage::

    from course_utils.exercises.lesson02 import check_softmax
    softmax = check_softmax(softmax).use
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from course_utils.checks import (
    Case,
    CheckResult,
    array_problem,
    as_float_array,
    one_number,
    rel_error,
    run_check,
)
from course_utils.numpy_nn import cross_entropy, softmax, softmax_regression_grad


# ----------------------------------------------------------------------------- softmax
def _softmax_problem(out: Any, z: np.ndarray, tol: float) -> str | None:
    expected = softmax(z)
    problem = array_problem(out, expected.shape)
    if problem is not None:
        got = as_float_array(out)
        lost_axis = got is not None and got.shape != expected.shape and got.shape in (expected.shape[:-1],
                                                                                       expected.shape[:1])
        return problem + (" (a sum or max lost its axis: use keepdims=True)" if lost_axis else "")
    got = as_float_array(out)
    if got.ndim >= 2 and not np.allclose(got.sum(axis=-1), 1, atol=1e-6):
        if np.allclose(got.sum(axis=0), 1, atol=1e-6):
            return "wrong axis: the columns sum to 1, not the rows; normalise over axis=-1"
        return ("the rows do not sum to 1: divide each row by its own sum "
                "(axis=-1, keepdims=True), not by a global sum")
    if got.ndim == 1 and not np.isclose(got.sum(), 1, atol=1e-6):
        return f"the probabilities sum to {got.sum():.4g}, not 1: divide by the sum of the exponentials"
    err = rel_error(got, expected)
    if err > tol:
        if np.any(got < 0):
            return "negative probabilities: exponentiate the scores before normalising"
        return f"wrong values: rel_error {err:.1e} > tolerance {tol:.0e}"
    return None


def check_softmax(fn: Callable, tol: float = 1e-6) -> CheckResult:
    """Check ``fn(z)``, a softmax over the last axis, on ordinary, large, batched and 3-D input;
    NumPy's overflow warnings fail the check (the stable softmax never overflows).

    Usage: ``softmax = check_softmax(softmax).use``.
    """
    rng = np.random.default_rng(2)
    cases = [
        Case("a vector of 3 scores [1, 2, 3]", (np.array([1.0, 2.0, 3.0]),), hint="exp(z) / exp(z).sum()"),
        Case("a batch of 4 rows, shape (4, 5)", (rng.normal(size=(4, 5)),),
             hint="one softmax per row: axis=-1 and keepdims=True"),
        Case("a square batch, shape (3, 3) (axis mistakes show here)", (rng.normal(size=(3, 3)) * 2,),
             hint="sum over axis=-1 with keepdims=True so the division broadcasts row by row"),
        Case("large scores [1000, 1001, 1002]", (np.array([1000.0, 1001.0, 1002.0]),),
             hint="np.exp(1000) overflows; softmax(z) = softmax(z - max(z)): subtract each row's maximum "
                  "before np.exp"),
        Case("very negative scores [-1000, -1001, -1002]", (np.array([-1000.0, -1001.0, -1002.0]),),
             hint="np.exp(-1000) is 0 and 0 / 0 is NaN: subtracting the maximum also prevents this"),
        Case("rows on different scales [[1000, 1001, 1002], [-5, 0, 5]]",
             (np.array([[1000.0, 1001.0, 1002.0], [-5.0, 0.0, 5.0]]),),
             hint="subtract each row's own maximum (z.max(axis=-1, keepdims=True)), not the global maximum"),
        Case("a 3-D input, shape (2, 3, 4): softmax over the last axis", (rng.normal(size=(2, 3, 4)),),
             hint="use axis=-1 rather than axis=1 so any number of leading axes works"),
    ]
    return run_check("softmax", fn, cases, reference=softmax, diagnose=partial(_softmax_problem, tol=tol),
                     fail_on_warnings=True)


# ----------------------------------------------------------------------------- cross-entropy
def _cross_entropy_suspects(probs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Losses of common mistakes, keyed by the message that names each mistake."""
    n = len(y)
    picked = probs[np.arange(n), y]
    off_by_one = "wrong classes picked (off by one?): index with probs[np.arange(N), y]"
    return {
        "you summed over the batch instead of averaging: divide by N (np.mean)": -np.sum(np.log(picked)),
        "the sign is flipped: the loss is MINUS the mean log-probability": np.mean(np.log(picked)),
        off_by_one: -np.mean(np.log(probs[np.arange(n), (y + 1) % probs.shape[1]])),
        off_by_one + " ": -np.mean(np.log(probs[np.arange(n), (y - 1) % probs.shape[1]])),
        "you averaged -log p over all classes: use only the probability of the true class":
            -np.mean(np.log(probs)),
        "you used log10 or log2: use the natural logarithm np.log": -np.mean(np.log10(picked)),
    }


def _cross_entropy_problem(out: Any, probs: np.ndarray, y: np.ndarray, tol: float) -> str | None:
    expected = cross_entropy(probs, y)
    problem = array_problem(one_number(out), ())
    if problem is not None:
        got = as_float_array(out)
        if got is None:
            return problem
        if got.size != 1:
            return problem + " (one number): average the per-example losses over the batch"
        return problem + ": take the log of the true class's probability only"
    value = float(as_float_array(out).reshape(()))
    if abs(value - expected) <= tol * max(1.0, abs(expected)):
        return None
    for message, candidate in _cross_entropy_suspects(probs, y).items():
        if (np.isfinite(candidate) and abs(candidate - expected) > 1e-9
                and abs(value - candidate) <= 1e-6 * max(1, abs(candidate))):
            return message.strip()
    return f"returned {value:.6g}, expected {expected:.6g}"


def check_cross_entropy(fn: Callable, tol: float = 1e-6) -> CheckResult:
    """Check ``fn(probs, y)``, the mean cross-entropy for integer labels ``y``; the log of a zero
    probability (a NumPy divide-by-zero warning) fails the check.

    Usage: ``cross_entropy = check_cross_entropy(cross_entropy).use``.
    """
    rng = np.random.default_rng(3)
    batch = softmax(rng.normal(size=(6, 4)) * 2)
    cases = [
        Case("one example, p = [0.7, 0.2, 0.1], true class 0 (loss = -ln 0.7)", (np.array([[0.7, 0.2, 0.1]]), np.array([0]))),
        Case("a batch of 6 examples, 4 classes", (batch, np.array([0, 1, 2, 3, 3, 1])),
             hint="mean over the batch of -log p[i, y_i]"),
        Case("uniform over 10 classes (loss = ln 10)", (np.full((5, 10), 0.1), np.arange(5))),
        Case("a confident, correct prediction (loss close to 0)",
             (np.array([[1e-8, 1 - 2e-8, 1e-8], [1 - 2e-8, 1e-8, 1e-8]]), np.array([1, 0]))),
        Case("the last class is the true one (index C - 1)",
             (np.array([[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]]), np.array([2, 2])),
             hint="labels run from 0 to C - 1; use them as indices directly"),
        Case("saturated probabilities from large scores: p = softmax([0, 1000, 0]) = [0, 1, 0] (loss 0)",
             (softmax(np.array([[0.0, 1000.0, 0.0], [-1000.0, 0.0, 1000.0]])), np.array([1, 2])),
             hint="log(0) is -inf (and 0 * log 0 is NaN): take the log of the true class's probability only, "
                  "probs[np.arange(N), y], never of every class"),
    ]
    return run_check("cross_entropy", fn, cases, reference=cross_entropy,
                     diagnose=partial(_cross_entropy_problem, tol=tol), fail_on_warnings=True)


# ----------------------------------------------------------------------------- gradient
_GRAD_SHAPE_HINTS = {"loss": ": return the mean over the batch, one number", "dW": " like W",
                     "db": " like b: sum dscores over the batch (axis=0)"}


def _grad_problem(out: Any, W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray, tol: float) -> str | None:
    loss, dW, db = softmax_regression_grad(W, b, X, y)
    n = len(y)
    probs = softmax(X @ W + b)
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        return "return a tuple (loss, dW, db)"
    for what, value, shape in [("loss", one_number(out[0]), ()), ("dW", out[1], dW.shape), ("db", out[2], db.shape)]:
        problem = array_problem(value, shape, what)
        if problem is None:
            continue
        got = as_float_array(value)
        if got is not None and got.shape == shape:  # the right shape, so NaN or inf
            return problem + ": use the numerically stable softmax (subtract the row maximum)"
        if what == "dW" and got is not None and got.shape == dW.shape[::-1]:
            return problem + " like W (transposed: dW = X.T @ dscores)"
        return problem + _GRAD_SHAPE_HINTS[what]
    got_loss, got_dW, got_db = (as_float_array(o) for o in out)
    if rel_error(got_loss.reshape(()), loss) > tol:
        return f"loss {float(got_loss.reshape(())):.6g} differs from the cross-entropy {loss:.6g}"
    if rel_error(got_dW, dW) <= tol and rel_error(got_db, db) <= tol:
        return None
    if rel_error(got_dW, dW * n) <= 1e-6:
        return "dW is N times too large: divide dscores by the batch size N"
    if rel_error(got_dW, -dW) <= 1e-6:
        return "dW has the wrong sign: the gradient is X.T @ (P - Y), descent then subtracts it"
    if rel_error(got_dW, X.T @ probs / n) <= 1e-6:
        return "the true class is missing: dscores = P - Y, subtract 1 at each example's true class"
    if rel_error(got_dW, dW) > tol:
        return f"dW wrong: rel_error {rel_error(got_dW, dW):.1e} > tolerance {tol:.0e}"
    if rel_error(got_db, db * n) <= 1e-6:
        return "db is N times too large: divide by the batch size N"
    return f"db wrong: rel_error {rel_error(got_db, db):.1e} > tolerance {tol:.0e}"


def check_softmax_regression_grad(fn: Callable, tol: float = 1e-6) -> CheckResult:
    """Check ``fn(W, b, X, y) -> (loss, dW, db)`` against the analytic gradient of the
    softmax cross-entropy (itself verified by a numerical gradient check in the tests).

    Usage: ``softmax_regression_grad = check_softmax_regression_grad(softmax_regression_grad).use``.
    """
    rng = np.random.default_rng(4)
    D, C, N = 5, 3, 8
    W, b = rng.normal(size=(D, C)) * 0.1, rng.normal(size=C) * 0.1
    X, y = rng.normal(size=(N, D)), rng.integers(0, C, size=N)
    cases = [
        Case("small problem, N=8 examples, D=5 features, C=3 classes", (W, b, X, y)),
        Case("weights at zero (every class equally likely)", (np.zeros((D, C)), np.zeros(C), X, y)),
        Case("a batch of one example", (W, b, X[:1], y[:1])),
        Case("large scores (every bias + 1000): must stay finite", (W, b + 1000, X, y),
             hint="compute the probabilities with the stable softmax (subtract the row maximum)"),
    ]
    return run_check("softmax_regression_grad", fn, cases, reference=softmax_regression_grad,
                     diagnose=partial(_grad_problem, tol=tol))
