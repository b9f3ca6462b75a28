"""Lesson 06 (transfer learning): the checkers pass their references, hand them over when undone, and
name the fault of each wrong implementation."""

from __future__ import annotations

import keras
import numpy as np

from course_utils import transfer
from course_utils.exercises import lesson06 as l06


def _head(base, k, dropout, *, freeze=True, inference=True, softmax=True, units=None, rate=None,
          drop=True, after=False):
    base.trainable = not freeze
    inputs = keras.Input(base.input_shape[1:])
    x = base(inputs, training=False) if inference else base(inputs)
    if drop and not after:
        x = keras.layers.Dropout(dropout if rate is None else rate)(x)
    x = keras.layers.Dense(units or k, activation="softmax" if softmax else None)(x)
    return keras.Model(inputs, keras.layers.Dropout(dropout)(x) if after else x)


def _head_extra_dense(base, k, dropout):
    base.trainable = False
    inputs = keras.Input(base.input_shape[1:])
    x = keras.layers.Dense(32, activation="relu")(base(inputs, training=False))
    return keras.Model(inputs, keras.layers.Dense(k, activation="softmax")(x))


def _cache(model, images, path, *, save=True, load=True, pickle=False, wrong=False):
    from pathlib import Path

    if load and Path(path).is_file():
        return np.load(path, allow_pickle=pickle)
    features = model.predict(images, verbose=0)
    if wrong:
        features = features[:, ::-1]
    if save:
        np.save(path, images if save == "images" else features)
    return features


def _second_stage(model, base, first, head_lr, *, bn=False, below=False, container=True, only_first=False,
                  compile=True, ratio=10.0, give=True):
    base.trainable = container
    names = [layer.name for layer in base.layers]
    cut = names.index(first)
    for i, layer in enumerate(base.layers):
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        on = (i == cut) if only_first else (i >= cut or below)
        layer.trainable = on and (bn or not is_bn)
    if compile:
        model.compile(optimizer=keras.optimizers.Adam(head_lr / ratio), loss="sparse_categorical_crossentropy")
    return model if give else None


WRONG = {
    "frozen_base_with_head": (l06.check_frozen_base_with_head, [
        (lambda b, k, d: _head(b, k, d, freeze=False), "freeze the base"),
        (lambda b, k, d: _head(b, k, d, softmax=False), "activation='softmax'"),
        (lambda b, k, d: _head(b, k, d, units=7), "one unit per class"),
        (_head_extra_dense, "expected"),
        (lambda b, k, d: b, "one unit per class"),
        (lambda b, k, d: _head(b, k, d, rate=0.2), "use the argument"),
        (lambda b, k, d: _head(b, k, d, drop=False), "no Dropout layer"),
        (lambda b, k, d: _head(b, k, d, after=True), "dropout goes before the Dense softmax"),
    ]),
    "extract_features": (l06.check_extract_features, [
        (lambda m, x, p: _cache(m, x, p, save=False), "no file at path"),
        (lambda m, x, p: _cache(m, x, p, load=False), "recomputed"),
        (lambda m, x, p: _cache(m, x, p, pickle=True), "allow_pickle=False"),
        (lambda m, x, p: _cache(m, x, p, wrong=True), "differ from model.predict"),
        (lambda m, x, p: _cache(m, x, p, save="images"), "does not hold the features"),
        (lambda m, x, p: m.predict(x, verbose=0)[0], "wrong shape"),
    ]),
    "start_fine_tuning": (l06.check_start_fine_tuning, [
        (lambda m, b, f, lr: _second_stage(m, b, f, lr, bn=True), "BatchNormalization layer is trainable"),
        (lambda m, b, f, lr: _second_stage(m, b, f, lr, below=True), "below"),
        (lambda m, b, f, lr: _second_stage(m, b, f, lr, container=False), "base itself is still frozen"),
        (lambda m, b, f, lr: _second_stage(m, b, f, lr, only_first=True), "should be trainable"),
        (lambda m, b, f, lr: _second_stage(m, b, f, lr, compile=False), "not recompiled"),
        (lambda m, b, f, lr: _second_stage(m, b, f, lr, ratio=1.0), "10 to 100 times lower"),
        (lambda m, b, f, lr: _second_stage(m, b, f, lr, ratio=1000.0), "10 to 100 times lower"),
        (lambda m, b, f, lr: _second_stage(m, b, f, lr, give=False), "returned None"),
    ]),
}


def test_a_correct_student_function_is_handed_on_not_the_probe():
    def mine(model, base, first, head_lr):
        return transfer.start_fine_tuning(model, base, first, head_lr, ratio=100)

    assert l06.check_start_fine_tuning(mine).use is mine


def test_a_head_without_training_false_passes():
    # in Keras 3 an outer training=True overrides it; the frozen BN layers are what holds
    assert l06.check_frozen_base_with_head(lambda b, k, d: _head(b, k, d, inference=False)).passed
