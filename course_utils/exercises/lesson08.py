"""Checkers for lesson 08 (visualizing ConvNets): the saliency map, Grad-CAM and class-model gradient
ascent, each written with a ``GradientTape``, and the small-norm clipping regulariser.

The references are in ``course_utils.explain``: :func:`~course_utils.explain.saliency_map`,
:func:`~course_utils.explain.grad_cam` (the raw map: ``upsample=False, normalize=False``),
:func:`~course_utils.explain.class_model_visualization` (no regulariser but the L2 decay) and
:func:`~course_utils.explain.clip_small_norm`. Each case builds a tiny Keras classifier (a strided
convolution ``features`` on a grid smaller than the image, then a ``logits`` layer and a softmax),
runs the student's function on it and names the usual mistakes.

Usage::

    from course_utils.exercises.lesson08 import check_saliency_map
    saliency_map = check_saliency_map(saliency_map).use
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from course_utils import checks
from course_utils.checks import Case, CheckResult, run_check
from course_utils.explain import (
    class_model_visualization,
    clip_small_norm,
    grad_cam,
    grad_cam_gradients,
    saliency_map,
)

SIDE, GRID, CLASSES = 8, 4, 3   # the tiny model: 8x8 RGB images, a 4x4 feature grid, 3 classes
TOL = {"rtol": 1e-4, "atol": 1e-6}


def _tiny_classifier(seed: int):
    """Conv (stride 2, ReLU, random biases) named ``features`` -> flatten -> Dense ``logits`` -> softmax."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((SIDE, SIDE, 3))
    features = layers.Conv2D(6, 3, strides=2, padding="same", activation="relu", name="features",
                             bias_initializer="random_normal")(inputs)   # a gradient at the zero image
    logits = layers.Dense(CLASSES, name="logits")(layers.Flatten()(features))
    return keras.Model(inputs, layers.Softmax()(logits), name=f"tiny_classifier_{seed}")


def _image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(SIDE, SIDE, 3)).astype("float32")


