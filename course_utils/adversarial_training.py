"""Adversarial training: in-graph attacks and a Keras model whose ``train_step`` trains on them.

Lesson 10_adversarial_training derives these; ``tools/train_robust_cnn.py`` uses them to make the
shipped robust CNN. Training solves Madry et al.'s (2018) saddle-point problem

    min_theta E_(x, y) [ max_{||delta||_inf <= eps} L(theta, x + delta, y) ]

by approximating the inner maximum with an attack made inside the training graph, once per batch:

- ``"pgd"``: Madry et al. (2018), "Towards deep learning models resistant to adversarial attacks":
  a uniform random start in the eps-ball, then ``steps`` signed-gradient steps of size ``alpha``,
  each followed by the projection onto the eps-ball and onto [0, 1];
- ``"fgsm"``: Goodfellow, Shlens & Szegedy (2015), one step of size eps from the clean image;
- ``"fgsm_rs"``: Wong, Rice & Kolter (2020), "Fast is better than free": one step of size
  ``alpha = 1.25 eps`` from a uniform random start, then the projection.

Images are float tensors ``(N, H, W, C)`` in [0, 1], labels integers ``(N,)``; the attacks ascend
the cross-entropy on the logits (``course_utils.models.logits_model``) of the true labels, or, for
evaluation, Carlini & Wagner's margin on the logits (:func:`pgd_accuracy`). The NumPy references of
lesson 10's exercises (:func:`linf_projection`, :func:`pgd_ascent_step`, :func:`fgsm_rs_step`) are
here too; the attacks the lessons measure with are in ``course_utils.attacks``.

Usage::

    from course_utils.adversarial_training import AdversarialTrainer
    trainer = AdversarialTrainer(build_fashion_cnn(), attack="pgd", eps=0.1, alpha=0.025, steps=10)
    trainer.compile(optimizer="adam")
    trainer.fit(x_train, y_train, batch_size=128, epochs=5)   # trainer.network is the trained model
"""

from __future__ import annotations

import functools
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from course_utils.models import logits_model

ATTACKS = ("pgd", "fgsm", "fgsm_rs")
FGSM_RS_ALPHA = 1.25   # Wong et al. (2020): the FGSM-RS step is 1.25 eps


def _check_budget(eps: float, alpha: float | None, steps: int) -> None:
    if not np.isfinite(eps) or eps < 0:
        raise ValueError(f"eps must be a finite number >= 0, got {eps}")
    if alpha is not None and (not np.isfinite(alpha) or alpha <= 0):
        raise ValueError(f"alpha must be a finite number > 0, got {alpha}")
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps}")


LOSSES = ("ce", "margin")


