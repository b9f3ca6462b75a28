"""The explanation demo of lesson 08: pick a photo and one of its top-5 classes, see its saliency,
Grad-CAM and occlusion maps side by side.

Usage::

    from course_utils.widgets.explain_maps import explain_maps_widget, show_maps
    explain_maps_widget()                        # two dropdowns, a status line and the figure
    fig, message = show_maps(model, x, 281)      # one static figure, no widgets
"""

from __future__ import annotations

import numpy as np

from course_utils.data import PHOTOS, sample_photo
from course_utils.explain import grad_cam, occlusion_map, saliency_map
from course_utils.plots import figure_png
from course_utils.pretrained import class_names, deprocess, preprocess
from course_utils.widgets import failure


def top_classes(model, x: np.ndarray, top: int = 5) -> list[tuple[int, str, float]]:
    """The ``top`` classes of the model on the preprocessed image ``x``: ``(index, name, probability)``.

    Usage: ``top_classes(imagenet_model(), preprocess(sample_photo("coffee")))[0]``.
    """
    probs = np.asarray(model(np.asarray(x)[None], training=False))[0]
    names = class_names()
    return [(int(i), names[i], float(probs[i])) for i in np.argsort(probs)[::-1][:top]]


def show_maps(model, x: np.ndarray, class_index: int, patch: int = 56, stride: int = 28):
    """Photo, saliency, Grad-CAM and occlusion maps for one class, side by side.

    Returns ``(figure, message)``; the message says in one line what the maps show, or why a
    panel is empty (a Grad-CAM that is zero everywhere, an occlusion map with no drop).
    Usage: ``fig, message = show_maps(model, preprocess(sample_photo("chelsea")), 282)``.
    """
    import matplotlib.pyplot as plt

    maps = {"saliency (99th pct.)": saliency_map(model, x, class_index),
            "Grad-CAM (7x7, upsampled)": grad_cam(model, x, class_index),
            f"occlusion ({patch}-px patch): drop of p": occlusion_map(model, x, class_index, patch=patch,
                                                                         stride=stride)}
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.8))
    photo = deprocess(x)
    axes[0].imshow(photo)
    axes[0].set_title(class_names()[class_index].replace("_", " "))
    notes = []
    for ax, (title, heat) in zip(axes[1:], maps.items()):
        ax.imshow(photo.mean(axis=-1), cmap="gray")       # the photo in grey, the map on top
        if float(np.abs(heat).max()) == 0:
            notes.append(f"{title.split(' ')[0]} is zero everywhere")
        high = float(np.percentile(heat, 99)) if title.startswith("saliency") else float(heat.max())
        shown = ax.imshow(heat, cmap="inferno", alpha=0.6, vmin=min(0.0, float(heat.min())),
                          vmax=high if high > 0 else 1.0)
        fig.colorbar(shown, ax=ax, fraction=0.046)
        ax.set_title(title, fontsize=13)
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    message = ("; ".join(notes) + " for this class.") if notes else (
        "Bright = important for the class: gradient, last feature maps, and probability drop.")
    return fig, message


def explain_maps_widget(model=None, photos: list[str] | None = None, patch: int = 56, stride: int = 28):
    """Dropdowns for a photo (``data.PHOTOS``) and one of its top-5 classes; the three maps redraw.

    Any choice draws the maps or says in one line why it cannot. ``model`` defaults to
    ``pretrained.imagenet_model()``; ``patch`` and ``stride`` set the occlusion's cost.
    Returns an ``ipywidgets.VBox``: the photo dropdown, the class dropdown, a status line, the figure
    (an ``Image``, PNG).
    Usage: ``explain_maps_widget()`` as a cell's last line.
    """
    import ipywidgets as widgets

    if model is None:
        from course_utils.pretrained import imagenet_model

        model = imagenet_model()
    names = list(photos or PHOTOS)
    photo = widgets.Dropdown(options=names, value=names[0], description="photo")
    klass = widgets.Dropdown(options=[], description="class", layout=widgets.Layout(width="420px"))
    status = widgets.HTML()
    picture = widgets.Image(format="png", layout=widgets.Layout(width="100%"))
    state: dict[str, np.ndarray] = {}

    def draw(_change=None) -> None:
        if klass.value is None or "x" not in state:
            status.value, picture.value = "<b>Pick a photo first: no class to explain yet.</b>", b""
            return
        try:
            fig, message = show_maps(model, state["x"], int(klass.value), patch, stride)
        except Exception as exc:  # noqa: BLE001 - a demo never shows a traceback
            status.value = failure("draw the maps", exc)
            picture.value = b""
            return
        status.value, picture.value = f"<b>{message}</b>", figure_png(fig)

    def load(_change=None) -> None:
        try:
            state["x"] = preprocess(sample_photo(photo.value))
            choices = [(f"{name.replace('_', ' ')} ({p:.2f})", i) for i, name, p in top_classes(model, state["x"])]
        except Exception as exc:  # noqa: BLE001
            state.pop("x", None)
            status.value = failure(f"load {photo.value!r}", exc)
            picture.value = b""
            return
        klass.unobserve(draw, names="value")
        klass.options = choices
        klass.value = choices[0][1]
        klass.observe(draw, names="value")
        draw()

    photo.observe(load, names="value")
    klass.observe(draw, names="value")
    load()
    return widgets.VBox([photo, klass, status, picture])
