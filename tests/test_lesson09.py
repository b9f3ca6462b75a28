"""Lesson 09 (adversarial attacks): the WRONG table of faults each checker must name (run by
tests/test_checker_contract.py), correct solutions written another way (the projection as a loop over
images) pass, and a solution returning nothing is told so."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.exercises import lesson09 as l9


def _norms(d):
    return np.sqrt(np.sum(d**2, axis=(1, 2, 3), keepdims=True))


def _project_always_scale(x0, x_adv, eps, norm):       # L2: scales perturbations inside the ball up too
    if norm == "linf":
        return l9.project(x0, x_adv, eps, norm)
    d = np.clip(x_adv, 0, 1) - x0
    return x0 + d * eps / _norms(d)


def _project_batch_norm(x0, x_adv, eps, norm):         # L2: one norm for the whole batch
    if norm == "linf":
        return l9.project(x0, x_adv, eps, norm)
    d = np.clip(x_adv, 0, 1) - x0
    return x0 + d * min(1.0, eps / np.sqrt(np.sum(d**2)))


def _project_ball_then_box(x0, x_adv, eps, norm):      # L2: the two steps in the other order
    if norm == "linf":
        return l9.project(x0, x_adv, eps, norm)
    d = x_adv - x0
    return np.clip(x0 + d * np.minimum(1.0, eps / _norms(d)), 0, 1)


def _project_pixelwise(x0, x_adv, eps, norm):          # L-inf clipping used for both norms
    return np.clip(np.clip(x_adv, 0, 1), x0 - eps, x0 + eps)


WRONG = {
    "fgsm_step": (l9.check_fgsm_step, [
        (lambda x, g, eps: x + eps * np.sign(g), "clip the result"),
        (lambda x, g, eps: np.clip(x - eps * np.sign(g), 0, 1), "stepped down the gradient"),
        (lambda x, g, eps: np.clip(x + eps * g, 0, 1), "used the gradient itself"),
        (lambda x, g, eps: eps * np.sign(g), "returned the perturbation"),
        (lambda x, g, eps: np.clip(x + eps * np.sign(g), 0, 1)[0], "wrong shape"),
    ]),
    "project": (l9.check_project, [
        (lambda x0, xa, eps, norm: np.clip(xa, x0 - eps, x0 + eps), "also clip to the box"),
        (lambda x0, xa, eps, norm: np.clip(xa, 0, 1), "no projection onto the eps-ball"),
        (lambda x0, xa, eps, norm: np.clip(np.clip(xa, 0, 1), -eps, eps), "clipped the image itself"),
        (_project_always_scale, "scaled every perturbation to norm eps"),
        (_project_batch_norm, "one norm for the whole batch"),
        (_project_ball_then_box, "projected onto the ball before clipping"),
        (_project_pixelwise, "clipped each pixel (L-inf)"),
    ]),
    "to_tanh_space": (l9.check_to_tanh_space, [
        (lambda x: np.arctanh(2 * x - 1), "clip 2x - 1 into"),
        (lambda x: np.arctanh(np.clip(x, 0, 1 - 1e-6)), "forgot to map [0, 1] onto [-1, 1]"),
        (lambda x: 2 * np.arctanh(np.clip(2 * x - 1, -1 + 1e-6, 1 - 1e-6)), "that is the logit"),
        (lambda x: np.tanh(2 * x - 1), "used tanh"),
        (lambda x: (np.tanh(x) + 1) / 2, "invert it"),
        (lambda x: np.arctanh(np.clip(2 * x - 1, -0.9, 0.9)), "should give x back"),
    ]),
}


def _project_loop(x0, x_adv, eps, norm):
    # one example at a time, written out: an equivalent solution
    out = []
    for a, b in zip(x0, x_adv):
        b = np.minimum(np.maximum(b, 0.0), 1.0)
        if norm == "linf":
            out.append(np.minimum(np.maximum(b, a - eps), a + eps))
        else:
            length = np.linalg.norm((b - a).ravel())
            out.append(a + (b - a) * (eps / length if length > eps else 1.0))
    return np.stack(out)


@pytest.mark.parametrize("check, equivalent", [
    (l9.check_fgsm_step, lambda x, g, eps: np.minimum(np.maximum(x + eps * np.sign(g), 0), 1)),
    (l9.check_project, _project_loop),
    (l9.check_to_tanh_space,
     lambda x: 0.5 * np.log1p(np.clip(2 * x - 1, -1 + 1e-7, 1 - 1e-7))
     - 0.5 * np.log1p(-np.clip(2 * x - 1, -1 + 1e-7, 1 - 1e-7))),
])
def test_an_equivalent_solution_written_otherwise_passes(check, equivalent, capsys):
    """The references pass in tests/test_checker_contract.py; another correct way of writing each does too."""
    assert check(equivalent).passed
    assert "WRONG" not in capsys.readouterr().out


def test_returning_nothing_says_so():
    result = l9.check_fgsm_step(lambda x, g, eps: None)
    assert "returned NoneType" in " ".join(result.messages)
