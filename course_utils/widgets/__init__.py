"""Interactive demos (ipywidgets), one module per demo, each returning the widget to display.

``perceptron`` (lesson 01: sliders for w1, w2, b move the decision line), ``conv_explorer``
(lesson 04: kernel, stride, padding and dilation), ``augmentation`` (lesson 07: a slider per
transformation on a photo, and a fill-mode selector), ``explain_maps`` (lesson 08: a photo and one
of its top-5 classes, with its saliency, Grad-CAM and occlusion maps), ``adversarial`` (lesson 09: an eps
slider over an FGSM attack, and a photo upload), ``latent_walk`` (lesson 11: two seeds, an A-to-B slerp
slider and three latent directions) and ``latent_plane`` (lesson 12: two sliders over the VAE's 2-D
latent plane). A demo never shows a traceback: any slider position draws something or says in one
line why it cannot.

Usage: ``from course_utils.widgets.perceptron import perceptron_boundary_widget``.
"""

from __future__ import annotations


def failure(what: str, exc: BaseException, width: int = 100) -> str:
    """The one bold line a demo shows instead of a traceback: ``Could not <what> (<Error>: <first line>).``

    Usage: ``except Exception as exc: status.value = failure("draw this setting", exc)``.
    """
    first = (str(exc).splitlines() or [""])[0][:width]
    return f"<b>Could not {what} ({type(exc).__name__}: {first}).</b>"
