"""Small reference models the lessons share, with their shipped weights (verified by SHA-256).

Usage::

    from course_utils.models import fashion_cnn
    model = fashion_cnn()                 # trained on Fashion-MNIST, loads in about a second
    probs = model.predict(x_test[..., None] / 255.0, verbose=0)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from course_utils.config import repo_root

FASHION_CNN_FILE = "fashion_cnn.weights.h5"
FASHION_CNN_SHA256 = "12ee3ff6540e7a0c09f8c219a12a65afd4aa713e672cdf337942be59e578b60c"
# Test accuracy of the shipped weights on the 10,000 Fashion-MNIST test images
# (measured by tools/train_fashion_cnn.py when it wrote the file).
FASHION_CNN_TEST_ACCURACY = 0.9258
REGENERATE_HINT = "run `python tools/train_fashion_cnn.py` to regenerate it (or `git checkout data/`)"


class WeightsFileError(RuntimeError):
    """A shipped weights file is missing, corrupt or not the one this code expects."""


def weights_path(name: str = FASHION_CNN_FILE) -> Path:
    """Path of a file in the repository's ``data/`` folder. Usage: ``weights_path().exists()``."""
    return repo_root() / "data" / name


def sha256_of(path: str | Path) -> str:
    """SHA-256 of a file, hex. Usage: ``sha256_of("data/fashion_cnn.weights.h5")``."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_weights(path: str | Path, sha256: str = FASHION_CNN_SHA256) -> Path:
    """Raise :class:`WeightsFileError` (one line: the file and the fix) unless the hash matches.

    Usage: ``verify_weights(weights_path())``.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsFileError(f"{path} not found; {REGENERATE_HINT}")
    if sha256_of(path) != sha256:
        raise WeightsFileError(f"{path} is corrupt or from another version (SHA-256 mismatch); {REGENERATE_HINT}")
    return path


def preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 images ``(N, 28, 28)`` to float32 ``(N, 28, 28, 1)`` in [0, 1], the model's input.

    Usage: ``x = preprocess(x_test)``.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    return images / 255.0


def _conv_block(x, filters: int, name: str):
    from keras import layers

    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.ReLU(name=f"{name}_relu")(x)
    return layers.MaxPooling2D(name=f"{name}_pool")(x)


# The CPU-minded design of lesson 05 and its training recipe (tools/train_fashion_cnn.py).
FASHION_CNN_WIDTHS = (16, 32, 64)
FASHION_CNN_DENSE = 128
FASHION_CNN_RECIPE = {"epochs": 16, "batch_size": 128, "peak_lr": 4e-3, "warmup_fraction": 0.1,
                      "n_train": 55_000, "seed": 0}


def build_fashion_cnn(widths: tuple[int, ...] = FASHION_CNN_WIDTHS, dense: int = FASHION_CNN_DENSE,
                      dropout: float = 0.3):
    """The lesson 05 CNN, untrained: conv-BN-ReLU-pool blocks (``widths`` channels), then a small dense layer.

    The last Dense layer is named ``"logits"``; a softmax (``"probs"``) follows it, so
    ``keras.Model(m.input, m.get_layer("logits").output)`` gives the logits.
    Usage: ``model = build_fashion_cnn()``.
    """
    import keras
    from keras import layers

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
    """The lesson 05 Fashion-MNIST CNN; ``weights="shipped"`` loads ``data/fashion_cnn.weights.h5``.

    ``weights=None`` gives the untrained architecture; a path loads other weights (not verified).
    Usage: ``model = fashion_cnn()``; ``model.evaluate(preprocess(x_test), y_test)``.
    """
    import keras

    model = build_fashion_cnn()
    if weights == "shipped":
        model.load_weights(verify_weights(weights_path()))
    elif weights is not None:
        model.load_weights(str(weights))
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
    import keras

    names = {layer.name for layer in model.layers}
    if layer_name not in names:
        return model
    return keras.Model(model.inputs, model.get_layer(layer_name).output, name=f"{model.name}_logits")


def cosine_schedule(total_steps: int, peak_lr: float, warmup_fraction: float = 0.1):
    """Linear warm-up to ``peak_lr`` over the first steps, then cosine decay to 1 % of it.

    Usage: ``keras.optimizers.Adam(cosine_schedule(epochs * steps_per_epoch, 3e-3))``.
    """
    import keras

    warmup = max(1, int(total_steps * warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak_lr / 10, decay_steps=max(1, total_steps - warmup), alpha=0.01,
        warmup_target=peak_lr, warmup_steps=warmup)


def train_fashion_cnn(x_train: np.ndarray, y_train: np.ndarray, validation_data=None, epochs: int | None = None,
                      callbacks=(), verbose: int = 2):
    """Train a fresh :func:`build_fashion_cnn` with the lesson 05 recipe; returns ``(model, history)``.

    Recipe: Adam, cosine schedule with warm-up, batch 128, random horizontal flips,
    early stopping on the validation accuracy when validation data is given.
    Usage: ``model, history = train_fashion_cnn(preprocess(x), y, (preprocess(xv), yv))``.
    """
    import math

    import keras

    recipe = FASHION_CNN_RECIPE
    epochs = epochs or recipe["epochs"]
    model = build_fashion_cnn()
    trainer = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.RandomFlip("horizontal"), model])
    steps = epochs * math.ceil(len(x_train) / recipe["batch_size"])
    trainer.compile(optimizer=keras.optimizers.Adam(cosine_schedule(steps, recipe["peak_lr"], recipe["warmup_fraction"])),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = list(callbacks)
    if validation_data is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=3, restore_best_weights=True))
    history = trainer.fit(x_train, y_train, batch_size=recipe["batch_size"], epochs=epochs,
                          validation_data=validation_data, callbacks=callbacks, verbose=verbose)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, history
