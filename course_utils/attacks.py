"""Adversarial attacks, one compiled path: the projection, the C&W margin, FGSM, PGD and PGD accuracy.

Lesson 09_adversarial_attacks derives these step by step; 10_adversarial_training trains on them
(``course_utils.adversarial_training``). Conventions: images ``x`` are float arrays ``(N, H, W, C)``
in [0, 1], labels ``y`` integers ``(N,)`` in ``[0, classes)``, results float32 arrays in [0, 1].
Losses are computed on the logits (``course_utils.models.scores_model``), never on saturated
softmax probabilities.

The core runs in the TensorFlow graph and exists once: :func:`project` (L-inf or L2 eps-ball and
the [0, 1] box, one eps per example allowed), :func:`margin` (Carlini & Wagner's), :func:`attack_loss`
and :func:`input_gradient`, and :func:`pgd_graph` (PGD, L-inf or L2, an optional start, a projection
at every step, targeted or not, on the cross-entropy or the margin; FGSM is its one step of size
eps from the clean image). Lesson 10's ``AdversarialTrainer.train_step`` calls :func:`pgd_graph`
inside its graph; the NumPy-facing functions below run it through one ``tf.function`` per model,
image shape, norm and loss (``inference.compiled_for``): :func:`fgsm`, :func:`pgd`,
:func:`loss_gradient`, :func:`pgd_accuracy` (the one PGD-accuracy measure: restarts, worst case per
example), :func:`minimal_pgd_l2_radius` and :func:`fooling_images`. Every public function checks its
arguments with :func:`check` / :func:`checked` and refuses bad ones in one line.

Primary sources: Goodfellow, Shlens & Szegedy (2015), "Explaining and harnessing adversarial
examples" (FGSM); Kurakin, Goodfellow & Bengio (2017), "Adversarial examples in the physical
world" (iterative FGSM) and "Adversarial machine learning at scale" (label leaking);
Madry et al. (2018), "Towards deep learning models resistant to adversarial attacks" (PGD);
Carlini & Wagner (2017), "Towards evaluating the robustness of neural networks" (C&W L2).

Usage::

    from course_utils.attacks import fgsm, pgd, carlini_wagner_l2, robust_accuracy, accuracy_vs_eps
    x_adv = fgsm(model, x, y, eps=0.1)
    x_adv = pgd(model, x, y, eps=0.1, alpha=0.01, steps=40)
    acc = pgd_accuracy(model, x, y, eps=0.1, alpha=0.01, steps=100, restarts=5)
    accs = accuracy_vs_eps(model, x, y, fgsm, [0.0, 0.05, 0.1, 0.2])
    radii = minimal_pgd_l2_radius(model, x, y)             # per image, by bisection
    images, p = fooling_images(model, targets=np.arange(10), image_shape=(28, 28, 1))
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from course_utils.inference import accuracy, compiled_for, forward
from course_utils.models import scores_model
from course_utils.progress import progress

CHOICES = {"norm": ("linf", "l2"), "loss": ("ce", "margin")}
RULES = {"eps": ">= 0", "confidence": ">= 0", "alpha": "> 0", "c": "> 0", "lr": "> 0", "max_radius": "> 0",
         **dict.fromkeys(("steps", "restarts", "binary_search_steps", "bisection_steps", "batch_size"), "an integer >= 1")}


def check(**values) -> None:
    """Refuse a bad argument in one line: eps < 0, alpha <= 0, steps < 1, an unknown norm or loss, ...

    The rules are :data:`RULES` and :data:`CHOICES` (eps, alpha and the like may be one number per example).
    Usage: ``check(eps=eps, alpha=alpha, steps=steps, norm=norm)``.
    """
    for name, value in values.items():
        if name in CHOICES and value not in CHOICES[name]:
            raise ValueError(f"{name} must be one of {CHOICES[name]}, got {value!r}")
        v, rule = (np.asarray(value, dtype=np.float64), RULES[name]) if name in RULES else (np.zeros(()), "")
        bad = v < float(rule[-1]) if ">=" in rule else v <= 0
        if rule and (np.any(bad | np.isnan(v)) or ("integer" in rule and np.any(v != np.round(v)))):
            raise ValueError(f"{name} must be {rule}, got {value if v.ndim == 0 else f'a minimum of {v.min()}'}")


def checked(model: keras.Model | None, x: np.ndarray, y: np.ndarray, **values) -> tuple[np.ndarray, np.ndarray]:
    """``x`` as float32 ``(N, H, W, C)`` in [0, 1] and ``y`` as int32 labels in ``[0, classes)`` of ``model``.

    Raises a one-line ValueError on a bad shape, pixels outside [0, 1] (beyond 1e-6), labels
    that are not classes of ``model`` (only ``>= 0`` checked when ``model`` is None), or a bad value
    in ``values`` (:func:`check`; ``eps`` and ``alpha`` may also have shape ``(N,)``).
    Usage: ``x, y = checked(model, x, y, eps=eps, steps=steps)``.
    """
    check(**values)
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y)
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D (N, H, W, C), got shape {x.shape}")
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must be 1-D with len(y) == len(x) == {len(x)}, got shape {y.shape}")
    if not np.all((x >= -1e-6) & (x <= 1 + 1e-6)):   # a rounding error outside the box is accepted
        raise ValueError(f"x must lie in [0, 1], got values in [{np.nanmin(x):.4g}, {np.nanmax(x):.4g}] (or NaN)")
    classes = np.inf if model is None else model.output_shape[-1]
    if len(y) and (np.any(y != np.round(y)) or y.min() < 0 or y.max() >= classes):
        raise ValueError(f"y must hold class indices in [0, {classes}), got values in [{y.min()}, {y.max()}]")
    if any(np.ndim(values.get(k)) > 1 or np.size(values.get(k, 0)) not in (1, len(x)) for k in ("eps", "alpha")):
        raise ValueError(f"eps and alpha must be numbers or have shape ({len(x)},), got {values}")
    return np.clip(x, 0.0, 1.0), y.astype(np.int32)


def margin(logits: tf.Tensor, y: tf.Tensor, confidence: float | None = None, targeted: bool | tf.Tensor = False):
    """Carlini & Wagner's (2017) margin on the logits Z: ``Z_y - max_{i != y} Z_i`` (lessons 09-10).

    Below 0 once an untargeted attack succeeds; ``targeted=True`` (a bool or a bool tensor) gives
    ``max_{i != t} Z_i - Z_t`` for the target ``t = y``. With ``confidence`` kappa it is clipped
    below at ``-kappa``: the paper's f6. Usage (in the graph): ``m = margin(logits, y)``.
    """
    others = tf.reduce_max(tf.where(tf.one_hot(y, tf.shape(logits)[-1]) > 0, -np.inf, logits), axis=-1)
    gap = (tf.gather(logits, y, axis=1, batch_dims=1) - others) * (1.0 - 2.0 * tf.cast(targeted, logits.dtype))
    return gap if confidence is None else tf.maximum(gap, -confidence)


def attack_loss(logits: tf.Tensor, y: tf.Tensor, loss: str = "ce") -> tf.Tensor:
    """The per-example loss an attack ascends (lessons 09-10): ``"ce"``, the cross-entropy on the logits,
    or ``"margin"``, minus :func:`margin` (``max_{i != y} Z_i - Z_y``), which does not saturate when the
    true class is far behind: PGD on it is a second opinion on robustness.
    Usage (in the graph): ``attack_loss(z, y, "margin")``.
    """
    if loss == "ce":
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
    return -margin(logits, y)


def input_gradient(scores: keras.Model, x: tf.Tensor, y: tf.Tensor, loss: str = "ce") -> tf.Tensor:
    """``grad_x`` of the summed :func:`attack_loss` of ``scores`` (logits) in inference mode: each example's own.

    Usage (lesson 10): ``g = input_gradient(scores_model(m), tf.constant(x), y)``.
    """
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(attack_loss(scores(x, training=False), tf.cast(y, tf.int32), loss))
    return tape.gradient(total, x)


def _l2(d: tf.Tensor) -> tf.Tensor:
    return tf.maximum(tf.sqrt(tf.reduce_sum(tf.square(d), axis=[1, 2, 3], keepdims=True)), 1e-12)


def project(x0: tf.Tensor, x: tf.Tensor, eps: float | tf.Tensor, norm: str = "linf") -> tf.Tensor:
    """PGD's projection (lessons 09-10): into [0, 1], then into the eps-ball around ``x0``, per example.

    L-inf: clip each pixel to ``[x0 - eps, x0 + eps]``; L2: scale ``x - x0`` down to norm eps when
    it is longer. ``eps`` is a number or one per example ``(N,)``; ``x0`` lies in [0, 1], so the
    result stays in the box. Usage (in the graph): ``x_adv = project(x, x_adv + alpha * tf.sign(g), 0.1)``.
    """
    eps, x = tf.reshape(tf.cast(eps, tf.float32), [-1, 1, 1, 1]), tf.clip_by_value(x, 0.0, 1.0)
    if norm == "linf":
        return tf.clip_by_value(x, x0 - eps, x0 + eps)
    return tf.clip_by_value(x0 + (x - x0) * tf.minimum(1.0, eps / _l2(x - x0)), 0.0, 1.0)  # clip: rounding


def random_start(x: tf.Tensor, eps: float) -> tf.Tensor:
    """A point drawn in the graph uniformly from the L-inf eps-ball around ``x`` (lesson 10's training).

    Usage (in the graph): ``x_adv, _ = pgd_graph(scores, x, y, 0.1, 0.02, 7, random_start(x, 0.1))``.
    """
    return x + tf.random.uniform(tf.shape(x), -eps, eps)


def pgd_graph(scores: keras.Model, x: tf.Tensor, y: tf.Tensor, eps, alpha, steps, start: tf.Tensor | None = None,
              targeted: bool | tf.Tensor = False, norm: str = "linf", loss: str = "ce") -> tuple[tf.Tensor, tf.Tensor]:
    """PGD in the graph (Madry et al. 2018), the one FGSM and PGD of lessons 09 and 10.

    From ``start`` (projected first; None: the clean ``x``), ``steps`` steps of size ``alpha``
    along ``sign(g)`` (L-inf) or ``g / ||g||_2`` (L2) of the :func:`attack_loss` gradient ``g``
    (against it when ``targeted``, a bool or bool tensor: ``y`` are then the targets), each followed
    by :func:`project` onto the eps-ball and [0, 1]. ``eps`` and ``alpha`` are numbers or one per
    example. FGSM is one step with ``alpha = eps`` from the clean image. Returns ``(x_adv, g)``,
    ``g`` the (signed) gradient of the last step: with one step from ``x``, the loss gradient at ``x``.
    Usage (lesson 10): ``x_adv, _ = pgd_graph(scores_model(m), x, y, eps=0.1, alpha=0.01, steps=40)``.
    """
    x, y = tf.convert_to_tensor(x, tf.float32), tf.cast(y, tf.int32)
    alpha, sign = tf.reshape(tf.cast(alpha, tf.float32), [-1, 1, 1, 1]), 1.0 - 2.0 * tf.cast(targeted, tf.float32)

    def step(i, x_adv, _):
        grad = input_gradient(scores, x_adv, y, loss) * sign
        direction = tf.sign(grad) if norm == "linf" else grad / _l2(grad)
        return i + 1, project(x, x_adv + alpha * direction, eps, norm), grad

    x_adv = x if start is None else project(x, start, eps, norm)
    # a loop in the graph, not unrolled: tracing costs the same for 5 steps or 100
    _, x_adv, grad = tf.while_loop(lambda i, *_: i < steps, step, (tf.constant(0), x_adv, tf.zeros_like(x)))
    return tf.stop_gradient(x_adv), grad


def _compiled(model: keras.Model, function: Callable, spec: list, compiled: bool = True, **fixed: str) -> Callable:
    """``function(scores_model(model), *inputs, **fixed)``: one ``tf.function`` per model, function, input
    ``spec`` (no retrace per batch size or eps) and ``fixed`` values, or eager (``compiled=False``)."""
    def build() -> Callable:
        run = functools.partial(function, scores_model(model), **fixed)
        return tf.function(run, input_signature=spec) if compiled else run
    return compiled_for(model, (function.__name__, tuple(spec), tuple(sorted(fixed.items())), compiled), build)


def _specs(image_shape: tuple[int, ...], kinds: str) -> list[tf.TensorSpec]:
    """Input specs: ``x`` images, ``y`` labels, ``v`` a float per example, ``i``/``f``/``b`` an int/float/bool."""
    specs = {"x": ([None, *image_shape], tf.float32), "y": ([None], tf.int32), "v": ([None], tf.float32),
             "i": ([], tf.int32), "f": ([], tf.float32), "b": ([], tf.bool)}
    return [tf.TensorSpec(*specs[k]) for k in kinds]


def _uniform_start(rng: np.random.Generator, x0: np.ndarray, eps: np.ndarray, norm: str) -> np.ndarray:
    """A start uniform in the eps-ball (L2: a Gaussian direction times ``eps * u**(1/d)``), from ``rng``."""
    eps = eps.reshape(-1, 1, 1, 1)
    if norm == "linf":
        return x0 + eps * rng.uniform(-1.0, 1.0, size=x0.shape)
    direction = rng.standard_normal(x0.shape)
    radius = eps * rng.uniform(size=eps.shape) ** (1.0 / x0[0].size)
    return x0 + radius * direction / np.maximum(np.sqrt(np.sum(direction**2, axis=(1, 2, 3), keepdims=True)), 1e-12)


def _pgd(model: keras.Model, x: np.ndarray, y: np.ndarray, eps, alpha, steps: int, rng: np.random.Generator | None,
         targeted: bool = False, batch_size: int = 256, compiled: bool = True, norm: str = "linf",
         loss: str = "ce") -> list[np.ndarray]:
    """:func:`pgd_graph` on checked NumPy batches; ``rng`` draws each batch's random start (None: none).
    Returns ``[x_adv, g]``."""
    run = _compiled(model, pgd_graph, _specs(x.shape[1:], "xyvvixb"), compiled, norm=norm, loss=loss)
    eps, alpha = (np.broadcast_to(np.asarray(v, dtype=np.float64), (len(x),)) for v in (eps, alpha))
    out = [np.empty_like(x), np.empty_like(x)]
    for i in range(0, len(x), int(batch_size)):
        s = slice(i, i + int(batch_size))
        start = x[s] if rng is None else _uniform_start(rng, x[s], eps[s], norm).astype(np.float32)
        out[0][s], out[1][s] = run(x[s], y[s], eps[s].astype(np.float32), alpha[s].astype(np.float32), int(steps),
                                   start, bool(targeted))
    return out


def loss_gradient(model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``grad_x`` of the cross-entropy of label ``y`` on the logits, one gradient per example (lesson 09).

    The gradient FGSM and PGD follow (the first step of :func:`pgd_graph`); float32, the shape of ``x``.
    Usage: ``grad = loss_gradient(model, x, y); x_adv = fgsm_step(x, grad, eps=0.1)``.
    """
    x, y = checked(model, x, y, batch_size=batch_size)
    return _pgd(model, x, y, 0.0, 1.0, 1, None, batch_size=batch_size)[1]


def fgsm(model: keras.Model, x: np.ndarray, y: np.ndarray, eps: float | np.ndarray, targeted: bool = False,
         batch_size: int = 256) -> np.ndarray:
    """Fast gradient sign method: ``clip(x + eps * sign(grad_x J(x, y)), 0, 1)`` (Goodfellow et al. 2015).

    ``y`` are the true labels (or the model's own, ``forward(model, x, "labels")``, to avoid label
    leaking); with ``targeted=True`` they are the target classes and the step descends their loss.
    ``eps`` is a number or one budget per example (shape ``(N,)``). One step of :func:`pgd_graph`.
    Usage: ``x_adv = fgsm(model, x, y, eps=0.1)``.
    """
    x, y = checked(model, x, y, eps=eps, batch_size=batch_size)
    return _pgd(model, x, y, eps, eps, 1, None, targeted, batch_size)[0]


def pgd(model: keras.Model, x: np.ndarray, y: np.ndarray, eps: float | np.ndarray, alpha: float | np.ndarray,
        steps: int, random_start: bool = True, norm: str = "linf", targeted: bool = False, seed: int = 0,
        batch_size: int = 256, loss: str = "ce") -> np.ndarray:
    """Projected gradient descent (Madry et al. 2018); iterative FGSM (Kurakin et al.) without random start.

    Each of ``steps`` steps moves ``alpha`` along ``sign(grad)`` (``norm="linf"``) or
    ``grad / ||grad||_2`` per example (``norm="l2"``), then projects onto the eps-ball around
    ``x`` and onto [0, 1] (:func:`pgd_graph`). The random start is uniform in the ball (L2: a
    Gaussian direction times ``eps * u**(1/d)``), drawn from ``numpy.random.default_rng(seed)``
    batch by batch, so the same seed and batch size give the same result. ``targeted=True``
    descends the loss of the target ``y``; ``loss="margin"`` ascends the C&W margin instead of the
    cross-entropy. ``eps`` and ``alpha`` are numbers or one per example (``(N,)``).
    Usage: ``x_adv = pgd(model, x, y, eps=0.1, alpha=0.01, steps=40)``.
    """
    x, y = checked(model, x, y, eps=eps, alpha=alpha, steps=steps, norm=norm, loss=loss, batch_size=batch_size)
    rng = np.random.default_rng(seed) if random_start else None
    return _pgd(model, x, y, eps, alpha, steps, rng, targeted, batch_size, norm=norm, loss=loss)[0]


def pgd_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray, eps: float, alpha: float, steps: int, restarts: int = 1,
                 loss: str = "ce", norm: str = "linf", random_start: bool = True, seed: int = 0,
                 batch_size: int = 256, compiled: bool = True) -> float:
    """Accuracy under PGD with ``restarts`` random starts: an image counts as correct only if it
    resists every restart (the per-example worst case; Madry et al. 2018 evaluate this way).

    The one PGD-accuracy measure (lessons 09-10; ``RobustnessMonitor`` uses it): :func:`pgd` with
    ``seed`` for the first restart, so ``restarts=1`` gives ``robust_accuracy(model, x, y, pgd, ...)``.
    ``loss`` is ``"ce"`` or ``"margin"``; ``compiled=False`` runs eagerly (no trace, for tiny runs).
    Usage (lesson 10): ``pgd_accuracy(robust, x, y, eps=0.1, alpha=0.01, steps=100, restarts=5)``.
    """
    x, y = checked(model, x, y, eps=eps, alpha=alpha, steps=steps, restarts=restarts, loss=loss, norm=norm,
                   batch_size=batch_size)
    rng, robust = np.random.default_rng(seed) if random_start else None, np.ones(len(x), dtype=bool)
    for _ in range(int(restarts)):
        x_adv = _pgd(model, x, y, eps, alpha, steps, rng, False, batch_size, compiled, norm=norm, loss=loss)[0]
        robust &= forward(model, x_adv, "labels", compiled, batch_size) == y
    return float(robust.mean())


