"""The NumPy convolution and pooling reference (course_utils.conv) matches Keras over a grid of
settings; a kernel larger than the input is a clear error; the receptive-field formula."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

from course_utils import conv
from course_utils.checks import rel_error
from course_utils.conv import dilate_kernel


# ----------------------------------------------------------------------------- conv reference
def _keras_conv(keras, x, filters, k, s, p, d):
    xin = x if isinstance(p, str) else np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    layer = keras.layers.Conv2D(filters, k, strides=s, dilation_rate=d, dtype="float64",
                                padding=p if isinstance(p, str) else "valid", bias_initializer="random_normal")
    y = np.asarray(layer(xin))
    return y, *layer.get_weights()


def test_conv2d_matches_keras_over_a_grid():
    x = np.random.default_rng(0).normal(size=(2, 9, 8, 3))
    for k, s, p, d in itertools.product([1, 2, 3, 4], [1, 2, 3], ["valid", "same", 1, 2], [1, 2]):
        if s > 1 and d > 1:            # Keras refuses this pair
            continue
        y, w, b = _keras_conv(keras, x, 4, k, s, p, d)
        assert conv.conv_output_size(9, k, s, p, d) == y.shape[1]
        assert conv.conv_output_size(8, k, s, p, d) == y.shape[2]
        assert rel_error(conv.conv2d(x, w, b, s, p, d), y) < 1e-5, (k, s, p, d)
        assert rel_error(conv.conv2d_loop(x, w, b, s, p, d), y) < 1e-5, (k, s, p, d)


def test_stride_and_dilation_together_equal_a_zero_inserted_kernel():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 12, 11, 2)), rng.normal(size=(3, 3, 2, 3))
    y = conv.conv2d(x, w, stride=2, padding=1, dilation=2)
    assert rel_error(y, conv.conv2d(x, dilate_kernel(w, 2), stride=2, padding=1)) < 1e-12
    assert rel_error(y, conv.conv2d_loop(x, w, stride=2, padding=1, dilation=2)) < 1e-12


@pytest.mark.parametrize(("k", "s", "p", "d"), [(3, 2, "valid", 2), (3, 2, "same", 2), (2, 3, 1, 3),
                                                 (3, 3, "same", 3), (2, 2, 2, 2)])
def test_stride_and_dilation_together_match_keras_with_a_zero_inserted_kernel(k, s, p, d):
    # Keras refuses stride > 1 with dilation > 1; the same kernel with zeros inserted has dilation 1
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(2, 11, 12, 3)), rng.normal(size=(k, k, 3, 4))
    wide = dilate_kernel(w, d)
    xin = x if isinstance(p, str) else np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    layer = keras.layers.Conv2D(4, wide.shape[:2], strides=s, padding=p if isinstance(p, str) else "valid",
                                use_bias=False, dtype="float64")
    layer.build(xin.shape)
    layer.set_weights([wide])
    assert rel_error(conv.conv2d(x, w, stride=s, padding=p, dilation=d), np.asarray(layer(xin))) < 1e-10


def test_pool_flatten_shapes_match_keras():
    for shape, size, stride in [((28, 28, 16), 2, None), ((7, 7, 64), 2, None), ((9, 10, 3), 3, 2)]:
        y = keras.layers.MaxPooling2D(size, stride)(np.zeros((1, *shape), dtype="float32"))
        flat = keras.layers.Flatten()(y)
        assert conv.pool_flatten_shapes(shape, size, stride) == (tuple(y.shape[1:]), flat.shape[1])


def test_kernel_larger_than_input_is_a_clear_error():
    with pytest.raises(ValueError, match="padded input"):
        conv.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((5, 5, 1, 1)))


def test_receptive_field_formula():
    assert [r["rf"] for r in conv.receptive_field([(3, 1, 1), (2, 2, 1), (3, 1, 1)])] == [3, 4, 8]
    assert conv.receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])[-1] == {"rf": 15, "jump": 1}
