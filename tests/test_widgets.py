"""The widget demos (course_utils/widgets/): any slider position draws or says in one line why not."""

import numpy as np
import pytest


# ----------------------------------------------------------------------------- perceptron
def test_boundary_segment_cases():
    from course_utils.widgets.perceptron import boundary_segment

    seg = boundary_segment(1, -1, 10, (0, 20), (0, 40))
    assert seg is not None and np.allclose(seg[:, 0] - seg[:, 1] + 10, 0)
    assert boundary_segment(0, 0, 5, (0, 1), (0, 1)) is None            # no line at all
    assert boundary_segment(0, 1, -100, (0, 1), (0, 1)) is None         # outside the box
    vertical = boundary_segment(2, 0, -2, (0, 5), (0, 5))                # x1 = 1
    assert vertical is not None and np.allclose(vertical[:, 0], 1)


def test_perceptron_widget_survives_the_slider_limits():
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from course_utils.widgets.perceptron import perceptron_boundary_widget

    box = perceptron_boundary_widget()     # driven through its real children, as a user would
    s = {c.description: c for c in box.children if isinstance(c, widgets.FloatSlider)}
    status = next(c for c in box.children if isinstance(c, widgets.HTML))
    assert set(s) == {"w1", "w2", "b"}
    assert "Accuracy 100%" in status.value                  # Cherubini's line separates the demo data
    s["w1"].value, s["w2"].value = 0.0, 0.0
    assert "No boundary" in status.value and "w1 = w2 = 0" in status.value
    for w1, w2, b in [(s["w1"].min, s["w2"].max, s["b"].min), (s["w1"].max, 0.0, s["b"].max),
                      (0.0, s["w2"].min, 0.0), (s["w1"].min, s["w1"].min, s["b"].max)]:
        s["w1"].value, s["w2"].value, s["b"].value = w1, w2, b
        assert status.value and "Could not draw" not in status.value
    plt.close("all")


def test_a_drawing_that_fails_shows_one_line_not_a_traceback(monkeypatch):
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from course_utils.widgets import perceptron

    def broken(*_args):
        raise ValueError("no points to draw\nsecond line")
    monkeypatch.setattr(perceptron, "draw_perceptron", broken)
    box = perceptron.perceptron_boundary_widget()
    status = next(c for c in box.children if isinstance(c, widgets.HTML))
    assert status.value == "<b>Could not draw this setting (ValueError: no points to draw).</b>"
    plt.close("all")


# ----------------------------------------------------------------------------- conv explorer
@pytest.mark.parametrize("k, stride, padding, dilation", [(1, 1, "valid", 1), (9, 4, "valid", 6), (9, 4, "same", 6),
                                                          (9, 1, "4", 6), (3, 3, "same", 1), (5, 2, "2", 2)])
def test_show_conv_survives_every_slider_limit(k, stride, padding, dilation):
    import matplotlib.pyplot as plt

    from course_utils.widgets.conv_explorer import show_conv

    fig = show_conv(np.random.default_rng(0).random((28, 28)), "edge", k, stride, padding, dilation)
    plt.close(fig)


def test_impossible_setting_gives_a_clear_message():
    from course_utils.widgets.conv_explorer import conv_summary, make_kernel

    ok, text = conv_summary(28, 28, 9, 1, "valid", 6)
    assert not ok and "padded input" in text
    for name in ("edge", "box", "gauss", "sharpen"):
        for k in (1, 2, 9):
            assert make_kernel(name, k).shape == (k, k)
    # the 3x3 values (golden, from the code as written for lesson 04): blurs and sharpen keep the
    # mean brightness (sum 1), the edge kernel answers only to horizontal change (sum 0, odd in x)
    np.testing.assert_allclose(make_kernel("box", 3), np.full((3, 3), 1 / 9))
    np.testing.assert_allclose(make_kernel("gauss", 3), [[0.0509, 0.12381, 0.0509], [0.12381, 0.301159, 0.12381],
                                                         [0.0509, 0.12381, 0.0509]], atol=1e-5)
    np.testing.assert_allclose(make_kernel("edge", 3), [[-0.22561, 0, 0.22561], [-0.54878, 0, 0.54878],
                                                        [-0.22561, 0, 0.22561]], atol=1e-5)
    sharpen = np.full((3, 3), -1 / 9)
    sharpen[1, 1] = 2 - 1 / 9
    np.testing.assert_allclose(make_kernel("sharpen", 3), sharpen)


def test_conv_explorer_survives_its_limits():
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from course_utils.widgets.conv_explorer import conv_explorer

    demo = conv_explorer(np.zeros((28, 28)))
    controls = {c.description: c for c in demo.children if isinstance(c, (widgets.IntSlider, widgets.Dropdown))}
    assert {"kernel", "kernel k", "stride s", "padding", "dilation d"} <= set(controls)
    for name in ("kernel k", "stride s", "dilation d"):        # every slider pushed to its limit
        controls[name].value = controls[name].max
    controls["padding"].value = "same"
    plt.close("all")


