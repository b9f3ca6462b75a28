"""Lesson 04 (convolutions): the checkers pass their references and catch wrong implementations
with a hint."""

from __future__ import annotations

from functools import partial

import numpy as np

from course_utils import conv
from course_utils.exercises import lesson04 as l4


def _rf_no_jump(layers):
    rf, out = 1, []
    for k, _s, d in layers:
        rf += d * (k - 1)
        out.append(rf)
    return out


def _rf_own_stride(layers):
    rf, jump, out = 1, 1, []
    for k, s, d in layers:
        jump *= s
        rf += d * (k - 1) * jump
        out.append(rf)
    return out


def _rf_no_dilation(layers):
    return l4._receptive_fields([(k, s, 1) for k, s, _d in layers])


def _pool_stride_one(shape, size, stride=None):
    return conv.pool_flatten_shapes(shape, size, stride or 1)


def _pool_ceil(shape, size, stride=None):
    step = stride or size
    h, w, c = shape
    pooled = (-(-(h - size) // step) + 1, -(-(w - size) // step) + 1, c)
    return pooled, pooled[0] * pooled[1] * c


def _pool_flat_without_channels(shape, size, stride=None):
    pooled, _ = conv.pool_flatten_shapes(shape, size, stride)
    return pooled, pooled[0] * pooled[1]


def _pool_drops_channels(shape, size, stride=None):
    (h, w, _c), _ = conv.pool_flatten_shapes(shape, size, stride)
    return (h, w, 1), h * w


def _conv_loop(x, w, b, stride=1, padding="valid", dilation=1, *, flip=False, bias="own", at_ij=False,
               ignore=None, extra_before=False, sum_channels=True):
    """A student's conv2d with loops, with one of the plausible mistakes switched on."""
    stride, dilation = (1 if ignore == "stride" else stride), (1 if ignore == "dilation" else dilation)
    padding = "valid" if ignore == "padding" else padding
    kh, kw, c, f = w.shape
    (top, bottom), (left, right) = conv.pad_amounts(x.shape[1:3], (kh, kw), (stride,) * 2, padding, (dilation,) * 2)
    if extra_before:
        (top, bottom), (left, right) = (bottom, top), (right, left)
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    w = w[::-1, ::-1] if flip else w
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    oh, ow = (xp.shape[1] - span_h) // stride + 1, (xp.shape[2] - span_w) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, f) if sum_channels else (x.shape[0], oh, ow, c, f))
    for n in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                r, col = (i, j) if at_ij else (i * stride, j * stride)
                window = xp[n, r:r + span_h:dilation, col:col + span_w:dilation]
                if sum_channels:
                    out[n, i, j] = np.tensordot(window, w, axes=3)
                else:
                    out[n, i, j] = np.einsum("uvc,uvcf->cf", window, w)
    return out + {"own": b, "none": 0.0, "all": np.sum(b)}[bias]


# The wrong implementations of each checker, with the fault its message must name; the contract
# (tests/test_checker_contract.py) runs every one of them and asks for at least three per checker.
WRONG = {
    "output_size": (l4.check_output_size, [
        (lambda n, k, s=1, p=0, d=1: (n + 2 * p - k) // s + 1, "a dilated kernel spans d(k-1)+1 pixels"),
        (lambda n, k, s=1, p=0, d=1: (n + p - d * (k - 1) - 1) // s + 1, "p zeros on *both* sides"),
        (lambda n, k, s=1, p=0, d=1: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1, "floor it to 3"),   # ceil
        (lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * (k - 1) - 1) / s + 1, "expected the integer"),
        (lambda n, k, s=1, p=0, d=1: None, "returned NoneType"),
    ]),
    "conv2d_loop": (l4.check_conv2d_loop, [
        (partial(_conv_loop, flip=True), "the kernel is flipped"),
        (partial(_conv_loop, bias="none"), "the bias is missing"),
        (partial(_conv_loop, bias="all"), "sum of all biases"),
        (partial(_conv_loop, at_ij=True), "starts at (i*stride, j*stride)"),
        (partial(_conv_loop, ignore="stride"), "the stride was ignored"),
        (partial(_conv_loop, ignore="padding"), "the padding was ignored"),
        (partial(_conv_loop, ignore="dilation"), "the dilation was ignored"),
        (partial(_conv_loop, extra_before=True), "the odd extra zero after"),
        (partial(_conv_loop, sum_channels=False), "sum over the input channels too"),
    ]),
    "dilate_kernel": (l4.check_dilate_kernel, [
        (lambda w, d: w, "returned shape (3, 3, 1, 2), expected (5, 5, 1, 2)"),           # no dilation
        (lambda w, d: np.kron(w.transpose(2, 3, 0, 1), np.eye(d)[:1].T @ np.eye(d)[:1]).transpose(2, 3, 0, 1),
         "returned shape (6, 6, 1, 2)"),                                                   # d*k taps, not d(k-1)+1
        (lambda w, d: np.repeat(np.repeat(w, d, axis=0), d, axis=1)[: d * (w.shape[0] - 1) + 1,
                                                                    : d * (w.shape[1] - 1) + 1],
         "wrong values"),                                                                  # repeats, no zeros
    ]),
    "receptive_fields": (l4.check_receptive_fields, [
        (_rf_no_jump, "returned [3, 4, 6, 7, 9], expected [3, 4, 8, 10, 18]"),
        (_rf_own_stride, "returned [3, 5, 9, 13, 21]"),
        (_rf_no_dilation, "returned [3, 5, 7], expected [3, 7, 15]"),
        (lambda layers: l4._receptive_fields(layers)[:-1], "one per layer"),
    ]),
    "pool_flatten_shapes": (l4.check_pool_flatten_shapes, [
        (_pool_stride_one, "the stride defaults to the pool size, not 1"),
        (_pool_ceil, "floor, not ceil"),
        (_pool_flat_without_channels, "Flatten keeps all"),
        (_pool_drops_channels, "pooling keeps every channel"),
        (lambda shape, size, stride=None: conv.pool_flatten_shapes(shape, size, stride)[0], "return a pair"),
    ]),
}


def test_output_size_floor_hint_sits_on_a_case_where_floor_matters():
    def rounded(n, k, s=1, p=0, d=1):
        return round((n + 2 * p - d * (k - 1) - 1) / s) + 1
    messages = l4.check_output_size(rounded).messages
    wrong = [m for m in messages if "WRONG" in m]
    assert wrong and all("floor" in m for m in wrong), messages
    assert any("3.5" in m for m in wrong)


def test_conv2d_loop_checker_passes_a_loop_written_as_in_the_lesson():
    result = l4.check_conv2d_loop(_conv_loop)
    assert result.passed and result.use is _conv_loop, result.messages
