"""Lesson 12's latent-plane widget (course_utils.widgets.latent_plane): every slider position, the
limits included, draws the decoded image of the slider's point and names the nearby class; bad data
gives one line. Driven through the real child widgets."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def decoder():
    """A decoder whose image brightness is known: every pixel is sigmoid(z1)."""
    import keras

    from course_utils.vae import build_decoder

    model = build_decoder(2, hidden=(2,))
    w1 = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)         # relu(z1), relu(z2)
    first = model.get_layer("decoder_dense1")
    first.set_weights([w1, np.zeros(2, np.float32)])
    last = model.get_layer("pixel_logits")
    last.set_weights([np.zeros((2, 784), np.float32), np.zeros(784, np.float32)])
    assert isinstance(model, keras.Model)
    return model


def _points():
    # class 0 on the left half of the plane, class 1 on the right half
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.uniform([-3, -3], [-0.5, 3], (50, 2)), rng.uniform([0.5, -3], [3, 3], (50, 2))])
    return z, np.repeat([0, 1], 50)


def test_sliders_draw_at_every_position_including_the_limits(decoder):
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from course_utils.widgets.latent_plane import latent_plane_widget

    z, y = _points()
    box = latent_plane_widget(decoder, z, y, ["left", "right"], limit=3.0)
    z1, z2 = box.children[0].children
    status = next(c for c in box.children if isinstance(c, widgets.HTML))
    picture = next(c for c in box.children if isinstance(c, widgets.Image))
    for a, b, expected in [(-3.0, -3.0, "mostly left"), (3.0, 3.0, "mostly right"), (-3.0, 3.0, "mostly left"),
                           (2.0, -3.0, "mostly right")]:
        picture.value = b""
        z1.value, z2.value = a, b
        assert expected in status.value and picture.value[:4] == b"\x89PNG", (a, b, status.value)
        assert f"z = ({a:.2f}, {b:.2f})" in status.value
    z1.value = 10.0                       # beyond the limit: the slider clamps it, the figure still draws
    assert z1.value == 3.0 and picture.value[:4] == b"\x89PNG"
    plt.close("all")


def test_figure_shows_the_decoded_image_of_z():
    import matplotlib.pyplot as plt

    from course_utils.vae import build_decoder, decode
    from course_utils.widgets.latent_plane import latent_plane_figure

    model = build_decoder(2, hidden=(4,))
    z, y = _points()
    fig, message = latent_plane_figure(model, (1.0, -0.5), z, y, ["left", "right"])
    shown = fig.axes[1].images[0].get_array()
    np.testing.assert_allclose(shown, decode(model, [[1.0, -0.5]])[0, ..., 0], atol=1e-6)
    assert message.startswith("z = (1.00, -0.50)") and "mostly right" in message
    with pytest.raises(ValueError, match="two finite numbers"):
        latent_plane_figure(model, (np.nan, 0.0), z, y, ["left", "right"])
    plt.close("all")


def test_bad_data_gives_one_line_in_the_status(decoder):
    import ipywidgets as widgets

    from course_utils.widgets.latent_plane import latent_plane_widget

    z, y = _points()
    for points, labels, expected in [(z[:, :1], y, "shape (N, 2)"), (z, y[:10], "one class per point"),
                                     (z, y + 5, "labels must be in 0..1")]:
        box = latent_plane_widget(decoder, points, labels, ["left", "right"])
        status = next(c for c in box.children if isinstance(c, widgets.HTML))
        assert status.value.startswith("<b>Could not draw") and expected in status.value, status.value
        assert "\n" not in status.value


def test_class_colours_are_distinct_and_readable():
    from skimage.color import deltaE_ciede2000, rgb2lab

    from course_utils.widgets.latent_plane import class_colours

    colours = np.array(class_colours(10))
    assert colours.shape == (10, 3) and colours.min() >= 0 and colours.max() <= 1
    lab = rgb2lab(colours[None])[0]
    gaps = [deltaE_ciede2000(lab[i], lab[j]) for i in range(10) for j in range(i + 1, 10)]
    assert min(gaps) > 15                          # every pair clearly different
    assert np.all(lab[:, 0] < 80)                  # none vanishes on a white background
    with pytest.raises(ValueError, match="from 1 to 40"):
        class_colours(0)
