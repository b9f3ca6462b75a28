"""Lesson 11's latent walk (course_utils.widgets.latent_walk): every control position draws or says
why not in one line, the walk's endpoints are the two seeds' latent vectors, the directions are
orthonormal. Driven through the real child widgets."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course_utils.gan import latent_vectors
from course_utils.widgets.latent_walk import latent_point, latent_walk_widget, walk_directions


@pytest.fixture(scope="module")
def generator():
    """A tiny generator, 4-d latent -> 28x28x1 in [-1, 1]."""
    z = keras.Input((4,))
    x = keras.layers.Dense(28 * 28, activation="tanh")(z)
    return keras.Model(z, keras.layers.Reshape((28, 28, 1))(x))


def _children(box):
    import ipywidgets as widgets

    flat = []
    for child in box.children:
        flat.extend(child.children if isinstance(child, widgets.HBox) else [child])
    return flat


def test_every_control_draws_and_the_classifier_is_named(generator):
    import ipywidgets as widgets

    classifier = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                   keras.layers.Dense(2, activation="softmax")])
    box = latent_walk_widget(generator, classifier, ["shirt", "shoe"], n_directions=2)
    kids = _children(box)
    sliders = [c for c in kids if isinstance(c, widgets.FloatSlider)]
    seeds = [c for c in kids if isinstance(c, widgets.BoundedIntText)]
    status = next(c for c in kids if isinstance(c, widgets.HTML))
    picture = next(c for c in kids if isinstance(c, widgets.Image))
    assert len(sliders) == 3 and len(seeds) == 2
    for control, value in [(sliders[0], 0.5), (sliders[0], 1.0), (sliders[1], -3.0), (sliders[2], 3.0),
                           (seeds[0], 5), (seeds[1], 5)]:
        picture.value = b""
        control.value = value
        assert picture.value[:4] == b"\x89PNG" and "the lesson 05 CNN sees: sh" in status.value, status.value


def test_a_non_generator_says_so_in_one_line():
    import ipywidgets as widgets

    box = latent_walk_widget(object())
    status = next(c for c in _children(box) if isinstance(c, widgets.HTML))
    assert status.value.startswith("<b>Could not use this generator") and "\n" not in status.value


def test_a_failing_generator_says_so_in_one_line(generator):
    import ipywidgets as widgets

    def broken(z, training=False):
        raise RuntimeError("out of memory\nsecond line")

    broken.input_shape = (None, 4)
    box = latent_walk_widget(broken)
    status = next(c for c in _children(box) if isinstance(c, widgets.HTML))
    assert "Could not draw this point (RuntimeError: out of memory)" in status.value


def test_walk_endpoints_and_directions():
    za, zb = latent_vectors(1, 6, 2)[0], latent_vectors(1, 6, 9)[0]
    np.testing.assert_allclose(latent_point(6, 2, 9, 0.0), za, atol=1e-6)
    np.testing.assert_allclose(latent_point(6, 2, 9, 1.0), zb, atol=1e-5)
    d = walk_directions(6, 3)
    np.testing.assert_allclose(d @ d.T, np.eye(3), atol=1e-6)
    np.testing.assert_allclose(latent_point(6, 2, 2, 0.3, [2.0, 0, 0], d), za + 2 * d[0], atol=1e-6)
    with pytest.raises(ValueError, match="t must be in"):
        latent_point(6, 0, 1, 1.5)
    with pytest.raises(ValueError, match="n_directions"):
        walk_directions(3, 5)
