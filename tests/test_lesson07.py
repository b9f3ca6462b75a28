"""Lesson 07 (data augmentation): the checkers pass their references, keep the checker contract, and
name the fault of each wrong implementation."""

from __future__ import annotations

import math

import numpy as np
from keras import layers

from course_utils import augmentation as aug
from course_utils.exercises import lesson07 as l7


def _shift(image, dx, dy):
    return l7.shift_image(image, dx, dy)


def _deck(fill_mode="nearest", **changes):
    """The reference layers with some replaced: changes maps a layer name to its replacement (None: drop)."""
    stack = []
    for layer in aug.deck_augmentation(fill_mode).layers:
        replacement = changes.get(layer.name, layer)
        if replacement is not None:
            stack.append(replacement)
    return stack


def _rot(angle):
    return np.array([[math.cos(angle), -math.sin(angle), 0], [math.sin(angle), math.cos(angle), 0], [0, 0, 1]])


def _about(m, cx, cy):
    return aug.translation_matrix(-cx, -cy) @ m @ aug.translation_matrix(cx, cy)


def _matrix(d, s, zx, zy, h, w, rotate=math.radians, centre=None, zoom=None, slope=math.sin, order=1):
    """A written-out augment_matrix with one part changed (the wrong versions below)."""
    r, sh = _rot(rotate(d)), aug.shear_matrix(0.0, slope(s))
    z = np.diag(zoom(zx, zy) if zoom else (zx, zy, 1.0))
    cx, cy = centre(h, w) if centre else ((w - 1) / 2, (h - 1) / 2)
    return _about(r @ sh @ z if order == 1 else z @ sh @ r, cx, cy)


WRONG = {
    "augment_matrix": (l7.check_augment_matrix, [
        (lambda d, s, zx, zy, h, w: _rot(math.radians(d)) @ aug.shear_matrix(0, math.sin(s)) @ np.diag([zx, zy, 1]),
         "about the origin"),
        (lambda *a: _matrix(*a, rotate=float), "gave degrees to cos and sin"),
        (lambda *a: _matrix(*a, rotate=lambda d: -math.radians(d)), "rotated the wrong way"),
        (lambda *a: _matrix(*a).T, "transposed"),
        (lambda *a: _matrix(*a, zoom=lambda zx, zy: (1 / zx, 1 / zy, 1)), "zoom inverted"),
        (lambda *a: _matrix(*a, centre=lambda h, w: (w / 2, h / 2)), "centre at (W / 2, H / 2)"),
        (lambda *a: _matrix(*a, centre=lambda h, w: ((h - 1) / 2, (w - 1) / 2)), "swapped the centre"),
        (lambda *a: _matrix(*a, order=-1), "wrong order"),
        (lambda *a: _matrix(*a, slope=float), "used the shear angle as the slope"),
        (lambda *a: np.eye(3), "wrong values"),
    ]),
    "shift_image": (l7.check_shift_image, [
        (lambda im, dx, dy: np.roll(im, (dy, dx), axis=(0, 1)), "wrapped around (np.roll)"),
        (lambda im, dx, dy: _shift(im, dy, dx), "swapped dx and dy"),
        (lambda im, dx, dy: _shift(im, -dx, -dy), "moved the wrong way"),
        (lambda im, dx, dy: _shift(im, -dx, dy), "wrong way horizontally"),
        (lambda im, dx, dy: im, "returned the image unchanged"),
        (lambda im, dx, dy: _shift(im, dx, dy)[1:], "wrong shape"),
    ]),
    "deck_augmentation": (l7.check_deck_augmentation, [
        (lambda f: _deck(f, rotation=layers.RandomRotation(40 / 180, fill_mode=f)), "a full turn is 360"),
        (lambda f: _deck(f, rotation=layers.RandomRotation(math.radians(40), fill_mode=f)), "in radians"),
        (lambda f: _deck(f, rotation=layers.RandomRotation((0, 40 / 360), fill_mode=f)), "one-sided range"),
        (lambda f: _deck(f, zoom=layers.RandomZoom((0, 0.2), (0, 0.2), fill_mode=f)), "RandomZoom(height_factor"),
        (lambda f: _deck(f, shift=layers.RandomTranslation((0, .2), (0, .2), fill_mode=f)), "one-sided range"),
        (lambda f: list(reversed(_deck(f))), "the text asks for Rescaling, RandomRotation"),
        (lambda f: _deck(f, shear=layers.RandomShear(y_factor=0.5, fill_mode=f)), "or sin(0.2 deg)"),
        (lambda f: _deck(f, shear=layers.RandomShear(x_factor=0.2, fill_mode=f)), "sheared along x"),
        (lambda f: _deck(f, rescale=layers.Rescaling(255)), "Rescaling(255)"),
        (lambda f: _deck(f, zoom=layers.RandomZoom(0.2, fill_mode=f)), "give width_factor too"),
        (lambda f: _deck(f, flip=None), "missing: RandomFlip"),
        (lambda f: _deck("reflect" if f == "nearest" else "nearest"), "fill_mode must be"),
        (lambda f: _deck(f, shift=layers.RandomTranslation(0.1, 0.1, fill_mode=f)), "both shift ranges are 0.2"),
        (lambda f: "layers", "return a keras.Sequential"),
    ]),
    "overfitting_gap": (l7.check_overfitting_gap, [
        (lambda h, n: np.mean(h["accuracy"][-n:]) - np.mean(h["val_accuracy"][-n:]), "used Keras' 'accuracy'"),
        (lambda h, n: np.mean(h["val_accuracy"][-n:]) - np.mean(h["clean_accuracy"][-n:]), "wrong sign"),
        (lambda h, n: h["clean_accuracy"][-1] - h["val_accuracy"][-1], "the last epoch only"),
        (lambda h, n: np.mean(h["clean_accuracy"]) - np.mean(h["val_accuracy"]), "averaged over every epoch"),
        (lambda h, n: np.mean(h["clean_accuracy"][-n - 1:-1]) - np.mean(h["val_accuracy"][-n - 1:-1]),
         "off by one"),
        (lambda h, n: [0.1, 0.2], "return one number"),
    ]),
}


