"""The perceptron demo of lesson 01: sliders for ``w1``, ``w2`` and ``b`` move the decision line.

Usage::

    from course_utils.widgets.perceptron import perceptron_boundary_widget
    perceptron_boundary_widget()
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from course_utils.widgets import failure


# ----------------------------------------------------------------------------- perceptron
def perceptron_demo_points(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two clouds of 2-D points on either side of the line of Cherubini's slide ``x2 = x1 + 10``
    (``w = (1, -1)``, ``b = 10``): label 1 below the line, 0 above.

    Usage: ``X, t = perceptron_demo_points()``.
    """
    rng = np.random.default_rng(seed)
    x1 = rng.uniform(0, 20, size=n)
    offset = rng.uniform(3, 12, size=n) * np.where(np.arange(n) % 2 == 0, 1, -1)
    X = np.column_stack([x1, x1 + 10 + offset])
    return X, (X[:, 0] - X[:, 1] + 10 >= 0).astype(int)


def boundary_segment(w1: float, w2: float, b: float, xlim: tuple[float, float],
                     ylim: tuple[float, float]) -> np.ndarray | None:
    """End points ``[[x1, x2], [x1', x2']]`` of the line ``w1 x1 + w2 x2 + b = 0`` inside the box,
    or ``None`` when there is no line (``w1 = w2 = 0``) or it misses the box.

    Usage: ``seg = boundary_segment(1, -1, 10, (0, 20), (0, 35))``.
    """
    if np.hypot(w1, w2) < 1e-12:
        return None
    (x0, x1), (y0, y1) = xlim, ylim
    points = []
    if abs(w2) > 1e-12:
        for x in (x0, x1):
            y = -(w1 * x + b) / w2
            if y0 - 1e-9 <= y <= y1 + 1e-9:
                points.append((x, y))
    if abs(w1) > 1e-12:
        for y in (y0, y1):
            x = -(w2 * y + b) / w1
            if x0 - 1e-9 <= x <= x1 + 1e-9:
                points.append((x, y))
    unique = []
    for p in points:
        if all(np.hypot(p[0] - q[0], p[1] - q[1]) > 1e-9 for q in unique):
            unique.append(p)
    if len(unique) < 2:
        return None
    return np.array(unique[:2], dtype=float)


def _line_text(w1: float, w2: float, b: float) -> str:
    """``w1 x1 + w2 x2 + b`` written with signs, e.g. ``x1 - x2 + 10``."""
    text = ""
    for coef, name in ((w1, "x1"), (w2, "x2"), (b, "")):
        if coef == 0 and name:
            continue
        sign = "-" if coef < 0 else "+"
        mag = abs(coef)
        term = f"{mag:g}" if not name else (name if mag == 1 else f"{mag:g} {name}")
        text += (("-" if sign == "-" else "") + term) if not text else f" {sign} {term}"
    return text or "0"


def draw_perceptron(ax, X: np.ndarray, w1: float, w2: float, b: float,
                    targets: np.ndarray | None = None, xlim=(-2.0, 22.0), ylim=(-5.0, 40.0)) -> str:
    """Draw the points coloured by the perceptron's class, the decision line, the shaded
    half-planes and the normal vector; return a one-line status message.

    Usage: ``msg = draw_perceptron(ax, X, 1.0, -1.0, 10.0, targets=t)``.
    """
    cmap = plt.get_cmap("viridis")
    colours = {0: cmap(0.15), 1: cmap(0.8)}
    s = X @ np.array([w1, w2]) + b
    pred = (s >= 0).astype(int)
    gx, gy = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    grid = (w1 * gx + w2 * gy + b >= 0).astype(float)
    ax.contourf(gx, gy, grid, levels=[-0.5, 0.5, 1.5], colors=[colours[0], colours[1]], alpha=0.15)
    for c in (0, 1):
        ax.scatter(*X[pred == c].T, s=60, color=colours[c], edgecolor="k", label=f"predicted class {c}")
    if targets is not None and np.any(pred != targets):
        wrong = pred != targets
        ax.scatter(*X[wrong].T, s=220, facecolor="none", edgecolor="crimson", linewidth=2, label="misclassified")
    seg = boundary_segment(w1, w2, b, xlim, ylim)
    if np.hypot(w1, w2) < 1e-12:
        message = (f"No boundary: w1 = w2 = 0, so s = b = {b:g} for every point and all of them "
                   f"get class {int(b >= 0)}.")
    elif seg is None:
        message = f"The line {_line_text(w1, w2, b)} = 0 lies outside the plot: every point gets one class."
    else:
        ax.plot(seg[:, 0], seg[:, 1], color="k", linewidth=2.5, label="w1 x1 + w2 x2 + b = 0")
        mid = seg.mean(axis=0)
        norm = np.array([w1, w2]) / np.hypot(w1, w2) * 0.12 * (xlim[1] - xlim[0])
        ax.annotate("", xy=mid + norm, xytext=mid, arrowprops={"arrowstyle": "->", "lw": 2, "color": "crimson"})
        message = f"Boundary {_line_text(w1, w2, b)} = 0; the red arrow w points to class 1."
    if targets is not None:
        message += f" Accuracy {np.mean(pred == targets):.0%}."
    ax.set(xlim=xlim, ylim=ylim, xlabel="$x_1$", ylabel="$x_2$",
           title=f"Perceptron: w = ({w1:g}, {w2:g}), b = {b:g}")
    ax.legend(loc="upper left", fontsize=10)
    return message


def perceptron_boundary_widget(X: np.ndarray | None = None, targets: np.ndarray | None = None,
                               w1: float = 1.0, w2: float = -1.0, b: float = 10.0):
    """Sliders for ``w1``, ``w2`` and ``b`` that move the perceptron's line and recolour the
    points. Any slider position works, ``w1 = w2 = 0`` included (a message replaces the line).

    Returns an ``ipywidgets.VBox``: the three sliders, a status line (``HTML``) and the figure.
    Usage: ``perceptron_boundary_widget()`` as a cell's last line.
    """
    if X is None:
        X, targets = perceptron_demo_points()
    X = np.asarray(X, dtype=float)
    style = {"description_width": "40px"}
    layout = widgets.Layout(width="420px")
    sliders = {
        "w1": widgets.FloatSlider(value=w1, min=-3, max=3, step=0.1, description="w1", style=style, layout=layout),
        "w2": widgets.FloatSlider(value=w2, min=-3, max=3, step=0.1, description="w2", style=style, layout=layout),
        "b": widgets.FloatSlider(value=b, min=-40, max=40, step=0.5, description="b", style=style, layout=layout),
    }
    status = widgets.HTML()
    out = widgets.Output()

    def update(_change=None) -> str:
        fig, ax = plt.subplots(figsize=(7, 5.2))
        try:
            message = draw_perceptron(ax, X, sliders["w1"].value, sliders["w2"].value, sliders["b"].value,
                                      targets)
            status.value = f"<b>{message}</b>"
        except Exception as exc:  # noqa: BLE001 - a demo must never show a traceback
            message = failure("draw this setting", exc)
            status.value = message
        with out:
            out.clear_output(wait=True)
            display(fig)
        plt.close(fig)
        return message

    for slider in sliders.values():
        slider.observe(update, names="value")
    update()
    return widgets.VBox([*sliders.values(), status, out])
