"""Reference NumPy neural-network pieces: perceptron, sigmoid, softmax, cross-entropy, 2-layer MLP.

Lessons 01-03 derive these step by step (each function's docstring names the lesson); the
lessons' exercise checks compare the students' versions with them and hand them back when an
exercise is not done, and later lessons import them from here. Everything works on float64
NumPy arrays, one example per row: inputs ``X`` of shape ``(N, D)``, integer labels ``y`` of
shape ``(N,)``, scores and probabilities of shape ``(N, C)``.

Usage::

    from course_utils.numpy_nn import cross_entropy, softmax, softmax_regression_grad
    loss = cross_entropy(softmax(X @ W + b), y)
    loss, dW, db = softmax_regression_grad(W, b, X, y)
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np

MLP_PARAM_KEYS = ("W1", "b1", "W2", "b2")  # the 2-layer MLP's parameters, and its gradients' keys


# ----------------------------------------------------------------------------- lesson 01
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Class 1 where ``w . x + b >= 0`` and class 0 elsewhere, for every row ``x`` of ``X``.

    Derived in lesson 01 (the perceptron), exercise 1.
    Usage: ``labels = perceptron_predict(X, w, b)`` with ``X`` of shape ``(N, m)``.
    """
    return (np.asarray(X) @ np.asarray(w) + b >= 0).astype(int)


def perceptron_update(w: np.ndarray, b: float, x: np.ndarray, t: int,
                      lr: float = 1.0) -> tuple[np.ndarray, float]:
    """One step of Rosenblatt's rule on one example ``(x, t)``: returns ``(w_new, b_new)``.

    ``y = 1 if w . x + b >= 0 else 0``; ``w_new = w + lr (t - y) x``; ``b_new = b + lr (t - y)``.
    Derived in lesson 01 (the perceptron), exercise 2.
    Usage: ``w, b = perceptron_update(w, b, x, t, lr=0.1)``.
    """
    y = int(np.dot(w, x) + b >= 0)
    return np.asarray(w, dtype=np.float64) + lr * (t - y) * np.asarray(x, dtype=np.float64), b + lr * (t - y)


def sigmoid(s: Any, a: float = 1.0) -> np.ndarray:
    """The logistic sigmoid ``1 / (1 + exp(-a s))``, elementwise, without overflow for large ``|s|``.

    Computed as ``exp(-log(1 + exp(-a s)))`` with ``np.logaddexp(0, -a s)``, which never
    evaluates ``exp`` of a large positive number. Derived in lesson 01 (the perceptron), exercise 3.
    Usage: ``sigmoid(1.45)`` (about 0.81).
    """
    return np.exp(-np.logaddexp(0.0, -a * np.asarray(s, dtype=np.float64)))


# ----------------------------------------------------------------------------- lesson 02
def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, computed stably (each row's maximum is subtracted first).

    Derived in lesson 02 (softmax regression), exercise 1.
    Usage: ``probs = softmax(scores)`` for scores of shape ``(N, C)`` or ``(C,)``.
    """
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(probs: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy ``-mean_i log probs[i, y_i]`` for integer labels ``y``.

    Only the true classes' probabilities are logged, so a zero elsewhere does no harm.
    Derived in lesson 02 (softmax regression), exercise 2.
    Usage: ``loss = cross_entropy(softmax(scores), y)``.
    """
    probs = np.asarray(probs)
    return float(-np.mean(np.log(probs[np.arange(len(y)), y])))


def softmax_regression_grad(W: np.ndarray, b: np.ndarray, X: np.ndarray,
                            y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss and gradients of softmax regression ``softmax(X @ W + b)`` with cross-entropy.

    ``dL/dscores = (P - Y) / N``, so ``dW = X.T @ dscores`` and ``db = dscores.sum(axis=0)``.
    Derived in lesson 02 (softmax regression), exercise 3.
    Usage: ``loss, dW, db = softmax_regression_grad(W, b, X, y)``.
    """
    n = len(y)
    probs = softmax(X @ W + b)
    loss = cross_entropy(probs, y)
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    return loss, X.T @ dscores, dscores.sum(axis=0)


# ----------------------------------------------------------------------------- lesson 03
def relu_backward(dout: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Gradient through ``h = max(z, 0)``: ``dout`` where ``z > 0``, else 0 (0 at ``z = 0``).

    Derived in lesson 03 (MLP and backpropagation), exercise 1.
    Usage: ``dz1 = relu_backward(dh, z1)``.
    """
    return np.asarray(dout) * (np.asarray(z) > 0)


def mlp_forward(params: dict[str, np.ndarray],
                X: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Scores of the 2-layer MLP ``relu(X W1 + b1) W2 + b2`` and the cache ``(X, z1, h)``.

    Built in lesson 03 (MLP and backpropagation) before its exercises.
    Usage: ``scores, cache = mlp_forward(params, X)``.
    """
    z1 = X @ params["W1"] + params["b1"]
    h = np.maximum(z1, 0)
    return h @ params["W2"] + params["b2"], (X, z1, h)


def mlp_backward(params: dict[str, np.ndarray], cache: tuple[np.ndarray, np.ndarray, np.ndarray],
                 dscores: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients ``{"W1", "b1", "W2", "b2"}`` of the loss, given ``dscores = dL/dscores``.

    Derived in lesson 03 (MLP and backpropagation), exercise 2.
    Usage: ``grads = mlp_backward(params, cache, dscores)``.
    """
    X, z1, h = cache
    grads = {"W2": h.T @ dscores, "b2": dscores.sum(axis=0)}
    dz1 = relu_backward(dscores @ params["W2"].T, z1)
    grads["W1"] = X.T @ dz1
    grads["b1"] = dz1.sum(axis=0)
    return grads


def mlp_n_params(sizes: tuple[int, ...]) -> int:
    """Number of weights and biases of a fully connected network with layer ``sizes``.

    Derived in lesson 03 (MLP and backpropagation), exercise 3.
    Usage: ``mlp_n_params((784, 128, 10))`` (101,770).
    """
    return int(sum(a * b + b for a, b in pairwise(sizes)))
