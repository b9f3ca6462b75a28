"""Lesson 12's latent-plane demo: two sliders pick a point z = (z1, z2) of a 2-D VAE's latent plane;
the figure shows where z sits on the class map (the encoded test images, coloured by class) and
the image the decoder makes of it.

The class colours are maximally distinct in CIELAB (Glasbey et al. 2007, "Colour displays for
categorical images"): a greedy choice that keeps every colour far, in a perceptually uniform
space, from the others and from the white background.

Usage::

    from course_utils.widgets.latent_plane import latent_plane_widget, latent_plane_figure
    latent_plane_widget(vae.decoder, mu_test, y_test, FASHION_CLASSES)    # sliders, status, figure
    fig, message = latent_plane_figure(vae.decoder, (0.5, -1.0), mu_test, y_test, FASHION_CLASSES)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import keras
import matplotlib.pyplot as plt
import numpy as np

from course_utils.plots import figure_png
from course_utils.vae import decode
from course_utils.widgets import failure

NEIGHBOURS = 15        # the status line names the majority class of the nearest encoded images


# Palettes by number of colours (data only, no model): each is a search over 5,832 CIELAB colours
# (about 0.1 s), the same at every slider move, so it is computed once.
_PALETTES: dict[int, tuple[tuple[float, float, float], ...]] = {}


def _glasbey(n: int) -> tuple[tuple[float, float, float], ...]:
    if n in _PALETTES:
        return _PALETTES[n]
    from skimage.color import lab2rgb, rgb2lab

    levels = np.linspace(0, 1, 18)
    rgb = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 3)
    lab = rgb2lab(rgb[None])[0]
    keep = (lab[:, 0] > 30) & (lab[:, 0] < 75)            # readable on white, not black
    rgb, lab = rgb[keep], lab[keep]
    chosen = [lab2rgb(np.array([[[50.0, 60.0, 40.0]]]))[0, 0]]   # a red to start, as Glasbey's palettes do
    chosen_lab = [rgb2lab(np.asarray(chosen[0])[None, None])[0, 0]]
    white = np.array([100.0, 0.0, 0.0])
    distance = np.minimum(np.linalg.norm(lab - chosen_lab[0], axis=1), np.linalg.norm(lab - white, axis=1))
    while len(chosen) < n:
        best = int(np.argmax(distance))
        chosen.append(rgb[best])
        distance = np.minimum(distance, np.linalg.norm(lab - lab[best], axis=1))
    _PALETTES[n] = tuple(tuple(float(c) for c in colour) for colour in chosen)
    return _PALETTES[n]


def class_colours(n: int = 10) -> list[tuple[float, float, float]]:
    """``n`` RGB colours, maximally distinct in CIELAB and readable on white (Glasbey et al. 2007).

    Usage: ``colours = class_colours(10)``; ``ax.scatter(x, y, color=[colours[k] for k in labels])``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= 40:
        raise ValueError(f"n must be an integer from 1 to 40, got {n!r}")
    return list(_glasbey(int(n)))