def test_a_plain_list_of_the_right_layers_passes(capsys):
    assert l7.check_deck_augmentation(lambda f: list(aug.deck_augmentation(f).layers)).passed


def test_both_readings_of_the_shear_pass_and_are_named(capsys):
    degrees = lambda d, s, zx, zy, h, w: l7.augment_matrix(d, s, zx, zy, h, w, unit="degrees")
    assert l7.check_augment_matrix(degrees).passed
    assert "degrees, as keras.preprocessing reads" in capsys.readouterr().out
    assert l7.check_augment_matrix(l7.augment_matrix).passed
    assert "radians, as Keras 1 read" in capsys.readouterr().out
    slope = math.sin(math.radians(0.2))
    assert l7.check_deck_augmentation(lambda f: _deck(f, shear=layers.RandomShear(y_factor=slope, fill_mode=f))).passed
    assert "in degrees" in capsys.readouterr().out


def test_augment_matrix_agrees_with_the_keras_layers_and_scipy():
    photo = np.random.default_rng(0).uniform(size=(20, 31, 1)).astype("float32")
    for layer, params, matrix in [
            (layers.RandomRotation(0.2, fill_mode="constant"), {"degrees": 30}, l7.augment_matrix(30, 0, 1, 1, 20, 31)),
            (layers.RandomZoom(0.3, fill_mode="constant"), {"zoom_x": 1.2, "zoom_y": 0.9},
             l7.augment_matrix(0, 0, 1.2, 0.9, 20, 31))]:
        keras_out = aug.fixed_transform(layer, photo, **params)
        assert np.abs(keras_out - aug.scipy_warp(photo, matrix, "constant")).max() < 1e-4
    # the shear about the centre is Keras' shear about the corner moved by the centre: T(c) H T(-c)
    c = np.array([15.0, 9.5])
    sheared = l7.augment_matrix(0, 0.2, 1, 1, 20, 31)
    assert np.allclose(sheared[:2, :2], [[1, 0], [math.sin(0.2), 1]])
    assert np.allclose(sheared @ np.append(c, 1), np.append(c, 1))       # the centre stays put


def test_a_symmetric_pair_passes_the_deck_check():
    f = "nearest"
    pair = _deck(f, zoom=layers.RandomZoom((-0.2, 0.2), (-0.2, 0.2), fill_mode=f))
    assert l7.check_deck_augmentation(lambda mode: _deck(mode, zoom=layers.RandomZoom(
        (-0.2, 0.2), (-0.2, 0.2), fill_mode=mode))).passed
    assert len(pair) == 6
