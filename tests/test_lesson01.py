"""Lesson 01 (the perceptron): each check passes its reference, names the fault of wrong
implementations (an overflowing sigmoid included), hands over the reference when the exercise
is not done; the perceptron widget survives every slider position."""

import numpy as np
import pytest

from course_utils import numpy_nn
from course_utils.exercises import lesson01 as l1


def _text(result):
    return " ".join(result.messages)


# ----------------------------------------------------------------------------- predict
def test_perceptron_predict_flatten_hint_and_missing_return():
    assert "flatten it" in _text(l1.check_perceptron_predict(lambda X, w, b: (X @ w + b >= 0).astype(int)[:, None]))
    assert "returned NoneType" in _text(l1.check_perceptron_predict(lambda X, w, b: None))


# ----------------------------------------------------------------------------- sigmoid
def test_a_naive_sigmoid_fails_on_the_overflow_in_one_line(capsys):
    result = l1.check_sigmoid(lambda s, a=1.0: 1 / (1 + np.exp(-a * np.asarray(s, dtype=float))))
    out = capsys.readouterr().out
    assert not result.passed and "Traceback" not in out
    wrong = [m for m in result.messages if "WRONG" in m]
    assert wrong and all("overflow encountered in exp" in m and "logaddexp" in m for m in wrong)
    assert any("s = -1000" in m for m in wrong)
    assert "ok    s = 0 gives 0.5" in out                         # only the large-|s| cases fail


def _logaddexp_sigmoid(s, a=1.0):  # the notebook's solution
    return np.exp(-np.logaddexp(0.0, -a * np.asarray(s, dtype=float)))


def _two_branch_sigmoid(s, a=1.0):  # exp only ever sees -|a s|
    x = a * np.asarray(s, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("stable", [_logaddexp_sigmoid, _two_branch_sigmoid])
def test_stable_sigmoids_pass(stable, recwarn):
    assert l1.check_sigmoid(stable).passed
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# ----------------------------------------------------------------------------- update rule
def _step(w, b, x):
    return int(np.dot(w, x) + b >= 0)


def test_perceptron_update_with_a_strict_step_fails_on_the_boundary_point():
    def strict(w, b, x, t, lr):  # predicts with s > 0: differs only when s = 0
        y = int(np.dot(w, x) + b > 0)
        return w + lr * (t - y) * x, b + lr * (t - y)
    result = l1.check_perceptron_update(strict)
    assert not result.passed and "exactly on the boundary (s = 0)" in _text(result)
    assert sum("WRONG" in m for m in result.messages) == 1


def test_perceptron_update_accepts_the_bias_as_a_one_element_array():
    def update(w, b, x, t, lr):
        w_new, b_new = numpy_nn.perceptron_update(w, b, x, t, lr)
        return w_new, np.array([b_new])
    assert l1.check_perceptron_update(update).passed


# The wrong implementations of each checker, with the fault its message must name; the contract
# (tests/test_checker_contract.py) runs every one of them and asks for at least three per checker.
WRONG = {
    "perceptron_predict": (l1.check_perceptron_predict, [
        (lambda X, w, b: np.sign(X @ w + b), "-1/+1"),                                   # sign, not step
        (lambda X, w, b: (X @ w + b > 0).astype(int), "boundary"),                       # > instead of >=
        (lambda X, w, b: (X @ w - b >= 0).astype(int), "bias has the wrong sign"),       # s = w.x - b
        (lambda X, w, b: (X @ w + b >= 0).astype(int)[:, None], "wrong shape"),          # (N, 1)
        (lambda X, w, b: (X[:, 0] * w[0] + X[:, 1] * w[1] + b >= 0).astype(int), "two inputs"),  # 2-D only
        (lambda X, w, b: X @ w + b, "threshold"),                                        # the score itself
    ]),
    "sigmoid": (l1.check_sigmoid, [
        (lambda s, a=1.0: 1 / (1 + np.exp(a * s)), "sign of the exponent"),
        (lambda s, a=1.0: 1 / (1 + np.exp(-np.asarray(s))), "slope a is ignored"),
        (lambda s, a=1.0: np.exp(a * s) / (1 + np.exp(a * s)), "overflow encountered in exp"),
        (lambda s, a=1.0: 1 / (1 + np.exp(-np.asarray(s) / a)), "divides"),
        (lambda s, a=1.0: float(1 / (1 + np.exp(-a * np.asarray(s).flat[0]))), "shape"),  # scalar only
    ]),
    "perceptron_update": (l1.check_perceptron_update, [
        (lambda w, b, x, t, lr: (w + lr * (_step(w, b, x) - t) * x, b + lr * (_step(w, b, x) - t)),
         "wrong way"),
        (lambda w, b, x, t, lr: (w + lr * (t - _step(w, b, x)) * x, b), "bias was not updated"),
        (lambda w, b, x, t, lr: (w + (t - _step(w, b, x)) * x, b + (t - _step(w, b, x))), "learning rate"),
        (lambda w, b, x, t, lr: (w + lr * t * x, b + lr * t), "already classified correctly"),   # no (t - y)
        (lambda w, b, x, t, lr: (w, b), "nothing changed"),
        (lambda w, b, x, t, lr: w + lr * (t - _step(w, b, x)) * x, "pair"),
        (lambda w, b, x, t, lr: (w[:1], b), "w_new has shape"),
    ]),
}
