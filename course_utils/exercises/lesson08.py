"""Checkers for lesson 08 (visualizing ConvNets): Grad-CAM's weights and combination, and the
small-norm clipping regulariser of class-model visualisation.

The references are the NumPy pieces of ``course_utils.explain`` (``grad_cam_weights``,
``grad_cam_combine``, ``clip_small_norm``), which :func:`~course_utils.explain.grad_cam` and
:func:`~course_utils.explain.class_model_visualization` use. Each validator recognises the usual mistakes and names them.

Usage::

    from course_utils.exercises.lesson08 import check_grad_cam_weights
    grad_cam_weights = check_grad_cam_weights(grad_cam_weights).use
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils import checks
from course_utils.checks import Case, CheckResult, run_check
from course_utils.explain import clip_small_norm, grad_cam_combine, grad_cam_weights


def _weights_problem(out: Any, grads: np.ndarray) -> str | None:
    h, w, k = grads.shape
    expected = grad_cam_weights(grads)
    problem = checks.array_problem(out, (k,))
    if problem is not None:
        return f"{problem}: one weight per channel k, the mean over the spatial axes i, j (axes 0 and 1)"
    got = checks.as_float_array(out)
    if checks.close(got, expected):
        return None
    return checks.first_fault(got, [
        (grads.sum(axis=(0, 1)), f"summed the gradients: divide by h*w = {h * w} (a mean, not a sum)"),
        (np.abs(grads).mean(axis=(0, 1)), ("averaged |gradient|: keep the sign, a negative alpha_k "
                                           "says channel k speaks against the class")),
        (np.maximum(grads, 0).mean(axis=(0, 1)), "kept only the positive gradients: average all of them"),
        (grads.max(axis=(0, 1)), "took the maximum over i, j: take the mean"),
    ]) or "wrong values: alpha_k = mean over i and j of grads[i, j, k]"


def _combine_problem(out: Any, activations: np.ndarray, alphas: np.ndarray) -> str | None:
    expected = grad_cam_combine(activations, alphas)
    problem = checks.array_problem(out, expected.shape)
    if problem is not None:
        return f"{problem}: one value per position (i, j), the weighted sum over the channels k"
    got = checks.as_float_array(out)
    if checks.close(got, expected):
        return None
    weighted = activations @ alphas
    return checks.first_fault(got, [
        (weighted, "negative values: apply the ReLU to the weighted sum"),
        (np.abs(weighted), ("took |sum|: regions that speak against the class must become 0, "
                            "not positive (ReLU, not abs)")),
        (activations @ np.maximum(alphas, 0),     # A >= 0: the same as a ReLU on each term
         ("ReLU applied before summing (to each term or to the weights alpha_k): "
          "ReLU(sum_k alpha_k A^k), not sum_k ReLU(alpha_k A^k)")),
        (expected / max(expected.max(), 1e-12), ("scaled the map to a maximum of 1: return the raw "
                                                 "ReLU(sum), the caller normalises")),
        (activations.mean(axis=-1), "averaged the channels without the weights alpha_k"),
    ]) or "wrong values: ReLU(sum over k of alphas[k] * activations[:, :, k])"


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


def check_grad_cam_weights(fn: Callable) -> CheckResult:
    """Check ``fn(grads)``: Grad-CAM's ``alpha_k = mean_ij grads[i, j, k]``, ``(h, w, k) -> (k,)``.

    Usage: ``grad_cam_weights = check_grad_cam_weights(grad_cam_weights).use``.
    """
    rng = np.random.default_rng(8)
    shapes = {"7x7 grid, 5 channels": (7, 7, 5), "3x4 grid, 6 channels (not square)": (3, 4, 6),
              "one position (1x1), 3 channels": (1, 1, 3), "14x14 grid, 4 channels": (14, 14, 4)}
    hint = "np.mean over axes (0, 1): one weight per channel, signs kept"
    cases = [Case(name, (rng.normal(size=shape) + rng.normal(size=shape[-1]),), hint=hint)
             for name, shape in shapes.items()]
    return run_check("grad_cam_weights", fn, cases, reference=grad_cam_weights, diagnose=_weights_problem)


def check_grad_cam_combine(fn: Callable) -> CheckResult:
    """Check ``fn(activations, alphas)``: ``ReLU(sum_k alphas[k] * activations[:, :, k])``, ``(h, w)``.

    Usage: ``grad_cam_combine = check_grad_cam_combine(grad_cam_combine).use``.
    """
    rng = np.random.default_rng(9)
    cases = []
    for name, (h, w, k) in {"7x7 grid, 6 channels": (7, 7, 6), "3x5 grid, 4 channels": (3, 5, 4),
                            "14x14 grid, 8 channels": (14, 14, 8)}.items():
        acts = np.maximum(rng.normal(size=(h, w, k)), 0) * rng.uniform(0.5, 3, size=k)   # after a ReLU
        alphas = rng.normal(size=k)                     # mixed signs: some regions come out negative
        cases.append(Case(name, (acts, alphas), hint="weighted sum over the channel axis, then np.maximum(., 0)"))
    return run_check("grad_cam_combine", fn, cases, reference=grad_cam_combine, diagnose=_combine_problem)


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
