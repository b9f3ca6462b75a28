"""The NumPy reference network pieces: right values, stable for large inputs (no NumPy warning),
analytic gradients equal to numerical ones, and every function names the lesson that derives it."""

import inspect

import numpy as np
import pytest

from course_utils import numpy_nn as nn
from course_utils.checks import grad_check, rel_error

PUBLIC = [f for name, f in inspect.getmembers(nn, inspect.isfunction)
          if not name.startswith("_") and f.__module__ == nn.__name__]


@pytest.mark.parametrize("fn", PUBLIC, ids=lambda f: f.__name__)
def test_every_function_names_its_lesson_and_has_a_usage_line(fn):
    doc = inspect.getdoc(fn)
    assert "lesson 0" in doc and "Usage:" in doc, fn.__name__
    assert inspect.signature(fn).return_annotation is not inspect.Signature.empty, f"{fn.__name__}: typed return"


def test_perceptron_predict_and_update():
    X = np.array([[0.0, 0.0], [0.0, 20.0], [0.0, 10.0]])
    assert nn.perceptron_predict(X, np.array([1.0, -1.0]), 10.0).tolist() == [1, 0, 1]   # s = 0 is class 1
    w, b = nn.perceptron_update(np.array([1.0, -1.0]), 10.0, np.array([0.0, 25.0]), 1, 0.5)
    assert w.tolist() == [1.0, 11.5] and b == 10.5
    w, b = nn.perceptron_update(np.array([1.0, -1.0]), 10.0, np.array([5.0, 2.0]), 1, 0.5)
    assert w.tolist() == [1.0, -1.0] and b == 10.0                                        # already right


def test_sigmoid_of_the_car_example_is_81_percent():
    # Cherubini's "81 % car": w = (1, -1), b = 10; the point (0.45, 9) has s = 1.45
    s = np.dot([1.0, -1.0], [0.45, 9.0]) + 10
    assert round(float(nn.sigmoid(s)), 2) == 0.81


def test_sigmoid_is_exact_and_never_overflows():
    s = np.linspace(-30, 30, 121)
    assert rel_error(nn.sigmoid(s, 0.7), 1 / (1 + np.exp(-0.7 * s))) < 1e-12
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert nn.sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]
        assert nn.sigmoid(np.array([-30.0, 30.0]), a=50.0).tolist() == [0.0, 1.0]


def test_softmax_sums_to_one_ignores_shifts_and_never_overflows():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 3, 5))
    p = nn.softmax(z)
    assert p.shape == z.shape and np.allclose(p.sum(axis=-1), 1)
    assert rel_error(nn.softmax(z + 1000), p) < 1e-12
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.allclose(nn.softmax(np.array([[1000.0, 1001.0], [-1000.0, -1000.0]])),
                           [[1 / (1 + np.e), np.e / (1 + np.e)], [0.5, 0.5]])
    assert nn.softmax(np.array([1, 2, 3])).dtype == np.float64


def test_cross_entropy_values():
    assert nn.cross_entropy(np.full((5, 10), 0.1), np.arange(5)) == pytest.approx(np.log(10))
    with np.errstate(divide="raise"):   # zeros in the other classes do no harm
        assert nn.cross_entropy(np.array([[0.0, 1.0, 0.0]]), np.array([1])) == 0.0


def test_softmax_regression_reference_gradient_matches_numerical(capsys):
    rng = np.random.default_rng(0)
    W, b, X, y = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(6, 4)), rng.integers(0, 3, 6)
    _, dW, db = nn.softmax_regression_grad(W, b, X, y)
    assert grad_check(lambda w: nn.softmax_regression_grad(w, b, X, y)[0], W.copy(), dW, tol=1e-7) < 1e-7
    assert grad_check(lambda c: nn.softmax_regression_grad(W, c, X, y)[0], b.copy(), db, tol=1e-7) < 1e-7


def test_relu_backward_is_zero_at_zero():
    assert nn.relu_backward(np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.0, 1.0])).tolist() == [0.0, 0.0, 3.0]


def test_mlp_reference_backward_matches_numerical_gradient(capsys):
    rng = np.random.default_rng(1)
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 3)),
              "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(6, 4)), rng.integers(0, 3, 6)

    def loss(p):
        scores, _ = nn.mlp_forward(p, X)
        return nn.cross_entropy(nn.softmax(scores), y)

    scores, cache = nn.mlp_forward(params, X)
    dscores = nn.softmax(scores)
    dscores[np.arange(6), y] -= 1
    grads = nn.mlp_backward(params, cache, dscores / 6)
    assert sorted(grads) == sorted(nn.MLP_PARAM_KEYS)
    for key in nn.MLP_PARAM_KEYS:
        def f(v, key=key):
            return loss({**params, key: v})
        assert grad_check(f, params[key].copy(), grads[key], tol=1e-6, name=key) < 1e-6


def test_mlp_n_params():
    assert nn.mlp_n_params((784, 128, 10)) == 101_770
    assert nn.mlp_n_params((2, 32, 2)) == 2 * 32 + 32 + 32 * 2 + 2
