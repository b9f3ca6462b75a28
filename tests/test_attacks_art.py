"""course_utils.attacks against the Adversarial Robustness Toolbox (ART 1.20, Nicolae et al. 2018), a
maintained library, on a small Keras convnet trained for a few seconds on scikit-learn's 8x8 digits.

ART wraps the model's logits sub-model in its ``TensorFlowV2Classifier`` with the cross-entropy on
logits and ``clip_values=(0, 1)``: its ``FastGradientMethod`` and ``ProjectedGradientDescent``
(``num_random_init=0``, so deterministic) must give the same images as ``fgsm`` and
``pgd(random_start=False)``, untargeted and targeted, in L-inf and in L2.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

from course_utils.attacks import fgsm, pgd
from course_utils.models import logits_model

with warnings.catch_warnings():  # ART warns that PyTorch is absent (its certification modules)
    warnings.simplefilter("ignore")
    from art.attacks.evasion import FastGradientMethod, ProjectedGradientDescent
    from art.estimators.classification import TensorFlowV2Classifier

ATOL = 1e-5  # float32 rounding; a sign flip would show as a difference of 2 * eps


@pytest.fixture(scope="module")
def setting(digits):
    """A small convnet (conv-relu-pool-dense, a "logits" layer), its ART wrapper, and 60 test digits."""
    keras.utils.set_random_seed(0)
    x, y = digits
    inputs = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    h = keras.layers.MaxPooling2D()(h)
    logits = keras.layers.Dense(10, name="logits")(keras.layers.Flatten()(h))
    model = keras.Model(inputs, keras.layers.Activation("softmax")(logits))
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(x[:1500], y[:1500], epochs=5, batch_size=100, verbose=0)
    classifier = TensorFlowV2Classifier(
        model=logits_model(model), nb_classes=10, input_shape=(8, 8, 1), clip_values=(0.0, 1.0),
        loss_object=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, classifier, x[1500:1560], y[1500:1560]


def test_the_model_learned_something(setting):
    model, _, x, y = setting
    assert np.mean(np.argmax(model.predict(x, verbose=0), axis=1) == y) > 0.7


@pytest.mark.parametrize("eps, targeted", [(0.05, False), (0.2, False), (0.1, True)])
def test_fgsm_matches_art_fast_gradient_method(setting, eps, targeted):
    model, classifier, x, y = setting
    labels = (y + 3) % 10 if targeted else y
    art = FastGradientMethod(classifier, norm=np.inf, eps=eps, targeted=targeted, batch_size=64)
    expected = art.generate(x, y=np.eye(10)[labels])
    mine = fgsm(model, x, labels, eps, targeted=targeted)
    assert np.abs(mine - x).max() == pytest.approx(eps, abs=ATOL)      # the attack did move pixels
    np.testing.assert_allclose(mine, expected, atol=ATOL)


@pytest.mark.parametrize("norm, eps, alpha, steps, targeted", [
    ("linf", 0.1, 0.02, 10, False),
    ("linf", 0.2, 0.05, 5, True),
    ("l2", 1.0, 0.25, 10, False),
    ("l2", 1.5, 0.3, 8, True),
])
def test_pgd_matches_art_projected_gradient_descent(setting, norm, eps, alpha, steps, targeted):
    model, classifier, x, y = setting
    labels = (y + 3) % 10 if targeted else y
    art = ProjectedGradientDescent(classifier, norm=np.inf if norm == "linf" else 2, eps=eps,
                                   eps_step=alpha, max_iter=steps, targeted=targeted,
                                   num_random_init=0, batch_size=64, verbose=False)
    expected = art.generate(x, y=np.eye(10)[labels])
    mine = pgd(model, x, labels, eps, alpha, steps, random_start=False, norm=norm, targeted=targeted)
    np.testing.assert_allclose(mine, expected, atol=ATOL)
    fooled = np.argmax(model.predict(mine, verbose=0), axis=1)
    hit = fooled == labels if targeted else fooled != labels
    assert hit.mean() > 0.3                                     # a real attack, not a no-op that agrees