# ----------------------------------------------------------------------------- explanation maps (lesson 08)
def test_explain_maps_widget_draws_every_choice_or_says_why_not():
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from course_utils.pretrained import imagenet_model
    from course_utils.widgets.explain_maps import explain_maps_widget

    model = imagenet_model()
    box = explain_maps_widget(model, photos=["chelsea", "coffee", "no_such_photo"], patch=112, stride=112)
    photo, klass = (c for c in box.children if isinstance(c, widgets.Dropdown))
    status = next(c for c in box.children if isinstance(c, widgets.HTML))
    picture = next(c for c in box.children if isinstance(c, widgets.Image))
    assert len(klass.options) == 5 and "cat" in klass.options[0][0]        # the cat's top-5
    assert status.value and "Could not" not in status.value and picture.value[:4] == b"\x89PNG"
    photo.value = "coffee"
    assert "espresso" in klass.options[0][0] and "Could not" not in status.value
    for _label, index in klass.options[1:3]:                                # other classes of its top-5
        picture.value = b""
        klass.value = index
        assert status.value and "Could not" not in status.value and picture.value[:4] == b"\x89PNG"
    photo.value = "no_such_photo"                                            # one line, no traceback
    assert "Could not load 'no_such_photo'" in status.value and picture.value == b""
    klass.value = klass.options[0][1]
    assert "Pick a photo first" in status.value
    plt.close("all")


def test_show_maps_says_when_a_map_is_empty():
    import keras
    import matplotlib.pyplot as plt

    from course_utils.widgets.explain_maps import show_maps

    inputs = keras.Input((224, 224, 3))
    x = keras.layers.Conv2D(2, 32, strides=32, name="features")(inputs)     # a 7x7 grid
    x = keras.layers.Dense(3, name="logits", kernel_initializer="zeros")(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, keras.layers.Softmax()(x))                  # every score constant
    fig, message = show_maps(model, np.zeros((224, 224, 3), "float32"), 1, patch=112, stride=112)
    assert "zero everywhere" in message and len(fig.axes) >= 4
    plt.close("all")


# ----------------------------------------------------------------------------- photo upload (lesson 09)
# ipywidgets 8 (the lock) and 7.7.1 (Colab's) hold an upload differently; `make test` runs these tests
# under 8, `make test-colab` under 7.7.1, each pressing the real widget as its browser side does.
V8_VALUE = ({"name": "a.png", "type": "image/png", "size": 3, "content": memoryview(b"abc")},
            {"name": "b.jpg", "type": "image/jpeg", "size": 1, "content": memoryview(b"d")})
V7_VALUE = {"a.png": {"metadata": {"name": "a.png", "type": "image/png", "size": 3}, "content": b"abc"},
            "b.jpg": {"metadata": {"name": "b.jpg", "type": "image/jpeg", "size": 1}, "content": b"d"}}


@pytest.mark.parametrize("value", [V8_VALUE, V7_VALUE], ids=["ipywidgets8", "ipywidgets7"])
def test_uploaded_files_reads_both_ipywidgets_formats(value):
    from course_utils.widgets.adversarial import uploaded_files

    assert uploaded_files(value) == [("a.png", b"abc"), ("b.jpg", b"d")]
    assert uploaded_files(type(value)()) == []


def pick_file(upload, name: str, content: bytes) -> None:
    """What the browser sends when a file is picked: 8.x sets ``value``; 7.x sends ``metadata``, ``data``
    and a new ``_counter`` (read_only ``value`` follows from them)."""
    import datetime

    import ipywidgets as widgets

    if int(widgets.__version__.split(".")[0]) >= 8:
        upload.value = ({"name": name, "type": "image/jpeg", "size": len(content), "content": memoryview(content),
                         "last_modified": datetime.datetime(2026, 1, 1)},)
    else:
        count = upload.get_state()["_counter"] + 1
        upload.set_state({"metadata": [{"name": name, "type": "image/jpeg", "size": len(content),
                                        "lastModified": 0}], "data": [memoryview(content)], "_counter": count})


def test_photo_upload_callback_runs_under_the_installed_ipywidgets():
    import io

    import ipywidgets as widgets
    import keras
    import matplotlib.pyplot as plt
    from PIL import Image

    from course_utils.widgets.adversarial import photo_upload_widget

    inputs = keras.Input((224, 224, 3))      # an ImageNet-shaped stand-in: 1,000 classes, [0, 1] RGB input
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1000, activation="softmax", name="scores")(pooled))
    box = photo_upload_widget(model, eps=0.01)
    upload = next(c for c in box.children if isinstance(c, widgets.FileUpload))
    status = next(c for c in box.children if isinstance(c, widgets.HTML))
    picture = next(c for c in box.children if isinstance(c, widgets.Image))
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 48, 3), dtype=np.uint8)).save(buffer, "JPEG")
    pick_file(upload, "noise.jpg", buffer.getvalue())
    assert status.value.startswith("<b>noise.jpg: eps = 0.01"), (widgets.__version__, status.value)
    assert picture.value[:4] == b"\x89PNG"
    pick_file(upload, "notes.txt", b"not an image")
    assert "Could not attack 'notes.txt'" in status.value and picture.value == b"", status.value
    plt.close("all")
