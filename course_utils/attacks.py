"""Adversarial attacks: reference FGSM, PGD (L-inf and L2) and Carlini-Wagner L2, and how to score them.

Lesson 09_adversarial_attacks derives these step by step; 10_adversarial_training uses them to
make training batches and to measure robustness. Conventions: images ``x`` are float arrays
``(N, H, W, C)`` in [0, 1], labels ``y`` are integers ``(N,)``, results are float32 arrays clipped
to [0, 1]. Losses are computed on the logits (``course_utils.models.logits_model``), never on
saturated softmax probabilities, in batches of ``batch_size`` images.

Primary sources: Goodfellow, Shlens & Szegedy (2015), "Explaining and harnessing adversarial
examples" (FGSM); Kurakin, Goodfellow & Bengio (2017), "Adversarial examples in the physical
world" (iterative FGSM) and "Adversarial machine learning at scale" (label leaking);
Madry et al. (2018), "Towards deep learning models resistant to adversarial attacks" (PGD);
Carlini & Wagner (2017), "Towards evaluating the robustness of neural networks" (C&W L2).

Usage::

    from course_utils.attacks import fgsm, pgd, carlini_wagner_l2, robust_accuracy, accuracy_vs_eps
    x_adv = fgsm(model, x, y, eps=0.1)
    x_adv = pgd(model, x, y, eps=0.1, alpha=0.01, steps=40)
    acc = robust_accuracy(model, x, y, pgd, eps=0.1, alpha=0.01, steps=40)
    accs = accuracy_vs_eps(model, x, y, fgsm, [0.0, 0.05, 0.1, 0.2])
    radii = minimal_pgd_l2_radius(model, x, y)             # per image, by bisection
    images, p = fooling_images(model, targets=np.arange(10), image_shape=(28, 28, 1))

The NumPy pieces a student writes in lesson 09 are here too (with ``loss_gradient``): ``fgsm_step``, ``project`` (PGD's
projection) and ``to_tanh_space`` / ``from_tanh_space`` (C&W's change of variables), as well as
``random_sign_noise`` (random noise with the norms of an FGSM step).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from course_utils.models import compiled_forward, scores_model
from course_utils.progress import progress

if TYPE_CHECKING:
    import keras

NORMS = ("linf", "l2")
TOLERANCE = 1e-6  # how far outside [0, 1] an input may stray (rounding) before it is rejected


def _check_inputs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y)
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D (N, H, W, C), got shape {x.shape}")
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must be 1-D with len(y) == len(x) == {len(x)}, got shape {y.shape}")
    if not np.all((x >= -TOLERANCE) & (x <= 1 + TOLERANCE)):
        raise ValueError(f"x must lie in [0, 1] (tolerance {TOLERANCE}), got values in "
                         f"[{np.nanmin(x):.4g}, {np.nanmax(x):.4g}] (or NaN)")
    return np.clip(x, 0.0, 1.0), y.astype(np.int32)


def _check_bound(name: str, value: float | np.ndarray, bound: float, inclusive: bool = True) -> None:
    values = np.asarray(value, dtype=np.float64)
    if not np.all(values >= bound if inclusive else values > bound):
        shown = value if values.ndim == 0 else f"a minimum of {values.min()}"
        raise ValueError(f"{name} must be {'>=' if inclusive else '>'} {bound}, got {shown}")


def _per_example(name: str, value: float | np.ndarray, n: int, inclusive: bool = True) -> np.ndarray:
    """A budget >= 0 (or > 0): a number or one per example, as ``(n, 1, 1, 1)`` to broadcast on images."""
    _check_bound(name, value, 0, inclusive)
    value = np.asarray(value, dtype=np.float64)
    if value.ndim > 1 or (value.ndim == 1 and len(value) != n):
        raise ValueError(f"{name} must be a number or have shape ({n},), got shape {value.shape}")
    return np.broadcast_to(value, (n,)).reshape(n, 1, 1, 1)


def _batches(n: int, batch_size: int) -> list[slice]:
    _check_bound("batch_size", batch_size, 1)
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


@functools.lru_cache(maxsize=8)  # compile once per model and image shape, not at every call
def _gradient_fn(model: keras.Model, image_shape: tuple[int, ...]):
    """A compiled ``(x, y) -> (grad_x, p(y | x))``: the cross-entropy gradient on the logits, each
    example's own, and the probability of ``y`` from the same forward pass (fooling images use it)."""
    import tensorflow as tf

    scores = scores_model(model)

    @tf.function(input_signature=[tf.TensorSpec([None, *image_shape], tf.float32),
                                  tf.TensorSpec([None], tf.int32)])
    def gradient(x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits = scores(x, training=False)
            loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        p = tf.gather(tf.nn.softmax(logits, axis=-1), y, axis=1, batch_dims=1)
        return tape.gradient(loss, x), p  # the gradient of the sum: each example's own

    return gradient


def _l2(a: np.ndarray) -> np.ndarray:
    """Per-example L2 norms, shape ``(N, 1, 1, 1)``, never below 1e-12 (safe to divide by)."""
    return np.maximum(np.sqrt(np.sum(np.square(a, dtype=np.float64), axis=(1, 2, 3), keepdims=True)), 1e-12)


def _project(x0: np.ndarray, x_adv: np.ndarray, eps: np.ndarray, norm: str) -> np.ndarray:
    """Into [0, 1], then into the eps-ball around ``x0`` (which keeps it in [0, 1]: x0 is in the box)."""
    x_adv = np.clip(x_adv.astype(np.float64), 0.0, 1.0)
    if norm == "linf":
        x_adv = np.clip(x_adv, x0 - eps, x0 + eps)
    else:
        x_adv = x0 + (x_adv - x0) * np.minimum(1.0, eps / _l2(x_adv - x0))
    return np.clip(x_adv, 0.0, 1.0).astype(np.float32)  # the last clip only for rounding


def loss_gradient(model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``grad_x`` of the cross-entropy of label ``y`` on the logits, one gradient per example (lesson 09).

    The gradient FGSM and PGD follow; float32, the shape of ``x``.
    Usage: ``grad = loss_gradient(model, x, y); x_adv = fgsm_step(x, grad, eps=0.1)``.
    """
    x, y = _check_inputs(x, y)
    gradient = _gradient_fn(model, x.shape[1:])
    return np.concatenate([gradient(x[s], y[s])[0].numpy() for s in _batches(len(x), batch_size)])


def fgsm_step(x: np.ndarray, grad: np.ndarray, eps: float, targeted: bool = False) -> np.ndarray:
    """One FGSM step from a gradient already computed: ``clip(x + eps * sign(grad), 0, 1)``.

    The NumPy core of :func:`fgsm` that lesson 09 asks students to write (Goodfellow et al. 2015,
    eq. 3: eta = eps * sign(grad_x J(theta, x, y))); ``targeted=True`` steps against the gradient.
    Usage: ``x_adv = fgsm_step(x, grad, eps=0.1)``.
    """
    direction = -np.sign(grad) if targeted else np.sign(grad)
    return np.clip(np.asarray(x, dtype=np.float64) + eps * direction, 0.0, 1.0)


def project(x0: np.ndarray, x_adv: np.ndarray, eps: float, norm: str = "linf") -> np.ndarray:
    """PGD's projection (lesson 09): into [0, 1], then into the eps-ball around ``x0``, per example.

    L-inf: clip each pixel to ``[x0 - eps, x0 + eps]``; L2: scale ``x_adv - x0`` down to norm eps
    when it is longer (each example of the batch on its own). ``x0`` must lie in [0, 1], so the
    result stays in the box. Returns float64, the shape of ``x_adv``.
    Usage: ``x_adv = project(x, x_adv + alpha * np.sign(grad), eps=0.1)``.
    """
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    x0, x_adv = np.asarray(x0, dtype=np.float64), np.clip(np.asarray(x_adv, dtype=np.float64), 0.0, 1.0)
    if norm == "linf":
        return np.clip(x_adv, x0 - eps, x0 + eps)
    return x0 + (x_adv - x0) * np.minimum(1.0, eps / _l2(x_adv - x0))


def to_tanh_space(x: np.ndarray, margin: float = 1e-6) -> np.ndarray:
    """C&W's change of variables, inverted (lesson 09): ``w = arctanh(2x - 1)`` so that x = (tanh(w) + 1) / 2.

    Carlini & Wagner (2017, section 5) optimise over an unconstrained ``w``: every ``w`` maps to an
    image in [0, 1]. ``2x - 1`` is clipped into ``(-1 + margin, 1 - margin)`` so that pixels at 0
    and 1 give finite ``w`` (about -7.25 and 7.25).
    Usage: ``w = to_tanh_space(x); x_back = from_tanh_space(w)``.
    """
    return np.arctanh(np.clip(2.0 * np.asarray(x, dtype=np.float64) - 1.0, -1.0 + margin, 1.0 - margin))


def from_tanh_space(w: np.ndarray) -> np.ndarray:
    """C&W's change of variables: ``x = (tanh(w) + 1) / 2``, in [0, 1] for every real ``w`` (lesson 09).

    Usage: ``x_adv = from_tanh_space(w)``.
    """
    return (np.tanh(np.asarray(w, dtype=np.float64)) + 1.0) / 2.0


def random_sign_noise(x: np.ndarray, eps: float, seed: int = 0) -> np.ndarray:
    """``clip(x + eps * s, 0, 1)`` with s uniformly +-1 per pixel: FGSM's norms, a random direction.

    Before clipping, the perturbation has the same L-inf norm (eps) and L2 norm (eps * sqrt(d)) as
    an FGSM step of size eps: lesson 09 compares the two (Charpentier's noisy pictures).
    Usage: ``x_noisy = random_sign_noise(x, eps=0.1, seed=0)``.
    """
    x = np.asarray(x, dtype=np.float32)
    _check_bound("eps", eps, 0)
    signs = 2 * np.random.default_rng(seed).integers(0, 2, size=x.shape, dtype=np.int8) - 1   # +-1
    return np.clip(x + eps * signs, 0.0, 1.0).astype(np.float32)


def predicted_labels(model: keras.Model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The model's own predictions (argmax of the logits), as int32 labels ``(N,)``.

    Attacking these instead of the true labels avoids *label leaking* (Kurakin et al. 2017):
    a model adversarially trained with true-label FGSM can learn to read the label from the
    perturbation and score better on attacked images than on clean ones.
    Usage: ``x_adv = fgsm(model, x, predicted_labels(model, x), eps=0.1)``.
    """
    x = np.asarray(x, dtype=np.float32)
    forward = compiled_forward(model, x.shape[1:])
    return np.concatenate([np.argmax(forward(x[s])[0].numpy(), axis=-1)
                           for s in _batches(len(x), batch_size)]).astype(np.int32)


def fgsm(model: keras.Model, x: np.ndarray, y: np.ndarray, eps: float | np.ndarray, targeted: bool = False,
         batch_size: int = 256) -> np.ndarray:
    """Fast gradient sign method: ``clip(x + eps * sign(grad_x J(x, y)), 0, 1)`` (Goodfellow et al. 2015).

    ``y`` are the true labels (or ``predicted_labels(model, x)`` to avoid label leaking); with
    ``targeted=True`` they are the target classes and the step descends their loss instead.
    ``eps`` is a number or one budget per example (shape ``(N,)``).
    Usage: ``x_adv = fgsm(model, x, y, eps=0.1)``.
    """
    x, y = _check_inputs(x, y)
    eps = _per_example("eps", eps, len(x))
    gradient = _gradient_fn(model, x.shape[1:])
    x_adv = np.empty_like(x)
    for s in _batches(len(x), batch_size):
        grad = gradient(x[s], y[s])[0].numpy()
        direction = -np.sign(grad) if targeted else np.sign(grad)
        x_adv[s] = np.clip(x[s] + eps[s] * direction, 0.0, 1.0)
    return x_adv


def pgd(model: keras.Model, x: np.ndarray, y: np.ndarray, eps: float | np.ndarray, alpha: float | np.ndarray,
        steps: int, random_start: bool = True, norm: str = "linf", targeted: bool = False, seed: int = 0,
        batch_size: int = 256) -> np.ndarray:
    """Projected gradient descent (Madry et al. 2018); iterative FGSM (Kurakin et al.) without random start.

    Each of ``steps`` steps moves ``alpha`` along ``sign(grad)`` (``norm="linf"``) or
    ``grad / ||grad||_2`` per example (``norm="l2"``), then projects onto the eps-ball around
    ``x`` (L-inf: clip each pixel to [x-eps, x+eps]; L2: shrink the perturbation to norm eps)
    and onto [0, 1]. The random start is uniform in the ball (L2: a Gaussian direction times
    ``eps * u**(1/d)``), drawn from ``numpy.random.default_rng(seed)``, so the same seed and
    batch size give the same result. ``targeted=True`` descends the loss of the target ``y``.
    ``eps`` and ``alpha`` are numbers or one per example (``(N,)``: bisect each image's budget).
    Usage: ``x_adv = pgd(model, x, y, eps=0.1, alpha=0.01, steps=40)``.
    """
    x, y = _check_inputs(x, y)
    eps, alpha = _per_example("eps", eps, len(x)), _per_example("alpha", alpha, len(x), inclusive=False)
    _check_bound("steps", steps, 1)
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    rng = np.random.default_rng(seed)
    gradient = _gradient_fn(model, x.shape[1:])
    x_adv = np.empty_like(x)
    for s in _batches(len(x), batch_size):
        x0, xa = x[s], x[s].copy()
        if random_start and norm == "linf":
            xa = _project(x0, x0 + eps[s] * rng.uniform(-1.0, 1.0, size=x0.shape), eps[s], norm)
        elif random_start:
            direction = rng.standard_normal(x0.shape)
            radius = eps[s] * rng.uniform(size=eps[s].shape) ** (1.0 / x0[0].size)
            xa = _project(x0, x0 + radius * direction / _l2(direction), eps[s], norm)
        for _ in range(steps):
            grad = gradient(xa, y[s])[0].numpy()
            if targeted:
                grad = -grad
            step = np.sign(grad) if norm == "linf" else grad / _l2(grad)
            xa = _project(x0, xa + alpha[s] * step, eps[s], norm)
        x_adv[s] = xa
    return x_adv


@functools.lru_cache(maxsize=8)
def _cw_adam_fn(model: keras.Model, image_shape: tuple[int, ...], confidence: float, targeted: bool):
    """A compiled run of ``steps`` Adam steps on the C&W objective for one value of c per example.

    ``(w0, x0, y, c, steps, lr, best_l2, best) -> (best_l2, best, fooled)``: the smallest squared L2
    of a successful iterate so far and that iterate, and whether any iterate of this run succeeded.
    The whole loop runs in the graph (one call per value of c, not one per step).
    """
    import tensorflow as tf

    scores = scores_model(model)
    images, vector = tf.TensorSpec([None, *image_shape], tf.float32), tf.TensorSpec([None], tf.float32)
    scalar_int, scalar = tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32)

    def objective_grad(w, x0, y, c):
        with tf.GradientTape() as tape:
            tape.watch(w)
            x_adv = (tf.tanh(w) + 1.0) / 2.0
            logits = scores(x_adv, training=False)
            l2 = tf.reduce_sum(tf.square(x_adv - x0), axis=(1, 2, 3))
            is_label = tf.one_hot(y, tf.shape(logits)[-1]) > 0
            z_label = tf.reduce_max(tf.where(is_label, logits, -np.inf), axis=-1)
            z_other = tf.reduce_max(tf.where(is_label, -np.inf, logits), axis=-1)
            margin = z_other - z_label if targeted else z_label - z_other  # < 0: the attack succeeds
            loss = tf.reduce_sum(l2 + c * tf.maximum(margin, -confidence))  # f6 of the paper
        return tape.gradient(loss, w), x_adv, l2, margin

    @tf.function(input_signature=[images, images, tf.TensorSpec([None], tf.int32), vector, scalar_int,
                                  scalar, vector, images])
    def run(w0, x0, y, c, steps, lr, best_l2, best):
        w, m, v = w0, tf.zeros_like(w0), tf.zeros_like(w0)
        fooled = tf.zeros(tf.shape(y), tf.bool)
        for t in tf.range(1, steps + 1):
            grad, x_adv, l2, margin = objective_grad(w, x0, y, c)
            success = margin < -confidence  # at the iterate the gradient was taken at
            closer = success & (l2 < best_l2)
            best_l2 = tf.where(closer, l2, best_l2)
            best = tf.where(closer[:, None, None, None], x_adv, best)
            fooled = fooled | success
            m = 0.9 * m + 0.1 * grad  # Adam (Kingma & Ba 2015) on w, as in the paper
            v = 0.999 * v + 0.001 * tf.square(grad)
            step = tf.cast(t, tf.float32)
            w = w - lr * (m / (1 - 0.9 ** step)) / (tf.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
        return best_l2, best, fooled

    return run


def _cw_batch(run, x0: np.ndarray, y: np.ndarray, c: float, steps: int, binary_search_steps: int,
              lr: float) -> tuple[np.ndarray, np.ndarray]:
    w0 = np.arctanh(np.clip(2.0 * x0 - 1.0, -1 + 1e-6, 1 - 1e-6)).astype(np.float32)  # finite at 0 and 1
    lower, upper, const = np.zeros(len(x0)), np.full(len(x0), np.inf), np.full(len(x0), float(c))
    best_l2, best = np.full(len(x0), np.inf, dtype=np.float32), x0.copy()
    for _ in progress(range(binary_search_steps), desc="C&W, values of c"):
        best_l2, best, fooled = (a.numpy() for a in run(w0, x0, y, const.astype(np.float32), steps, lr,
                                                        best_l2, best))
        upper = np.where(fooled, np.minimum(upper, const), upper)
        lower = np.where(fooled, lower, np.maximum(lower, const))
        const = np.where(np.isfinite(upper), (lower + upper) / 2, const * 10)
    return best, np.isfinite(best_l2)


def carlini_wagner_l2(model: keras.Model, x: np.ndarray, y: np.ndarray, confidence: float = 0.0,
                      c: float = 1.0, steps: int = 100, binary_search_steps: int = 5, lr: float = 0.01,
                      targeted: bool = False, batch_size: int = 256,
                      return_success: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Carlini & Wagner (2017) L2 attack: the smallest L2 perturbation that flips the logits.

    Minimises ``||x_adv - x||_2^2 + c * f6`` over ``w`` with ``x_adv = (tanh(w) + 1) / 2`` (so
    x_adv is always in [0, 1]), ``f6 = max(Z_y - max_{i!=y} Z_i, -confidence)`` on the logits Z
    (targeted: ``max(max_{i!=t} Z_i - Z_t, -confidence)``), with Adam (``lr``, ``steps``), and
    a binary search over ``c`` per example (fooled: upper bound, ``c = (lo + hi) / 2``; not
    fooled: ``c *= 10`` until an upper bound exists). Keeps the smallest-L2 adversarial found.
    Examples never fooled are returned UNCHANGED; ``return_success=True`` also returns the
    boolean mask of the fooled ones (untargeted: already-misclassified ones count, at L2 ~ 0).
    Usage: ``x_adv, ok = carlini_wagner_l2(model, x, y, steps=100, return_success=True)``.
    """
    x, y = _check_inputs(x, y)
    _check_bound("confidence", confidence, 0)
    _check_bound("c", c, 0, inclusive=False)
    _check_bound("lr", lr, 0, inclusive=False)
    _check_bound("steps", steps, 1)
    _check_bound("binary_search_steps", binary_search_steps, 1)
    run = _cw_adam_fn(model, x.shape[1:], float(confidence), bool(targeted))
    x_adv, success = np.empty_like(x), np.zeros(len(x), dtype=bool)
    for s in _batches(len(x), batch_size):
        x_adv[s], success[s] = _cw_batch(run, x[s], y[s], c, steps, binary_search_steps, lr)
    return (x_adv, success) if return_success else x_adv


def perturbation_norms(x: np.ndarray, x_adv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-example L-inf and L2 norms of ``x_adv - x`` (two float64 arrays ``(N,)``).

    Usage: ``linf, l2 = perturbation_norms(x, x_adv)``; ``np.median(l2)``.
    """
    delta = (np.asarray(x_adv, dtype=np.float64) - np.asarray(x, dtype=np.float64)).reshape(len(x), -1)
    return np.abs(delta).max(axis=1, initial=0.0), np.sqrt(np.sum(delta**2, axis=1))


def robust_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray, attack: Callable[..., np.ndarray],
                    **kwargs) -> float:
    """Accuracy of ``model`` on ``attack(model, x, y, **kwargs)``; ``y`` are the true labels.

    Usage: ``robust_accuracy(model, x, y, pgd, eps=0.1, alpha=0.01, steps=40)``.
    """
    return float(np.mean(predicted_labels(model, attack(model, x, y, **kwargs)) == np.asarray(y)))


def accuracy_vs_eps(model: keras.Model, x: np.ndarray, y: np.ndarray, attack: Callable[..., np.ndarray],
                    eps_values: list[float], **kwargs) -> list[float]:
    """Robust accuracy at each eps in ``eps_values`` (a list, same order); eps = 0 is the clean accuracy.

    The attack is not called at eps = 0. Other keyword arguments go to the attack unchanged
    (for PGD, a fixed ``alpha`` that suits the largest eps).
    Usage: ``accs = accuracy_vs_eps(model, x, y, fgsm, [0.0, 0.05, 0.1])``.
    """
    return [float(np.mean(predicted_labels(model, x) == np.asarray(y))) if eps == 0
            else robust_accuracy(model, x, y, attack, eps=eps, **kwargs) for eps in eps_values]


def minimal_pgd_l2_radius(model: keras.Model, x: np.ndarray, y: np.ndarray, max_radius: float = 5.0,
                          bisection_steps: int = 10, steps: int = 20, batch_size: int = 256) -> np.ndarray:
    """Per image, the smallest L2 radius at which PGD-L2 fools the model, found by bisection (lesson 09).

    PGD-L2 runs ``steps`` steps of size ``radius / 5`` without random start (deterministic, so the
    bisection is well defined). An image not fooled at ``max_radius`` gets ``inf``; one already
    misclassified gets 0. The result is the upper end of the final interval: PGD fools each image
    at that radius, and the interval is ``max_radius / 2**bisection_steps`` wide. Compare it with
    the L2 norm of :func:`carlini_wagner_l2`, which minimises the distance itself.
    Usage: ``radii = minimal_pgd_l2_radius(model, x, y, bisection_steps=10); np.median(radii)``.
    """
    x, y = _check_inputs(x, y)
    _check_bound("max_radius", max_radius, 0, inclusive=False)
    _check_bound("bisection_steps", bisection_steps, 1)

    def fools(radius: np.ndarray) -> np.ndarray:
        x_adv = pgd(model, x, y, radius, np.maximum(radius, 1e-12) / 5, steps, random_start=False,
                    norm="l2", batch_size=batch_size)
        return predicted_labels(model, x_adv, batch_size) != y

    wrong = predicted_labels(model, x, batch_size) != y
    lo, hi = np.zeros(len(x)), np.full(len(x), float(max_radius))
    reachable = fools(hi) | wrong
    for _ in progress(range(bisection_steps), desc="bisection on the PGD-L2 radius"):
        mid = (lo + hi) / 2
        fooled = fools(mid)
        hi, lo = np.where(fooled, mid, hi), np.where(fooled, lo, mid)
    return np.where(wrong, 0.0, np.where(reachable, hi, np.inf))


def fooling_images(model: keras.Model, targets: np.ndarray, image_shape: tuple[int, ...],
                   confidence: float = 0.99, steps: int = 100, alpha: float = 0.01, seed: int = 0,
                   start: str = "noise", batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Images the model assigns to ``targets`` with probability >= ``confidence``, grown from noise.

    Nguyen, Yosinski & Clune (2015), "Deep neural networks are easily fooled", evolve images, and
    also climb the gradient, to reach > 99 % confidence on unrecognisable images. Here:
    uniform noise in [0, 1] (``start="grey"``: 0.5 everywhere plus noise of +-0.05), then signed
    gradient steps of size ``alpha`` that descend the cross-entropy of the target (on logits),
    clipped to [0, 1], with no eps-ball; an image stops moving once it reaches ``confidence``.
    Returns ``(images, p_target)``: float32 ``(N, *image_shape)`` and the target's probability.
    Usage: ``images, p = fooling_images(cnn, np.arange(10), (28, 28, 1), confidence=0.99)``.
    """
    targets = np.asarray(targets, dtype=np.int32)
    if targets.ndim != 1 or len(targets) == 0:
        raise ValueError(f"targets must be a non-empty 1-D array of class indices, got shape {targets.shape}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if start not in ("noise", "grey"):
        raise ValueError(f"start must be 'noise' or 'grey', got {start!r}")
    _check_bound("steps", steps, 1)
    _check_bound("alpha", alpha, 0, inclusive=False)
    rng = np.random.default_rng(seed)
    shape = (len(targets), *tuple(image_shape))
    x = (rng.uniform(size=shape) if start == "noise" else 0.5 + rng.uniform(-0.05, 0.05, size=shape))
    x = x.astype(np.float32)
    step_fn = _gradient_fn(model, x.shape[1:])   # the same compiled function as FGSM and PGD
    p = np.zeros(len(x))
    active = np.arange(len(x))
    for _ in progress(range(steps), desc="fooling images"):
        for s in _batches(len(active), batch_size):
            rows = active[s]
            grad, p_rows = (a.numpy() for a in step_fn(x[rows], targets[rows]))  # one forward pass
            p[rows] = p_rows
            moving = p_rows < confidence               # an image stops once it reaches confidence
            x[rows[moving]] = np.clip(x[rows[moving]] - alpha * np.sign(grad[moving]), 0.0, 1.0)
        active = active[p[active] < confidence]
        if len(active) == 0:
            break
    for s in _batches(len(active), batch_size):       # the images that moved on the last step
        rows = active[s]
        p[rows] = step_fn(x[rows], targets[rows])[1].numpy()   # the same compiled function: no new trace
    return x, p.astype(np.float64)
