"""Lesson 10 (adversarial training): the WRONG table of faults the train_step checker must name (run by
tests/test_checker_contract.py, which also passes the reference), each wrong version written as a
student's ``keras.Model`` subclass; a correct class written otherwise passes; the reference trainer
uses the injected start."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from course_utils import attacks
from course_utils.adversarial_training import AdversarialTrainer
from course_utils.exercises import lesson10 as l10
from course_utils.models import scores_model


class StudentTrainer(keras.Model):
    """The lesson's skeleton with a correct train_step; the subclasses below each change one thing."""

    labels, inputs, start_used, reduce, training, steps_used, apply = "true", "adv", True, "mean", True, None, True

    def __init__(self, network, eps, alpha, steps):
        super().__init__()
        self.network, self.scores = network, scores_model(network)
        self.eps, self.alpha, self.steps = eps, alpha, steps
        self.start = attacks.random_start

    def call(self, x, training=False):
        return self.network(x, training=training)

    def train_step(self, data):
        x, y = data
        attacked = tf.argmax(self.scores(x), axis=1, output_type=tf.int32) if self.labels == "predicted" else y
        start = self.start(x, self.eps) if self.start_used else None
        steps, alpha = (self.steps, self.alpha) if self.steps_used is None else (1, self.eps)
        x_adv = tf.stop_gradient(attacks.pgd_graph(self.scores, x, attacked, self.eps, alpha, steps, start)[0])
        with tf.GradientTape() as tape:
            per_example = attacks.attack_loss(self.scores(x_adv if self.inputs == "adv" else x,
                                                          training=self.training), y)
            loss = tf.reduce_mean(per_example) if self.reduce == "mean" else tf.reduce_sum(per_example)
        if self.apply:
            weights = self.network.trainable_variables
            self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return {"loss": loss}


class CleanInputs(StudentTrainer):
    inputs = "clean"


class PredictedLabels(StudentTrainer):
    labels = "predicted"


class NoRandomStart(StudentTrainer):
    start_used = False


class SummedLoss(StudentTrainer):
    reduce = "sum"


class InferenceModeLoss(StudentTrainer):
    training = False


class NoOptimizerStep(StudentTrainer):
    apply = False


class OneFGSMStep(StudentTrainer):
    steps_used = 1


class OwnRandomStart(StudentTrainer):
    """Draws its own random start instead of ``self.start``: the checker cannot fix it."""

    def train_step(self, data):
        self.start = attacks.random_start
        return super().train_step(data)


WRONG = {
    "adversarial_train_step": (l10.check_adversarial_train_step, [
        (CleanInputs, "trained on the clean batch"),
        (PredictedLabels, "attacked the predicted labels"),
        (NoRandomStart, "no random start"),
        (SummedLoss, "summed the loss"),
        (InferenceModeLoss, "inference mode"),
        (NoOptimizerStep, "did not move"),
        (OneFGSMStep, "one FGSM step"),
        (OwnRandomStart, "wrong weights"),
    ]),
}


class AttackInsideTheTape(StudentTrainer):
    """The attack computed inside the tape, without stop_gradient: the same step, since the signed
    steps of L-inf PGD pass no gradient back to the weights (tf.sign's gradient is zero)."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            x_adv = attacks.pgd_graph(self.scores, x, y, self.eps, self.alpha, self.steps, self.start(x, self.eps))[0]
            loss = tf.reduce_mean(attacks.attack_loss(self.scores(x_adv, training=True), y))
        weights = self.network.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return {"loss": loss}


def test_a_correct_student_class_passes_and_is_handed_on(capsys):
    for cls in (StudentTrainer, AttackInsideTheTape):
        result = l10.check_adversarial_train_step(cls)
        assert result.passed and result.use is cls
    assert "WRONG" not in capsys.readouterr().out


def test_the_reference_uses_the_injected_start():
    """AdversarialTrainer draws its start through ``self.start``: replacing it changes the step."""
    network = l10._network(seed=1)
    x = np.random.default_rng(0).uniform(size=(4, 6, 6, 1)).astype("float32")
    y = np.arange(4, dtype="int32")
    steps = []
    for shift in (0.05, -0.05):
        trainer = AdversarialTrainer(l10._network(network.get_weights()), "pgd", eps=0.1, alpha=0.02, steps=2)
        trainer.start = lambda images, _eps, s=shift: images + s
        trainer.compile(optimizer=keras.optimizers.SGD(0.5))
        trainer.train_step((tf.constant(x), tf.constant(y)))
        steps.append(np.concatenate([w.ravel() for w in trainer.network.get_weights()]))
    assert not np.allclose(steps[0], steps[1])
