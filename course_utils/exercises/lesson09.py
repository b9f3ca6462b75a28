"""Checkers for lesson 09 (adversarial attacks): the FGSM step, PGD's projection, and the change of
variables of Carlini and Wagner's L2 attack.

The NumPy references are here (``fgsm_step``, ``project``, ``from_tanh_space``), except
``to_tanh_space``, which :func:`course_utils.attacks.carlini_wagner_l2` starts from; the compiled
attacks the lesson measures with are in :mod:`course_utils.attacks`. Each validator recognises the
usual mistakes and names them.

Usage::

    from course_utils.exercises.lesson09 import check_fgsm_step
    fgsm_step = check_fgsm_step(fgsm_step).use
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils import checks
from course_utils.attacks import to_tanh_space
from course_utils.checks import Case, CheckResult, run_check

ATOL = 1e-6   # the validators' tolerance (with rtol 1e-5)


def _per_example_l2(a: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum(a**2, axis=tuple(range(1, a.ndim)), keepdims=True))


def fgsm_step(x: np.ndarray, grad: np.ndarray, eps: float, targeted: bool = False) -> np.ndarray:
    """One FGSM step from a gradient already computed: ``clip(x + eps * sign(grad), 0, 1)`` (lesson 09's reference).

    The NumPy core of ``course_utils.attacks.fgsm`` that lesson 09 asks students to write (Goodfellow
    et al. 2015, eq. 3: eta = eps * sign(grad_x J(theta, x, y))); ``targeted=True`` steps against
    the gradient. Usage: ``x_adv = fgsm_step(x, grad, eps=0.1)``.
    """
    direction = -np.sign(grad) if targeted else np.sign(grad)
    return np.clip(np.asarray(x, dtype=np.float64) + eps * direction, 0.0, 1.0)


def project(x0: np.ndarray, x_adv: np.ndarray, eps: float, norm: str = "linf") -> np.ndarray:
    """PGD's projection (lesson 09's reference): into [0, 1], then into the eps-ball around ``x0``, per example.

    L-inf: clip each pixel to ``[x0 - eps, x0 + eps]``; L2: scale ``x_adv - x0`` down to norm eps
    when it is longer (each example of the batch on its own). ``x0`` must lie in [0, 1], so the
    result stays in the box. Returns float64; ``course_utils.attacks.project`` is the same in the graph.
    Usage: ``x_adv = project(x, x_adv + alpha * np.sign(grad), eps=0.1)``.
    """
    if norm not in ("linf", "l2"):
        raise ValueError(f"norm must be one of ('linf', 'l2'), got {norm!r}")
    x0, x_adv = np.asarray(x0, dtype=np.float64), np.clip(np.asarray(x_adv, dtype=np.float64), 0.0, 1.0)
    if norm == "linf":
        return np.clip(x_adv, x0 - eps, x0 + eps)
    return x0 + (x_adv - x0) * np.minimum(1.0, eps / np.maximum(_per_example_l2(x_adv - x0), 1e-12))


def from_tanh_space(w: np.ndarray) -> np.ndarray:
    """C&W's change of variables: ``x = (tanh(w) + 1) / 2``, in [0, 1] for every real ``w`` (lesson 09).

    Usage: ``x_adv = from_tanh_space(to_tanh_space(x))``.
    """
    return (np.tanh(np.asarray(w, dtype=np.float64)) + 1.0) / 2.0


def _fgsm_problem(out: Any, x: np.ndarray, grad: np.ndarray, eps: float) -> str | None:
    expected = fgsm_step(x, grad, eps)
    problem = checks.array_problem(out, x.shape)
    if problem is not None:
        return f"{problem}: return the attacked images, the shape of x"
    got = checks.as_float_array(out)
    if checks.close(got, expected, atol=ATOL):
        return None
    return checks.first_fault(got, [
        (x + eps * np.sign(grad), "pixels outside [0, 1]: clip the result with np.clip(., 0, 1)"),
        (np.clip(x - eps * np.sign(grad), 0, 1), ("stepped down the gradient: FGSM ascends the loss of the "
                                                  "true label, x + eps * sign(grad)")),
        (np.clip(x + eps * grad, 0, 1), "used the gradient itself: FGSM takes its sign, eps * np.sign(grad)"),
        (np.clip(eps * np.sign(grad), 0, 1), "returned the clipped perturbation: return the image x + eta"),
        (eps * np.sign(grad), "returned the perturbation eta: return the image x + eta, clipped to [0, 1]"),
        (np.clip(x + eps * np.sign(x), 0, 1), "took the sign of x: the direction is sign(grad)"),
    ], atol=ATOL) or "wrong values: np.clip(x + eps * np.sign(grad), 0, 1)"


def _project_problem(out: Any, x0: np.ndarray, x_adv: np.ndarray, eps: float, norm: str) -> str | None:
    expected = project(x0, x_adv, eps, norm)
    problem = checks.array_problem(out, x_adv.shape)
    if problem is not None:
        return f"{problem}: return the projected images, the shape of x_adv"
    got = checks.as_float_array(out)
    if checks.close(got, expected, atol=ATOL):
        return None
    delta = x_adv - x0
    box = np.clip(x_adv, 0, 1)
    if norm == "linf":
        return checks.first_fault(got, [
            (np.clip(x_adv, x0 - eps, x0 + eps), "pixels outside [0, 1]: also clip to the box [0, 1]"),
            (box, "no projection onto the eps-ball: clip each pixel to [x0 - eps, x0 + eps]"),
            (np.clip(box, -eps, eps), "clipped the image itself to [-eps, eps]: clip x_adv - x0, around x0"),
            (project(x0, x_adv, eps, "l2"), "made an L2 projection: for norm='linf' clip each pixel"),
        ], atol=ATOL) or "wrong values: np.clip(np.clip(x_adv, 0, 1), x0 - eps, x0 + eps)"
    box_delta = box - x0
    batch_norm = np.sqrt(np.sum(box_delta**2))
    ball_first = x0 + delta * np.minimum(1.0, eps / np.maximum(_per_example_l2(delta), 1e-12))
    return checks.first_fault(got, [
        (x0 + box_delta * eps / np.maximum(_per_example_l2(box_delta), 1e-12),
         ("scaled every perturbation to norm eps: shrink only those longer than eps, "
          "by np.minimum(1, eps / norm)")),
        (x0 + box_delta * min(1.0, eps / max(batch_norm, 1e-12)),
         "one norm for the whole batch: compute ||x_adv - x0|| per example, over axes (1, 2, 3)"),
        (np.clip(box, x0 - eps, x0 + eps), "clipped each pixel (L-inf): for norm='l2' scale the whole perturbation"),
        (ball_first, "pixels outside [0, 1]: clip x_adv to [0, 1] first, then shrink"),
        (np.clip(ball_first, 0, 1), "projected onto the ball before clipping to [0, 1]: clip first, then shrink"),
    ], atol=ATOL) or "wrong values: x0 + d * min(1, eps / ||d||) with d = clip(x_adv, 0, 1) - x0, per example"


def _tanh_problem(out: Any, x: np.ndarray) -> str | None:
    problem = checks.array_problem(out, x.shape)
    if problem is not None:
        if checks.as_float_array(out) is not None and checks.as_float_array(out).shape == x.shape:
            return (f"{problem}: pixels at 0 or 1 give arctanh(-1 or 1) = -inf or inf; clip 2x - 1 into "
                    "(-1 + 1e-6, 1 - 1e-6) first")
        return f"{problem}: return one w per pixel, the shape of x"
    got = checks.as_float_array(out)
    back = from_tanh_space(got)
    if np.allclose(back, x, atol=1e-4):
        return None
    inner = np.clip(2 * x - 1, -1 + 1e-6, 1 - 1e-6)
    return checks.first_fault(got, [
        (np.arctanh(np.clip(x, 0, 1 - 1e-6)), "forgot to map [0, 1] onto [-1, 1]: arctanh(2x - 1)"),
        (2 * np.arctanh(inner), "that is the logit (the sigmoid's inverse), twice arctanh(2x - 1): drop the 2"),
        (np.arctanh(inner) / 2, "divided by 2: w = arctanh(2x - 1), so that (tanh(w) + 1) / 2 = x"),
        (np.tanh(2 * x - 1), "used tanh: w is its inverse, np.arctanh(2x - 1)"),
        ((np.tanh(x) + 1) / 2, "applied x = (tanh(w) + 1) / 2 to x: invert it, w = arctanh(2x - 1)"),
    ], atol=ATOL) or "wrong values: (tanh(w) + 1) / 2 should give x back; w = arctanh(2x - 1)"


def check_fgsm_step(fn: Callable) -> CheckResult:
    """Check ``fn(x, grad, eps)``: the FGSM image ``clip(x + eps * sign(grad), 0, 1)``.

    Usage: ``fgsm_step = check_fgsm_step(fgsm_step).use``.
    """
    rng = np.random.default_rng(90)
    hint = "np.clip(x + eps * np.sign(grad), 0, 1)"
    cases = []
    for name, shape, eps in [("2 grey images 4x4x1, eps = 0.1", (2, 4, 4, 1), 0.1),
                             ("3 RGB images 5x5x3 with pixels at 0 and 1, eps = 0.03", (3, 5, 5, 3), 0.03),
                             ("one image, gradients of very different sizes, eps = 0.25", (1, 6, 6, 1), 0.25)]:
        x = rng.uniform(size=shape)
        x[:, 0] = rng.choice([0.0, 1.0], size=x[:, 0].shape)        # a row of saturated pixels: clipping
        grad = rng.normal(size=shape) * 10.0 ** rng.integers(-4, 3, size=shape)
        cases.append(Case(name, (x, grad, eps), hint=hint))
    return run_check("fgsm_step", fn, cases, reference=fgsm_step, diagnose=_fgsm_problem)


def check_project(fn: Callable) -> CheckResult:
    """Check ``fn(x0, x_adv, eps, norm)``: PGD's projection into [0, 1] and the eps-ball, per example.

    Usage: ``project = check_project(project).use``.
    """
    rng = np.random.default_rng(91)
    cases = []
    for name, shape, eps, norm, scale in [
            ("L-inf, 3 images 4x4x1, eps = 0.1", (3, 4, 4, 1), 0.1, "linf", 0.3),
            ("L-inf, 2 RGB images 3x3x3, eps = 0.03", (2, 3, 3, 3), 0.03, "linf", 0.1),
            ("L2, 4 images 4x4x1, eps = 0.5 (some inside the ball)", (4, 4, 4, 1), 0.5, "l2", None),
            ("L2, 2 RGB images 3x3x3, eps = 1.0", (2, 3, 3, 3), 1.0, "l2", 1.0)]:
        x0 = rng.uniform(size=shape)
        x0[:, 0] = rng.choice([0.0, 1.0], size=x0[:, 0].shape)
        if scale is None:                  # per-example sizes: two inside the ball, two far outside
            scale = np.array([0.02, 0.05, 0.5, 1.0]).reshape(-1, 1, 1, 1)
        x_adv = x0 + rng.normal(size=shape) * scale
        hint = ("np.clip to [0, 1], then to [x0 - eps, x0 + eps]" if norm == "linf" else
                "d = clip(x_adv, 0, 1) - x0; x0 + d * np.minimum(1, eps / ||d||) with one norm per example")
        cases.append(Case(name, (x0, x_adv, eps, norm), hint=hint))
    return run_check("project", fn, cases, reference=project, diagnose=_project_problem)


def check_to_tanh_space(fn: Callable) -> CheckResult:
    """Check ``fn(x)``: the ``w`` with ``(tanh(w) + 1) / 2 == x``, finite at pixels 0 and 1.

    Usage: ``to_tanh_space = check_to_tanh_space(to_tanh_space).use``.
    """
    rng = np.random.default_rng(92)
    hint = "np.arctanh(np.clip(2 * x - 1, -1 + 1e-6, 1 - 1e-6))"
    cases = [Case("mid-range pixels of a 4x4x1 image", (rng.uniform(0.2, 0.8, size=(1, 4, 4, 1)),), hint=hint),
             Case("pixels exactly 0 and 1 (black and white)", (np.array([[0.0, 1.0, 0.5, 0.0]]),), hint=hint),
             Case("2 RGB images 3x3x3, the whole range", (rng.uniform(size=(2, 3, 3, 3)),), hint=hint)]
    return run_check("to_tanh_space", fn, cases, reference=to_tanh_space, diagnose=_tanh_problem)