def to_tanh_space(x: np.ndarray, margin: float = 1e-6) -> np.ndarray:
    """C&W's change of variables, inverted (lesson 09): ``w = arctanh(2x - 1)`` so that x = (tanh(w) + 1) / 2.

    Carlini & Wagner (2017, section 5) optimise over an unconstrained ``w``: every ``w`` maps to an
    image in [0, 1]. ``2x - 1`` is clipped into ``(-1 + margin, 1 - margin)`` so that pixels at 0
    and 1 give finite ``w`` (about -7.25 and 7.25). :func:`carlini_wagner_l2` starts from it.
    Usage: ``w = to_tanh_space(x)``.
    """
    x = np.asarray(x, dtype=np.result_type(x, np.float32))     # float32 stays float32 (C&W), else float64
    return np.arctanh(np.clip(2.0 * x - 1.0, -1.0 + margin, 1.0 - margin))


def cw_objective(scores: keras.Model, w: tf.Tensor, x0: tf.Tensor, y: tf.Tensor, c, confidence: float = 0.0,
                 targeted: bool | tf.Tensor = False) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
    """Carlini & Wagner's L2 objective per example, in tanh space (lesson 09's exercise, :func:`carlini_wagner_l2`).

    ``x = (tanh(w) + 1) / 2``; returns ``(||x - x0||_2^2 + c * f6, x, ||x - x0||_2^2, f6)`` with
    ``f6 = max(Z_y - max_{i != y} Z_i, -confidence)`` on the logits of ``scores`` (:func:`margin`).
    Usage (in the graph): ``objective = cw_objective(scores, w, x0, y, c=1.0)[0]``.
    """
    x_adv = (tf.tanh(w) + 1.0) / 2.0
    l2 = tf.reduce_sum(tf.square(x_adv - x0), axis=(1, 2, 3))
    f6 = margin(scores(x_adv, training=False), tf.cast(y, tf.int32), confidence, targeted)
    return l2 + tf.cast(c, l2.dtype) * f6, x_adv, l2, f6


