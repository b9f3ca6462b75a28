"""Lessons 01-03: each check passes its reference, names the fault of wrong implementations,
hands over the reference when the exercise is not done; the perceptron widget survives
every slider position."""

import numpy as np
import pytest

from course_utils.checks import ExerciseFailed, grad_check
from course_utils.exercises import lesson01 as l1
from course_utils.exercises import lesson02 as l2
from course_utils.exercises import lesson03 as l3


def _text(result):
    return " ".join(result.messages)


def _stub(*_args, **_kwargs):
    raise NotImplementedError("exercise")


# ----------------------------------------------------------------------------- all checks
REFERENCES = [
    (l1.check_perceptron_predict, l1.reference_perceptron_predict),
    (l1.check_sigmoid, l1.reference_sigmoid),
    (l1.check_perceptron_update, l1.reference_perceptron_update),
    (l2.check_softmax, l2.reference_softmax),
    (l2.check_cross_entropy, l2.reference_cross_entropy),
    (l2.check_softmax_regression_grad, l2.reference_softmax_regression_grad),
    (l3.check_relu_backward, l3.reference_relu_backward),
    (l3.check_mlp_backward, l3.reference_mlp_backward),
]


@pytest.mark.parametrize("check, reference", REFERENCES)
def test_reference_passes_and_is_used(check, reference, capsys):
    result = check(reference)
    assert result.passed and not result.not_done and result.use is reference
    assert "WRONG" not in capsys.readouterr().out


@pytest.mark.parametrize("check, reference", REFERENCES)
def test_not_done_says_so_and_hands_over_the_reference(check, reference, capsys):
    result = check(_stub)
    out = capsys.readouterr().out
    assert result.not_done and not result.passed and result.use is reference
    assert "not done yet" in out and "reference" in out and len(out.strip().splitlines()) == 1


@pytest.mark.parametrize("check, reference", REFERENCES)
def test_strict_mode_raises(check, reference, monkeypatch):
    monkeypatch.setenv("COURSE_CHECKS_STRICT", "1")
    with pytest.raises(ExerciseFailed):
        check(_stub)


@pytest.mark.parametrize("check, reference", REFERENCES)
def test_a_crashing_solution_gives_one_line_not_a_traceback(check, reference, capsys):
    def crash(*_args):
        raise IndexError("index 3 is out of bounds")
    result = check(crash)
    out = capsys.readouterr().out
    assert not result.passed and "raised IndexError" in out and "Traceback" not in out


# ----------------------------------------------------------------------------- lesson 01
@pytest.mark.parametrize("wrong, fault", [
    (lambda X, w, b: np.sign(X @ w + b), "-1/+1"),                                   # sign, not step
    (lambda X, w, b: (X @ w + b > 0).astype(int), "boundary"),                       # > instead of >=
    (lambda X, w, b: (X @ w - b >= 0).astype(int), "bias has the wrong sign"),       # s = w.x - b
    (lambda X, w, b: (X @ w + b >= 0).astype(int)[:, None], "wrong shape"),          # (N, 1)
    (lambda X, w, b: (X[:, 0] * w[0] + X[:, 1] * w[1] + b >= 0).astype(int), "two inputs"),  # 2-D only
    (lambda X, w, b: X @ w + b, "threshold"),                                        # the score itself
])
def test_perceptron_predict_faults_are_named(wrong, fault):
    result = l1.check_perceptron_predict(wrong)
    assert not result.passed and fault in _text(result) and result.use is l1.reference_perceptron_predict


@pytest.mark.parametrize("wrong, fault", [
    (lambda s, a=1.0: 1 / (1 + np.exp(a * s)), "sign of the exponent"),
    (lambda s, a=1.0: 1 / (1 + np.exp(-np.asarray(s))), "slope a is ignored"),
    (lambda s, a=1.0: np.exp(a * s) / (1 + np.exp(a * s)), "NaN for large"),       # unstable form
    (lambda s, a=1.0: 1 / (1 + np.exp(-np.asarray(s) / a)), "divides"),
    (lambda s, a=1.0: float(1 / (1 + np.exp(-a * np.asarray(s).flat[0]))), "shape"),  # scalar only
])
def test_sigmoid_faults_are_named(wrong, fault):
    result = l1.check_sigmoid(wrong)
    assert not result.passed and fault in _text(result)


def _step(w, b, x):
    return int(np.dot(w, x) + b >= 0)


