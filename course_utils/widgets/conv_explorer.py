"""The conv explorer of lesson 04: pick kernel, stride, padding and dilation; see the output map and its shape.

Usage::

    from course_utils.widgets.conv_explorer import conv_explorer, show_conv
    conv_explorer(image)                 # sliders (ipywidgets)
    show_conv(image, "edge", 3, 2, "same", 1)   # one static figure, no widgets
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from course_utils.conv import conv2d, conv_output_size, effective_kernel_size, pad_amounts


def make_kernel(name: str, k: int) -> np.ndarray:
    """A ``k x k`` kernel: ``"box"`` blur, ``"edge"`` (vertical Sobel-like), ``"sharpen"`` or ``"gauss"``.

    Usage: ``make_kernel("edge", 3)``.
    """
    if k < 1:
        raise ValueError(f"kernel size must be at least 1, got {k}")
    r = np.arange(k) - (k - 1) / 2
    if name == "box":
        return np.full((k, k), 1.0 / k ** 2)
    if name == "gauss":
        g = np.exp(-r ** 2 / (2 * max(k / 4, 0.5) ** 2))
        g = np.outer(g, g)
        return g / g.sum()
    if name == "edge":  # smoothing across rows, derivative across columns
        smooth = np.exp(-r ** 2 / (2 * max(k / 4, 0.5) ** 2))
        deriv = np.sign(r) if k > 1 else np.zeros(1)
        return np.outer(smooth, deriv) / max(np.abs(np.outer(smooth, deriv)).sum() / 2, 1e-12)
    if name == "sharpen":
        kern = -np.full((k, k), 1.0 / k ** 2)
        kern[(k - 1) // 2, (k - 1) // 2] += 2.0
        return kern
    raise ValueError(f"unknown kernel {name!r}; choose box, gauss, edge or sharpen")


def _padding_arg(padding: str) -> str | int:
    return int(padding) if padding.isdigit() else padding


def conv_summary(n_h: int, n_w: int, k: int, stride: int, padding: str | int, dilation: int) -> tuple[bool, str]:
    """Whether the setting is possible, and a one-line description of the output shape.

    Usage: ``ok, text = conv_summary(28, 28, 3, 2, "same", 1)``.
    """
    span = effective_kernel_size(k, dilation)
    (pt, pb), (pl, pr) = pad_amounts((n_h, n_w), (k, k), (stride, stride), padding, (dilation, dilation))
    if span > n_h + pt + pb or span > n_w + pl + pr:
        return False, (f"The kernel spans {span}x{span} pixels (k={k}, dilation={dilation}) but the padded "
                       f"input is only {n_h + pt + pb}x{n_w + pl + pr}: no output. Shrink k or d, or pad more.")
    oh = conv_output_size(n_h, k, stride, padding, dilation)
    ow = conv_output_size(n_w, k, stride, padding, dilation)
    return True, (f"input {n_h}x{n_w}, padding ({pt},{pb})x({pl},{pr}), kernel {k}x{k} spanning {span}x{span}, "
                  f"stride {stride} -> output {oh}x{ow}")


def show_conv(image: np.ndarray, kernel: str = "edge", k: int = 3, stride: int = 1,
              padding: str | int = "valid", dilation: int = 1):
    """Draw input, kernel and output map side by side; a clear message if the setting is impossible.

    Usage: ``show_conv(image, "edge", k=3, stride=2, padding="same")``.
    """
    image = np.asarray(image, dtype=np.float64)
    padding = _padding_arg(padding) if isinstance(padding, str) else padding
    ok, text = conv_summary(image.shape[0], image.shape[1], k, stride, padding, dilation)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.6), gridspec_kw={"width_ratios": [1, 0.6, 1]})
    axes[0].imshow(image, cmap="gray")
    axes[0].set_title(f"input {image.shape[0]}x{image.shape[1]}")
    w = make_kernel(kernel, k)
    seen = np.zeros((effective_kernel_size(k, dilation),) * 2)
    seen[::dilation, ::dilation] = w               # the dilated kernel: zeros between the taps
    axes[1].imshow(seen, cmap="magma")
    axes[1].set_title(f"{kernel} kernel {k}x{k}, d={dilation}")
    if ok:
        out = conv2d(image[None, :, :, None], w[:, :, None, None], stride=stride, padding=padding,
                     dilation=dilation)[0, :, :, 0]
        axes[2].imshow(out, cmap="viridis")
        axes[2].set_title(f"output {out.shape[0]}x{out.shape[1]}")
    else:
        axes[2].text(0.5, 0.5, "no output:\nkernel larger than\nthe padded input", ha="center",
                     va="center", fontsize=14, color="crimson", transform=axes[2].transAxes)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(text, fontsize=12)
    fig.tight_layout()
    return fig


def conv_explorer(image: np.ndarray, max_kernel: int = 9):
    """Sliders for kernel type and size, stride, padding and dilation; the figure redraws live.

    Returns the ``ipywidgets`` interactive object.
    Usage: ``conv_explorer(image)``.
    """
    def draw(kernel, k, stride, padding, dilation):
        show_conv(image, kernel, k, stride, padding, dilation)
        plt.show()

    return widgets.interactive(
        draw,
        kernel=widgets.Dropdown(options=["edge", "box", "gauss", "sharpen"], value="edge"),
        k=widgets.IntSlider(value=3, min=1, max=max_kernel, description="kernel k"),
        stride=widgets.IntSlider(value=1, min=1, max=4, description="stride s"),
        padding=widgets.Dropdown(options=["valid", "same", "1", "2", "4"], value="valid"),
        dilation=widgets.IntSlider(value=1, min=1, max=6, description="dilation d"),
    )
