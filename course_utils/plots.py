"""Figures readable from the back of the room: image grids, top-k bars, training curves.

Usage::

    from course_utils.plots import use_course_style, image_grid, topk_bar
    use_course_style()
    image_grid(x_train[:10], [FASHION_CLASSES[i] for i in y_train[:10]])
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

COURSE_RC = {
    "font.size": 14, "axes.titlesize": 16, "axes.labelsize": 14, "xtick.labelsize": 12,
    "ytick.labelsize": 12, "legend.fontsize": 12, "figure.titlesize": 18,
    "figure.dpi": 90, "image.cmap": "viridis", "axes.grid": False,
}


def use_course_style() -> None:
    """Large fonts and a perceptually uniform default colour map for every later figure.

    Usage: ``use_course_style()``.
    """
    plt.rcParams.update(COURSE_RC)


def image_grid(images: Sequence[np.ndarray] | np.ndarray, titles: Sequence[str] | None = None,
               ncols: int = 5, cmap: str = "gray", size: float = 2.4, suptitle: str | None = None):
    """Show images in a grid with optional titles; returns the figure.

    Usage: ``image_grid(x_train[:10], titles=names, ncols=5)``.
    """
    images = list(images)
    if not images:
        raise ValueError("image_grid needs at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"{len(images)} images but {len(titles)} titles")
    ncols = max(1, min(ncols, len(images)))
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.6 if suptitle else 0)),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, image in enumerate(images):
        ax = axes.flat[i]
        image = np.asarray(image)
        ax.imshow(image.squeeze(), cmap=cmap if image.squeeze().ndim == 2 else None)
        if titles is not None:
            ax.set_title(titles[i], fontsize=13)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def topk_bar(predictions: Sequence[tuple[str, str, float]], title: str = "Top-5 predictions", ax=None):
    """Horizontal bar chart of ``(wnid, name, probability)`` rows, best at the top.

    Usage: ``topk_bar(predict_photo("coffee"), title="coffee")``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.6 * len(predictions) + 1))
    names = [row[1].replace("_", " ") for row in predictions][::-1]
    probs = [row[2] for row in predictions][::-1]
    bars = ax.barh(names, probs, color=plt.get_cmap("viridis")(0.35))
    ax.bar_label(bars, labels=[f"{p:.2f}" for p in probs], padding=3)
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("probability")
    ax.set_title(title)
    return ax


def training_curves(history: dict[str, Sequence[float]], metrics: Sequence[str] = ("loss", "accuracy"),
                    title: str | None = None):
    """Plot training and validation curves from a Keras ``History.history`` dict.

    Usage: ``training_curves(model.fit(...).history)``.
    """
    metrics = [m for m in metrics if m in history]
    if not metrics:
        raise ValueError(f"none of the metrics are in the history; it has {sorted(history)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        epochs = np.arange(1, len(history[metric]) + 1)
        ax.plot(epochs, history[metric], "o-", label="train")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def pixel_values(patch: np.ndarray, title: str = "What the computer sees", ax=None):
    """Show a small greyscale patch with each pixel's value written on it.

    After the "what we perceive vs what a computer sees" slide of A. Cherubini's *Traitement
    d'images: apprentissage profond* (after N. Thome's CNAM course).

    Usage: ``pixel_values(grey[100:112, 200:212])``.
    """
    patch = np.asarray(patch)
    if patch.ndim != 2 or max(patch.shape) > 24:
        raise ValueError(f"pixel_values wants a small 2-D patch (at most 24x24), got shape {patch.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.55 * patch.shape[1] + 1, 0.55 * patch.shape[0] + 1))
    ax.imshow(patch, cmap="gray", vmin=0, vmax=255)
    for (i, j), v in np.ndenumerate(patch):
        ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=9,
                color="black" if v > 127 else "white")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return ax


def figure_png(fig, dpi: int = 72, tight: bool = False) -> bytes:
    """PNG bytes of ``fig``, which is then closed: what a widget's ``ipywidgets.Image`` shows.

    Usage: ``picture.value = figure_png(fig)``.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    return buffer.getvalue()
