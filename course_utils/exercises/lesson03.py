"""Checkers for lesson 03 (MLP and backpropagation): the ReLU backward pass, the backward
pass of a 2-layer MLP, and the parameter count.

Usage::

    from course_utils.exercises.lesson03 import check_mlp_backward
    mlp_backward = check_mlp_backward(mlp_backward).use
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from course_utils.checks import Case, CheckResult, as_float_array, check_value, rel_error, run_check

__all__ = ["reference_relu_backward", "reference_mlp_forward", "reference_mlp_backward",
           "reference_mlp_n_params",
           "check_relu_backward", "check_mlp_backward", "check_n_params"]

GRAD_KEYS = ("W1", "b1", "W2", "b2")


# ----------------------------------------------------------------------------- references
def reference_relu_backward(dout: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Gradient through ``h = max(z, 0)``: ``dout`` where ``z > 0``, else 0 (0 at ``z = 0``).

    Usage: ``dz1 = reference_relu_backward(dh, z1)``.
    """
    return np.asarray(dout) * (np.asarray(z) > 0)


def reference_mlp_forward(params: dict, X: np.ndarray):
    """Scores of the 2-layer MLP ``relu(X W1 + b1) W2 + b2`` and the cache ``(X, z1, h)``.

    Usage: ``scores, cache = reference_mlp_forward(params, X)``.
    """
    z1 = X @ params["W1"] + params["b1"]
    h = np.maximum(z1, 0)
    return h @ params["W2"] + params["b2"], (X, z1, h)


def reference_mlp_backward(params: dict, cache: tuple, dscores: np.ndarray) -> dict:
    """Gradients ``{"W1", "b1", "W2", "b2"}`` of the loss, given ``dscores = dL/dscores``.

    Usage: ``grads = reference_mlp_backward(params, cache, dscores)``.
    """
    X, z1, h = cache
    grads = {"W2": h.T @ dscores, "b2": dscores.sum(axis=0)}
    dz1 = reference_relu_backward(dscores @ params["W2"].T, z1)
    grads["W1"] = X.T @ dz1
    grads["b1"] = dz1.sum(axis=0)
    return grads


def reference_mlp_n_params(sizes: tuple[int, ...]) -> int:
    """Number of weights and biases of a fully connected network with layer ``sizes``.

    Usage: ``reference_mlp_n_params((784, 128, 10))`` (101,770).
    """
    return int(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))


# ----------------------------------------------------------------------------- ReLU backward
def _relu_validator(dout, z, tol=1e-12) -> Callable[[Any], str | None]:
    expected = reference_relu_backward(dout, z)

    def validate(out: Any) -> str | None:
        got = as_float_array(out)
        if got is None:
            return f"returned {type(out).__name__}, expected an array like dout"
        if got.shape != expected.shape:
            return f"wrong shape: returned {got.shape}, expected {expected.shape} (the shape of dout)"
        if np.any(np.isnan(got)):
            return "returned NaN"
        if rel_error(got, expected) <= tol:
            return None
        if rel_error(got, np.maximum(z, 0)) <= tol:
            return "this is the forward pass max(z, 0): the backward pass passes dout through where z > 0"
        if rel_error(got, (z > 0).astype(float)) <= tol:
            return "returned only the mask (z > 0): multiply it by the upstream gradient dout"
        if rel_error(got, dout * (z >= 0)) <= tol:
            return "at z = 0 the gradient should be 0 here (z > 0, the convention TensorFlow uses)"
        if rel_error(got, dout * (dout > 0)) <= tol:
            return "masked with dout > 0: the mask comes from the ReLU's input z (z > 0)"
        return f"wrong values: rel_error {rel_error(got, expected):.1e}"
    return validate


def check_relu_backward(fn: Callable) -> CheckResult:
    """Check ``fn(dout, z)``, the gradient through a ReLU.

    Usage: ``relu_backward = check_relu_backward(relu_backward).use``.
    """
    rng = np.random.default_rng(5)
    z = rng.normal(size=(4, 6))
    cases = [
        Case("a (4, 6) batch", (rng.normal(size=(4, 6)), z), None),
        Case("dout = 1 everywhere", (np.ones(5), np.array([-2.0, -0.5, 0.5, 1.0, 3.0])), None),
        Case("negative upstream gradients", (np.array([-1.0, -2.0, 3.0, -4.0]), np.array([1.0, -1.0, 2.0, 2.0])), None),
        Case("z exactly 0", (np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0])), None,
             "use z > 0 (strict)"),
    ]
    for case in cases:
        case.expected = _relu_validator(*case.args)
    return run_check("relu_backward", fn, cases, reference=reference_relu_backward)


