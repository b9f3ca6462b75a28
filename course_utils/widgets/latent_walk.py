"""Lesson 11's latent walk: move through a generator's latent space and watch the image change.

A slider ``t`` interpolates (spherically, :func:`course_utils.gan.slerp`) between the latent vectors
drawn from two seeds, which the two seed boxes choose; ``n_directions`` more sliders add a
multiple of a few fixed random orthonormal directions. Every position draws the image (and, if a
classifier is given, the class it sees) or says in one line why it cannot.

Usage::

    from course_utils.widgets.latent_walk import latent_walk_widget
    latent_walk_widget(dcgan_generator(), classifier=fashion_cnn(), class_names=FASHION_CLASSES)
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import ipywidgets as widgets
import keras
import numpy as np
from PIL import Image

from course_utils.gan import latent_vectors, slerp, to_unit_range
from course_utils.widgets import failure

IMAGE_PX = 224        # the 28x28 image drawn 8 times larger (nearest neighbour: the pixels stay visible)


def walk_directions(latent_dim: int, n_directions: int, seed: int = 7) -> np.ndarray:
    """``n_directions`` orthonormal random directions of the latent space, shape ``(n, latent_dim)``.

    Usage: ``d = walk_directions(100, 3)``; ``z + 2 * d[0]``.
    """
    if not 0 <= int(n_directions) <= int(latent_dim):
        raise ValueError(f"n_directions must be in 0-{latent_dim}, got {n_directions}")
    if int(n_directions) == 0:
        return np.zeros((0, int(latent_dim)), np.float32)
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((int(latent_dim), int(n_directions))))
    return q.T.astype(np.float32)


def latent_point(latent_dim: int, seed_a: int, seed_b: int, t: float, offsets: Sequence[float] = (),
                 directions: np.ndarray | None = None) -> np.ndarray:
    """The walk's latent vector: ``slerp(z_a, z_b)`` at ``t`` plus ``sum offsets[i] * directions[i]``.

    ``z_a`` and ``z_b`` are :func:`course_utils.gan.latent_vectors` of ``seed_a`` and ``seed_b``.
    Usage: ``z = latent_point(100, 0, 1, 0.5)``.
    """
    if not 0.0 <= float(t) <= 1.0:
        raise ValueError(f"t must be in [0, 1], got {t}")
    if seed_a < 0 or seed_b < 0:
        raise ValueError(f"seeds must be non-negative integers, got {seed_a} and {seed_b}")
    za, zb = latent_vectors(1, latent_dim, int(seed_a))[0], latent_vectors(1, latent_dim, int(seed_b))[0]
    z = za.copy() if int(seed_a) == int(seed_b) else slerp(za, zb, 101)[round(float(t) * 100)]
    offsets = np.asarray(offsets, dtype=np.float32)
    if offsets.size:
        if directions is None or directions.shape != (offsets.size, latent_dim):
            raise ValueError(f"need one direction of length {latent_dim} per offset ({offsets.size})")
        z = z + offsets @ directions
    return z.astype(np.float32)


def _png(image01: np.ndarray) -> bytes:
    pixels = (np.clip(image01[..., 0], 0, 1) * 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").resize((IMAGE_PX, IMAGE_PX), Image.NEAREST).save(buffer, format="PNG")
    return buffer.getvalue()


def latent_walk_widget(generator: keras.Model, classifier: keras.Model | None = None,
                       class_names: Sequence[str] | None = None, seed_a: int = 0, seed_b: int = 1,
                       n_directions: int = 3, amplitude: float = 3.0) -> widgets.VBox:
    """Sliders over ``generator``'s latent space; returns an ``ipywidgets.VBox`` (sliders, status, image).

    ``generator`` maps ``(N, d)`` to images in [-1, 1] (tanh); ``classifier``, if given, takes the
    image in [0, 1] and outputs class probabilities, named by ``class_names``.
    Usage: ``latent_walk_widget(dcgan_generator(), fashion_cnn(), FASHION_CLASSES)`` (lesson 11).
    """
    wide = widgets.Layout(width="460px")
    box_a = widgets.BoundedIntText(value=seed_a, min=0, max=10**6, description="seed A", layout=widgets.Layout(
        width="200px"))
    box_b = widgets.BoundedIntText(value=seed_b, min=0, max=10**6, description="seed B", layout=widgets.Layout(
        width="200px"))
    t_slider = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.01, description="A -> B", layout=wide)
    status = widgets.HTML()
    picture = widgets.Image(format="png", width=IMAGE_PX, height=IMAGE_PX)
    try:
        latent_dim = int(generator.input_shape[-1])
        directions = walk_directions(latent_dim, n_directions)
        problem = None
    except Exception as exc:  # noqa: BLE001 - a demo never shows a traceback
        latent_dim, directions, problem = 0, np.zeros((0, 0), np.float32), failure("use this generator", exc)
    sliders = [widgets.FloatSlider(value=0.0, min=-amplitude, max=amplitude, step=0.1,
                                   description=f"direction {i + 1}", layout=wide) for i in range(len(directions))]

    def draw(_change=None) -> None:
        if problem is not None:
            status.value, picture.value = problem, b""
            return
        try:
            z = latent_point(latent_dim, int(box_a.value), int(box_b.value), float(t_slider.value),
                             [s.value for s in sliders], directions)
            image = to_unit_range(np.asarray(generator(z[None], training=False)))[0]
            text = f"|z| = {np.linalg.norm(z):.1f} (a typical draw: {np.sqrt(latent_dim):.1f})"
            if classifier is not None:
                probs = np.asarray(classifier(image[None], training=False))[0]
                k = int(probs.argmax())
                name = class_names[k] if class_names is not None and k < len(class_names) else f"class {k}"
                text = f"the lesson 05 CNN sees: {name} ({probs[k]:.0%}); " + text
        except Exception as exc:  # noqa: BLE001
            status.value, picture.value = failure("draw this point", exc, 80), b""
            return
        status.value, picture.value = f"<b>{text}</b>", _png(image)

    for control in [box_a, box_b, t_slider, *sliders]:
        control.observe(draw, names="value")
    draw()
    return widgets.VBox([widgets.HBox([box_a, box_b]), t_slider, *sliders, status, picture])
