"""The epsilon demo of lesson 09: an image, its FGSM perturbation (amplified) and the prediction on the
attacked image as eps moves; and the same figure for a photo of your own (a path or an upload).

The gradient sign is computed once per image (FGSM's direction does not depend on eps), so moving the
slider costs one forward pass.

Usage::

    from course_utils.widgets.adversarial import eps_slider_widget, fgsm_figure, photo_upload_widget
    eps_slider_widget(model, x, label, class_names)          # a slider, a status line, the figure
    fig, message = fgsm_figure(model, x, label, 0.007, class_names)   # one static figure
    photo_upload_widget(imagenet_model(include_preprocessing=True))    # upload a photo, see its attack
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_utils.attacks import loss_gradient
from course_utils.exercises.lesson09 import fgsm_step
from course_utils.inference import forward
from course_utils.plots import figure_png
from course_utils.widgets import failure


def gradient_sign(model, x: np.ndarray, label: int) -> np.ndarray:
    """``sign(grad_x J(x, label))`` of the cross-entropy on the logits, for one image ``(H, W, C)`` in [0, 1].

    Usage: ``direction = gradient_sign(model, x, 281)``.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise ValueError(f"x must be one image (H, W, C), got shape {x.shape}")
    expected = tuple(model.input_shape[1:])
    if any(e is not None and e != s for e, s in zip(expected, x.shape)):
        raise ValueError(f"the model takes images of shape {expected}, got {x.shape}")
    return np.sign(loss_gradient(model, x[None], np.array([label]))[0])


def _probabilities(model, x: np.ndarray) -> np.ndarray:
    return forward(model, np.asarray(x, dtype=np.float32)[None])[0]   # compiled: a slider moves fast


def _show(ax, image: np.ndarray, title: str) -> None:
    image = np.asarray(image)
    if image.shape[-1] == 1:
        ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(np.clip(image, 0, 1))
    ax.set_title(title, fontsize=13)
    ax.axis("off")


def fgsm_figure(model, x: np.ndarray, label: int, eps: float, class_names: Sequence[str],
                direction: np.ndarray | None = None):
    """Goodfellow et al.'s figure for one image: x, sign(gradient) (amplified), and x + eps * sign.

    ``x`` is one image ``(H, W, C)`` in [0, 1], ``label`` the class whose loss FGSM raises (the true
    or the predicted one); ``direction`` a precomputed :func:`gradient_sign`. Returns
    ``(figure, message)``: the message says in one line whether the prediction changed.
    Usage: ``fig, message = fgsm_figure(model, x, 281, 0.007, class_names())``.
    """
    import matplotlib.pyplot as plt

    if not 0 <= eps <= 1:
        raise ValueError(f"eps must be in [0, 1], got {eps}")
    direction = gradient_sign(model, x, label) if direction is None else direction
    x_adv = fgsm_step(x, direction, eps)
    before, after = _probabilities(model, x), _probabilities(model, x_adv)
    top_before, top_after = int(before.argmax()), int(after.argmax())
    fig, axes = plt.subplots(1, 5, figsize=(14, 3.6), gridspec_kw={"width_ratios": [1, 0.16, 1, 0.42, 1]})
    _show(axes[0], x, f"{class_names[top_before]}\n{before[top_before]:.1%}")
    _show(axes[2], (direction + 1) / 2, "sign(gradient)\n(-1 black, +1 white)")
    _show(axes[4], x_adv, f"{class_names[top_after]}\n{after[top_after]:.1%}")
    for ax, text in [(axes[1], "+"), (axes[3], f"x {eps:.3g}\n=")]:
        ax.text(0.5, 0.5, text, fontsize=22, ha="center", va="center", transform=ax.transAxes)
        ax.axis("off")
    fig.tight_layout()
    if top_after == top_before:
        message = (f"eps = {eps:.3g} ({eps * 255:.1f}/255): still {class_names[top_before]}, "
                   f"p {before[top_before]:.2f} -> {after[top_before]:.2f}")
    else:
        message = (f"eps = {eps:.3g} ({eps * 255:.1f}/255): {class_names[top_before]} -> "
                   f"{class_names[top_after]} ({after[top_after]:.2f})")
    return fig, message