@pytest.mark.parametrize("wrong, fault", [
    (lambda w, b, x, t, lr: (w + lr * (_step(w, b, x) - t) * x, b + lr * (_step(w, b, x) - t)), "wrong way"),
    (lambda w, b, x, t, lr: (w + lr * (t - _step(w, b, x)) * x, b), "bias was not updated"),
    (lambda w, b, x, t, lr: (w + (t - _step(w, b, x)) * x, b + (t - _step(w, b, x))), "learning rate"),
    (lambda w, b, x, t, lr: (w + lr * t * x, b + lr * t), "already classified correctly"),   # no (t - y)
    (lambda w, b, x, t, lr: (w, b), "nothing changed"),
    (lambda w, b, x, t, lr: w + lr * (t - _step(w, b, x)) * x, "pair"),
])
def test_perceptron_update_faults_are_named(wrong, fault):
    result = l1.check_perceptron_update(wrong)
    assert not result.passed and fault in _text(result)


def test_sigmoid_of_the_seed_car_example_is_81_percent():
    # seed 002: w = (1, -1), b = 10; the point (0.45, 9) has s = 1.45
    s = np.dot([1.0, -1.0], [0.45, 9.0]) + 10
    assert round(float(l1.reference_sigmoid(s)), 2) == 0.81


# ----------------------------------------------------------------------------- lesson 02
def _softmax_axis0(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


@pytest.mark.parametrize("wrong, fault", [
    (_softmax_axis0, "wrong axis"),                                                      # wrong axis
    (lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True), "NaN or inf"),         # unstable exp
    (lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=-1, keepdims=True), "NaN or inf"),
    (lambda z: np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(), "sum to 1"),
    (lambda z: (np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True))
     .reshape(len(z), -1), "shape"),                                                     # flattens 3-D
    (lambda z: np.exp(z - z.max(axis=-1, keepdims=True)), "sum to"),                     # not normalised
    (lambda z: np.full_like(z, np.nan), "NaN"),                                         # NaN
])
def test_softmax_faults_are_named(wrong, fault):
    result = l2.check_softmax(wrong)
    assert not result.passed and fault in _text(result) and result.use is l2.reference_softmax


def test_softmax_wrong_axis_on_the_square_batch_is_named():
    def no_keepdims(z):
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / e.sum(axis=-1)          # broadcasts along the wrong axis for square input
    result = l2.check_softmax(no_keepdims)
    assert not result.passed and "keepdims" in _text(result)


@pytest.mark.parametrize("wrong, fault", [
    (lambda p, y: -np.sum(np.log(p[np.arange(len(y)), y])), "summed over the batch"),
    (lambda p, y: np.mean(np.log(p[np.arange(len(y)), y])), "sign is flipped"),
    (lambda p, y: -np.mean(np.log(p[np.arange(len(y)), (y + 1) % p.shape[1]])), "off by one"),
    (lambda p, y: -np.log(p[np.arange(len(y)), y]), "shape"),                             # no mean
    (lambda p, y: -np.mean(np.log(p)), "true class"),
    (lambda p, y: -np.mean(np.log10(p[np.arange(len(y)), y])), "natural logarithm"),
])
def test_cross_entropy_faults_are_named(wrong, fault):
    result = l2.check_cross_entropy(wrong)
    assert not result.passed and fault in _text(result)


def test_cross_entropy_accepts_a_small_epsilon():
    # log(p + 1e-12) is a common, harmless safeguard: it must not be failed
    assert l2.check_cross_entropy(lambda p, y: -np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))).passed


def _grad_variant(kind):
    def grad(W, b, X, y):
        n = len(y)
        z = X @ W + b if kind != "unstable" else X @ W + b
        if kind == "unstable":
            e = np.exp(z)
        else:
            e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(n), y]))
        d = p.copy()
        if kind != "no_true_class":
            d[np.arange(n), y] -= 1
        if kind != "no_mean":
            d /= n
        if kind == "sign":
            d = -d
        dW = X.T @ d if kind != "transposed" else (X.T @ d).T
        db = d.sum(axis=0) if kind != "db_axis" else d.sum(axis=1)
        return loss, dW, db
    return grad


@pytest.mark.parametrize("kind, fault", [
    ("no_mean", "N times too large"),
    ("sign", "wrong sign"),
    ("no_true_class", "true class"),
    ("transposed", "transposed"),
    ("db_axis", "db has shape"),
    ("unstable", "NaN or inf"),
])
def test_softmax_regression_grad_faults_are_named(kind, fault):
    result = l2.check_softmax_regression_grad(_grad_variant(kind))
    assert not result.passed and fault in _text(result)


def test_softmax_regression_reference_gradient_matches_numerical(capsys):
    rng = np.random.default_rng(0)
    W, b, X, y = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(6, 4)), rng.integers(0, 3, 6)
    _, dW, db = l2.reference_softmax_regression_grad(W, b, X, y)
    assert grad_check(lambda w: l2.reference_softmax_regression_grad(w, b, X, y)[0], W.copy(), dW, tol=1e-7) < 1e-7
    assert grad_check(lambda c: l2.reference_softmax_regression_grad(W, c, X, y)[0], b.copy(), db, tol=1e-7) < 1e-7


