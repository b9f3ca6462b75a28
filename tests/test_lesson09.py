"""Lesson 09 (adversarial attacks): the WRONG table of faults each checker must name (run by
tests/test_checker_contract.py), correct solutions written another way pass, and a solution returning
nothing is told so. Every wrong version is written as a student would write it, with a tape."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from course_utils.exercises import lesson09 as l9


def _grad(scores, x, y):
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=scores(x)))
    return tape.gradient(loss, x)


def _fgsm(scores, x, y, eps, *, label=None, clip=True, sign=1.0, signed=True):
    g = _grad(scores, x, y if label is None else label(scores, x, y))
    x_adv = x + sign * eps * (tf.sign(g) if signed else g)
    return tf.clip_by_value(x_adv, 0.0, 1.0) if clip else x_adv


def _pgd(scores, x, y, eps, alpha, steps, start, *, box=True, ball=True, use_start=True, around_x=True,
         every_step=True):
    def project(x_adv, centre):
        x_adv = tf.clip_by_value(x_adv, centre - eps, centre + eps) if ball else x_adv
        return tf.clip_by_value(x_adv, 0.0, 1.0) if box else x_adv
    x_adv = project(start, x) if use_start else x
    for _ in range(steps):
        moved = x_adv + alpha * tf.sign(_grad(scores, x_adv, y))
        x_adv = project(moved, x if around_x else x_adv) if every_step else moved
    return x_adv if every_step else project(x_adv, x)


def _cw(scores, w, x0, y, c, kappa, *, to_image=lambda w: (tf.tanh(w) + 1) / 2, squared=True, clamp=True,
        exclude_y=True, c_on_f=True, numpy=False):
    x = to_image(w)
    z = scores(x)
    z_y = tf.gather(z, y, axis=1, batch_dims=1)
    others = tf.where(tf.one_hot(y, 10) > 0, -np.inf, z) if exclude_y else z
    f = z_y - tf.reduce_max(others, axis=1)
    f = tf.maximum(f, -kappa) if clamp else f
    d = tf.reduce_sum((x - x0) ** 2, axis=[1, 2, 3])
    d = d if squared else tf.sqrt(d)
    out = d + c * f if c_on_f else c * d + f
    return out.numpy() if numpy else out


def _predicted(scores, x, y):
    return tf.argmax(scores(x), axis=1, output_type=tf.int32)


WRONG = {
    "fgsm_tape": (l9.check_fgsm_tape, [
        (lambda s, x, y, eps: _fgsm(s, x, y, eps, clip=False), "clip the result"),
        (lambda s, x, y, eps: _fgsm(s, x, y, eps, sign=-1.0), "stepped down the loss"),
        (lambda s, x, y, eps: _fgsm(s, x, y, eps, signed=False), "used the gradient itself"),
        (lambda s, x, y, eps: _fgsm(s, x, y, eps, label=_predicted), "attacked the predicted label"),
        (lambda s, x, y, eps: _fgsm(s, x, y, eps)[0], "wrong shape"),
    ]),
    "pgd_loop": (l9.check_pgd_loop, [
        (lambda *a: _pgd(*a, box=False), "clip to the box [0, 1] at every step"),
        (lambda *a: _pgd(*a, ball=False), "left the eps-ball"),
        (lambda *a: _pgd(*a, around_x=False), "around the CLEAN x"),
        (lambda *a: _pgd(*a, use_start=False), "ignored the random start"),
        (lambda *a: _pgd(*a, every_step=False), "projected once at the end"),
    ]),
    "cw_objective": (l9.check_cw_objective, [
        (lambda *a: _cw(*a, clamp=False), "no confidence"),
        (lambda *a: _cw(*a, squared=False), "not squared"),
        (lambda *a: _cw(*a, exclude_y=False), "exclude the true class y"),
        (lambda *a: _cw(*a, to_image=tf.tanh), "x = (tanh(w) + 1) / 2"),
        (lambda *a: _cw(*a, c_on_f=False), "c weighs the distance"),
        (lambda *a: _cw(*a, numpy=True), "no gradient reaches w"),
    ]),
}


def _pgd_numpy_loop(scores, x, y, eps, alpha, steps, start):
    # a correct solution written otherwise: NumPy projection, one image at a time for the gradient
    x0 = x.numpy()
    x_adv = np.clip(np.clip(start.numpy(), x0 - eps, x0 + eps), 0, 1)
    for _ in range(steps):
        g = np.concatenate([_grad(scores, tf.constant(x_adv[i:i + 1]), y[i:i + 1]).numpy() for i in range(len(x0))])
        x_adv = np.minimum(np.maximum(x_adv + alpha * np.sign(g), np.maximum(x0 - eps, 0)), np.minimum(x0 + eps, 1))
    return x_adv


@pytest.mark.parametrize("check, equivalent", [
    (l9.check_fgsm_tape, lambda s, x, y, eps: np.clip(x.numpy() + eps * np.sign(_grad(s, x, y).numpy()), 0, 1)),
    (l9.check_pgd_loop, _pgd_numpy_loop),
    (l9.check_cw_objective, lambda *a: _cw(*a, to_image=lambda w: tf.sigmoid(2 * w))),   # (tanh w + 1)/2
])
def test_an_equivalent_solution_written_otherwise_passes(check, equivalent, capsys):
    """The references pass in tests/test_checker_contract.py; another correct way of writing each does too."""
    assert check(equivalent).passed
    assert "WRONG" not in capsys.readouterr().out


def test_returning_nothing_says_so():
    result = l9.check_fgsm_tape(lambda s, x, y, eps: None)
    assert "returned NoneType" in " ".join(result.messages)