# ----------------------------------------------------------------------------- MLP backward
def _mlp_validator(params, cache, dscores, tol) -> Callable[[Any], str | None]:
    expected = reference_mlp_backward(params, cache, dscores)
    X, z1, h = cache
    dz_no_mask = dscores @ params["W2"].T

    def validate(out: Any) -> str | None:
        if not isinstance(out, dict):
            return f"returned {type(out).__name__}, expected a dict with keys {', '.join(GRAD_KEYS)}"
        missing = [k for k in GRAD_KEYS if k not in out]
        if missing:
            return f"the dict lacks {', '.join(missing)}"
        for key in GRAD_KEYS:
            got = as_float_array(out[key])
            if got is None or got.shape != expected[key].shape:
                shape = None if got is None else got.shape
                hint = {"b1": "sum dz1 over the batch (axis=0)", "b2": "sum dscores over the batch (axis=0)",
                        "W1": "X.T @ dz1", "W2": "h.T @ dscores"}[key]
                return f"grads['{key}'] has shape {shape}, expected {expected[key].shape} like params['{key}']: {hint}"
            if not np.all(np.isfinite(got)):
                return f"grads['{key}'] contains NaN or inf"
        wrong = [k for k in GRAD_KEYS if rel_error(out[k], expected[k]) > tol]
        if not wrong:
            return None
        if "W2" in wrong and rel_error(out["W2"], z1.T @ dscores) <= 1e-9:
            return "grads['W2'] uses z1: the second layer sees h = relu(z1), so dW2 = h.T @ dscores"
        if "W1" in wrong and rel_error(out["W1"], X.T @ dz_no_mask) <= 1e-9:
            return "the ReLU is missing from the backward pass: multiply dh by (z1 > 0) before dW1 and db1"
        if "W1" in wrong and rel_error(out["W1"], X.T @ (dz_no_mask * (h > 0) * h)) <= 1e-9:
            return "dz1 multiplied by h: the ReLU's local gradient is the mask (z1 > 0), not h"
        return "wrong values in " + ", ".join(f"grads['{k}'] (rel_error {rel_error(out[k], expected[k]):.1e})"
                                              for k in wrong)
    return validate


def check_mlp_backward(fn: Callable, tol: float = 1e-7) -> CheckResult:
    """Check ``fn(params, cache, dscores) -> grads`` for the 2-layer ReLU MLP, gradient by
    gradient, on small random problems.

    Usage: ``mlp_backward = check_mlp_backward(mlp_backward).use``.
    """
    rng = np.random.default_rng(6)
    cases = []
    for description, (n, d, hdim, c) in [("N=5, D=4, H=6, C=3", (5, 4, 6, 3)),
                                          ("one example, N=1, D=3, H=4, C=2", (1, 3, 4, 2)),
                                          ("a wider layer, N=7, D=6, H=10, C=4", (7, 6, 10, 4))]:
        params = {"W1": rng.normal(size=(d, hdim)), "b1": rng.normal(size=hdim) * 0.5,
                  "W2": rng.normal(size=(hdim, c)), "b2": rng.normal(size=c)}
        X = rng.normal(size=(n, d))
        _, cache = reference_mlp_forward(params, X)
        dscores = rng.normal(size=(n, c))
        cases.append(Case(description, (params, cache, dscores), None))
    for case in cases:
        case.expected = _mlp_validator(*case.args, tol)
    return run_check("mlp_backward", fn, cases, reference=reference_mlp_backward)


# ----------------------------------------------------------------------------- parameter count
def check_n_params(value: Any, sizes: tuple[int, ...] = (784, 128, 10)) -> CheckResult:
    """Check a parameter count for a fully connected network with layer ``sizes``.

    Usage: ``check_n_params(n_params, sizes=(784, 128, 10))``.
    """
    expected = reference_mlp_n_params(sizes)
    weights_only = int(sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))
    first_only = sizes[0] * sizes[1] + sizes[1]
    hint = f"each layer a -> b has a * b weights and b biases; the layers are {' -> '.join(map(str, sizes))}"
    try:
        number = float(value) if value is not Ellipsis and value is not None else value
    except (TypeError, ValueError):
        number = np.nan
    if number == weights_only:
        hint = "the biases are missing: each layer a -> b also has b biases"
    elif number == first_only:
        hint = "only the first layer is counted: add the output layer's weights and biases"
    elif number == sum(a * b + a for a, b in zip(sizes[:-1], sizes[1:])):
        hint = "one bias per output unit, not per input: a layer a -> b has b biases"
    return check_value("number of parameters", value, expected, tol=0, hint=hint, reference=expected)
