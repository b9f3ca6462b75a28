"""Adversarial training: a Keras model whose ``train_step`` trains on attacks made in its graph, and a
callback that watches robustness at every epoch.

Lesson 10_adversarial_training derives these; ``tools/train_robust_cnn.py`` and
``tools/train_fgsm_mlp.py`` use them to make the shipped models. Training solves Madry et al.'s
(2018) saddle-point problem

    min_theta E_(x, y) [ max_{||delta||_inf <= eps} L(theta, x + delta, y) ]

by approximating the inner maximum, once per batch, with ``course_utils.attacks.pgd_graph`` (the
same PGD as lesson 09's attacks):

- ``"pgd"``: Madry et al. (2018), "Towards deep learning models resistant to adversarial attacks":
  a uniform random start in the eps-ball, then ``steps`` signed-gradient steps of size ``alpha``,
  each followed by the projection onto the eps-ball and onto [0, 1];
- ``"fgsm"``: Goodfellow, Shlens & Szegedy (2015), one step of size eps from the clean image;
- ``"fgsm_rs"``: Wong, Rice & Kolter (2020), "Fast is better than free": one step of size
  ``alpha = 1.25 eps`` from a uniform random start, then the projection.

Usage::

    from course_utils.adversarial_training import AdversarialTrainer
    trainer = AdversarialTrainer(build_fashion_cnn(), attack="pgd", eps=0.1, alpha=0.025, steps=10)
    trainer.compile(optimizer="adam")
    trainer.fit(x_train, y_train, batch_size=128, epochs=5)   # trainer.network is the trained model
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from course_utils import attacks
from course_utils.inference import accuracy
from course_utils.models import scores_model

ATTACKS = ("pgd", "fgsm", "fgsm_rs")
FGSM_RS_ALPHA = 1.25   # Wong et al. (2020): the FGSM-RS step is 1.25 eps
FGSM_COLLAPSE_FILE = "fgsm_collapse.history.json"   # tools/search_fgsm_collapse.py's runs (lesson 10)
COLLAPSE_FROM, COLLAPSE_TO, FGSM_JUMP = 0.25, 0.10, 0.10   # the definition of a collapse, below


def collapses(history: dict[str, list[float]], steps_per_epoch: int) -> bool:
    """Wong, Rice & Kolter's (2020) catastrophic overfitting in a record of ``step``, ``pgd``, ``fgsm`` accuracies.

    True when some measurement has PGD accuracy >= ``COLLAPSE_FROM`` and one at most ``steps_per_epoch``
    training steps later has PGD accuracy < ``COLLAPSE_TO`` while FGSM accuracy rose by >= ``FGSM_JUMP``.
    Usage (lesson 10): ``collapses({"step": [0, 50, 100], "pgd": [...], "fgsm": [...]}, 100)``.
    """
    steps, pgd, fgsm = (np.asarray(history[k], dtype=float) for k in ("step", "pgd", "fgsm"))
    for i in np.flatnonzero(pgd >= COLLAPSE_FROM):
        later = (steps > steps[i]) & (steps <= steps[i] + steps_per_epoch)
        if np.any(later & (pgd < COLLAPSE_TO) & (fgsm >= fgsm[i] + FGSM_JUMP)):
            return True
    return False


class AdversarialTrainer(keras.Model):
    """A ``keras.Model`` whose ``train_step`` trains ``network`` on adversarial batches (lesson 10).

    ``network`` is a classifier with a ``logits`` layer (the course's models); each step makes the
    attack on the batch with the current weights (:func:`course_utils.attacks.pgd_graph`, network in
    inference mode, so dropout does not blur the attack; Madry et al.), then takes one optimizer
    step on the cross-entropy of the logits of the adversarial batch. ``alpha`` defaults to
    ``2.5 * eps / steps`` for ``"pgd"`` (Madry et al.'s rule of thumb) and ``1.25 eps`` for
    ``"fgsm_rs"``; ``"fgsm"`` steps by eps. ``clean_weight`` in [0, 1] mixes in the clean loss
    (Goodfellow et al. 2015 use 0.5; Madry et al. 0). Metrics: ``loss`` and ``adv_accuracy`` on the
    training batches; :class:`RobustnessMonitor` measures held-out images.
    Usage: ``t = AdversarialTrainer(build_fashion_cnn(), "pgd", eps=0.1, alpha=0.02, steps=7);
    t.compile(optimizer="adam"); t.fit(x, y, epochs=5)``.
    """

    def __init__(self, network: keras.Model, attack: str = "pgd", eps: float = 0.1, alpha: float | None = None,
                 steps: int = 7, clean_weight: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if attack not in ATTACKS or not 0.0 <= clean_weight <= 1.0:
            raise ValueError(f"attack must be one of {ATTACKS} (got {attack!r}) and clean_weight in [0, 1] "
                             f"(got {clean_weight})")
        attacks.check(eps=eps, steps=steps, alpha=1.0 if alpha is None else alpha)
        self.steps = int(steps) if attack == "pgd" else 1
        default = {"pgd": 2.5 * eps / self.steps, "fgsm": eps, "fgsm_rs": FGSM_RS_ALPHA * eps}[attack]
        self.alpha = float(default if alpha is None or attack == "fgsm" else alpha)
        self.attack_name, self.eps, self.clean_weight = attack, float(eps), clean_weight
        self.network, self.scores = network, scores_model(network)
        self.start = attacks.random_start      # (x, eps) -> the random start; lesson 10's checker fixes it
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.adv_accuracy = keras.metrics.SparseCategoricalAccuracy(name="adv_accuracy")

    @property
    def metrics(self) -> list:
        return [self.loss_tracker, self.adv_accuracy]

    def call(self, x, training: bool = False):
        return self.network(x, training=training)

    def train_step(self, data):
        x, y = data[0], tf.cast(data[1], tf.int32)
        start = None if self.attack_name == "fgsm" else self.start(x, self.eps)   # FGSM: no random start
        x_adv = attacks.pgd_graph(self.scores, x, y, self.eps, self.alpha, self.steps, start)[0]   # inner maximisation
        with tf.GradientTape() as tape:                        # the outer minimisation
            loss = tf.reduce_mean(attacks.attack_loss(self.scores(x_adv, training=True), y))   # cross-entropy
            if self.clean_weight > 0:
                clean = tf.reduce_mean(attacks.attack_loss(self.scores(x, training=True), y))
                loss = self.clean_weight * clean + (1.0 - self.clean_weight) * loss
        weights = self.network.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        self.loss_tracker.update_state(loss)
        self.adv_accuracy.update_state(y, self.scores(x_adv, training=False))
        return {"loss": self.loss_tracker.result(), "adv_accuracy": self.adv_accuracy.result()}


class RobustnessMonitor(keras.callbacks.Callback):
    """A Keras callback measuring clean, FGSM and PGD accuracy of the trained network at every epoch end.

    It fills ``history`` (``clean``, ``fgsm``, ``pgd``: one value per epoch) and adds ``val_clean``,
    ``val_fgsm``, ``val_pgd`` to the epoch logs: how lesson 10 watches catastrophic overfitting
    (FGSM accuracy stays high while PGD accuracy collapses; Wong et al. 2020). Both attacks are
    :func:`course_utils.attacks.pgd_accuracy` with the true labels (FGSM: one step of eps, no
    random start); ``pgd_alpha`` defaults to ``2.5 * eps / pgd_steps``. A model compiled with
    ``run_eagerly=True`` (tiny runs) is watched eagerly too: no trace. Works with a trainer that
    holds its classifier as ``network`` (:class:`AdversarialTrainer`, lesson 10's exercise) or a plain
    classifier with a ``logits`` layer. Usage (lesson 10):
    ``mon = RobustnessMonitor(x_val, y_val, eps=0.1); trainer.fit(x, y, callbacks=[mon]); mon.history["pgd"]``.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, eps: float, pgd_steps: int = 10,
                 pgd_alpha: float | None = None, batch_size: int = 500) -> None:
        super().__init__()
        attacks.check(eps=eps, steps=pgd_steps)
        self.pgd_alpha = 2.5 * eps / pgd_steps if pgd_alpha is None else pgd_alpha
        self.x, self.y = attacks.checked(None, x, y, alpha=self.pgd_alpha, batch_size=batch_size)
        self.eps, self.pgd_steps, self.batch_size = float(eps), int(pgd_steps), int(batch_size)
        self.history: dict[str, list[float]] = {"clean": [], "fgsm": [], "pgd": []}

    def measure(self) -> dict[str, float]:
        """Clean, FGSM and PGD accuracy on the monitor's images now. Usage: ``mon.measure()["pgd"]``."""
        network = getattr(self.model, "network", self.model)   # a trainer (yours or the course's) or a classifier
        common = {"batch_size": self.batch_size, "compiled": not getattr(self.model, "run_eagerly", False)}
        fgsm = attacks.pgd_accuracy(network, self.x, self.y, self.eps, self.eps, 1, random_start=False, **common)
        pgd = attacks.pgd_accuracy(network, self.x, self.y, self.eps, self.pgd_alpha, self.pgd_steps, **common)
        return {"clean": accuracy(network, self.x, self.y, **common), "fgsm": fgsm, "pgd": pgd}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in self.measure().items():
            self.history[key].append(value)
            if logs is not None:
                logs[f"val_{key}"] = value