def _cw_adam(scores: keras.Model, w0, x0, y, c, steps, lr, best_l2, best, confidence, targeted):
    """``steps`` Adam steps on the C&W objective for one value of c per example, the whole loop in the graph.

    Returns ``(best_l2, best, fooled)``: the smallest squared L2 of a successful iterate so far, that
    iterate, and whether any iterate of this run succeeded.
    """
    w, m, v, fooled = w0, tf.zeros_like(w0), tf.zeros_like(w0), tf.zeros(tf.shape(y), tf.bool)
    for t in tf.range(1, steps + 1):
        with tf.GradientTape() as tape:
            tape.watch(w)
            objective, x_adv, l2, f6 = cw_objective(scores, w, x0, y, c, confidence, targeted)
            total = tf.reduce_sum(objective)
        grad, success = tape.gradient(total, w), f6 <= -confidence  # at the iterate the gradient was taken at
        closer, fooled = success & (l2 < best_l2), fooled | success
        best_l2, best = tf.where(closer, l2, best_l2), tf.where(closer[:, None, None, None], x_adv, best)
        m, v = 0.9 * m + 0.1 * grad, 0.999 * v + 0.001 * tf.square(grad)   # Adam (Kingma & Ba 2015) on w
        step = tf.cast(t, tf.float32)
        w = w - lr * (m / (1 - 0.9 ** step)) / (tf.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return best_l2, best, fooled


def carlini_wagner_l2(model: keras.Model, x: np.ndarray, y: np.ndarray, confidence: float = 0.0, c: float = 1.0,
                      steps: int = 100, binary_search_steps: int = 5, lr: float = 0.01, targeted: bool = False,
                      return_success: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Carlini & Wagner (2017) L2 attack: the smallest L2 perturbation that flips the logits.

    Minimises ``||x_adv - x||_2^2 + c * f6`` over ``w`` with ``x_adv = (tanh(w) + 1) / 2`` (so
    x_adv is always in [0, 1]), ``f6 = max(Z_y - max_{i!=y} Z_i, -confidence)`` on the logits Z
    (:func:`margin`; targeted: ``max(max_{i!=t} Z_i - Z_t, -confidence)``), with Adam (``lr``,
    ``steps``; all in one graph call per value of c), and a binary search over ``c`` per example
    (fooled: upper bound, ``c = (lo + hi) / 2``; not fooled: ``c *= 10`` until an upper bound
    exists). Keeps the smallest-L2 adversarial found. Examples never fooled are returned UNCHANGED;
    ``return_success=True`` also returns the boolean mask of the fooled ones (untargeted:
    already-misclassified ones count, at L2 ~ 0).
    Usage: ``x_adv, ok = carlini_wagner_l2(model, x, y, steps=100, return_success=True)``.
    """
    x, y = checked(model, x, y, confidence=confidence, c=c, lr=lr, steps=steps, binary_search_steps=binary_search_steps)
    run = _compiled(model, _cw_adam, _specs(x.shape[1:], "xxyvifvxfb"))
    x_adv, w0, best_l2 = x.copy(), to_tanh_space(x).astype(np.float32), np.full(len(x), np.inf, dtype=np.float32)
    lower, upper, const = np.zeros(len(x)), np.full(len(x), np.inf), np.full(len(x), float(c))
    for _ in progress(range(binary_search_steps), desc="C&W, values of c"):
        best_l2, x_adv, fooled = (a.numpy() for a in run(w0, x, y, const.astype(np.float32), steps, lr, best_l2,
                                                         x_adv, confidence, targeted))
        upper = np.where(fooled, np.minimum(upper, const), upper)
        lower = np.where(fooled, lower, np.maximum(lower, const))
        const = np.where(np.isfinite(upper), (lower + upper) / 2, const * 10)
    return (x_adv, np.isfinite(best_l2)) if return_success else x_adv


def perturbation_norms(x: np.ndarray, x_adv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-example L-inf and L2 norms of ``x_adv - x`` (two float64 arrays ``(N,)``).

    Usage: ``linf, l2 = perturbation_norms(x, x_adv)``; ``np.median(l2)``.
    """
    delta = (np.asarray(x_adv, dtype=np.float64) - np.asarray(x, dtype=np.float64)).reshape(len(x), -1)
    return np.abs(delta).max(axis=1, initial=0.0), np.sqrt(np.sum(delta**2, axis=1))


def random_sign_noise(x: np.ndarray, eps: float, seed: int = 0) -> np.ndarray:
    """``clip(x + eps * s, 0, 1)`` with s uniformly +-1 per pixel: FGSM's norms, a random direction.

    Before clipping, the perturbation has the same L-inf norm (eps) and L2 norm (eps * sqrt(d)) as
    an FGSM step of size eps: lesson 09 compares the two (Charpentier's noisy pictures).
    Usage: ``x_noisy = random_sign_noise(x, eps=0.1, seed=0)``.
    """
    check(eps=eps)
    signs = 2 * np.random.default_rng(seed).integers(0, 2, size=np.shape(x), dtype=np.int8) - 1   # +-1
    return np.clip(np.asarray(x, dtype=np.float32) + eps * signs, 0.0, 1.0).astype(np.float32)


def robust_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray, attack: Callable, **kwargs) -> float:
    """Accuracy of ``model`` on ``attack(model, x, y, **kwargs)``; ``y`` are the true labels.

    Usage: ``robust_accuracy(model, x, y, pgd, eps=0.1, alpha=0.01, steps=40)``.
    """
    return accuracy(model, attack(model, x, y, **kwargs), y)


def accuracy_vs_eps(model: keras.Model, x: np.ndarray, y: np.ndarray, attack: Callable[..., np.ndarray],
                    eps_values: list[float], **kwargs) -> list[float]:
    """Robust accuracy at each eps in ``eps_values`` (a list, same order); eps = 0 is the clean accuracy.

    The attack is not called at eps = 0. Other keyword arguments go to the attack unchanged
    (for PGD, a fixed ``alpha`` that suits the largest eps).
    Usage: ``accs = accuracy_vs_eps(model, x, y, fgsm, [0.0, 0.05, 0.1])``.
    """
    return [accuracy(model, x, y) if eps == 0 else robust_accuracy(model, x, y, attack, eps=eps, **kwargs)
            for eps in eps_values]


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
    x, y = checked(model, x, y, max_radius=max_radius, bisection_steps=bisection_steps, steps=steps,
                   batch_size=batch_size)

    def fools(radius: np.ndarray) -> np.ndarray:
        x_adv = _pgd(model, x, y, radius, np.maximum(radius, 1e-12) / 5, steps, None, False, batch_size, norm="l2")[0]
        return forward(model, x_adv, "labels", batch_size=batch_size) != y

    lo, hi, wrong = np.zeros(len(x)), np.full(len(x), float(max_radius)), forward(model, x, "labels") != y
    reachable = fools(hi) | wrong
    for _ in progress(range(bisection_steps), desc="bisection on the PGD-L2 radius"):
        mid = (lo + hi) / 2
        fooled = fools(mid)
        hi, lo = np.where(fooled, mid, hi), np.where(fooled, lo, mid)
    return np.where(wrong, 0.0, np.where(reachable, hi, np.inf))


def fooling_images(model: keras.Model, targets: np.ndarray, image_shape: tuple[int, ...], confidence: float = 0.99,
                   steps: int = 100, alpha: float = 0.01, seed: int = 0, start: str = "noise",
                   batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Images the model assigns to ``targets`` with probability >= ``confidence``, grown from noise.

    Nguyen, Yosinski & Clune (2015), "Deep neural networks are easily fooled", evolve images, and
    also climb the gradient, to reach > 99 % confidence on unrecognisable images. Here:
    uniform noise in [0, 1] (``start="grey"``: 0.5 everywhere plus noise of +-0.05), then targeted
    PGD steps of size ``alpha`` on the cross-entropy of the target (:func:`pgd_graph`, the eps-ball
    being the whole box); an image stops moving once it reaches ``confidence``.
    Returns ``(images, p_target)``: float32 ``(N, *image_shape)`` and the target's probability.
    Usage: ``images, p = fooling_images(cnn, np.arange(10), (28, 28, 1), confidence=0.99)``.
    """
    if not (0 < confidence < 1 and start in ("noise", "grey") and np.ndim(targets) == 1 and len(targets)):
        raise ValueError(f"need 0 < confidence < 1, start 'noise' or 'grey' and targets 1-D, non-empty: got "
                         f"{confidence}, {start!r}, shape {np.shape(targets)}")
    rng, shape = np.random.default_rng(seed), (len(targets), *tuple(image_shape))
    x = rng.uniform(size=shape) if start == "noise" else 0.5 + rng.uniform(-0.05, 0.05, size=shape)
    x, targets = checked(model, x, targets, steps=steps, alpha=alpha, batch_size=batch_size)
    p = forward(model, x, batch_size=batch_size)[np.arange(len(x)), targets].astype(np.float64)
    for _ in progress(range(steps), desc="fooling images"):
        rows = np.flatnonzero(p < confidence)     # an image stops once it reaches confidence
        if len(rows) == 0:
            break
        x[rows] = _pgd(model, x[rows], targets[rows], 1.0, alpha, 1, None, True, batch_size)[0]
        p[rows] = forward(model, x[rows], batch_size=batch_size)[np.arange(len(rows)), targets[rows]]
    return x, p


SQUARE_SCHEDULE = (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000)   # Andriushchenko et al.: p halves at these


def square_attack(model: keras.Model, x: np.ndarray, y: np.ndarray, eps: float, queries: int = 1000,
                  p_init: float = 0.1, seed: int = 0, batch_size: int = 256) -> np.ndarray:
    """An L-inf random-search attack that uses no gradient, after Andriushchenko et al.'s (2020) Square Attack.

    Starts from vertical stripes of +-eps, then, at each of ``queries - 1`` iterations, redraws a
    random square (side ``sqrt(p * H * W)``, ``p`` halving on the paper's schedule) to +-eps per
    channel around the clean image, and keeps it for each image whose C&W :func:`margin` (on the
    logits) goes down; an image stops once misclassified. One forward pass per iteration, no
    gradient: a defence that only masks gradients does not stop it (lesson 10). Simplified: one
    square position per iteration for all images. Usage: ``x_adv = square_attack(robust, x, y, 0.1, queries=500)``.
    """
    x, y = checked(model, x, y, eps=eps, steps=queries, batch_size=batch_size)
    rng, (n, h, w, c) = np.random.default_rng(seed), x.shape

    def loss(images: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return margin(tf.constant(forward(model, images, "logits", batch_size=batch_size)), tf.constant(y[rows])).numpy()

    x_adv = np.clip(x + eps * rng.choice([-1.0, 1.0], size=(n, 1, w, c)), 0, 1).astype(np.float32)
    best = loss(x_adv, np.arange(n))
    for i in progress(range(1, int(queries)), desc="square attack (no gradient)"):
        rows = np.flatnonzero(best > 0)
        if len(rows) == 0:
            break
        side = max(1, round(float(np.sqrt(p_init / 2 ** np.searchsorted(SQUARE_SCHEDULE, i, "right") * h * w))))
        r, k = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        trial = x_adv[rows]
        square = x[rows, r:r + side, k:k + side] + eps * rng.choice([-1.0, 1.0], size=(len(rows), 1, 1, c))
        trial[:, r:r + side, k:k + side] = np.clip(square, 0, 1)
        new = loss(trial, rows)
        better = new < best[rows]
        x_adv[rows[better]], best[rows[better]] = trial[better], new[better]
    return x_adv
