"""Lesson 08 (visualizing ConvNets): the checkers pass their references and name the fault of each
wrong implementation (the student writes each computation with a GradientTape)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import explain
from course_utils.exercises import lesson08 as l8
from course_utils.models import scores_model


def _input_grads(model, image, c, *, softmax=False):
    x = tf.constant(image[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = model(x, training=False) if softmax else scores_model(model)(x, training=False)
        score = out[0, c]
    return tape.gradient(score, x).numpy()[0]


def _saliency(model, image, c, *, softmax=False, reduce="max", absolute=True):
    grads = _input_grads(model, image, c, softmax=softmax)
    grads = np.abs(grads) if absolute else grads
    return getattr(grads, reduce)(axis=-1)


def _grad_cam(model, image, c, layer, *, wrt_input=False, relu=True, pool="mean", softmax=False):
    output = model.outputs[0] if softmax else model.get_layer("logits").output
    sub = keras.Model(model.inputs[0], [model.get_layer(layer).output, output])
    x = tf.constant(image[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        acts, scores = sub(x, training=False)
        score = scores[0, c]
    if wrt_input:       # the input's gradient, averaged over the channels, as the "map"
        return np.maximum(tape.gradient(score, x).numpy()[0].mean(axis=-1), 0)
    grads = tape.gradient(score, acts).numpy()[0]
    alphas = getattr(grads, pool)(axis=(0, 1))
    weighted = acts.numpy()[0] @ alphas
    return np.maximum(weighted, 0) if relu else weighted


def _class_model(model, c, steps, l2, lr, *, sign=1.0, l2_sign=1.0, start=0.0):
    x = np.full((1, *model.inputs[0].shape[1:]), start, dtype="float32")
    scores = scores_model(model)
    for _ in range(steps):
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            objective = scores(xt, training=False)[0, c] - l2_sign * l2 * tf.reduce_sum(xt ** 2)
        g = tape.gradient(objective, xt).numpy()
        x = x + sign * lr * g / np.abs(g).mean()
    return x[0]


def _clip_per_channel(image, p):          # zeroes single channel values, not whole pixels
    return np.where(np.abs(image) < np.percentile(np.abs(image), p), 0, image)


def _clip_large(image, p):                # zeroes the strongest pixels
    norms = np.linalg.norm(image, axis=-1)
    return np.where((norms > np.percentile(norms, 100 - p))[..., None], 0, image)


def _clip_fraction_of_max(image, p):      # threshold p % of the largest norm, not a percentile
    norms = np.linalg.norm(image, axis=-1)
    return np.where((norms < p / 100 * norms.max())[..., None], 0, image)


def _clip_and_scale(image, p):            # right pixels zeroed, but the kept ones rescaled
    out = l8.clip_small_norm(image, p)
    return out / np.abs(out).max()


WRONG = {
    "saliency_map": (l8.check_saliency_map, [
        (lambda m, x, c: _saliency(m, x, c, softmax=True), "after the softmax"),
        (lambda m, x, c: _saliency(m, x, c, absolute=False), "signed gradient"),
        (lambda m, x, c: _saliency(m, x, c, reduce="mean"), "averaged over the channels"),
        (lambda m, x, c: _input_grads(m, x, c), "wrong shape"),
    ]),
    "grad_cam": (l8.check_grad_cam, [
        (lambda m, x, c, n: _grad_cam(m, x, c, n, wrt_input=True), "not the input"),
        (lambda m, x, c, n: _grad_cam(m, x, c, n, relu=False), "apply the ReLU"),
        (lambda m, x, c, n: _grad_cam(m, x, c, n, pool="sum"), "alpha_k is their mean"),
        (lambda m, x, c, n: _grad_cam(m, x, c, n, softmax=True), "after the softmax"),
        (lambda m, x, c, n: np.abs(_grad_cam(m, x, c, n, relu=False)), "took |sum|"),
    ]),
    "class_model": (l8.check_class_model, [
        (lambda m, c, n, l2, lr: _class_model(m, c, n, l2, lr, sign=-1.0), "ASCENT"),
        (lambda m, c, n, l2, lr: _class_model(m, c, n, l2, lr, l2_sign=-1.0), "wrong sign of the L2 term"),
        (lambda m, c, n, l2, lr: _class_model(m, c, n, l2, lr, start=0.5), "start from np.zeros"),
        (lambda m, c, n, l2, lr: _class_model(m, c, n, 0.0, lr), "no L2 term"),
    ]),
    "clip_small_norm": (l8.check_clip_small_norm, [
        (_clip_per_channel, "zero a pixel as a whole"),
        (_clip_large, "zeroed the wrong pixels"),
        (_clip_fraction_of_max, "the threshold is np.percentile"),
        (_clip_and_scale, "changed the values of pixels that are kept"),
    ]),
}


@pytest.mark.parametrize("check, written", [
    (l8.check_saliency_map, _saliency),
    (l8.check_grad_cam, _grad_cam),
    (l8.check_class_model, _class_model),
])
def test_a_tape_written_solution_passes_and_is_handed_on(check, written, capsys):
    result = check(written)
    assert result.passed and result.use is written
    assert "WRONG" not in capsys.readouterr().out


def test_an_equivalent_clipping_passes():
    def mine(im, p):
        norms = np.linalg.norm(im, axis=-1)
        return im * (norms >= np.percentile(norms, p))[..., None]

    assert l8.check_clip_small_norm(mine).passed


def test_small_contribution_clipping_zeroes_the_pixels_whose_removal_changes_the_score_least():
    image = np.ones((2, 3, 2))
    grads = np.zeros((2, 3, 2))
    grads[0, 0] = [5.0, -1.0]        # contribution |5 - 1| = 4
    grads[1, 2] = [-3.0, 0.0]        # 3
    grads[0, 1] = [1.0, -1.0]        # 0: cancels, although its gradient is large
    out = explain.clip_small_contribution(image, grads, 70)   # threshold 1.5
    kept = np.any(out != 0, axis=-1)
    assert kept.tolist() == [[True, False, False], [False, False, True]]
    with pytest.raises(ValueError, match="one shape"):
        explain.clip_small_contribution(image, grads[..., :1], 50)


def test_returning_nothing_says_so():
    result = l8.check_saliency_map(lambda m, x, c: None)
    assert "returned NoneType" in " ".join(result.messages)
