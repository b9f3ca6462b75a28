"""Lesson 03 (MLP and backpropagation): each check passes its reference, names the fault of
wrong implementations, hands over the reference when the exercise is not done."""

import numpy as np
import pytest

from course_utils.exercises import lesson03 as l3


def _text(result):
    return " ".join(result.messages)


# ----------------------------------------------------------------------------- ReLU backward
# ----------------------------------------------------------------------------- MLP backward
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
        if kind == "nan":
            grads["W2"] = grads["W2"] * np.nan
        if kind == "list":
            return list(grads.values())
        return grads
    return backward


# ----------------------------------------------------------------------------- parameter count
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


# The wrong implementations of each checker, with the fault its message must name; the contract
# (tests/test_checker_contract.py) runs every one of them and asks for at least three per checker.
WRONG = {
    "relu_backward": (l3.check_relu_backward, [
        (lambda dout, z: np.maximum(z, 0), "forward pass"),
        (lambda dout, z: (z > 0).astype(float), "only the mask"),
        (lambda dout, z: dout * (dout > 0), "dout > 0"),
        (lambda dout, z: dout * (z >= 0), "z = 0"),
        (lambda dout, z: (dout * (z > 0)).ravel()[:1], "shape"),
    ]),
    "mlp_backward": (l3.check_mlp_backward, [
        (_mlp_variant("no_mask"), "ReLU is missing"),
        (_mlp_variant("z1"), "uses z1"),
        (_mlp_variant("times_h"), "not h"),
        (_mlp_variant("b1_axis"), "grads['b1'] has shape"),
        (_mlp_variant("missing"), "lacks b1"),
        (_mlp_variant("list"), "expected a dict"),
        (_mlp_variant("nan"), "grads['W2'] contains NaN or inf"),
    ]),
}
