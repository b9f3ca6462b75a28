"""Reference NumPy convolution (channels-last, like Keras), checked against Keras; pooling and receptive-field arithmetic.

Lesson 04 builds these step by step; later lessons import them from here.
All arrays are channels-last: images ``(N, H, W, C_in)``, kernels ``(kh, kw, C_in, C_out)``
(the layout of ``keras.layers.Conv2D.kernel``). Like Keras (and every deep learning
library), "convolution" means cross-correlation: the kernel is not flipped.

Usage::

    from course_utils.conv import conv2d, conv_output_size
    y = conv2d(x, w, b, stride=2, padding="same", dilation=1)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    a, b = value
    return int(a), int(b)


def effective_kernel_size(k: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: ``d * (k - 1) + 1``. Usage: ``effective_kernel_size(3, 2) == 5``."""
    return dilation * (k - 1) + 1


def conv_output_size(n: int, k: int, stride: int = 1, padding: str | int | tuple[int, int] = "valid",
                     dilation: int = 1) -> int:
    """Output length along one axis (Dumoulin & Visin 2016, Keras' rules for "valid"/"same").

    ``padding`` is ``"valid"``, ``"same"``, an int ``p`` (``p`` zeros on both sides) or a pair
    ``(before, after)``. Formula: ``floor((n + p_total - d*(k-1) - 1) / s) + 1``; "same"
    gives ``ceil(n / s)``.

    Usage: ``conv_output_size(28, 3, stride=2, padding=1) == 14``.
    """
    if padding == "same":
        return math.ceil(n / stride)
    before, after = (0, 0) if padding == "valid" else _pair(padding)
    span = effective_kernel_size(k, dilation)
    return max(0, (n + before + after - span) // stride + 1)


def same_padding(n: int, k: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """Zeros (before, after) that Keras/TensorFlow add for ``padding="same"``; the extra one goes after.

    Usage: ``same_padding(28, 3, 2) == (0, 1)``.
    """
    span = effective_kernel_size(k, dilation)
    out = math.ceil(n / stride)
    total = max((out - 1) * stride + span - n, 0)
    return total // 2, total - total // 2


def pad_amounts(shape_hw: tuple[int, int], kernel_hw: tuple[int, int], stride: tuple[int, int],
                padding, dilation: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) zeros for any padding argument.

    Usage: ``pad_amounts((28, 28), (3, 3), (1, 1), "same", (1, 1)) == ((1, 1), (1, 1))``.
    """
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        return tuple(same_padding(n, k, s, d)  # type: ignore[return-value]
                     for n, k, s, d in zip(shape_hw, kernel_hw, stride, dilation))
    if isinstance(padding, (int, np.integer)):
        return (int(padding), int(padding)), (int(padding), int(padding))
    first, second = padding
    if isinstance(first, (int, np.integer)):  # (ph, pw): symmetric per axis
        return (int(first), int(first)), (int(second), int(second))
    return _pair(first), _pair(second)


def _prepare(x, w, stride, padding, dilation):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"x must be (N, H, W, C) and w (kh, kw, C, F); got {x.shape} and {w.shape}")
    if x.shape[-1] != w.shape[2]:
        raise ValueError(f"x has {x.shape[-1]} channels but the kernel expects {w.shape[2]}")
    stride, dilation = _pair(stride), _pair(dilation)
    (pt, pb), (pl, pr) = pad_amounts(x.shape[1:3], w.shape[:2], stride, padding, dilation)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    span = [effective_kernel_size(k, d) for k, d in zip(w.shape[:2], dilation)]
    if span[0] > xp.shape[1] or span[1] > xp.shape[2]:
        raise ValueError(f"the (dilated) kernel spans {span[0]}x{span[1]} but the padded input is "
                         f"only {xp.shape[1]}x{xp.shape[2]}")
    out_hw = [(xp.shape[1 + i] - span[i]) // stride[i] + 1 for i in range(2)]
    return x, w, xp, stride, dilation, out_hw


def conv2d_loop(x, w, b=None, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Convolution with explicit loops over output positions (clear, slow).

    Usage: ``y = conv2d_loop(x, w, b, stride=1, padding="same")``.
    """
    x, w, xp, (sh, sw), (dh, dw), (oh, ow) = _prepare(x, w, stride, padding, dilation)
    kh, kw, _, f = w.shape
    out = np.zeros((x.shape[0], oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * sh: i * sh + dh * (kh - 1) + 1: dh, j * sw: j * sw + dw * (kw - 1) + 1: dw, :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))
    return out if b is None else out + np.asarray(b, dtype=np.float64)


def extract_patches(xp: np.ndarray, kernel_hw, stride=1, dilation=1) -> np.ndarray:
    """All kernel-sized windows of a padded batch as a view: ``(N, oh, ow, kh, kw, C)``.

    Uses ``np.lib.stride_tricks.sliding_window_view`` (no copy) then strided slicing.
    Usage: ``patches = extract_patches(xp, (3, 3), stride=2)``.
    """
    (kh, kw), (sh, sw), (dh, dw) = _pair(kernel_hw), _pair(stride), _pair(dilation)
    span_h, span_w = effective_kernel_size(kh, dh), effective_kernel_size(kw, dw)
    win = np.lib.stride_tricks.sliding_window_view(xp, (span_h, span_w), axis=(1, 2))
    win = win[:, ::sh, ::sw, :, ::dh, ::dw]             # (N, oh, ow, C, kh, kw)
    return win.transpose(0, 1, 2, 4, 5, 3)


def conv2d(x, w, b=None, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Vectorised convolution (sliding windows + one tensordot), same result as :func:`conv2d_loop`.

    Usage: ``y = conv2d(x, w, b, stride=2, padding="same", dilation=1)``.
    """
    x, w, xp, stride, dilation, _ = _prepare(x, w, stride, padding, dilation)
    patches = extract_patches(xp, w.shape[:2], stride, dilation)
    out = np.tensordot(patches, w, axes=([3, 4, 5], [0, 1, 2]))
    return out if b is None else out + np.asarray(b, dtype=np.float64)


def dilate_kernel(w: np.ndarray, d: int) -> np.ndarray:
    """Insert ``d - 1`` zeros between the taps of a ``(kh, kw, C, F)`` kernel: the kernel that a
    dilation ``d`` applies, written out (``conv2d(x, dilate_kernel(w, d)) == conv2d(x, w, dilation=d)``).

    Derived in lesson 04 (convolutions), exercise 2.
    Usage: ``dilate_kernel(w, 2).shape[:2] == (5, 5)`` for a 3x3 kernel.
    """
    w = np.asarray(w)
    kh, kw = w.shape[:2]
    out = np.zeros((d * (kh - 1) + 1, d * (kw - 1) + 1) + w.shape[2:], dtype=w.dtype)
    out[::d, ::d] = w
    return out


def receptive_field(layers: Sequence[tuple[int, int, int]]) -> list[dict[str, int]]:
    """Receptive field, jump and output-pixel spacing after each layer of a stack.

    ``layers`` is a list of ``(kernel, stride, dilation)``; returns one dict per layer with
    ``rf`` (receptive field in input pixels) and ``jump`` (input pixels between neighbouring
    outputs): ``rf_l = rf_{l-1} + d_l (k_l - 1) jump_{l-1}``, ``jump_l = jump_{l-1} s_l``.

    Usage: ``receptive_field([(3, 1, 1), (2, 2, 1), (3, 1, 1)])[-1]["rf"] == 8``.
    """
    rf, jump, rows = 1, 1, []
    for k, s, d in layers:
        rf += d * (k - 1) * jump
        jump *= s
        rows.append({"rf": rf, "jump": jump})
    return rows


def pool_flatten_shapes(shape: Sequence[int], size: int,
                        stride: int | None = None) -> tuple[tuple[int, int, int], int]:
    """Shape ``(H', W', C)`` after a "valid" ``size x size`` pooling of ``(H, W, C)``, and its flattened length.

    The stride defaults to the pool size (as in Keras); each side is ``floor((n - size) / stride) + 1``
    and pooling keeps the channels. Derived in lesson 04 (convolutions), exercise 3.
    Usage: ``pool_flatten_shapes((7, 7, 64), 2) == ((3, 3, 64), 576)``.
    """
    h, w, c = (int(v) for v in shape)
    stride = stride or size
    pooled = ((h - size) // stride + 1, (w - size) // stride + 1, c)
    return pooled, pooled[0] * pooled[1] * pooled[2]
