"""Lesson 07's augmentation explorer (course_utils.widgets.augmentation): every slider at both of its
limits, every fill mode and the flip draw a picture and never a traceback; the picture is the warp
the module writes out. Driven through the real child widgets."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import augmentation as aug


@pytest.fixture(scope="module")
def photo():
    from course_utils.data import sample_photo

    return sample_photo("chelsea")[::6, ::6]          # 50 x 76 RGB, uint8


def _children(box):
    import ipywidgets as widgets

    sliders = {c.description: c for c in box.children if isinstance(c, widgets.FloatSlider)}
    fill = next(c for c in box.children if isinstance(c, widgets.Dropdown))
    flip = next(c for c in box.children if isinstance(c, widgets.Checkbox))
    status = next(c for c in box.children if isinstance(c, widgets.HTML))
    picture = next(c for c in box.children if isinstance(c, widgets.Image))
    return sliders, fill, flip, status, picture


def test_every_slider_at_its_limits_and_every_fill_mode_draws(photo):
    import matplotlib.pyplot as plt

    from course_utils.widgets.augmentation import augmentation_widget

    sliders, fill, flip, status, picture = _children(augmentation_widget(photo))
    assert len(sliders) == 6 and tuple(fill.options) == aug.FILL_MODES
    assert picture.value[:4] == b"\x89PNG" and "Could not" not in status.value
    for slider in sliders.values():
        for value in (slider.min, slider.max):
            picture.value = b""
            slider.value = value
            assert picture.value[:4] == b"\x89PNG" and "Could not" not in status.value, (slider.description, value)
    for slider in sliders.values():          # all at their maxima at once, then each fill mode
        slider.value = slider.max
    for mode in (*aug.FILL_MODES[1:], aug.FILL_MODES[0]):      # each a change from the one before
        picture.value = b""
        fill.value = mode
        assert picture.value[:4] == b"\x89PNG" and f"fill {mode}" in status.value
    flip.value = True
    assert "flip on" in status.value and picture.value[:4] == b"\x89PNG"
    plt.close("all")


def test_a_bad_image_says_so_in_one_line():
    from course_utils.widgets.augmentation import augmentation_widget

    _, _, _, status, picture = _children(augmentation_widget(np.zeros((4, 4, 5))))
    assert status.value.startswith("<b>Could not use this image") and "\n" not in status.value
    assert picture.value == b""


def test_the_view_is_the_written_out_warp(photo):
    from course_utils.widgets.augmentation import augmented_view

    x = photo.astype(np.float32) / 255
    h, w = x.shape[:2]
    m = (aug.rotation_matrix(25, h, w) @ aug.translation_matrix(0.1 * w, -0.2 * h) @ aug.shear_matrix(0, 0.3)
         @ aug.zoom_matrix(1.3, 1.3, h, w))
    out = augmented_view(photo, rotation=25, shift_x=0.1, shift_y=-0.2, shear=0.3, zoom=1.3, fill_mode="reflect")
    np.testing.assert_allclose(out, np.clip(aug.scipy_warp(x, m, "reflect"), 0, 1), atol=1e-4)
    flipped = augmented_view(photo, flip=True, brightness=0.5)
    np.testing.assert_allclose(flipped, np.clip(x[:, ::-1] + 0.5, 0, 1), atol=1e-5)
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        augmented_view(photo, fill_mode="mirror")
