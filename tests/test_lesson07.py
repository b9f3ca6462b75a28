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


WRONG = {
    "rotation_factor": (l7.check_rotation_factor, [
        (lambda d: d, "returned the degrees unchanged"),
        (lambda d: math.radians(d), "returned radians"),
        (lambda d: d / 180, "divided by 180"),
        (lambda d: d / (2 * math.pi), "divided degrees by 2 pi"),
        (lambda d: d / 720, "halved"),
        (lambda d: [d / 360, d / 360], "expected ()"),
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
        (lambda f: _deck(f, shear=layers.RandomShear(y_factor=math.sin(math.radians(0.2)), fill_mode=f)),
         "shear read as 0.2 degrees"),
        (lambda f: _deck(f, shear=layers.RandomShear(x_factor=0.2, fill_mode=f)), "sheared along x"),
        (lambda f: _deck(f, rescale=layers.Rescaling(255)), "Rescaling(255)"),
        (lambda f: _deck(f, zoom=layers.RandomZoom(0.2, fill_mode=f)), "give width_factor too"),
        (lambda f: _deck(f, flip=None), "missing: RandomFlip"),
        (lambda f: _deck("reflect" if f == "nearest" else "nearest"), "fill_mode must be"),
        (lambda f: _deck(f, shift=layers.RandomTranslation(0.1, 0.1, fill_mode=f)), "both shift ranges are 0.2"),
        (lambda f: "layers", "return a keras.Sequential"),
    ]),
}


def test_a_plain_list_of_the_right_layers_passes(capsys):
    assert l7.check_deck_augmentation(lambda f: list(aug.deck_augmentation(f).layers)).passed
