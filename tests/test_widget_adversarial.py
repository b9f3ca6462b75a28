"""The eps slider and the photo upload of lesson 09 (course_utils.widgets.adversarial): every slider
position draws or says why not, the figure tells the truth about the prediction, bad uploads give one
line. Driven through the real child widgets."""

from __future__ import annotations

import io

import keras
import numpy as np
import pytest

from course_utils.attacks import fgsm


@pytest.fixture(scope="module")
def linear():
    """A 2-class linear model on 4x4x1 images whose FGSM flip is known: class 0 until eps is large."""
    inputs = keras.Input((4, 4, 1))
    logits = keras.layers.Dense(2, name="logits")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, keras.layers.Activation("softmax")(logits))
    w = np.zeros((16, 2), np.float32)
    w[:, 1] = 1.0                                   # z1 - z0 = sum(x) - 4: class 0 below grey 0.25
    model.get_layer("logits").set_weights([w, np.array([4.0, 0.0], np.float32)])
    return model


def test_slider_draws_at_every_position_and_reports_the_flip(linear):
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from course_utils.widgets.adversarial import eps_slider_widget

    x = np.full((4, 4, 1), 0.2, np.float32)          # sum 3.2 < 4: class 0; FGSM adds eps to all 16
    box = eps_slider_widget(linear, x, 0, ["zero", "one"], eps_max=0.1)
    slider = next(c for c in box.children if isinstance(c, widgets.FloatSlider))
    status = next(c for c in box.children if isinstance(c, widgets.HTML))
    picture = next(c for c in box.children if isinstance(c, widgets.Image))
    for eps, expected in [(0.0, "still zero"), (0.04, "still zero"), (0.06, "zero -> one"), (0.1, "zero -> one")]:
        picture.value = b""
        slider.value = eps
        assert expected in status.value and picture.value[:4] == b"\x89PNG", (eps, status.value)
    plt.close("all")


def test_slider_says_in_one_line_when_it_cannot(linear):
    import ipywidgets as widgets

    from course_utils.widgets.adversarial import eps_slider_widget

    box = eps_slider_widget(linear, np.zeros((5, 5, 1), np.float32), 0, ["zero", "one"])   # wrong size
    status = next(c for c in box.children if isinstance(c, widgets.HTML))
    assert status.value.startswith("<b>Could not compute the gradient") and "\n" not in status.value
    assert "takes images of shape (4, 4, 1)" in status.value


def test_fgsm_figure_agrees_with_the_library_fgsm():
    import matplotlib.pyplot as plt

    from course_utils.models import fashion_cnn
    from course_utils.widgets.adversarial import fgsm_figure, gradient_sign

    model = fashion_cnn()
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(28, 28, 1)).astype(np.float32)
    label = int(np.argmax(model(x[None])))
    direction = gradient_sign(model, x, label)
    np.testing.assert_allclose(np.clip(x + 0.05 * direction, 0, 1), fgsm(model, x[None], [label], 0.05)[0], atol=1e-6)
    fig, message = fgsm_figure(model, x, label, 0.05, [str(k) for k in range(10)], direction)
    assert len(fig.axes) == 5 and message.startswith("eps = 0.05 (12.8/255)")
    with pytest.raises(ValueError, match="eps must be in"):
        fgsm_figure(model, x, label, 2.0, [str(k) for k in range(10)], direction)
    plt.close("all")


def test_photo_upload_attacks_an_image_and_rejects_a_non_image():
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from PIL import Image
    from test_widgets import pick_file

    from course_utils.data import sample_photo
    from course_utils.pretrained import imagenet_model
    from course_utils.widgets.adversarial import photo_upload_widget

    box = photo_upload_widget(imagenet_model(include_preprocessing=True), eps=0.007)
    upload = next(c for c in box.children if isinstance(c, widgets.FileUpload))
    status = next(c for c in box.children if isinstance(c, widgets.HTML))
    picture = next(c for c in box.children if isinstance(c, widgets.Image))
    buffer = io.BytesIO()
    Image.fromarray(sample_photo("coffee")).save(buffer, format="JPEG")
    pick_file(upload, "coffee.jpg", buffer.getvalue())     # as ipywidgets 8 or Colab's 7.7.1 would
    assert "coffee.jpg: eps = 0.007" in status.value and "espresso" in status.value
    assert picture.value[:4] == b"\x89PNG"
    pick_file(upload, "notes.txt", b"not an image")
    assert "Could not attack 'notes.txt'" in status.value and picture.value == b""
    plt.close("all")
