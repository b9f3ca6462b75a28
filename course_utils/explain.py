"""Explaining a ConvNet classifier: saliency, Grad-CAM, occlusion, class-model visualisation,
feature inversion, the deletion metric and the cascading-randomisation sanity check.

Lesson 08 (``08_visualizing_convnets``) derives every function; lesson 10 reuses :func:`saliency_map`.
Primary sources: Simonyan, Vedaldi & Zisserman (2014), "Deep inside convolutional networks"
(saliency, class models); Zeiler & Fergus (2014), "Visualizing and understanding convolutional
networks" (occlusion); Yosinski et al. (2015), "Understanding neural networks through deep
visualization" (four regularisers: L2 decay, blur, clipping pixels of small norm or small
contribution); Mordvintsev, Olah & Tyka (2015), "Inceptionism" (jitter); Mahendran & Vedaldi (2015), "Understanding deep image
representations by inverting them"; Selvaraju et al. (2017), "Grad-CAM"; Petsiuk, Das & Saenko (2018),
"RISE" (deletion metric); Adebayo et al. (2018), "Sanity checks for saliency maps".

Conventions: ``image`` is ``(H, W, C)`` or a batch of one ``(1, H, W, C)`` in the model's input
space. A class *score* is the value before the softmax (the layer ``"logits"``, as in
:func:`course_utils.models.logits_model`); a *probability* is the model's own output (the course's
models end in a softmax). ``class_index=None`` means the top class. Maps are float32 ``(H, W)``.
Gradients come from TensorFlow's ``GradientTape`` (the course's Keras backend).

Usage::

    from course_utils.data import sample_photo
    from course_utils.explain import grad_cam, saliency_map
    from course_utils.pretrained import imagenet_model, preprocess
    model, x = imagenet_model(), preprocess(sample_photo("chelsea"))
    heat = grad_cam(model, x)            # (224, 224) in [0, 1], top class, layer "head_relu6"
    grads = saliency_map(model, x)       # (224, 224), max |d score / d pixel| over RGB
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf
from scipy.ndimage import gaussian_filter
from scipy.stats import spearmanr

from course_utils.inference import forward
from course_utils.models import logits_model, scores_model
from course_utils.progress import progress


def _built(model, shape: tuple[int, ...] | None = None):
    """Give a Sequential model without an ``Input`` its inputs by building it for ``shape``."""
    if not model.built:
        if shape is None:
            raise ValueError(f"model {model.name!r} is not built; call it on an image once first")
        model.build((None, *shape))
    return model


def _as_batch(model, image) -> np.ndarray:
    """``image`` as a ``(1, H, W, C)`` array in the model's input dtype, shape checked."""
    x = np.asarray(image)
    x = x[None] if x.ndim == 3 else x
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"expected an image (H, W, C) or a batch of one (1, H, W, C), got {np.shape(image)}")
    expected = tuple(_built(model, x.shape[1:]).inputs[0].shape[1:])
    if any(e is not None and e != s for e, s in zip(expected, x.shape[1:])):
        raise ValueError(f"image of shape {x.shape[1:]} does not fit the model's input {expected}")
    return x.astype(np.dtype(model.inputs[0].dtype))


def _class(class_index, values: np.ndarray) -> int:
    """Check ``class_index`` against the last axis of ``values`` (one row); None -> its argmax."""
    n = values.shape[-1]
    if class_index is None:
        return int(np.argmax(values))
    is_int = isinstance(class_index, (int, np.integer)) and not isinstance(class_index, bool)
    if not is_int or not 0 <= class_index < n:
        raise ValueError(f"class_index must be an int in [0, {n}), got {class_index!r}")
    return int(class_index)


def _layer(model, name: str):
    if name not in [layer.name for layer in model.layers]:
        raise ValueError(f"model {model.name!r} has no layer named {name!r}")
    return model.get_layer(name)