# ----------------------------------------------------------------------------- lesson 03
@pytest.mark.parametrize("wrong, fault", [
    (lambda dout, z: np.maximum(z, 0), "forward pass"),
    (lambda dout, z: (z > 0).astype(float), "only the mask"),
    (lambda dout, z: dout * (dout > 0), "dout > 0"),
    (lambda dout, z: dout * (z >= 0), "z = 0"),
    (lambda dout, z: (dout * (z > 0)).ravel()[:1], "shape"),
])
def test_relu_backward_faults_are_named(wrong, fault):
    result = l3.check_relu_backward(wrong)
    assert not result.passed and fault in _text(result)


def _mlp_variant(kind):
    def backward(params, cache, dscores):
        X, z1, h = cache
        grads = {"W2": (z1 if kind == "z1" else h).T @ dscores, "b2": dscores.sum(axis=0)}
        dh = dscores @ params["W2"].T
        dz1 = dh if kind == "no_mask" else dh * (h if kind == "times_h" else (z1 > 0))
        grads["W1"] = X.T @ dz1
        grads["b1"] = dz1.sum(axis=0) if kind != "b1_axis" else dz1.sum(axis=1)
        if kind == "missing":
            del grads["b1"]
        if kind == "list":
            return list(grads.values())
        return grads
    return backward


@pytest.mark.parametrize("kind, fault", [
    ("no_mask", "ReLU is missing"),
    ("z1", "uses z1"),
    ("times_h", "not h"),
    ("b1_axis", "grads['b1'] has shape"),
    ("missing", "lacks b1"),
    ("list", "expected a dict"),
])
def test_mlp_backward_faults_are_named(kind, fault):
    result = l3.check_mlp_backward(_mlp_variant(kind))
    assert not result.passed and fault in _text(result)


def test_mlp_reference_backward_matches_numerical_gradient(capsys):
    rng = np.random.default_rng(1)
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 3)),
              "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(6, 4)), rng.integers(0, 3, 6)

    def loss(p):
        scores, _ = l3.reference_mlp_forward(p, X)
        return l2.reference_cross_entropy(l2.reference_softmax(scores), y)

    scores, cache = l3.reference_mlp_forward(params, X)
    dscores = l2.reference_softmax(scores)
    dscores[np.arange(6), y] -= 1
    grads = l3.reference_mlp_backward(params, cache, dscores / 6)
    for key in l3.GRAD_KEYS:
        def f(v, key=key):
            return loss({**params, key: v})
        assert grad_check(f, params[key].copy(), grads[key], tol=1e-6, name=key) < 1e-6


@pytest.mark.parametrize("value, passed, fault", [
    (101_770, True, ""),
    (784 * 128 + 128 * 10, False, "biases are missing"),
    (784 * 128 + 128, False, "only the first layer"),
    (784 * 128 + 784 + 128 * 10 + 128, False, "one bias per output unit"),
    (..., False, "not done yet"),
])
def test_n_params(value, passed, fault, capsys):
    result = l3.check_n_params(value)
    assert result.passed is passed and fault in " ".join(result.messages) + capsys.readouterr().out


# ----------------------------------------------------------------------------- widget
def test_boundary_segment_cases():
    from course_utils.widgets import boundary_segment

    seg = boundary_segment(1, -1, 10, (0, 20), (0, 40))
    assert seg is not None and np.allclose(seg[:, 0] - seg[:, 1] + 10, 0)
    assert boundary_segment(0, 0, 5, (0, 1), (0, 1)) is None            # no line at all
    assert boundary_segment(0, 1, -100, (0, 1), (0, 1)) is None         # outside the box
    vertical = boundary_segment(2, 0, -2, (0, 5), (0, 5))                # x1 = 1
    assert vertical is not None and np.allclose(vertical[:, 0], 1)


def test_perceptron_widget_survives_the_slider_limits():
    import matplotlib.pyplot as plt

    from course_utils.widgets import perceptron_boundary_widget

    box = perceptron_boundary_widget()
    assert "Accuracy 100%" in box.status.value                        # the seed's line separates the demo data
    s = box.sliders
    s["w1"].value, s["w2"].value = 0.0, 0.0
    assert "No boundary" in box.status.value and "w1 = w2 = 0" in box.status.value
    for w1, w2, b in [(s["w1"].min, s["w2"].max, s["b"].min), (s["w1"].max, 0.0, s["b"].max),
                      (0.0, s["w2"].min, 0.0), (s["w1"].min, s["w1"].min, s["b"].max)]:
        s["w1"].value, s["w2"].value, s["b"].value = w1, w2, b
        assert box.status.value and "Could not draw" not in box.status.value
    plt.close("all")