def _points(z_points: Any, labels: Any, class_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    z = np.asarray(z_points, dtype=np.float64)
    y = np.asarray(labels)
    if z.ndim != 2 or z.shape[1] != 2 or len(z) == 0:
        raise ValueError(f"z_points must be the 2-D codes of some images, shape (N, 2), got {z.shape}")
    if y.shape != (len(z),):
        raise ValueError(f"labels must have one class per point, shape ({len(z)},), got {y.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError("z_points contains NaN or infinite values")
    if len(y) and (y.min() < 0 or y.max() >= len(class_names)):
        raise ValueError(f"labels must be in 0..{len(class_names) - 1} (one per class name), got {y.min()}..{y.max()}")
    return z, y.astype(int)


def class_map(ax, z_points: Any, labels: Any, class_names: Sequence[str], size: float = 4.0, legend: bool = True):
    """Scatter the 2-D codes coloured by class on ``ax``, with a legend of the class names.

    Usage: ``class_map(ax, mu_test, y_test, FASHION_CLASSES)``.
    """
    z, y = _points(z_points, labels, class_names)
    colours = class_colours(len(class_names))
    for k, name in enumerate(class_names):
        mask = y == k
        if mask.any():
            ax.scatter(z[mask, 0], z[mask, 1], s=size, color=colours[k], label=name, alpha=0.7, linewidths=0)
    ax.set(xlabel="$z_1$", ylabel="$z_2$")
    if legend:
        ax.legend(fontsize=10, markerscale=12 / max(size, 1) ** 0.5, loc="center left", bbox_to_anchor=(1.0, 0.5),
                  frameon=False)
    return ax


def latent_plane_figure(decoder: keras.Model, z: Sequence[float], z_points: Any, labels: Any,
                        class_names: Sequence[str], limit: float = 3.0) -> tuple[plt.Figure, str]:
    """The class map with a cross at ``z``, and the decoded image of ``z``; returns ``(figure, message)``.

    The message names the majority class of the encoded images nearest to ``z`` and their distance.
    Usage: ``fig, message = latent_plane_figure(vae.decoder, (0.0, 1.0), mu_test, y_test, FASHION_CLASSES)``.
    """
    points, y = _points(z_points, labels, class_names)
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    if z.shape != (2,) or not np.all(np.isfinite(z)):
        raise ValueError(f"z must be two finite numbers (z1, z2), got {z}")
    image = decode(decoder, z[None])[0, ..., 0]
    distances = np.linalg.norm(points - z, axis=1)
    nearest = np.argsort(distances)[:NEIGHBOURS]
    majority = int(np.bincount(y[nearest], minlength=len(class_names)).argmax())
    fig, (ax_map, ax_image) = plt.subplots(1, 2, figsize=(10.5, 4.2), gridspec_kw={"width_ratios": [1.55, 1]})
    class_map(ax_map, points, y, class_names, size=3.0)
    ax_map.plot(*z, marker="X", markersize=16, color="black", markeredgecolor="white", markeredgewidth=1.5)
    ax_map.set(xlim=(-limit, limit), ylim=(-limit, limit), title="where z sits")
    ax_image.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax_image.set_title(f"decoder(z), z = ({z[0]:.2f}, {z[1]:.2f})", fontsize=13)
    ax_image.axis("off")
    fig.tight_layout()
    message = (f"z = ({z[0]:.2f}, {z[1]:.2f}): the nearest encoded test images are mostly "
               f"{class_names[majority]} (median distance {np.median(distances[nearest]):.2f})")
    return fig, message


def latent_plane_widget(decoder: keras.Model, z_points: Any, labels: Any, class_names: Sequence[str],
                        limit: float = 3.0, step: float = 0.1) -> widgets.VBox:
    """Two sliders (z1, z2) from ``-limit`` to ``limit``; the map and the decoded image redraw at every move.

    Any position draws the figure or says in one line why it cannot. Returns an ``ipywidgets.VBox``:
    the two sliders, a status line, the figure (an ``Image``, PNG).
    Usage: ``latent_plane_widget(vae.decoder, mu_test, y_test, FASHION_CLASSES)`` as a cell's last line.
    """
    limit = float(limit) if np.isfinite(limit) and limit > 0 else 3.0
    sliders = [widgets.FloatSlider(value=0.0, min=-limit, max=limit, step=step, description=name,
                                   readout_format=".2f", continuous_update=False,
                                   layout=widgets.Layout(width="420px")) for name in ("z1", "z2")]
    status = widgets.HTML()
    picture = widgets.Image(format="png", layout=widgets.Layout(width="100%"))

    def draw(_change=None) -> None:
        z = (float(sliders[0].value), float(sliders[1].value))
        try:
            fig, message = latent_plane_figure(decoder, z, z_points, labels, class_names, limit)
        except Exception as exc:  # noqa: BLE001 - a demo never shows a traceback
            status.value, picture.value = failure(f"draw z = ({z[0]:.2f}, {z[1]:.2f})", exc), b""
            return
        status.value, picture.value = f"<b>{message}</b>", figure_png(fig)

    for slider in sliders:
        slider.observe(draw, names="value")
    draw()
    return widgets.VBox([widgets.HBox(sliders), status, picture])
