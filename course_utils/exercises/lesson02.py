"""Checkers for lesson 02 (softmax regression): softmax, cross-entropy and its gradient.

Each ``check_*`` runs the student's function on several cases (ordinary values, large values
for numerical stability, batches, edge cases) and prints one line per case naming the fault
it found (wrong axis, overflow, wrong shape, sum instead of mean, ...).

Usage::

    from course_utils.exercises.lesson02 import check_softmax
    softmax = check_softmax(softmax).use
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from course_utils.checks import Case, CheckResult, as_float_array, rel_error, run_check

__all__ = ["reference_softmax", "reference_cross_entropy", "reference_softmax_regression_grad",
           "check_softmax", "check_cross_entropy", "check_softmax_regression_grad"]


# ----------------------------------------------------------------------------- references
def reference_softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, computed stably (the row maximum is subtracted first).

    Usage: ``probs = reference_softmax(scores)`` for scores of shape ``(N, C)`` or ``(C,)``.
    """
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def reference_cross_entropy(probs: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy ``-mean_i log probs[i, y_i]`` for integer labels ``y``.

    Usage: ``loss = reference_cross_entropy(reference_softmax(scores), y)``.
    """
    probs = np.asarray(probs)
    return float(-np.mean(np.log(probs[np.arange(len(y)), y])))


def reference_softmax_regression_grad(W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray):
    """Loss and gradients of softmax regression ``softmax(X @ W + b)`` with cross-entropy.

    Returns ``(loss, dW, db)``. Usage: ``loss, dW, db = reference_softmax_regression_grad(W, b, X, y)``.
    """
    n = len(y)
    probs = reference_softmax(X @ W + b)
    loss = reference_cross_entropy(probs, y)
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    return loss, X.T @ dscores, dscores.sum(axis=0)


# ----------------------------------------------------------------------------- softmax
def _softmax_validator(z: np.ndarray, tol: float) -> Callable[[Any], str | None]:
    expected = reference_softmax(z)

    def validate(out: Any) -> str | None:
        got = as_float_array(out)
        if got is None:
            return f"returned {type(out).__name__}, expected an array of shape {expected.shape}"
        if got.shape != expected.shape:
            extra = ""
            if got.shape == expected.shape[:-1] or got.shape == expected.shape[:1]:
                extra = " (a sum or max lost its axis: use keepdims=True)"
            return f"wrong shape: returned {got.shape}, expected {expected.shape}{extra}"
        if not np.all(np.isfinite(got)):
            return "NaN or inf in the output: np.exp overflowed (or underflowed to 0 / 0)"
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
    return validate


def check_softmax(fn: Callable, tol: float = 1e-6) -> CheckResult:
    """Check ``fn(z)``, a softmax over the last axis, on ordinary, large, batched and 3-D input.

    Usage: ``softmax = check_softmax(softmax).use``.
    """
    rng = np.random.default_rng(2)
    cases = [
        (Case("a vector of 3 scores [1, 2, 3]", (np.array([1.0, 2.0, 3.0]),), None,
              "exp(z) / exp(z).sum()")),
        (Case("a batch of 4 rows, shape (4, 5)", (rng.normal(size=(4, 5)),), None,
              "one softmax per row: axis=-1 and keepdims=True")),
        (Case("a square batch, shape (3, 3) (axis mistakes show here)", (rng.normal(size=(3, 3)) * 2,), None,
              "sum over axis=-1 with keepdims=True so the division broadcasts row by row")),
        (Case("large scores [1000, 1001, 1002]", (np.array([1000.0, 1001.0, 1002.0]),), None,
              "softmax(z) = softmax(z - max(z)): subtract each row's maximum before np.exp")),
        (Case("very negative scores [-1000, -1001, -1002]", (np.array([-1000.0, -1001.0, -1002.0]),), None,
              "subtracting the maximum also prevents 0/0")),
        (Case("rows on different scales [[1000, 1001, 1002], [-5, 0, 5]]",
              (np.array([[1000.0, 1001.0, 1002.0], [-5.0, 0.0, 5.0]]),), None,
              "subtract each row's own maximum (z.max(axis=-1, keepdims=True)), not the global maximum")),
        (Case("a 3-D input, shape (2, 3, 4): softmax over the last axis", (rng.normal(size=(2, 3, 4)),), None,
              "use axis=-1 rather than axis=1 so any number of leading axes works")),
    ]
    for case in cases:
        case.expected = _softmax_validator(case.args[0], tol)
    return run_check("softmax", fn, cases, reference=reference_softmax)


# ----------------------------------------------------------------------------- cross-entropy
def _cross_entropy_validator(probs: np.ndarray, y: np.ndarray, tol: float) -> Callable[[Any], str | None]:
    n = len(y)
    expected = reference_cross_entropy(probs, y)
    with np.errstate(all="ignore"):
        picked = probs[np.arange(n), y]
        suspects = {
            "you summed over the batch instead of averaging: divide by N (np.mean)": -np.sum(np.log(picked)),
            "the sign is flipped: the loss is MINUS the mean log-probability": np.mean(np.log(picked)),
            "wrong classes picked (off by one?): index with probs[np.arange(N), y]":
                -np.mean(np.log(probs[np.arange(n), (y + 1) % probs.shape[1]])),
            "wrong classes picked (off by one?): index with probs[np.arange(N), y]  ":
                -np.mean(np.log(probs[np.arange(n), (y - 1) % probs.shape[1]])),
            "you averaged -log p over all classes: use only the probability of the true class":
                -np.mean(np.log(probs)),
            "you used log10 or log2: use the natural logarithm np.log":
                -np.mean(np.log10(picked)),
        }

    def validate(out: Any) -> str | None:
        got = as_float_array(out)
        if got is None:
            return f"returned {type(out).__name__}, expected one number"
        if got.size != 1:
            return (f"returned an array of shape {got.shape}, expected one number: average the "
                    "per-example losses over the batch")
        value = float(got.reshape(()))
        if not np.isfinite(value):
            return "returned NaN or inf: take the log of the true class's probability only"
        if abs(value - expected) <= tol * max(1.0, abs(expected)):
            return None
        for message, candidate in suspects.items():
            if np.isfinite(candidate) and abs(candidate - expected) > 1e-9 and abs(value - candidate) <= 1e-6 * max(1, abs(candidate)):
                return message.strip()
        return f"returned {value:.6g}, expected {expected:.6g}"
    return validate


def check_cross_entropy(fn: Callable, tol: float = 1e-6) -> CheckResult:
    """Check ``fn(probs, y)``, the mean cross-entropy for integer labels ``y``.

    Usage: ``cross_entropy = check_cross_entropy(cross_entropy).use``.
    """
    rng = np.random.default_rng(3)
    batch = reference_softmax(rng.normal(size=(6, 4)) * 2)
    cases = [
        Case("one example, p = [0.7, 0.2, 0.1], true class 0 (loss = -ln 0.7)",
             (np.array([[0.7, 0.2, 0.1]]), np.array([0])), None),
        Case("a batch of 6 examples, 4 classes", (batch, np.array([0, 1, 2, 3, 3, 1])), None,
             "mean over the batch of -log p[i, y_i]"),
        Case("uniform over 10 classes (loss = ln 10)", (np.full((5, 10), 0.1), np.arange(5)), None),
        Case("a confident, correct prediction (loss close to 0)",
             (np.array([[1e-8, 1 - 2e-8, 1e-8], [1 - 2e-8, 1e-8, 1e-8]]), np.array([1, 0])), None),
        Case("the last class is the true one (index C - 1)",
             (np.array([[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]]), np.array([2, 2])), None,
             "labels run from 0 to C - 1; use them as indices directly"),
    ]
    for case in cases:
        case.expected = _cross_entropy_validator(case.args[0], case.args[1], tol)
    return run_check("cross_entropy", fn, cases, reference=reference_cross_entropy)


# ----------------------------------------------------------------------------- gradient
def _grad_validator(W, b, X, y, tol) -> Callable[[Any], str | None]:
    loss, dW, db = reference_softmax_regression_grad(W, b, X, y)
    n = len(y)
    probs = reference_softmax(X @ W + b)

    def validate(out: Any) -> str | None:
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            return "return a tuple (loss, dW, db)"
        got_loss, got_dW, got_db = (as_float_array(o) for o in out)
        if got_loss is None or got_dW is None or got_db is None:
            return "loss, dW and db must be numbers or arrays"
        if got_loss.size != 1:
            return f"loss has shape {got_loss.shape}: return the mean over the batch, one number"
        if got_dW.shape != dW.shape:
            extra = " (transposed: dW = X.T @ dscores)" if got_dW.shape == dW.shape[::-1] else ""
            return f"dW has shape {got_dW.shape}, expected {dW.shape} like W{extra}"
        if got_db.shape != db.shape:
            return f"db has shape {got_db.shape}, expected {db.shape} like b: sum dscores over the batch (axis=0)"
        if not (np.all(np.isfinite(got_dW)) and np.isfinite(float(got_loss.reshape(()))) and np.all(np.isfinite(got_db))):
            return "NaN or inf: use the numerically stable softmax (subtract the row maximum)"
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
    return validate


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
        Case("small problem, N=8 examples, D=5 features, C=3 classes", (W, b, X, y), None),
        Case("weights at zero (every class equally likely)", (np.zeros((D, C)), np.zeros(C), X, y), None),
        Case("a batch of one example", (W, b, X[:1], y[:1]), None),
        Case("large scores (every bias + 1000): must stay finite", (W, b + 1000, X, y), None,
             "compute the probabilities with the stable softmax"),
    ]
    for case in cases:
        case.expected = _grad_validator(*case.args, tol)
    return run_check("softmax_regression_grad", fn, cases, reference=reference_softmax_regression_grad)
