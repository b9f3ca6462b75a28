"""Checkers for lesson 03 (MLP and backpropagation): the ReLU backward pass, the backward
pass of a 2-layer MLP, and the parameter count. The reference implementations live in
:mod:`course_utils.numpy_nn`.

Usage::

    from course_utils.exercises.lesson03 import check_mlp_backward
    mlp_backward = check_mlp_backward(mlp_backward).use
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from itertools import pairwise
from typing import Any

import numpy as np

from course_utils.checks import (
    Case,
    CheckResult,
    array_problem,
    as_float_array,
    check_value,
    rel_error,
    run_check,
)
from course_utils.numpy_nn import MLP_PARAM_KEYS, mlp_backward, mlp_forward, mlp_n_params, relu_backward


# ----------------------------------------------------------------------------- ReLU backward
def _relu_problem(out: Any, dout: np.ndarray, z: np.ndarray) -> str | None:
    tol = 1e-12
    expected = relu_backward(dout, z)
    problem = array_problem(out, expected.shape)
    if problem is not None:
        got = as_float_array(out)
        return problem + (" (the shape of dout)" if got is not None and got.shape != expected.shape else "")
    got = as_float_array(out)
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


def check_relu_backward(fn: Callable) -> CheckResult:
    """Check ``fn(dout, z)``, the gradient through a ReLU.

    Usage: ``relu_backward = check_relu_backward(relu_backward).use``.
    """
    rng = np.random.default_rng(5)
    z = rng.normal(size=(4, 6))
    cases = [
        Case("a (4, 6) batch", (rng.normal(size=(4, 6)), z)),
        Case("dout = 1 everywhere", (np.ones(5), np.array([-2.0, -0.5, 0.5, 1.0, 3.0]))),
        Case("negative upstream gradients", (np.array([-1.0, -2.0, 3.0, -4.0]), np.array([1.0, -1.0, 2.0, 2.0]))),
        Case("z exactly 0", (np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0])), hint="use z > 0 (strict)"),
    ]
    return run_check("relu_backward", fn, cases, reference=relu_backward, diagnose=_relu_problem)


# ----------------------------------------------------------------------------- MLP backward
_MLP_SHAPE_HINTS = {"b1": "sum dz1 over the batch (axis=0)", "b2": "sum dscores over the batch (axis=0)",
                    "W1": "X.T @ dz1", "W2": "h.T @ dscores"}


def _mlp_problem(out: Any, params: dict[str, np.ndarray], cache: tuple[np.ndarray, np.ndarray, np.ndarray],
                 dscores: np.ndarray, tol: float) -> str | None:
    expected = mlp_backward(params, cache, dscores)
    X, z1, h = cache
    if not isinstance(out, dict):
        return f"returned {type(out).__name__}, expected a dict with keys {', '.join(MLP_PARAM_KEYS)}"
    missing = [k for k in MLP_PARAM_KEYS if k not in out]
    if missing:
        return f"the dict lacks {', '.join(missing)}"
    for key in MLP_PARAM_KEYS:
        problem = array_problem(out[key], expected[key].shape, f"grads['{key}']")
        if problem is not None:
            got = as_float_array(out[key])
            if got is not None and got.shape == expected[key].shape:  # the right shape, so NaN or inf
                return problem
            return f"{problem} like params['{key}']: {_MLP_SHAPE_HINTS[key]}"
    wrong = [k for k in MLP_PARAM_KEYS if rel_error(out[k], expected[k]) > tol]
    if not wrong:
        return None
    dz_no_mask = dscores @ params["W2"].T
    if "W2" in wrong and rel_error(out["W2"], z1.T @ dscores) <= 1e-9:
        return "grads['W2'] uses z1: the second layer sees h = relu(z1), so dW2 = h.T @ dscores"
    if "W1" in wrong and rel_error(out["W1"], X.T @ dz_no_mask) <= 1e-9:
        return "the ReLU is missing from the backward pass: multiply dh by (z1 > 0) before dW1 and db1"
    if "W1" in wrong and rel_error(out["W1"], X.T @ (dz_no_mask * (h > 0) * h)) <= 1e-9:
        return "dz1 multiplied by h: the ReLU's local gradient is the mask (z1 > 0), not h"
    return "wrong values in " + ", ".join(f"grads['{k}'] (rel_error {rel_error(out[k], expected[k]):.1e})"
                                          for k in wrong)


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
        _, cache = mlp_forward(params, X)
        dscores = rng.normal(size=(n, c))
        cases.append(Case(description, (params, cache, dscores)))
    return run_check("mlp_backward", fn, cases, reference=mlp_backward, diagnose=partial(_mlp_problem, tol=tol))


# ----------------------------------------------------------------------------- parameter count
def check_n_params(value: Any, sizes: tuple[int, ...] = (784, 128, 10)) -> CheckResult:
    """Check a parameter count for a fully connected network with layer ``sizes``.

    Usage: ``check_n_params(n_params, sizes=(784, 128, 10))``.
    """
    expected = mlp_n_params(sizes)
    weights_only = int(sum(a * b for a, b in pairwise(sizes)))
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
    elif number == sum(a * b + a for a, b in pairwise(sizes)):
        hint = "one bias per output unit, not per input: a layer a -> b has b biases"
    return check_value("number of parameters", value, expected, tol=0, hint=hint, reference=expected)
