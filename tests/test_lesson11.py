"""Lesson 11 (GANs): the WRONG table of faults each checker must name (run by
tests/test_checker_contract.py, which also passes the references and keeps the contract)."""

from __future__ import annotations

import numpy as np

from course_utils import gan
from course_utils.exercises import lesson11 as l11


def _sp(x):
    return np.logaddexp(0.0, x)


def _slerp_weights(z0, z1, steps, trig):
    """``trig((1 - t) omega) z0 + trig(t omega) z1``, without the division by sin(omega)."""
    t = np.linspace(0, 1, steps)[:, None]
    omega = np.arccos(z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1)))
    return trig((1 - t) * omega) * z0 + trig(t * omega) * z1


WRONG = {
    "discriminator_loss": (l11.check_discriminator_loss, [
        (lambda r, f: -(np.mean(_sp(-r)) + np.mean(_sp(f))), "wrong sign"),
        (lambda r, f: np.mean(_sp(r)) + np.mean(_sp(-f)), "labels swapped"),
        (lambda r, f: _sp(-r).sum() + _sp(f).sum(), "summed over the batch"),
        (lambda r, f: np.mean(_sp(-r)), "only the real term"),
        (lambda r, f: np.mean(np.log(1 + np.exp(-r))) + np.mean(np.log(1 + np.exp(f))), "numerically unstable"),
        (lambda r, f: np.mean(np.concatenate([_sp(-r), _sp(f)])), "averaged real and fake together"),
        (lambda r, f: np.array([1.0, 2.0]), "return one number"),
    ]),
    "nonsaturating_generator_loss": (l11.check_nonsaturating_generator_loss, [
        (lambda f: -np.mean(_sp(f)), "that is the minimax loss"),
        (lambda f: np.mean(_sp(f)), "the generator wants D(G(z)) near 1"),
        (lambda f: -np.mean(_sp(-f)), "wrong sign"),
        (lambda f: _sp(-f).sum(), "summed over the batch"),
        (lambda f: np.mean(-np.log(1 / (1 + np.exp(-f)))), "numerically unstable"),
    ]),
    "slerp": (l11.check_slerp, [
        (lambda a, b, n: gan.interpolate_latents(a, b, n, "linear"), "straight line"),
        (lambda a, b, n: gan.slerp(b, a, n), "runs from z1 to z0"),
        (lambda a, b, n: _slerp_weights(a, b, n, np.sin), "forgot to divide by sin(omega)"),
        (lambda a, b, n: _slerp_weights(a, b, n, np.cos), "used cosines"),
        (lambda a, b, n: gan.slerp(a, b, n)[1:], "wrong shape"),
    ]),
}
