"""Lesson 02 (softmax regression): each check passes its reference, names the fault of wrong
implementations (overflow and log(0) included), hands over the reference when the exercise is
not done."""

import numpy as np

from course_utils import numpy_nn
from course_utils.exercises import lesson02 as l2


def _text(result):
    return " ".join(result.messages)


# ----------------------------------------------------------------------------- softmax
def _softmax_axis0(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def test_softmax_wrong_axis_on_the_square_batch_is_named():
    def no_keepdims(z):
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / e.sum(axis=-1)          # broadcasts along the wrong axis for square input
    result = l2.check_softmax(no_keepdims)
    assert not result.passed and "keepdims" in _text(result)


def test_a_naive_softmax_fails_on_the_overflow_in_one_line(capsys, recwarn):
    result = l2.check_softmax(lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True))
    out = capsys.readouterr().out
    assert not result.passed and "Traceback" not in out
    assert "WRONG large scores [1000, 1001, 1002]: numerically unstable: overflow encountered in exp" in out
    assert "subtract each row's maximum" in out and "ok    a vector of 3 scores" in out
    assert "invalid value encountered in divide" in out            # the very negative scores: 0 / 0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_global_maximum_fails_on_rows_at_different_scales():
    result = l2.check_softmax(lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=-1, keepdims=True))
    wrong = [m for m in result.messages if "WRONG" in m]
    assert len(wrong) == 1 and "rows on different scales" in wrong[0] and "invalid value" in wrong[0]


def test_a_log_sum_exp_softmax_passes():
    def log_softmax_exp(z):
        shifted = z - z.max(axis=-1, keepdims=True)
        return np.exp(shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True)))
    assert l2.check_softmax(log_softmax_exp).passed


# ----------------------------------------------------------------------------- cross-entropy
def test_cross_entropy_accepts_a_small_epsilon():
    # log(p + 1e-12) is a common, harmless safeguard: it must not be failed
    assert l2.check_cross_entropy(lambda p, y: -np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))).passed


def test_a_naive_cross_entropy_fails_on_log_of_zero_in_one_line(capsys, recwarn):
    def one_hot_times_log(probs, y):      # logs every class, so a saturated softmax gives log(0)
        return float(-np.mean(np.sum(np.eye(probs.shape[1])[y] * np.log(probs), axis=1)))
    result = l2.check_cross_entropy(one_hot_times_log)
    out = capsys.readouterr().out
    assert not result.passed and "Traceback" not in out
    wrong = [m for m in result.messages if "WRONG" in m]
    assert len(wrong) == 1 and "saturated probabilities" in wrong[0]
    assert "numerically unstable: divide by zero encountered in log" in wrong[0]
    assert "true class's probability only" in wrong[0]
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_cross_entropy_of_the_true_class_only_passes_with_zeros_elsewhere():
    def picked(probs, y):
        return float(-np.mean(np.log(probs[np.arange(len(y)), y])))   # the notebook's solution
    assert l2.check_cross_entropy(picked).passed


# ----------------------------------------------------------------------------- gradient
def _grad_variant(kind):
    def grad(W, b, X, y):
        n = len(y)
        z = X @ W + b
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


def test_softmax_regression_grad_notebook_solution_passes():
    def grad(W, b, X, y):
        n = len(y)
        probs = numpy_nn.softmax(X @ W + b)
        loss = numpy_nn.cross_entropy(probs, y)
        dscores = probs.copy()
        dscores[np.arange(n), y] -= 1
        dscores /= n
        return loss, X.T @ dscores, dscores.sum(axis=0)
    assert l2.check_softmax_regression_grad(grad).passed


# The wrong implementations of each checker, with the fault its message must name; the contract
# (tests/test_checker_contract.py) runs every one of them and asks for at least three per checker.
WRONG = {
    "softmax": (l2.check_softmax, [
        (_softmax_axis0, "wrong axis"),                                                      # wrong axis
        (lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True), "NaN or inf"),         # unstable exp
        (lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=-1, keepdims=True), "NaN or inf"),
        (lambda z: np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(),
         "sum to 1"),
        (lambda z: (np.exp(z - z.max(-1, keepdims=True))
                    / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)).reshape(len(z), -1),
         "shape"),                                                                           # flattens 3-D
        (lambda z: np.exp(z - z.max(axis=-1, keepdims=True)), "sum to"),                     # not normalised
        (lambda z: np.full_like(z, np.nan), "NaN"),                                         # NaN
    ]),
    "cross_entropy": (l2.check_cross_entropy, [
        (lambda p, y: -np.sum(np.log(p[np.arange(len(y)), y])), "summed over the batch"),
        (lambda p, y: np.mean(np.log(p[np.arange(len(y)), y])), "sign is flipped"),
        (lambda p, y: -np.mean(np.log(p[np.arange(len(y)), (y + 1) % p.shape[1]])), "off by one"),
        (lambda p, y: -np.log(p[np.arange(len(y)), y]), "shape"),                             # no mean
        (lambda p, y: -np.mean(np.log(p)), "true class"),
        (lambda p, y: -np.mean(np.log10(p[np.arange(len(y)), y])), "natural logarithm"),
    ]),
    "softmax_regression_grad": (l2.check_softmax_regression_grad, [
        (_grad_variant("no_mean"), "N times too large"),
        (_grad_variant("sign"), "wrong sign"),
        (_grad_variant("no_true_class"), "true class"),
        (_grad_variant("transposed"), "transposed"),
        (_grad_variant("db_axis"), "db has shape"),
        (_grad_variant("unstable"), "NaN or inf"),
    ]),
}
