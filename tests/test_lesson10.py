"""Lesson 10 (adversarial training): the WRONG table of faults each checker must name (run by
tests/test_checker_contract.py, which also passes the references), and the NumPy references against
lesson 09's projection, the in-graph one, golden values and a linear loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course_utils import attacks
from course_utils.exercises import lesson09 as l9
from course_utils.exercises import lesson10 as l10


def _project(x0, x_adv, eps):
    return np.clip(np.clip(x_adv, x0 - eps, x0 + eps), 0, 1)


WRONG = {
    "linf_projection": (l10.check_linf_projection, [
        (lambda x0, xa, eps: np.clip(xa, x0 - eps, x0 + eps), "clip to the image box"),
        (lambda x0, xa, eps: np.clip(xa, 0, 1), "only clipped to [0, 1]"),
        (lambda x0, xa, eps: np.clip(xa, -eps, eps), "clipped the image to [-eps, eps]"),
        (lambda x0, xa, eps: np.clip(x0 + np.sign(xa - x0) * eps, 0, 1), "a pixel already inside"),
        (lambda x0, xa, eps: np.clip(xa, x0 - eps, x0 + eps)[:1], "wrong shape"),
    ]),
    "pgd_ascent_step": (l10.check_pgd_ascent_step, [
        (lambda x0, xa, g, eps, a: _project(x0, xa - a * np.sign(g), eps), "descended the loss"),
        (lambda x0, xa, g, eps, a: _project(x0, xa + a * g, eps), "step along sign(grad)"),
        (lambda x0, xa, g, eps, a: xa + a * np.sign(g), "no projection"),
        (lambda x0, xa, g, eps, a: np.clip(xa + a * np.sign(g), 0, 1), "projected onto [0, 1] only"),
        (lambda x0, xa, g, eps, a: _project(x0, xa + eps * np.sign(g), eps), "the step size is alpha"),
        (lambda x0, xa, g, eps, a: _project(x0, x0 + a * np.sign(g), eps), "stepped from x0"),
        (lambda x0, xa, g, eps, a: _project(xa, xa + a * np.sign(g), eps), "or around x_adv"),
    ]),
    "fgsm_rs_step": (l10.check_fgsm_rs_step, [
        (lambda x0, d, g, eps: _project(x0, x0 + d + eps * np.sign(g), eps), "alpha = 1.25 eps"),
        (lambda x0, d, g, eps: _project(x0, x0 + 1.25 * eps * np.sign(g), eps), "forgot the random start"),
        (lambda x0, d, g, eps: x0 + d + 1.25 * eps * np.sign(g), "no projection"),
        (lambda x0, d, g, eps: _project(x0, x0 + d - 1.25 * eps * np.sign(g), eps), "descended the loss"),
        (lambda x0, d, g, eps: _project(x0, x0 + d + 2 * eps * np.sign(g), eps), "stepped by 2 eps or more"),
        (lambda x0, d, g, eps: np.clip(x0 + d + 1.25 * eps * np.sign(g), 0, 1), "projected onto [0, 1] only"),
    ]),
}


def test_references_agree_with_lesson09s_projection_and_the_in_graph_one():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x0 = rng.uniform(size=(2, 5, 5, 1))
    x_adv = x0 + rng.uniform(-0.3, 0.3, size=x0.shape)
    # lesson 10 clips to the ball, then the box; lesson 09 the other way: the same point, as x0 is in the box
    np.testing.assert_array_equal(l10.linf_projection(x0, x_adv, 0.1),
                                  np.clip(np.clip(x_adv, x0 - 0.1, x0 + 0.1), 0, 1))
    np.testing.assert_array_equal(l10.linf_projection(x0, x_adv, 0.1), l9.project(x0, x_adv, 0.1))
    np.testing.assert_allclose(l10.linf_projection(x0, x_adv, 0.1),
                               attacks.project(tf.constant(x0, tf.float32), tf.constant(x_adv, tf.float32),
                                               0.1).numpy(), atol=1e-7)


def test_golden_numpy_references_of_lesson10():
    """The references before issue 21 moved them here (adversarial_training, commit 96b8b37)."""
    with np.load(Path(__file__).parent / "golden" / "attacks_golden.npz", allow_pickle=False) as g:
        x0, xa, grad, d0 = g["ref_x0"], g["ref_xa"], g["ref_grad"], g["ref_d0"]
        for got, name in [(l10.linf_projection(x0, xa, 0.1), "ref_linf_projection"),
                          (l10.pgd_ascent_step(x0, xa, grad, 0.1, 0.03), "ref_pgd_ascent_step"),
                          (l10.fgsm_rs_step(x0, d0, grad, 0.1), "ref_fgsm_rs_step"),
                          (l10.fgsm_rs_step(x0, d0, grad, 0.1, alpha=0.05), "ref_fgsm_rs_step_alpha")]:
            np.testing.assert_allclose(got, g[name], rtol=0, atol=1e-12, err_msg=name)


def test_pgd_steps_converge_to_the_corner_of_a_linear_loss():
    """Many PGD steps on a linear loss w.x reach the ball's corner x0 + eps sign(w), clipped to [0, 1]."""
    rng = np.random.default_rng(1)
    x0, w = rng.uniform(size=(1, 4, 4, 1)), rng.normal(size=(1, 4, 4, 1))
    x_adv = x0.copy()
    for _ in range(10):
        x_adv = l10.pgd_ascent_step(x0, x_adv, w, eps=0.1, alpha=0.03)
    np.testing.assert_allclose(x_adv, np.clip(x0 + 0.1 * np.sign(w), 0, 1), atol=1e-12)