def eps_slider_widget(model, x: np.ndarray, label: int, class_names: Sequence[str], eps_max: float = 0.05,
                      eps_step: float | None = None):
    """A slider for eps from 0 to ``eps_max``; the FGSM figure of ``x`` redraws at every position.

    The gradient sign of ``label``'s loss is computed once. Any position draws the figure or says
    in one line why it cannot. Returns an ``ipywidgets.VBox``: the slider, a status line, the figure
    (an ``Image``, PNG).
    Usage: ``eps_slider_widget(model, x, label, class_names(), eps_max=0.03)`` as a cell's last line.
    """
    import ipywidgets as widgets

    step = eps_step or eps_max / 50
    slider = widgets.FloatSlider(value=min(step * 5, eps_max), min=0.0, max=eps_max, step=step,
                                 readout_format=".4f", description="eps",
                                 layout=widgets.Layout(width="520px"))
    status = widgets.HTML()
    picture = widgets.Image(format="png", layout=widgets.Layout(width="100%"))
    try:
        direction, problem = gradient_sign(model, x, label), None
    except Exception as exc:  # noqa: BLE001 - a demo never shows a traceback
        direction, problem = None, exc

    def draw(_change=None) -> None:
        if direction is None:
            status.value, picture.value = failure("compute the gradient", problem), b""
            return
        try:
            fig, message = fgsm_figure(model, x, label, float(slider.value), class_names, direction)
        except Exception as exc:  # noqa: BLE001
            status.value, picture.value = failure(f"draw eps = {slider.value}", exc), b""
            return
        status.value, picture.value = f"<b>{message}</b>", figure_png(fig)

    slider.observe(draw, names="value")
    draw()
    return widgets.VBox([slider, status, picture])


def photo_to_input(image: np.ndarray) -> np.ndarray:
    """An RGB (or grey, or RGBA) photo as the ImageNet model's input: centre crop, 224x224, in [0, 1].

    Usage: ``x = photo_to_input(np.asarray(PIL.Image.open(path)))``.
    """
    from course_utils.pretrained import preprocess_01

    return preprocess_01(np.asarray(image)).astype(np.float32)


def fgsm_photo(model, image: np.ndarray, eps: float = 0.007, class_names: Sequence[str] | None = None):
    """The FGSM figure for a photo of your own (uint8 RGB), attacking the model's top class.

    ``model`` takes [0, 1] RGB at 224x224 (``imagenet_model(include_preprocessing=True)``).
    Returns ``(figure, message)``.
    Usage: ``fig, message = fgsm_photo(model, np.asarray(PIL.Image.open("my_photo.jpg")))``.
    """
    if class_names is None:
        from course_utils.pretrained import class_names as imagenet_names

        class_names = imagenet_names()
    x = photo_to_input(image)
    label = int(_probabilities(model, x).argmax())
    return fgsm_figure(model, x, label, eps, class_names)


def uploaded_files(value) -> list[tuple[str, bytes]]:
    """``[(name, content), ...]`` from a ``FileUpload.value`` of either ipywidgets version.

    ipywidgets 8 gives a tuple of dicts with ``name`` and ``content``; 7.x (Colab's 7.7.1) a dict
    ``{name: {"metadata": ..., "content": ...}}``.
    Usage: ``uploaded_files(upload.value)`` in ``photo_upload_widget`` (lesson 09).
    """
    if isinstance(value, dict):
        return [(str(name), bytes(item["content"])) for name, item in value.items()]
    return [(str(item.get("name", "photo")), bytes(item["content"])) for item in value or ()]


def photo_upload_widget(model, eps: float = 0.007):
    """An upload button (Jupyter and Colab): the photo you pick gets the FGSM figure at ``eps``.

    A file that is not an image gives one line, not a traceback. Returns an ``ipywidgets.VBox``:
    the ``FileUpload``, a status line, the figure (an ``Image``, PNG).
    Usage: ``photo_upload_widget(imagenet_model(include_preprocessing=True))`` as a cell's last line.
    """
    import io

    import ipywidgets as widgets
    from PIL import Image

    upload = widgets.FileUpload(accept="image/*", multiple=False, description="your photo")
    status = widgets.HTML("<b>Upload a photo (JPEG or PNG) to attack it.</b>")
    picture = widgets.Image(format="png", layout=widgets.Layout(width="100%"))

    def draw(_change=None) -> None:
        files = uploaded_files(upload.value)
        if not files:
            return
        name, content = files[0]
        try:
            image = np.asarray(Image.open(io.BytesIO(content)).convert("RGB"))
            fig, message = fgsm_photo(model, image, eps)
        except Exception as exc:  # noqa: BLE001 - a demo never shows a traceback
            status.value, picture.value = failure(f"attack {name!r}", exc), b""
            return
        status.value, picture.value = f"<b>{name}: {message}</b>", figure_png(fig)

    upload.observe(draw, names="value")
    return widgets.VBox([upload, status, picture])
