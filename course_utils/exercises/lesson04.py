"""Checkers for lesson 04 (convolutions): output size, conv2d with loops, dilated kernels, pooled
and flattened shapes, receptive fields.

The references are in :mod:`course_utils.conv`: ``conv_output_size``, ``conv2d_loop``,
``dilate_kernel``, ``pool_flatten_shapes`` and ``receptive_field``.

Usage::

    from course_utils.exercises.lesson04 import check_output_size
    output_size = check_output_size(output_size).use
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils.checks import (
    Case,
    CheckResult,
    array_problem,
    as_float_array,
    close,
    first_fault,
    run_check,
)
from course_utils.conv import (
    conv2d,
    conv2d_loop,
    conv_output_size,
    dilate_kernel,
    pad_amounts,
    pool_flatten_shapes,
    receptive_field,
)


def _receptive_fields(layers: list[tuple[int, int, int]]) -> list[int]:
    return [row["rf"] for row in receptive_field(layers)]


def _output_size_problem(out: Any, n: int, k: int, stride: int, padding: int, dilation: int) -> str | None:
    expected = conv_output_size(n, k, stride, padding, dilation)
    problem = array_problem(out, ())
    if problem is not None:
        return f"{problem}: return the integer {expected}"
    if isinstance(out, bool) or not isinstance(out, (int, np.integer)):
        return f"returned {type(out).__name__} {out!r}, expected the integer {expected} (use //)"
    return None if int(out) == expected else f"returned {int(out)}, expected {expected}"


def _receptive_fields_problem(out: Any, layers: list[tuple[int, int, int]]) -> str | None:
    expected = _receptive_fields(layers)
    problem = array_problem(out, (len(expected),))
    if problem is not None:
        return f"{problem}: return a list of {len(expected)} integers, one per layer"
    got = [int(v) if v == int(v) else float(v) for v in as_float_array(out)]
    return None if got == expected else f"returned {got}, expected {expected}"


def check_output_size(fn: Callable) -> CheckResult:
    """Check ``fn(n, k, stride, padding, dilation)``: the output length of a convolution.

    Usage: ``output_size = check_output_size(output_size).use``.
    """
    settings = [(28, 3, 1, 0, 1), (28, 3, 1, 1, 1), (28, 3, 2, 1, 1), (10, 3, 2, 0, 1),
                (32, 4, 3, 2, 1), (28, 5, 1, 0, 2), (10, 3, 1, 3, 3)]
    hints = {0: "no padding: n - k + 1", 1: "padding p adds p zeros on *both* sides",
             2: "divide by the stride, floor, then add 1",
             3: "(10 - 3) / 2 = 3.5: floor it to 3 (a window may not hang over the edge), not round or ceil",
             4: "p zeros on both sides, then floor((n + 2p - k) / s) + 1",
             5: "a dilated kernel spans d(k-1)+1 pixels", 6: "a dilated kernel spans d(k-1)+1 pixels"}
    cases = [Case(f"n={n}, k={k}, stride={s}, padding={p}, dilation={d}", (n, k, s, p, d), hint=hints[i])
             for i, (n, k, s, p, d) in enumerate(settings)]
    return run_check("output_size", fn, cases, reference=conv_output_size, diagnose=_output_size_problem)


_DILATION_IGNORED = "the dilation was ignored: a window spans d(k-1)+1 pixels, every d-th one used"


def _conv2d_shape_fault(got_shape: tuple, x: np.ndarray, w: np.ndarray, stride: int, padding: Any,
                        dilation: int) -> str | None:
    """Which setting a wrongly shaped output of conv2d ignored, read from the shape alone."""
    if len(got_shape) == 5:
        return "sum over the input channels too: each filter gives one output channel"
    shape_with = {name: conv2d(x, w, None, *setting).shape for name, setting in {
        "stride": (1, padding, dilation), "padding": (stride, "valid", dilation),
        "dilation": (stride, padding, 1)}.items()}
    faults = {"stride": "the stride was ignored: output (i, j) reads the window at (i*stride, j*stride)",
              "padding": "the padding was ignored: pad the input first (pad_input above)",
              "dilation": _DILATION_IGNORED}
    for name, shape in shape_with.items():
        default = {"stride": 1, "padding": "valid", "dilation": 1}[name]
        if {"stride": stride, "padding": padding, "dilation": dilation}[name] != default and got_shape == shape:
            return faults[name]
    return None


def _padded(x: np.ndarray, w: np.ndarray, stride: int, padding: Any, dilation: int,
            extra_before: bool = False) -> np.ndarray:
    """``x`` padded as conv2d pads it; ``extra_before`` puts an odd "same" zero before (a mistake)."""
    (top, bottom), (left, right) = pad_amounts(x.shape[1:3], w.shape[:2], (stride,) * 2, padding, (dilation,) * 2)
    if extra_before:
        (top, bottom), (left, right) = (bottom, top), (right, left)
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))


def _conv2d_problem(out: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, padding: Any,
                    dilation: int) -> str | None:
    expected = conv2d_loop(x, w, b, stride, padding, dilation)
    problem = array_problem(out, expected.shape)
    if problem is not None:
        got = as_float_array(out)
        fault = None if got is None else _conv2d_shape_fault(got.shape, x, w, stride, padding, dilation)
        return problem + (f": {fault}" if fault else " = (N, H_out, W_out, F)")
    if close(out, expected):
        return None
    oh, ow = expected.shape[1:3]
    faults = [(conv2d(x, w[::-1, ::-1], b, stride, padding, dilation),
               "the kernel is flipped (true convolution): Conv2D computes cross-correlation, no flip"),
              (expected - b, "the bias is missing: add b[f] to every output of filter f"),
              (expected - b + b.sum(), "each output gets the sum of all biases: add only its own filter's b[f]"),
              (conv2d(_padded(x, w, stride, padding, dilation), w, b, 1, "valid", dilation)[:, :oh, :ow],
               "the window of output (i, j) starts at (i*stride, j*stride), not at (i, j)")]
    if dilation > 1:
        faults.append((conv2d(x, w, b, stride, padding, 1),
                       _DILATION_IGNORED))
    if padding == "same":
        faults.append((conv2d(_padded(x, w, stride, padding, dilation, True), w, b, stride, "valid", dilation),
                       '"same" puts the odd extra zero after (bottom, right), as TensorFlow does'))
    return first_fault(out, faults) or "wrong values: compare one output by hand with the window it reads"


def check_conv2d_loop(fn: Callable) -> CheckResult:
    """Check ``fn(x, w, b, stride, padding, dilation)``: a convolution layer's forward pass with loops.

    ``x`` is (N, H, W, C), ``w`` (kh, kw, C, F), ``b`` (F,); the result (N, H_out, W_out, F)
    must match :func:`course_utils.conv.conv2d_loop` (the layout and the arithmetic of Keras'
    ``Conv2D``). Usage: ``conv2d_loop = check_conv2d_loop(conv2d_loop).use``.
    """
    rng = np.random.default_rng(5)
    settings = [((1, 5, 5, 1), (3, 3), 1, "valid", 1, "one image, one channel: slide the window, sum the products"),
                ((2, 6, 7, 3), (3, 3), 1, "valid", 1, "sum over kh, kw *and* the C input channels; one bias per filter"),
                ((2, 8, 8, 2), (3, 3), 2, 1, 1, "pad 1 zero on each side, then step the window by the stride"),
                ((1, 7, 9, 2), (4, 2), 2, "same", 1, 'a 4x2 kernel: "same" pads unevenly, the extra zero after'),
                ((2, 9, 9, 1), (3, 3), 1, "same", 2, "dilation 2: the window spans 5 pixels, every 2nd one used"),
                ((1, 10, 8, 3), (2, 3), 3, "valid", 1, "kh != kw and stride 3: the last pixels may be left out")]
    cases = []
    for (n, h, wd, c), (kh, kw), stride, padding, dilation, hint in settings:
        f = 1 if c == 1 and n == 1 else 4
        x, w, b = rng.normal(size=(n, h, wd, c)), rng.normal(size=(kh, kw, c, f)), rng.normal(size=f)
        cases.append(Case(f"x {(n, h, wd, c)}, kernel {kh}x{kw}, {f} filter(s), stride {stride}, "
                          f"padding {padding!r}, dilation {dilation}", (x, w, b, stride, padding, dilation),
                          hint=hint))
    return run_check("conv2d_loop", fn, cases, reference=conv2d_loop, diagnose=_conv2d_problem)


def check_dilate_kernel(fn: Callable) -> CheckResult:
    """Check ``fn(w, d)``: a (kh, kw, C, F) kernel with d-1 zeros inserted between taps.

    Usage: ``dilate_kernel = check_dilate_kernel(dilate_kernel).use``.
    """
    rng = np.random.default_rng(4)
    cases = []
    for kh, kw, c, f, d in [(3, 3, 1, 1, 1), (3, 3, 1, 2, 2), (2, 3, 2, 3, 3), (3, 1, 3, 1, 2)]:
        w = rng.normal(size=(kh, kw, c, f))
        cases.append(Case(f"{kh}x{kw} kernel, {c} channel(s), {f} filter(s), d={d}", (w, d),
                          dilate_kernel(w, d),
                          "the result spans d(k-1)+1 taps per axis: w goes to out[::d, ::d], zeros elsewhere"))
    return run_check("dilate_kernel", fn, cases, reference=dilate_kernel)


def _pool_flatten_problem(out: Any, shape: tuple[int, int, int], size: int, stride: int | None) -> str | None:
    (eh, ew, ec), flat = pool_flatten_shapes(shape, size, stride)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return f"returned {out!r}: return a pair ((H', W', C), length), here (({eh}, {ew}, {ec}), {flat})"
    pooled, length = out
    problem = array_problem(pooled, (3,))
    if problem is not None:
        return f"pooled shape: {problem}: return (H', W', C), here ({eh}, {ew}, {ec})"
    h, w, c = (float(v) for v in as_float_array(pooled))
    if c != ec:
        return f"pooled shape has {c:g} channels, expected {ec}: pooling keeps every channel"
    step = stride or size
    if (h, w) != (eh, ew):
        if (h, w) == ((shape[0] - size) // 1 + 1, (shape[1] - size) // 1 + 1) and step != 1:
            return f"pooled {h:g}x{w:g}, expected {eh}x{ew}: the stride defaults to the pool size, not 1"
        if (h, w) == (-(-(shape[0] - size) // step) + 1, -(-(shape[1] - size) // step) + 1):
            return f"pooled {h:g}x{w:g}, expected {eh}x{ew}: a window may not hang over the edge (floor, not ceil)"
        return f"pooled {h:g}x{w:g}, expected {eh}x{ew}"
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
        return f"flattened length {length!r} is a {type(length).__name__}, expected the integer {flat}"
    if int(length) == eh * ew:
        return f"flattened length {int(length)}, expected {flat}: Flatten keeps all {ec} channels, H' x W' x C"
    return None if int(length) == flat else f"flattened length {int(length)}, expected {flat} = {eh} x {ew} x {ec}"


def check_pool_flatten_shapes(fn: Callable) -> CheckResult:
    """Check ``fn(shape, size, stride=None) -> ((H', W', C), length)``: pooled shape, flattened length.

    Usage: ``pool_flatten_shapes = check_pool_flatten_shapes(pool_flatten_shapes).use``.
    """
    settings = [((28, 28, 16), 2, None, "2x2 pooling halves height and width and keeps the channels"),
                ((7, 7, 64), 2, None, "7 is odd: floor((7 - 2) / 2) + 1 = 3, the last row is dropped"),
                ((9, 10, 3), 3, 2, "overlapping windows: size 3, stride 2"),
                ((14, 14, 32), 2, 1, "stride 1: the windows overlap, the map shrinks by size - 1"),
                ((6, 6, 8), 3, None, "stride None means stride = size, as in keras.layers.MaxPooling2D")]
    cases = [Case(f"shape {shape}, size {size}, stride {stride}", (shape, size, stride), hint=hint)
             for shape, size, stride, hint in settings]
    return run_check("pool_flatten_shapes", fn, cases, reference=pool_flatten_shapes,
                     diagnose=_pool_flatten_problem)


def check_receptive_fields(fn: Callable) -> CheckResult:
    """Check ``fn(layers)``: the list of receptive fields after each (kernel, stride, dilation).

    Usage: ``receptive_fields = check_receptive_fields(receptive_fields).use``.
    """
    stacks = {"three 3x3 convs": [(3, 1, 1)] * 3,
              "conv-pool-conv-pool-conv": [(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1)],
              "dilations 1, 2, 4 (Yu & Koltun)": [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
              "stride-2 stem": [(7, 2, 1), (3, 2, 1), (3, 1, 1)]}
    hint = "rf grows by d*(k-1)*jump, where jump is the product of the *earlier* strides"
    cases = [Case(name, (layers,), hint=hint) for name, layers in stacks.items()]
    return run_check("receptive_fields", fn, cases, reference=_receptive_fields,
                     diagnose=_receptive_fields_problem)
