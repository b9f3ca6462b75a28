"""Lesson 06 (transfer learning): the checkers pass their references, hand them over when undone, and
name the fault of each wrong implementation."""

from __future__ import annotations

import keras
import numpy as np

from course_utils import transfer
from course_utils.exercises import lesson06 as l06


def _head(base, k, dropout, *, freeze=True, inference=True, softmax=True, units=None):
    base.trainable = not freeze
    inputs = keras.Input(base.input_shape[1:])
    x = base(inputs, training=False) if inference else base(inputs)
    x = keras.layers.Dropout(dropout)(x)
    return keras.Model(inputs, keras.layers.Dense(units or k, activation="softmax" if softmax else None)(x))


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


def _unfreeze(model, first, *, bn=False, below=False, container=True, only_first=False):
    model.trainable = container
    names = [layer.name for layer in model.layers]
    cut = names.index(first)
    for i, layer in enumerate(model.layers):
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        on = (i == cut) if only_first else (i >= cut or below)
        layer.trainable = on and (bn or not is_bn)
    return model


WRONG = {
    "frozen_base_with_head": (l06.check_frozen_base_with_head, [
        (lambda b, k, d: _head(b, k, d, freeze=False), "freeze the base"),
        (lambda b, k, d: _head(b, k, d, softmax=False), "activation='softmax'"),
        (lambda b, k, d: _head(b, k, d, units=7), "one unit per class"),
        (_head_extra_dense, "expected"),
        (lambda b, k, d: b, "one unit per class"),
    ]),
    "extract_features": (l06.check_extract_features, [
        (lambda m, x, p: _cache(m, x, p, save=False), "no file at path"),
        (lambda m, x, p: _cache(m, x, p, load=False), "recomputed"),
        (lambda m, x, p: _cache(m, x, p, pickle=True), "allow_pickle=False"),
        (lambda m, x, p: _cache(m, x, p, wrong=True), "differ from model.predict"),
        (lambda m, x, p: _cache(m, x, p, save="images"), "does not hold the features"),
        (lambda m, x, p: m.predict(x, verbose=0)[0], "wrong shape"),
    ]),
    "unfreeze_top": (l06.check_unfreeze_top, [
        (lambda m, f: _unfreeze(m, f, bn=True), "BatchNormalization layer is trainable"),
        (lambda m, f: _unfreeze(m, f, below=True), "below"),
        (lambda m, f: _unfreeze(m, f, container=False), "model itself is still frozen"),
        (lambda m, f: _unfreeze(m, f, only_first=True), "should be trainable"),
    ]),
}


def test_a_correct_student_function_is_handed_on_not_the_probe():
    def mine(model, first):
        return transfer.unfreeze_top(model, first)

    assert l06.check_unfreeze_top(mine).use is mine