def attack_loss(logits: tf.Tensor, y: tf.Tensor, loss: str = "ce") -> tf.Tensor:
    """Per-example loss an untargeted attack ascends: ``"ce"`` (cross-entropy on the logits) or
    ``"margin"``, Carlini & Wagner's (2017) ``max_{i != y} Z_i - Z_y`` on the logits Z.

    The margin loss does not saturate when the true class is already far behind, which makes
    PGD with it a useful second opinion on robustness. Usage (lesson 10): ``attack_loss(z, y, "margin")``.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    y = tf.cast(y, tf.int32)
    if loss == "ce":
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
    is_label = tf.one_hot(y, tf.shape(logits)[-1]) > 0
    z_label = tf.reduce_max(tf.where(is_label, logits, -np.inf), axis=-1)
    return tf.reduce_max(tf.where(is_label, -np.inf, logits), axis=-1) - z_label


def input_gradient(scores: keras.Model, x: tf.Tensor, y: tf.Tensor, training: bool = False,
                   loss: str = "ce") -> tf.Tensor:
    """Gradient of the summed attack loss (:func:`attack_loss`) with respect to ``x`` (each example's own).

    ``scores`` maps images to logits. Usage (lesson 10): ``g = input_gradient(logits_model(m), x, y)``.
    """
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(attack_loss(scores(x, training=training), y, loss))
    return tape.gradient(total, x)


def project_linf(x0: tf.Tensor, x_adv: tf.Tensor, eps: float) -> tf.Tensor:
    """Projection onto the L-inf eps-ball around ``x0`` intersected with [0, 1] (a per-pixel clip).

    Usage (lesson 10): ``x_adv = project_linf(x, x_adv + alpha * tf.sign(g), eps)``.
    """
    return tf.clip_by_value(tf.clip_by_value(x_adv, x0 - eps, x0 + eps), 0.0, 1.0)


def random_start(x0: tf.Tensor, eps: float, seed: int | None = None) -> tf.Tensor:
    """A point drawn uniformly from the eps-ball around ``x0``, projected onto [0, 1].

    Usage (lesson 10): ``x_adv = random_start(x, eps=0.1)``.
    """
    noise = tf.random.uniform(tf.shape(x0), -eps, eps, dtype=x0.dtype, seed=seed)
    return tf.clip_by_value(x0 + noise, 0.0, 1.0)


def pgd_linf(scores: keras.Model, x: tf.Tensor, y: tf.Tensor, eps: float, alpha: float, steps: int,
             random_init: bool = True, training: bool = False, loss: str = "ce") -> tf.Tensor:
    """L-inf PGD made in the graph (Madry et al. 2018): random start, ``steps`` projected sign steps.

    Same maths as ``course_utils.attacks.pgd(norm="linf")`` (which works on numpy batches); this one
    runs inside a compiled ``train_step``. ``scores`` outputs logits; ``loss="margin"`` ascends
    the C&W margin instead of the cross-entropy.
    Usage (lesson 10): ``x_adv = pgd_linf(logits_model(m), x, y, eps=0.1, alpha=0.01, steps=40)``.
    """
    _check_budget(eps, alpha, steps)
    x0 = tf.convert_to_tensor(x, tf.float32)
    x_adv = random_start(x0, eps) if random_init else x0

    def step(i, x_adv):
        grad = input_gradient(scores, x_adv, y, training, loss)
        return i + 1, project_linf(x0, x_adv + alpha * tf.sign(grad), eps)

    # a loop in the graph, not unrolled: tracing costs the same for 5 steps or 100
    _, x_adv = tf.while_loop(lambda i, _: i < int(steps), step, (tf.constant(0), x_adv))
    return tf.stop_gradient(x_adv)


def fgsm_linf(scores: keras.Model, x: tf.Tensor, y: tf.Tensor, eps: float, training: bool = False) -> tf.Tensor:
    """FGSM made in the graph (Goodfellow et al. 2015): ``clip(x + eps * sign(grad_x L(x, y)), 0, 1)``.

    Usage (lesson 10): ``x_adv = fgsm_linf(logits_model(m), x, y, eps=0.1)``.
    """
    _check_budget(eps, None, 1)
    x0 = tf.convert_to_tensor(x, tf.float32)
    grad = input_gradient(scores, x0, y, training)
    return tf.stop_gradient(tf.clip_by_value(x0 + eps * tf.sign(grad), 0.0, 1.0))


def fgsm_rs_linf(scores: keras.Model, x: tf.Tensor, y: tf.Tensor, eps: float, alpha: float | None = None,
                 training: bool = False) -> tf.Tensor:
    """FGSM with a random start (Wong et al. 2020): uniform start in the ball, one step ``alpha``, project.

    ``alpha`` defaults to ``1.25 * eps``, the paper's choice.
    Usage (lesson 10): ``x_adv = fgsm_rs_linf(logits_model(m), x, y, eps=0.1)``.
    """
    alpha = FGSM_RS_ALPHA * eps if alpha is None else alpha
    return pgd_linf(scores, x, y, eps, alpha, steps=1, random_init=True, training=training)


def linf_projection(x0: np.ndarray, x_adv: np.ndarray, eps: float) -> np.ndarray:
    """NumPy reference of the PGD projection: onto the L-inf eps-ball around ``x0``, then onto [0, 1].

    Lesson 10 asks for it as an exercise; :func:`project_linf` is the same clip in the graph.
    Usage: ``x_adv = linf_projection(x, x + delta, eps=0.1)``.
    """
    x0 = np.asarray(x0, dtype=np.float64)
    return np.clip(np.clip(np.asarray(x_adv, dtype=np.float64), x0 - eps, x0 + eps), 0.0, 1.0)


def pgd_ascent_step(x0: np.ndarray, x_adv: np.ndarray, grad: np.ndarray, eps: float, alpha: float) -> np.ndarray:
    """NumPy reference of one step of PGD's inner maximisation (Madry et al. 2018, lesson 10).

    ``x_adv + alpha * sign(grad)`` (``grad`` is the loss gradient at ``x_adv``, ascended), then the
    projection onto the eps-ball around the clean ``x0`` and onto [0, 1].
    Usage: ``x_adv = pgd_ascent_step(x, x_adv, grad, eps=0.1, alpha=0.01)``.
    """
    return linf_projection(x0, np.asarray(x_adv, dtype=np.float64) + alpha * np.sign(grad), eps)


def fgsm_rs_step(x0: np.ndarray, delta0: np.ndarray, grad: np.ndarray, eps: float,
                 alpha: float | None = None) -> np.ndarray:
    """NumPy reference of FGSM with a random start (Wong et al. 2020, lesson 10).

    ``delta0`` is the random start, uniform in [-eps, eps]; ``grad`` the loss gradient at
    ``x0 + delta0``. Returns the projection of ``x0 + delta0 + alpha * sign(grad)`` onto the
    eps-ball around ``x0`` and onto [0, 1], with ``alpha = 1.25 eps`` by default.
    Usage: ``x_adv = fgsm_rs_step(x, rng.uniform(-eps, eps, x.shape), grad, eps=0.1)``.
    """
    alpha = FGSM_RS_ALPHA * eps if alpha is None else alpha
    return linf_projection(x0, np.asarray(x0, dtype=np.float64) + delta0 + alpha * np.sign(grad), eps)


def make_attack(attack: str, eps: float, alpha: float | None = None, steps: int = 1, training: bool = False):
    """The in-graph attack ``(scores, x, y) -> x_adv`` named ``attack`` (one of :data:`ATTACKS`).

    ``"pgd"`` needs ``alpha`` (default ``2.5 * eps / steps``, Madry et al.'s rule of thumb);
    ``"fgsm"`` ignores ``alpha`` and ``steps``; ``"fgsm_rs"`` uses ``alpha`` (default 1.25 eps).
    Usage (lesson 10): ``attack = make_attack("pgd", eps=0.1, alpha=0.02, steps=7)``.
    """
    if attack not in ATTACKS:
        raise ValueError(f"attack must be one of {ATTACKS}, got {attack!r}")
    _check_budget(eps, alpha, steps)
    if attack == "pgd":
        alpha = 2.5 * eps / steps if alpha is None else alpha
        _check_budget(eps, alpha, steps)
        return functools.partial(pgd_linf, eps=eps, alpha=alpha, steps=steps, training=training)
    if attack == "fgsm":
        _check_budget(eps, None, 1)
        return functools.partial(fgsm_linf, eps=eps, training=training)
    alpha = FGSM_RS_ALPHA * eps if alpha is None else alpha
    _check_budget(eps, alpha, 1)
    return functools.partial(fgsm_rs_linf, eps=eps, alpha=alpha, training=training)


class AdversarialTrainer(keras.Model):
    """A ``keras.Model`` whose ``train_step`` trains ``network`` on adversarial batches (lesson 10).

    ``network`` is a classifier with a ``logits`` layer (the course's models); each step makes the
    attack on the batch with the current weights (network in inference mode, so dropout does not
    blur the attack; Madry et al.), then takes one optimizer step on the cross-entropy of the
    logits of the adversarial batch. ``clean_weight`` in [0, 1] mixes in the clean loss
    (Goodfellow et al. 2015 use 0.5; Madry et al. 0). Metrics: ``loss`` and ``adv_accuracy`` on the
    training batches; ``clean_accuracy`` and ``adv_accuracy`` in ``evaluate``/validation.
    Usage: ``t = AdversarialTrainer(build_fashion_cnn(), "pgd", eps=0.1, alpha=0.02, steps=7);
    t.compile(optimizer="adam"); t.fit(x, y, epochs=5)``.
    """

    def __init__(self, network: keras.Model, attack: str = "pgd", eps: float = 0.1, alpha: float | None = None,
                 steps: int = 7, clean_weight: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= clean_weight <= 1.0:
            raise ValueError(f"clean_weight must be in [0, 1], got {clean_weight}")
        self.attack_fn = make_attack(attack, eps, alpha, steps)
        self.attack_name, self.eps, self.steps, self.clean_weight = attack, float(eps), int(steps), clean_weight
        self.network = network
        self.scores = logits_model(network)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.adv_accuracy = keras.metrics.SparseCategoricalAccuracy(name="adv_accuracy")
        self.clean_accuracy = keras.metrics.SparseCategoricalAccuracy(name="clean_accuracy")

    @property
    def metrics(self) -> list:
        return [self.loss_tracker, self.adv_accuracy, self.clean_accuracy]

    def call(self, x, training: bool = False):
        return self.network(x, training=training)

    @staticmethod
    def _loss(y, logits):
        y = tf.cast(y, tf.int32)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))

    def train_step(self, data):
        x, y = data[0], data[1]
        x_adv = self.attack_fn(self.scores, x, y)             # the inner maximisation
        with tf.GradientTape() as tape:                        # the outer minimisation
            loss = self._loss(y, self.scores(x_adv, training=True))
            if self.clean_weight > 0:
                clean = self._loss(y, self.scores(x, training=True))
                loss = self.clean_weight * clean + (1.0 - self.clean_weight) * loss
        weights = self.network.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        self.loss_tracker.update_state(loss)
        self.adv_accuracy.update_state(y, self.scores(x_adv, training=False))
        return {"loss": self.loss_tracker.result(), "adv_accuracy": self.adv_accuracy.result()}

    def test_step(self, data):
        x, y = data[0], data[1]
        x_adv = self.attack_fn(self.scores, x, y)
        logits_adv = self.scores(x_adv, training=False)
        self.loss_tracker.update_state(self._loss(y, logits_adv))
        self.adv_accuracy.update_state(y, logits_adv)
        self.clean_accuracy.update_state(y, self.scores(x, training=False))
        return {m.name: m.result() for m in self.metrics}


class RobustnessMonitor(keras.callbacks.Callback):
    """A Keras callback measuring clean, FGSM and PGD accuracy of the trained network at every epoch end.

    It fills ``history`` (``clean``, ``fgsm``, ``pgd``: one value per epoch) and adds ``val_clean``,
    ``val_fgsm``, ``val_pgd`` to the epoch logs: how lesson 10 watches catastrophic overfitting
    (FGSM accuracy stays high while PGD accuracy collapses; Wong et al. 2020). The attacks use the
    true labels; ``pgd_alpha`` defaults to ``2.5 * eps / pgd_steps``. Works with an
    :class:`AdversarialTrainer` or a plain classifier with a ``logits`` layer. Usage (lesson 10):
    ``mon = RobustnessMonitor(x_val, y_val, eps=0.1); trainer.fit(x, y, callbacks=[mon]); mon.history["pgd"]``.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, eps: float, pgd_steps: int = 10,
                 pgd_alpha: float | None = None, batch_size: int = 500) -> None:
        super().__init__()
        self.x = np.asarray(x, dtype=np.float32)
        self.y = np.asarray(y, dtype=np.int32)
        if self.x.ndim != 4 or self.y.ndim != 1 or len(self.x) != len(self.y):
            raise ValueError(f"x must be (N, H, W, C) and y (N,) with the same N, got {self.x.shape} and {self.y.shape}")
        self.eps, self.pgd_steps = float(eps), int(pgd_steps)
        self.pgd_alpha = 2.5 * eps / pgd_steps if pgd_alpha is None else pgd_alpha
        _check_budget(self.eps, self.pgd_alpha, pgd_steps)
        self.batch_size = int(batch_size)
        self.history: dict[str, list[float]] = {"clean": [], "fgsm": [], "pgd": []}
        self._fn = None

    def _compiled(self):
        scores = self.model.scores if isinstance(self.model, AdversarialTrainer) else logits_model(self.model)
        eps, alpha, steps = self.eps, self.pgd_alpha, self.pgd_steps

        def correct(xb, yb):
            hits = []
            for xa in (xb, fgsm_linf(scores, xb, yb, eps), pgd_linf(scores, xb, yb, eps, alpha, steps)):
                pred = tf.argmax(scores(xa, training=False), axis=-1, output_type=tf.int32)
                hits.append(tf.reduce_sum(tf.cast(pred == yb, tf.float32)))
            return tf.stack(hits)

        # a model compiled with run_eagerly=True (tiny runs) is watched eagerly too: no tracing
        return correct if getattr(self.model, "run_eagerly", False) else tf.function(correct)

    def measure(self) -> dict[str, float]:
        """Clean, FGSM and PGD accuracy on the monitor's images now. Usage: ``mon.measure()["pgd"]``."""
        self._fn = self._fn or self._compiled()
        total = np.zeros(3)
        for i in range(0, len(self.x), self.batch_size):
            total += self._fn(tf.constant(self.x[i:i + self.batch_size]),
                              tf.constant(self.y[i:i + self.batch_size])).numpy()
        return dict(zip(("clean", "fgsm", "pgd"), (float(v) for v in total / len(self.x))))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in self.measure().items():
            self.history[key].append(value)
            if logs is not None:
                logs[f"val_{key}"] = value


def pgd_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray, eps: float, alpha: float, steps: int,
                 restarts: int = 1, loss: str = "ce", batch_size: int = 500) -> float:
    """Accuracy under L-inf PGD with ``restarts`` random starts: an image counts as correct only if
    it resists every restart (the per-example worst case; Madry et al. 2018 evaluate this way).

    ``loss`` is ``"ce"`` or ``"margin"`` (C&W's margin on the logits). Images in [0, 1], true labels.
    Usage (lesson 10): ``pgd_accuracy(robust, x, y, eps=0.1, alpha=0.01, steps=100, restarts=5)``.
    """
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.int32)
    if x.ndim != 4 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"x must be (N, H, W, C) and y (N,) with the same N, got {x.shape} and {y.shape}")
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"x must lie in [0, 1], got values in [{x.min():.4g}, {x.max():.4g}]")
    _check_budget(eps, alpha, steps)
    if int(restarts) != restarts or restarts < 1:
        raise ValueError(f"restarts must be an integer >= 1, got {restarts}")
    attack_loss(tf.zeros((1, 2)), tf.zeros((1,)), loss)          # validates the name in one line
    scores = logits_model(model)

    @tf.function
    def correct(xb, yb):
        x_adv = pgd_linf(scores, xb, yb, eps, alpha, steps, random_init=True, loss=loss)
        return tf.argmax(scores(x_adv, training=False), axis=-1, output_type=tf.int32) == yb

    robust = np.ones(len(x), dtype=bool)
    for _ in range(int(restarts)):
        for i in range(0, len(x), batch_size):
            s = slice(i, i + batch_size)
            robust[s] &= correct(tf.constant(x[s]), tf.constant(y[s])).numpy()
    return float(robust.mean())