def _gradient(outputs_of, x: np.ndarray, k: int, wrt: int = -1) -> np.ndarray:
    """d outputs_of(x)[wrt][0, k] / d (x, or the first output with wrt=0): the wrong variants' gradients."""
    x = tf.constant(x[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        outs = outputs_of(x)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        target = outs[-1][0, k]
    return tape.gradient(target, x if wrt == -1 else outs[wrt]).numpy()[0]


def _run(name: str, fn: Callable, call: Callable, cases: list[Case], reference: Callable,
         diagnose: Callable) -> CheckResult:
    """run_check on ``call(fn, *case.args)`` (which builds the case's model); hand over ``fn`` itself."""
    def probe(*args: Any) -> Any:
        return call(fn, *args)
    result = run_check(name, probe, cases, reference=reference, diagnose=diagnose)
    return replace(result, use=fn) if result.use is probe else result


def _on_image(fn: Callable, seed: int, k: int, *rest: Any) -> Any:
    return fn(_tiny_classifier(seed), _image(seed), k, *rest)


def _cases(hint: str, seeds: tuple[int, ...] = (0, 1, 2)) -> list[Case]:
    return [Case(f"tiny classifier (seed {s}), class {s % CLASSES}", (s, s % CLASSES), hint=hint) for s in seeds]


# --- exercise 1: the saliency map ---------------------------------------------------------------

def _saliency_problem(out: Any, seed: int, k: int) -> str | None:
    model, image = _tiny_classifier(seed), _image(seed)
    problem = checks.array_problem(out, (SIDE, SIDE))
    if problem is not None:
        return f"{problem}: one value per pixel, the max over the channels (axis -1) of |gradient|"
    got = checks.as_float_array(out)
    if checks.close(got, saliency_map(model, image, k), **TOL):
        return None
    scores = keras.Model(model.inputs[0], model.get_layer("logits").output)
    grads = _gradient(lambda x: scores(x, training=False), image, k)
    after_softmax = _gradient(lambda x: model(x, training=False), image, k)
    return checks.first_fault(got, [
        (np.abs(after_softmax).max(axis=-1),
         "differentiated the probability (after the softmax): take the score before it (scores_model)"),
        (grads.max(axis=-1), "took the max of the signed gradient: take |gradient| first, then the max"),
        (np.abs(grads).mean(axis=-1), "averaged over the channels: take the max of |gradient| over them"),
        (np.abs(grads).sum(axis=-1), "summed over the channels: take the max of |gradient| over them"),
    ], **TOL) or "wrong values: M = max over the channels of |d score_c / d image|"


def check_saliency_map(fn: Callable) -> CheckResult:
    """Check ``fn(model, image, class_index)``: ``max_ch |d score_c / d image|``, an ``(H, W)`` map.

    Usage: ``saliency_map = check_saliency_map(saliency_map).use``.
    """
    hint = ("tape.watch(x); score = scores_model(model)(x)[0, c]; "
            "np.abs(tape.gradient(score, x)[0]).max(axis=-1)")
    return _run("saliency_map", fn, _on_image, _cases(hint), saliency_map, _saliency_problem)


# --- exercise 2: Grad-CAM from the tape ---------------------------------------------------------

def _grad_cam_problem(out: Any, seed: int, k: int) -> str | None:
    model, image = _tiny_classifier(seed), _image(seed)
    shape = np.shape(out) if isinstance(out, (np.ndarray, tf.Tensor)) else None
    if shape == (SIDE, SIDE):
        return (f"the map has the image's shape {SIDE}x{SIDE}: take the gradient with respect to the "
                f"feature maps A ({GRID}x{GRID}), not the input, and do not resize")
    problem = checks.array_problem(out, (GRID, GRID))
    if problem is not None:
        return f"{problem}: one value per cell of the feature grid, ReLU(sum_k alpha_k A^k)"
    got = checks.as_float_array(out)
    expected = grad_cam(model, image, k, "features", upsample=False, normalize=False)
    if checks.close(got, expected, **TOL):
        return None
    acts, grads = grad_cam_gradients(model, image, k, "features")
    both = keras.Model(model.inputs[0], [model.get_layer("features").output, model.outputs[0]])
    after_softmax = _gradient(lambda x: both(x, training=False), image, k, wrt=0)
    weighted = acts @ grads.mean(axis=(0, 1))
    return checks.first_fault(got, [
        (weighted, "negative values: apply the ReLU to the weighted sum"),
        (np.abs(weighted), "took |sum|: the ReLU sets regions against the class to 0, abs would keep them"),
        (np.maximum(acts @ grads.sum(axis=(0, 1)), 0), "summed the gradients over i, j: alpha_k is their mean"),
        (np.maximum(acts @ after_softmax.mean(axis=(0, 1)), 0),
         "differentiated the probability (after the softmax): take the score before it, the 'logits' layer"),
        (expected / max(float(expected.max()), 1e-12), "scaled the map to a maximum of 1: return the raw map"),
        (np.maximum(acts.mean(axis=-1), 0), "averaged the channels without the weights alpha_k"),
    ], **TOL) or "wrong values: ReLU(sum_k alpha_k A^k), alpha_k = mean over i, j of d score / dA^k_ij"


def check_grad_cam(fn: Callable) -> CheckResult:
    """Check ``fn(model, image, class_index, layer_name)``: the raw Grad-CAM map ``(h, w)`` of that layer.

    Usage: ``grad_cam_raw = check_grad_cam(grad_cam_raw).use``.
    """
    hint = ("sub = keras.Model(model.inputs[0], [layer.output, logits.output]); gradient of the score "
            "w.r.t. A; mean over axes (0, 1); ReLU(A @ alphas)")
    return _run("grad_cam", fn, lambda f, s, k: _on_image(f, s, k, "features"), _cases(hint), _raw_grad_cam,
                _grad_cam_problem)


def _raw_grad_cam(model, image: np.ndarray, class_index: int, layer_name: str) -> np.ndarray:
    """The reference, as the exercise returns it: the raw map on the layer's grid."""
    return grad_cam(model, image, class_index, layer_name, upsample=False, normalize=False)


# --- exercise 3: class-model gradient ascent ----------------------------------------------------

def _ascent(model, class_index: int, steps: int, l2: float, lr: float) -> np.ndarray:
    """The reference: class_model_visualization with the L2 decay as its only regulariser."""
    images, _ = class_model_visualization(model, class_index, steps=steps, l2=l2, lr=lr, blur_every=None,
                                          blur_sigma=None, jitter=0, clip_percentile=None)
    return images[0]


def _ascent_problem(out: Any, seed: int, k: int, steps: int, l2: float, lr: float) -> str | None:
    model = _tiny_classifier(seed)
    problem = checks.array_problem(out, (SIDE, SIDE, 3))
    if problem is not None:
        return f"{problem}: return the image, shaped like the model's input without the batch axis"
    got = checks.as_float_array(out)
    expected = _ascent(model, k, steps, l2, lr)
    if checks.close(got, expected, **TOL):
        return None
    if steps == 0:
        return "after 0 steps the image is not all zeros: start from np.zeros (Simonyan et al.)"
    return checks.first_fault(got, [
        (_ascent(model, k, steps, l2, -lr), "the score went down: gradient ASCENT adds lr * gradient"),
        (_ascent(model, k, steps, -l2, lr), ("wrong sign of the L2 term: the objective is "
                                             "S_c(I) - lambda ||I||^2, it pulls I towards 0")),
        (_ascent(model, k, steps, 0.0, lr), "no L2 term: subtract l2 * tf.reduce_sum(x ** 2) from the score"),
    ], **TOL) or ("wrong values: x += lr * g / mean(|g|), g the gradient of the score before the softmax "
                  "minus l2 * ||x||^2")


def check_class_model(fn: Callable) -> CheckResult:
    """Check ``fn(model, class_index, steps, l2, lr)``: ``steps`` steps of gradient ascent from zeros on
    ``S_c(I) - l2 ||I||^2``, each moving by ``lr`` times the gradient over its mean absolute value.

    Usage: ``class_model = check_class_model(class_model).use``.
    """
    hint = "x = zeros; loop: tape on score - l2 * sum(x**2); x += lr * g / mean(|g|)"
    settings = ((0, 0.1, 0.1), (1, 0.1, 0.1), (3, 0.5, 0.2), (4, 2.0, 0.1))
    cases = [Case(f"tiny classifier (seed {10 + i}), class {i % CLASSES}, {n} steps, l2={l2}, lr={lr}",
                  (10 + i, i % CLASSES, n, l2, lr), hint=hint) for i, (n, l2, lr) in enumerate(settings)]

    def call(f: Callable, seed: int, k: int, *rest: Any) -> Any:
        return f(_tiny_classifier(seed), k, *rest)
    return _run("class_model", fn, call, cases, _ascent, _ascent_problem)


# --- exercise 4: clip the pixels of small norm ---------------------------------------------------

def _clip_problem(out: Any, image: np.ndarray, percentile: float) -> str | None:
    expected = clip_small_norm(image, percentile)
    problem = checks.array_problem(out, image.shape)
    if problem is not None:
        return f"{problem}: return an image of the input's shape"
    got = checks.as_float_array(out)
    if checks.close(got, expected):
        return None
    zero = np.all(got == 0, axis=-1)
    partly = np.any((got == 0) & (image != 0), axis=-1) & ~zero
    if partly.any():
        return (f"{int(partly.sum())} pixels have some channels zeroed and others not: zero a pixel "
                "as a whole, by the norm over its channels (axis -1)")
    weak = np.all(expected == 0, axis=-1)
    if not np.allclose(got[~zero], image[~zero]):
        return "changed the values of pixels that are kept: they must stay as they are"
    if zero.sum() != weak.sum():
        return (f"zeroed {int(zero.sum())} of {zero.size} pixels, expected {int(weak.sum())}: the threshold "
                f"is np.percentile of the pixel norms at {percentile:g}, zero the pixels below it")
    return "zeroed the wrong pixels: the ones with the SMALLEST norm over the channels go to zero"


def check_clip_small_norm(fn: Callable) -> CheckResult:
    """Check ``fn(image, percentile)``: zero the pixels whose channel norm is below the percentile.

    Usage: ``clip_small_norm = check_clip_small_norm(clip_small_norm).use``.
    """
    rng = np.random.default_rng(10)
    cases = []
    for name, shape, percentile in [("8x8 RGB, 30th percentile", (8, 8, 3), 30),
                                    ("6x10 RGB, 75th percentile", (6, 10, 3), 75),
                                    ("5x5 one channel, 50th percentile", (5, 5, 1), 50),
                                    ("7x7 RGB, percentile 0 keeps everything", (7, 7, 3), 0)]:
        image = rng.normal(size=shape)
        image[0, 0] = [4.0] + [0.0] * (shape[-1] - 1)    # a strong pixel with a zero channel: keep it
        cases.append(Case(name, (image, percentile),
                          hint="norms = np.linalg.norm(image, axis=-1); zero image[norms < np.percentile(norms, p)]"))
    return run_check("clip_small_norm", fn, cases, reference=clip_small_norm, diagnose=_clip_problem)
