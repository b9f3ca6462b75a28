"""Small reference models the lessons share, with their shipped weights (verified by SHA-256).

Usage::

    from course_utils.models import fashion_cnn
    model = fashion_cnn()                 # trained on Fashion-MNIST, loads in about a second
    probs = model.predict(x_test[..., None] / 255.0, verbose=0)
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers

from course_utils.manifest import load_weights, read_json

FASHION_CNN_FILE = "fashion_cnn.weights.h5"   # in course_utils/shipped/, hash in its manifest.json
FASHION_CNN_HISTORY_FILE = "fashion_cnn.history.json"   # its training history and lesson 05's comparison


def fashion_cnn_history() -> dict:
    """The shipped CNN's training record (verified by SHA-256), written by ``tools/train_fashion_cnn.py``.

    Keys: ``history`` (Keras' per-epoch ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``),
    ``epoch_seconds``, ``n_train``, ``seed``, ``test_accuracy`` and ``baselines`` (lesson 05's
    comparison models by name: ``parameters``, ``epochs``, ``n_train``, ``seconds_per_epoch``,
    ``test_accuracy``). Usage: ``training_curves(fashion_cnn_history()["history"])``.
    """
    return read_json(FASHION_CNN_HISTORY_FILE)


def preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 images ``(N, 28, 28)`` to float32 ``(N, 28, 28, 1)`` in [0, 1], the model's input.

    Usage: ``x = preprocess(x_test)``.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    return images / 255.0


def _conv_block(x, filters: int, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.ReLU(name=f"{name}_relu")(x)
    return layers.MaxPooling2D(name=f"{name}_pool")(x)


# The CPU-minded design of lesson 05 and its training recipe (tools/train_fashion_cnn.py).
FASHION_CNN_WIDTHS = (16, 32, 64)
FASHION_CNN_DENSE = 128
FASHION_CNN_RECIPE = {"epochs": 16, "batch_size": 128, "peak_lr": 4e-3, "warmup_fraction": 0.1,
                      "n_train": 55_000, "seed": 0}


# Lesson 05's comparison models: trained on the first n_train images with Adam's defaults.
FASHION_BASELINES_RECIPE = {"n_train": 20_000, "batch_size": 128,
                            "epochs": {"mlp": 10, "classic_convnet": 2}}


def build_mlp():
    """Lesson 05's MLP baseline (lesson 03's 256-128 network on the flattened image).

    Usage: ``build_mlp().count_params()  # 235,146``.
    """
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(),
                             layers.Dense(256, activation="relu"), layers.Dense(128, activation="relu"),
                             layers.Dense(10, activation="softmax")], name="mlp")


def build_classic_convnet():
    """The classic Keras MNIST example convnet (Conv32-Conv64-Pool-Dropout-Dense128), lesson 05's baseline.

    Usage: ``build_classic_convnet().count_params()  # 1,199,882``.
    """
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                             layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
                             layers.Dropout(0.25), layers.Flatten(), layers.Dense(128, activation="relu"),
                             layers.Dropout(0.5), layers.Dense(10, activation="softmax")],
                            name="classic_convnet")


def build_fashion_cnn(widths: tuple[int, ...] = FASHION_CNN_WIDTHS, dense: int = FASHION_CNN_DENSE,
                      dropout: float = 0.3):
    """The lesson 05 CNN, untrained: conv-BN-ReLU-pool blocks (``widths`` channels), then a small dense layer.

    The last Dense layer is named ``"logits"``; a softmax (``"probs"``) follows it, so
    ``keras.Model(m.input, m.get_layer("logits").output)`` gives the logits.
    Usage: ``model = build_fashion_cnn()``.
    """
    inputs = keras.Input((28, 28, 1), name="image")
    x = inputs
    for i, filters in enumerate(widths):      # 28x28 -> 14x14 -> 7x7 -> 3x3
        x = _conv_block(x, filters, f"block{i + 1}")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="dropout1")(x)
    x = layers.Dense(dense, use_bias=False, name="dense")(x)
    x = layers.BatchNormalization(name="dense_bn")(x)
    x = layers.ReLU(name="dense_relu")(x)
    x = layers.Dropout(dropout, name="dropout2")(x)
    x = layers.Dense(10, name="logits")(x)
    outputs = layers.Activation("softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="fashion_cnn")


def fashion_cnn(weights: str | Path | None = "shipped", compile: bool = True):
    """The lesson 05 Fashion-MNIST CNN; ``weights="shipped"`` loads ``shipped/fashion_cnn.weights.h5``.

    ``weights=None`` gives the untrained architecture; a path loads other weights (not verified).
    A missing or damaged shipped file raises ``manifest.WeightsFileError`` with one line.
    Usage: ``model = fashion_cnn()``; ``model.evaluate(preprocess(x_test), y_test)``.
    """
    return _loaded(build_fashion_cnn(), FASHION_CNN_FILE, weights, compile)


def _loaded(model: keras.Model, shipped_file: str, weights: str | Path | None, compile: bool) -> keras.Model:
    """``model`` with ``weights`` loaded (:func:`course_utils.manifest.load_weights`), compiled for evaluation."""
    load_weights(model, shipped_file, weights)
    if compile:
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def logits_model(model, layer_name: str = "logits"):
    """The same network up to its scores before the softmax (lessons 08-10 attack and explain these).

    If ``model`` has a layer called ``layer_name`` (the course's models do), the result outputs
    that layer; otherwise ``model`` is assumed to output logits already and is returned as is.
    Usage: ``scores = logits_model(fashion_cnn())(x)``.
    """
    names = {layer.name for layer in model.layers}
    if layer_name not in names:
        return model
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs   # called with a plain tensor
    return keras.Model(inputs, model.get_layer(layer_name).output, name=f"{model.name}_logits")


def scores_model(model):
    """:func:`logits_model` with a single input tensor (not a list), so that calling it on a tensor
    inside a ``tf.function`` is quiet; the attacks of lessons 09-10 differentiate it.

    Usage: ``logits = scores_model(fashion_cnn())(x, training=False)``.
    """
    scores = logits_model(model)
    if len(getattr(scores, "inputs", None) or ()) == 1:
        scores = keras.Model(scores.inputs[0], scores.outputs[0])
    return scores


# Lesson 10's robust CNN: the lesson 05 architecture trained by PGD adversarial training
# (Madry et al. 2018) at eps = 0.1 (L-inf), made by tools/train_robust_cnn.py.
ROBUST_FASHION_CNN_FILE = "robust_fashion_cnn.weights.h5"         # hash and accuracies in the manifest
ROBUST_FASHION_CNN_HISTORY_FILE = "robust_fashion_cnn.history.json"   # per-epoch training record
ROBUST_FASHION_CNN_RECIPE = {"eps": 0.1, "attack": "pgd", "steps": 5, "alpha": 0.05, "epochs": 7,
                             "batch_size": 128, "peak_lr": 3e-3, "warmup_fraction": 0.1, "dropout": 0.0,
                             "n_train": 55_000, "eval_steps": 40, "eval_alpha": 0.01}


def robust_fashion_cnn(weights: str | Path | None = "shipped", compile: bool = True):
    """Lesson 10's PGD-trained Fashion-MNIST CNN (eps = 0.1, L-inf): lesson 05's architecture.

    Same convention as :func:`fashion_cnn`: input ``(N, 28, 28, 1)`` in [0, 1], softmax output,
    a ``logits`` layer. ``weights="shipped"`` loads ``shipped/robust_fashion_cnn.weights.h5``
    after checking its SHA-256; ``None`` gives the untrained network; a path loads other weights.
    Its measured accuracies are in the manifest (``manifest.entry(ROBUST_FASHION_CNN_FILE)``).
    Usage: ``robust = robust_fashion_cnn()``; ``robust.evaluate(preprocess(x_test), y_test)``.
    """
    model = build_fashion_cnn(dropout=ROBUST_FASHION_CNN_RECIPE["dropout"])
    return _loaded(model, ROBUST_FASHION_CNN_FILE, weights, compile)


def robust_fashion_cnn_history() -> dict:
    """The robust CNN's training record (verified by SHA-256), written by ``tools/train_robust_cnn.py``.

    Keys: ``history`` (per epoch: ``loss`` and ``adv_accuracy`` on the training attack,
    ``val_clean``, ``val_fgsm``, ``val_pgd`` on held-out validation images), ``epoch_seconds``,
    ``seed``, ``recipe``, ``test`` (the kept seed's test accuracies) and ``seeds`` (every seed's).
    Usage: ``plt.plot(robust_fashion_cnn_history()["history"]["val_pgd"])``.
    """
    return read_json(ROBUST_FASHION_CNN_HISTORY_FILE)


# Lesson 09's label-leak demonstration (tools/train_fgsm_mlp.py): the MLP trained on FGSM examples
# made with the true labels, half clean and half adversarial loss (Goodfellow et al. 2015's mix).
FGSM_MLP_FILE = "fgsm_trained_mlp.weights.h5"       # hash and leak accuracies in the manifest
FGSM_MLP_RECIPE = {"eps": 0.25, "clean_weight": 0.5, "epochs": 4, "batch_size": 128, "n_train": 60_000,
                   "n_eval": 2_000, "pgd_steps": 20, "pgd_alpha": 0.025}


def build_mlp_with_logits():
    """Lesson 03's 256-128 MLP with a ``logits`` layer before the softmax, like the course's CNNs (lesson 09).

    Input ``(N, 28, 28, 1)`` in [0, 1]; not compiled. ``course_utils.attacks`` and
    ``AdversarialTrainer`` find the scores before the softmax through the ``logits`` layer.
    Usage: ``mlp = build_mlp_with_logits(); mlp.compile("adam", "sparse_categorical_crossentropy")``.
    """
    inputs = keras.Input((28, 28, 1))
    h = layers.Flatten()(inputs)
    for width in (256, 128):
        h = layers.Dense(width, activation="relu")(h)
    logits = layers.Dense(10, name="logits")(h)
    return keras.Model(inputs, layers.Activation("softmax")(logits), name="mlp_with_logits")


def fgsm_trained_mlp(weights: str | Path | None = "shipped", compile: bool = True):
    """Lesson 09's label-leaking MLP: :func:`build_mlp_with_logits` trained by FGSM with the true labels.

    ``weights="shipped"`` loads ``shipped/fgsm_trained_mlp.weights.h5`` after checking its SHA-256
    (made by ``tools/train_fgsm_mlp.py`` with ``FGSM_MLP_RECIPE``; its accuracies under FGSM with the
    true and the predicted labels, and under PGD, are in the manifest over 3 seeds); ``None`` gives
    the untrained network; a path loads other weights.
    Usage: ``leaky = fgsm_trained_mlp(); fgsm(leaky, x, y, 0.25)``.
    """
    return _loaded(build_mlp_with_logits(), FGSM_MLP_FILE, weights, compile)