def saliency_map(model, image: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """Simonyan et al. (2014): ``max_c |d score / d pixel|`` over the channels, an ``(H, W)`` map.

    The score is the class's value before the softmax, the gradient is taken at ``image``.
    Usage: ``heat = saliency_map(model, x, class_index=281)``.
    """
    x = tf.constant(_as_batch(model, image))
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = scores_model(model)(x, training=False)
        score = scores[0, _class(class_index, scores.numpy()[0])]
    grads = tape.gradient(score, x).numpy()[0]
    return np.abs(grads).max(axis=-1).astype(np.float32)


def last_conv_layer_name(model) -> str:
    """Name of the last layer (in ``model.layers`` order) whose output is 4-D ``(N, h, w, k)``.

    That is the last set of convolutional feature maps: ``"head_relu6"`` for EfficientNet-Lite0,
    ``"block3_pool"`` (3x3) for the Fashion CNN, whose 7x7 ``"block3_relu"`` you may prefer.
    Usage: ``last_conv_layer_name(imagenet_model())  # 'head_relu6'``.
    """
    for layer in reversed(model.layers):
        if type(layer).__name__ != "InputLayer" and len(layer.output.shape) == 4:
            return layer.name
    raise ValueError(f"model {model.name!r} has no layer with a 4-D output (N, h, w, k)")


def grad_cam_gradients(model, image: np.ndarray, class_index: int | None = None,
                       layer_name: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The feature maps ``A`` of ``layer_name`` and ``d score / dA``, two ``(h, w, k)`` arrays.

    Usage: ``acts, grads = grad_cam_gradients(model, x, layer_name="head_relu6")``.
    """
    x = tf.constant(_as_batch(model, image))
    layer = _layer(model, layer_name or last_conv_layer_name(model))
    if len(layer.output.shape) != 4:
        raise ValueError(f"layer {layer.name!r} has output shape {layer.output.shape}, not (N, h, w, k)")
    sub = keras.Model(model.inputs[0], [layer.output, logits_model(model).outputs[0]])   # scores before softmax
    with tf.GradientTape() as tape:
        tape.watch(x)   # records every operation, even in a model whose weights are frozen
        acts, scores = sub(x, training=False)
        score = scores[0, _class(class_index, scores.numpy()[0])]
    grads = tape.gradient(score, acts)
    return acts.numpy()[0], grads.numpy()[0]


def grad_cam_weights(grads: np.ndarray) -> np.ndarray:
    """Grad-CAM's ``alpha_k = mean_ij d score / dA^k_ij``: ``(h, w, k)`` -> ``(k,)``.

    Usage: ``alphas = grad_cam_weights(grads)`` (lesson 08).
    """
    return np.asarray(grads).mean(axis=(-3, -2))


def grad_cam_combine(activations: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """Grad-CAM's ``ReLU(sum_k alpha_k A^k)``: ``(h, w, k)`` and ``(k,)`` -> ``(h, w)``.

    Usage: ``raw = grad_cam_combine(acts, grad_cam_weights(grads))`` (lesson 08).
    """
    return np.maximum(np.einsum("...ijk,...k->...ij", np.asarray(activations), np.asarray(alphas)), 0.0)


def _zero_weak(image: np.ndarray, strength: np.ndarray, percentile: float) -> np.ndarray:
    """Zero the pixels of ``image`` whose ``strength`` ``(..., H, W)`` is below its percentile, per image."""
    threshold = np.percentile(strength, percentile, axis=(-2, -1), keepdims=True)
    return np.where((strength < threshold)[..., None], 0, image).astype(image.dtype)


def clip_small_norm(image: np.ndarray, percentile: float) -> np.ndarray:
    """Yosinski et al. (2015) regulariser: zero the pixels whose norm is below a percentile.

    The norm of a pixel is the L2 norm of its channels (last axis); the threshold is the
    ``percentile`` percentile of those norms over ``(H, W)``, one threshold per image for a batch
    ``(..., H, W, C)``. A pixel is zeroed as a whole (all its channels); the input is not changed.
    Usage: ``image = clip_small_norm(image, 20)   # the weakest 20 % of the pixels go to zero`` (lesson 08).
    """
    image = np.asarray(image)
    return _zero_weak(image, np.linalg.norm(image, axis=-1), percentile)


def clip_small_contribution(image: np.ndarray, grads: np.ndarray, percentile: float) -> np.ndarray:
    """Yosinski et al. (2015), fourth regulariser: zero the pixels of small contribution.

    Setting pixel ``(i, j)`` to zero changes the objective by about ``-sum_c x_ijc * grad_ijc`` (first
    order); the pixels where ``|sum_c x * grad|`` is below its ``percentile`` percentile go to zero.
    Usage: ``image = clip_small_contribution(image, grads, 20)`` (lesson 08).
    """
    image, grads = np.asarray(image), np.asarray(grads)
    if image.shape != grads.shape:
        raise ValueError(f"image and grads must have one shape, got {image.shape} and {grads.shape}")
    return _zero_weak(image, np.abs((image * grads).sum(axis=-1)), percentile)


def grad_cam(model, image: np.ndarray, class_index: int | None = None, layer_name: str | None = None,
             upsample: bool = True, normalize: bool = True) -> np.ndarray:
    """Selvaraju et al. (2017): ``ReLU(sum_k alpha_k A^k)``, resized to ``(H, W)`` and scaled to [0, 1].

    ``layer_name=None`` uses :func:`last_conv_layer_name`. The raw ``(h, w)`` map is resized
    bilinearly to the image size (``upsample``) and divided by its maximum (``normalize``; an
    all-zero map stays zero). Works for functional and Sequential models.
    Usage: ``heat = grad_cam(model, x)``; ``raw = grad_cam(model, x, upsample=False, normalize=False)``.
    """
    activations, grads = grad_cam_gradients(model, image, class_index, layer_name)
    heat = grad_cam_combine(activations, grad_cam_weights(grads)).astype(np.float32)
    if upsample:
        size = np.shape(image)[-3:-1]
        heat = tf.image.resize(heat[None, :, :, None], size, method="bilinear").numpy()[0, :, :, 0]
    peak = float(heat.max())     # the map is non-negative: an all-zero map stays zero
    return heat / peak if normalize and peak > 0 else heat


def _starts(n: int, patch: int, stride: int) -> list[int]:
    """Patch corners along one axis, the last one flush with the edge so every pixel is covered."""
    starts = list(range(0, n - patch + 1, stride))
    return starts if starts[-1] == n - patch else [*starts, n - patch]


def occlusion_map(model, image: np.ndarray, class_index: int | None = None, patch: int | None = None,
                  stride: int | None = None, fill=None, batch_size: int = 64) -> np.ndarray:
    """Zeiler & Fergus (2014): how much the class probability drops when a patch is greyed out.

    A ``patch`` x ``patch`` square (default: a seventh of the short side) slides with ``stride``
    (default: half the patch) and is set to ``fill`` (default: the image's mean colour, a neutral
    grey in any input space). Each pixel gets the mean drop ``p(clean) - p(occluded)`` of the
    patches that cover it; negative values mean hiding that region helps the class.
    Usage: ``heat = occlusion_map(model, x, patch=32, stride=16)``.
    """
    x = _as_batch(model, image)[0]
    h, w, _ = x.shape
    patch = max(1, min(h, w) // 7) if patch is None else patch
    stride = max(1, patch // 2) if stride is None else stride
    if not 1 <= patch <= min(h, w) or stride < 1 or batch_size < 1:
        raise ValueError(f"patch must be in [1, {min(h, w)}], stride and batch_size >= 1, "
                         f"got patch={patch}, stride={stride}, batch_size={batch_size}")
    fill = x.mean(axis=(0, 1)) if fill is None else fill
    # the model's own outputs (this module's probabilities), compiled once per model and image shape:
    # eagerly, each new batch size costs EfficientNet-Lite0 2.5 s (lesson 08's occlusion and deletion)
    clean = forward(model, x[None], "outputs", batch_size=1)[0]
    c = _class(class_index, clean)
    corners = [(t, left) for t in _starts(h, patch, stride) for left in _starts(w, patch, stride)]
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for first in range(0, len(corners), batch_size):
        chunk = corners[first:first + batch_size]
        batch = np.repeat(x[None], len(chunk), axis=0)
        for b, (t, left) in enumerate(chunk):
            batch[b, t:t + patch, left:left + patch] = fill
        probs = forward(model, batch, "outputs", batch_size=batch_size)[:, c]
        for (t, left), p in zip(chunk, probs):
            total[t:t + patch, left:left + patch] += clean[c] - p
            count[t:t + patch, left:left + patch] += 1
    return (total / count).astype(np.float32)


def _normalised_steps(value_and_grad, images: np.ndarray, steps: int, step_size: Callable[[int], float],
                      progress_desc: str | None, value_range: tuple[float, float] | None, jitter: int | None = 0,
                      rng: np.random.Generator | None = None, blur_every: int | None = None,
                      blur_sigma: float | None = None, clip_percentile: float | None = None,
                      contribution_percentile: float | None = None):
    """The loop of :func:`class_model_visualization` and :func:`invert_features`.

    Step ``t``: roll the images by up to ``jitter`` pixels (drawn from ``rng``), take ``(value,
    gradient)`` there, roll the gradient back and move each image by ``step_size(t)`` times its
    gradient divided by the gradient's mean absolute value; then blur every ``blur_every`` steps,
    zero the pixels of small norm (``clip_percentile``) or small contribution
    (``contribution_percentile``, with that step's gradient) and clip into ``value_range``. ``value_and_grad`` is
    compiled when it pays (a graph is about 4x faster per step than eager on a CPU, but tracing costs
    about 8 steps). Returns the images and the values, one row per step and one for the result.
    """
    if steps >= 8:
        value_and_grad = tf.function(value_and_grad)
    step_numbers = range(steps) if progress_desc is None else progress(range(steps), desc=progress_desc)
    values = []
    for step in step_numbers:
        dy, dx = rng.integers(-jitter, jitter + 1, size=2) if jitter else (0, 0)
        value, grads = value_and_grad(tf.constant(np.roll(images, (dy, dx), axis=(1, 2))))
        values.append(value.numpy())
        grads = np.roll(grads.numpy(), (-dy, -dx), axis=(1, 2))
        images = images + step_size(step) * grads / (np.abs(grads).mean(axis=(1, 2, 3), keepdims=True) + 1e-12)
        if blur_every and blur_sigma and (step + 1) % blur_every == 0:
            images = gaussian_filter(images, sigma=(0, blur_sigma, blur_sigma, 0))
        if clip_percentile:
            images = clip_small_norm(images, clip_percentile)
        if contribution_percentile:
            images = clip_small_contribution(images, grads, contribution_percentile)
        if value_range is not None:
            images = np.clip(images, *value_range)
    values.append(value_and_grad(tf.constant(images))[0].numpy())
    return images, np.array(values)


def class_model_visualization(model, class_index: int | Sequence[int] | None, steps: int = 200,
                              l2: float = 1e-3, lr: float = 0.05, blur_every: int | None = 4,
                              blur_sigma: float | None = 0.5,
                              clip_percentile: float | None = None, jitter: int | None = 8,
                              layer_name: str | None = None, unit: int | Sequence[int] | None = None,
                              value_range: tuple[float, float] | None = None,
                              seed: int = 0, progress_desc: str | None = None,
                              contribution_percentile: float | None = None,
                              init: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Gradient ascent from a zero image (or ``init``, ``(N, H, W, C)``) on ``score - l2 * ||I||^2``
    (Simonyan et al. 2014).

    Yosinski et al. (2015) regularisers besides the L2 decay, each off with 0 or None: a Gaussian
    blur (``blur_sigma``) every ``blur_every`` steps; set to zero the pixels whose norm over the
    channels is below the ``clip_percentile`` percentile of the image, or whose contribution
    (:func:`clip_small_contribution`) is below ``contribution_percentile``. Jitter, from Mordvintsev
    et al. (2015, "Inceptionism"): roll the image by up to ``jitter`` pixels before each gradient
    step. Each step moves the pixels by ``lr`` on average
    (the gradient is divided by its mean absolute value), so one ``lr`` suits models whose
    gradients differ in scale; ``value_range=(lo, hi)`` clips into the input range, e.g.
    ``(-1, 1)`` for ``imagenet_model()``, ``(0, 1)`` for the Fashion CNN.

    A list of classes is optimised together as one batch, one image each. With ``layer_name``
    and ``unit`` (an int or a list) the objective is instead the mean activation of channel
    ``unit`` of that layer, and ``class_index`` is ignored. ``progress_desc`` shows a progress bar
    over the steps (:func:`course_utils.progress.progress`) with that description.
    Returns ``(images, history)``: images ``(N, H, W, C)`` in the input space, and the scores
    ``(steps + 1, N)``: row ``t < steps`` is the score at step ``t`` (of the jittered image
    the gradient was taken on), the last row that of the returned images.
    Usage: ``images, history = class_model_visualization(model, [251, 951], value_range=(-1, 1))``.
    """
    _built(model)
    targets = unit if layer_name else class_index
    if targets is None:
        raise ValueError("class_model_visualization needs a class_index, or both layer_name and unit")
    output = _layer(model, layer_name).output if layer_name else logits_model(model).outputs[0]
    targets = [targets] if isinstance(targets, (int, np.integer)) else list(targets)
    targets = [_class(t, np.zeros(output.shape[-1])) for t in targets]
    shape = tuple(model.inputs[0].shape[1:])
    if None in shape:
        raise ValueError(f"model input shape {shape} is not fully defined")
    sub = keras.Model(model.inputs[0], output)
    dtype = np.dtype(model.inputs[0].dtype)
    onehot = tf.constant(np.eye(output.shape[-1], dtype=dtype)[targets])

    def scores_and_grads(batch):
        with tf.GradientTape() as tape:
            tape.watch(batch)
            out = sub(batch, training=False)
            out = tf.reduce_mean(out, axis=list(range(1, len(out.shape) - 1))) if len(out.shape) > 2 else out
            scores = tf.reduce_sum(out * onehot, axis=-1)
            objective = tf.reduce_sum(scores) - l2 * tf.reduce_sum(batch ** 2)
        return scores, tape.gradient(objective, batch)

    start = np.zeros((len(targets), *shape), dtype=dtype) if init is None else np.asarray(init, dtype=dtype)
    if start.shape != (len(targets), *shape):
        raise ValueError(f"init must have shape {(len(targets), *shape)}, got {start.shape}")
    images, history = _normalised_steps(scores_and_grads, start, steps, lambda step: lr, progress_desc,
                                        value_range, jitter, np.random.default_rng(seed), blur_every,
                                        blur_sigma, clip_percentile, contribution_percentile)
    return images.astype(dtype), history


def invert_features(model, image: np.ndarray, layer_name: str, steps: int = 200, lr: float = 0.05,
                    tv: float = 0.05, value_range: tuple[float, float] | None = None, seed: int = 0,
                    progress_desc: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mahendran & Vedaldi (2015): an image whose features at ``layer_name`` match those of ``image``.

    Gradient descent from small noise on ``||phi(x) - phi(x0)||^2 / ||phi(x0)||^2 + tv * TV(x)``,
    where ``phi`` is the layer's output and ``TV`` the mean squared difference of neighbouring
    pixels (their total-variation regulariser with beta = 2). Step ``t`` moves the pixels by
    ``lr * (1 - t / steps)`` on average (the gradient is divided by its mean absolute value, as in
    :func:`class_model_visualization`, and the step shrinks linearly so that the image settles);
    ``value_range`` clips into the input range.
    Returns ``(reconstruction, losses)``: the ``(H, W, C)`` image and the relative feature error
    ``(steps + 1,)``, at each step and for the returned image.
    Usage: ``x_hat, losses = invert_features(model, x, "block5_project_bn", value_range=(-1, 1))``.
    """
    x0 = _as_batch(model, image)
    sub = keras.Model(model.inputs[0], _layer(model, layer_name).output)
    target = tf.constant(sub(x0, training=False))
    scale = float(tf.reduce_sum(target ** 2)) or 1.0
    rng = np.random.default_rng(seed)
    x = (0.1 * rng.standard_normal(x0.shape)).astype(x0.dtype)

    def loss_and_grad(batch):
        with tf.GradientTape() as tape:
            tape.watch(batch)
            error = tf.reduce_sum((sub(batch, training=False) - target) ** 2) / scale
            smooth = (tf.reduce_mean((batch[:, 1:] - batch[:, :-1]) ** 2)
                      + tf.reduce_mean((batch[:, :, 1:] - batch[:, :, :-1]) ** 2))
            objective = error + tv * smooth
        return error, tape.gradient(objective, batch)

    # descent, the step shrinking linearly
    x, losses = _normalised_steps(loss_and_grad, x, steps, lambda step: -lr * (1 - step / steps), progress_desc,
                                  value_range)
    return x[0].astype(x0.dtype), losses


def random_saliency(shape: tuple[int, int], seed: int = 0, cells: int | None = None) -> np.ndarray:
    """Uniform random values, the "random order" baselines for :func:`deletion_curves` (lesson 08).

    By default one value per pixel: deletion then greys out pixels scattered over the whole image.
    With ``cells``, one value per cell of a ``cells`` x ``cells`` grid (each pixel takes its
    cell's value), so deletion removes whole regions in random order, as coarse as a Grad-CAM map
    on a ``cells`` x ``cells`` feature grid.
    Usage: ``deletion_curves(model, x, {"random": random_saliency(x.shape[:2], cells=7)})``.
    """
    rng = np.random.default_rng(seed)
    if cells is None:
        return rng.random(shape).astype(np.float32)
    h, w = shape
    if not 1 <= cells <= min(h, w):
        raise ValueError(f"cells must be between 1 and {min(h, w)}, got {cells}")
    grid = rng.random((cells, cells)).astype(np.float32)
    return grid[np.arange(h) * cells // h][:, np.arange(w) * cells // w]


def deletion_curves(model, image: np.ndarray, saliencies: dict[str, np.ndarray], class_index: int | None = None,
                    steps: int = 20, fill=None, batch_size: int = 32) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Petsiuk et al. (2018) deletion: remove the most salient pixels first, watch the probability fall.

    For each ``(H, W)`` map of ``saliencies``, step ``s`` of ``steps`` sets the
    ``round(s / steps * H * W)`` most salient pixels to ``fill`` (default: the image's mean colour;
    ties keep raster order). Returns ``{name: (fractions, probs)}``, each ``steps + 1`` long: the
    fraction removed, from 0 to 1, and the class probability. The images of all the maps run through
    the model together: on a CPU the per-call overhead of a large model dominates a short curve
    (lesson 08 compares 3 maps with 6 random orders).
    Usage: ``curves = deletion_curves(model, x, {"Grad-CAM": heat, "saliency": sal})``.
    """
    x = _as_batch(model, image)[0]
    h, w, _ = x.shape
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    fill = x.mean(axis=(0, 1)) if fill is None else fill
    fractions = np.linspace(0.0, 1.0, steps + 1)
    batches = []
    for name, saliency in saliencies.items():
        saliency = np.asarray(saliency)
        if saliency.shape != (h, w):
            raise ValueError(f"saliency {name!r} must have the image's shape {(h, w)}, got {saliency.shape}")
        order = np.argsort(-saliency.ravel(), kind="stable")
        batch = np.repeat(x[None], steps + 1, axis=0)
        for s, fraction in enumerate(fractions):
            rows, cols = np.unravel_index(order[:round(fraction * h * w)], (h, w))
            batch[s, rows, cols] = fill
        batches.append(batch)
    probs = forward(model, np.concatenate(batches), "outputs", batch_size=batch_size)   # compiled, as above
    c = _class(class_index, probs[0])
    return {name: (fractions, probs[k * (steps + 1):(k + 1) * (steps + 1), c])
            for k, name in enumerate(saliencies)}


def deletion_auc(fractions: np.ndarray, probs: np.ndarray) -> float:
    """Area under the deletion curve by the trapezoid rule (lower: the map found what matters).

    Usage: ``deletion_auc(*curves["Grad-CAM"])``.
    """
    return float(np.trapezoid(probs, fractions))


def randomize_top_down(model, n_layers: int, seed: int | None = 0):
    """Adebayo et al. (2018) cascading randomisation: a copy, top ``n_layers`` weighted layers re-initialised.

    "Weighted layers" are those with weights (batch norm included), in ``model.layers`` order,
    counted from the output. ``keras.models.clone_model`` builds fresh layers, drawn from each
    layer's own initializer (so batch norm resets to gamma=1, beta=0, mean=0, var=1); the other
    layers get the original weights back. ``seed`` calls ``keras.utils.set_random_seed`` (which
    seeds Python, NumPy and Keras globally); the original model is not changed.
    Usage: ``for n in range(1, 6): maps.append(grad_cam(randomize_top_down(model, n), x))``.
    """
    _built(model)
    weighted = [i for i, layer in enumerate(model.layers) if layer.weights]
    if not 0 <= n_layers <= len(weighted):
        raise ValueError(f"n_layers must be in [0, {len(weighted)}], got {n_layers}")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    clone = keras.models.clone_model(model)
    if not clone.built:
        clone.build(tuple(model.inputs[0].shape))
    for i in weighted[:len(weighted) - n_layers]:
        clone.layers[i].set_weights(model.layers[i].get_weights())
    return clone


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two maps of the same shape (``scipy.stats.spearmanr``).

    Usage: ``spearman(grad_cam(model, x), grad_cam(randomize_top_down(model, 3), x))``.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"maps must have the same shape, got {a.shape} and {b.shape}")
    return float(spearmanr(a.ravel(), b.ravel()).statistic)
