"""Lesson 07's augmentation explorer: a slider per transformation on one image, and a fill-mode selector.

The geometric sliders build one affine matrix (rotation @ shift @ shear @ zoom, the order of the
deck's ``ImageDataGenerator``, written out in :mod:`course_utils.augmentation`) and the image is
warped once with ``keras.ops.image.affine_transform``; then the horizontal flip and the brightness
shift. Every position draws, or says in one line why it cannot.

Usage::

    from course_utils.widgets.augmentation import augmentation_widget, augmented_view
    augmentation_widget(sample_photo("chelsea"))        # as a cell's last line
    out = augmented_view(image, rotation=40, fill_mode="wrap")
"""

from __future__ import annotations

import numpy as np

from course_utils.augmentation import (
    FILL_MODES,
    keras_warp,
    rotation_matrix,
    shear_matrix,
    translation_matrix,
    zoom_matrix,
)
from course_utils.plots import figure_png
from course_utils.widgets import failure

# slider: (description, min, max, step, start)
SLIDERS = {
    "rotation": ("rotation (deg)", -180.0, 180.0, 5.0, 0.0),
    "shift_x": ("shift x (frac)", -0.5, 0.5, 0.05, 0.0),
    "shift_y": ("shift y (frac)", -0.5, 0.5, 0.05, 0.0),
    "shear": ("shear (slope)", -1.0, 1.0, 0.05, 0.0),
    "zoom": ("zoom factor", 0.5, 2.0, 0.05, 1.0),
    "brightness": ("brightness", -1.0, 1.0, 0.05, 0.0),
}


def _as_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3) or min(image.shape[:2]) < 2:
        raise ValueError(f"expected an image (H, W), (H, W, 1) or (H, W, 3), got shape {image.shape}")
    image = image.astype(np.float32)
    return image / 255.0 if image.max() > 1.0 else image


def augmented_view(image: np.ndarray, rotation: float = 0.0, shift_x: float = 0.0, shift_y: float = 0.0,
                   shear: float = 0.0, zoom: float = 1.0, brightness: float = 0.0, flip: bool = False,
                   fill_mode: str = "nearest") -> np.ndarray:
    """``image`` (uint8 or [0, 1]) after the given transformation, float32 in [0, 1], shape (H, W, C).

    ``rotation`` in degrees, ``shift_x``/``shift_y`` in fractions of the width/height, ``shear`` the
    slope of Keras 3's ``RandomShear`` y_factor, ``zoom`` the factor (above 1: zoomed out),
    ``brightness`` added as a fraction of the value range.
    Usage: ``augmented_view(photo, rotation=40, fill_mode="wrap")``.
    """
    x = _as_image(image)
    h, w = x.shape[:2]
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {', '.join(FILL_MODES)}, got {fill_mode!r}")
    if not np.isfinite([rotation, shift_x, shift_y, shear, zoom, brightness]).all() or zoom <= 0:
        raise ValueError("the parameters must be finite numbers and the zoom factor positive")
    matrix = (rotation_matrix(rotation, h, w) @ translation_matrix(shift_x * w, shift_y * h)
              @ shear_matrix(0.0, shear) @ zoom_matrix(zoom, zoom, h, w))
    out = keras_warp(x, matrix, fill_mode)
    if flip:
        out = out[:, ::-1]
    return np.clip(out + brightness, 0.0, 1.0).astype(np.float32)


def _png(image: np.ndarray, title: str) -> bytes:
    import matplotlib.pyplot as plt

    height = 3.6
    fig, ax = plt.subplots(figsize=(height * image.shape[1] / image.shape[0], height))
    ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=13)
    ax.axis("off")
    return figure_png(fig, tight=True)


def augmentation_widget(image: np.ndarray, max_side: int = 320):
    """Sliders (rotation, shifts, shear, zoom, brightness), a flip box and a fill-mode selector on ``image``.

    The image is shrunk to at most ``max_side`` pixels a side so every move redraws at once.
    Returns an ``ipywidgets.VBox``: the sliders, the flip checkbox, the fill-mode dropdown, a
    status line and the picture (an ``Image``, PNG).
    Usage: ``augmentation_widget(sample_photo("chelsea"))`` as a cell's last line.
    """
    import ipywidgets as widgets

    sliders = {name: widgets.FloatSlider(value=start, min=lo, max=hi, step=step, description=text,
                                         continuous_update=False, style={"description_width": "120px"},
                                         layout=widgets.Layout(width="480px"))
               for name, (text, lo, hi, step, start) in SLIDERS.items()}
    flip = widgets.Checkbox(value=False, description="horizontal flip")
    fill = widgets.Dropdown(options=list(FILL_MODES), value="nearest", description="fill mode")
    status = widgets.HTML()
    picture = widgets.Image(format="png", layout=widgets.Layout(width="60%"))
    try:
        base = _as_image(image)
        step = max(1, int(np.ceil(max(base.shape[:2]) / max_side)))
        base, problem = base[::step, ::step], None
    except Exception as exc:  # noqa: BLE001 - a demo never shows a traceback
        base, problem = None, exc

    def draw(_change=None) -> None:
        if base is None:
            status.value, picture.value = failure("use this image", problem), b""
            return
        values = {name: float(s.value) for name, s in sliders.items()}
        try:
            out = augmented_view(base, **values, flip=bool(flip.value), fill_mode=str(fill.value))
        except Exception as exc:  # noqa: BLE001
            status.value = failure("draw this setting", exc)
            picture.value = b""
            return
        shown = ", ".join(f"{name} {v:g}" for name, v in values.items())
        status.value = f"<b>{shown}, flip {'on' if flip.value else 'off'}, fill {fill.value}</b>"
        picture.value = _png(out, f"fill mode: {fill.value}")

    for control in [*sliders.values(), flip, fill]:
        control.observe(draw, names="value")
    draw()
    return widgets.VBox([*sliders.values(), flip, fill, status, picture])
