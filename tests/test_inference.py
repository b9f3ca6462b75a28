"""inference.forward: each output kind equals the model's own computation, compiled and eager agree,
one trace per model and shape, a deleted model is freed, bad input is refused in one line."""

from __future__ import annotations

import gc
import weakref

import keras
import numpy as np
import pytest

from course_utils import inference


def _net(seed: int = 0) -> keras.Model:
    """A small classifier with a ``logits`` layer before its softmax, as the course's models have."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 6, 1))
    hidden = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(inputs))
    logits = keras.layers.Dense(4, name="logits")(hidden)
    return keras.Model(inputs, keras.layers.Activation("softmax")(logits))


@pytest.fixture(scope="module")
def batch() -> np.ndarray:
    return np.random.default_rng(0).uniform(size=(37, 6, 6, 1)).astype(np.float32)


@pytest.mark.parametrize("compiled", [True, False])
def test_each_output_kind_is_what_the_model_computes(batch, compiled):
    net = _net()
    logits = np.asarray(keras.Model(net.inputs[0], net.get_layer("logits").output)(batch))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    got = {kind: inference.forward(net, batch, kind, compiled, batch_size=10) for kind in inference.OUTPUTS}
    np.testing.assert_allclose(got["logits"], logits, atol=1e-5)
    np.testing.assert_allclose(got["probabilities"], probs, atol=1e-6)
    np.testing.assert_allclose(got["outputs"], np.asarray(net(batch)), atol=1e-6)
    assert got["labels"].dtype == np.int32 and np.array_equal(got["labels"], probs.argmax(axis=1))
    y = probs.argmax(axis=1)
    y[:7] = (y[:7] + 1) % 4                               # 7 of 37 wrong
    assert inference.accuracy(net, batch, y, compiled, batch_size=10) == pytest.approx(30 / 37)


def test_a_model_with_several_outputs_gives_one_array_each(batch):
    inputs = keras.Input((6, 6, 1))
    flat = keras.layers.Flatten()(inputs)
    two = keras.Model(inputs, [keras.layers.Dense(3)(flat), keras.layers.Dense(2)(flat)])
    first, second = inference.forward(two, batch, "outputs", batch_size=8)
    expected = two(batch)
    np.testing.assert_allclose(first, np.asarray(expected[0]), atol=1e-6)
    np.testing.assert_allclose(second, np.asarray(expected[1]), atol=1e-6)


def test_one_compiled_function_per_model_kind_and_shape(batch):
    net = _net()
    inference.forward(net, batch[:5], "labels")
    inference.forward(net, batch, "labels")                    # another batch size: the same function
    fn = inference.compiled_for(net, ("forward", "labels", (6, 6, 1)), lambda: pytest.fail("not cached"))
    assert fn.experimental_get_tracing_count() == 1            # traced once for both batch sizes
    built = []
    inference.compiled_for(net, ("forward", "probabilities", (6, 6, 1)), lambda: built.append(1))
    assert built == [1]                                        # another kind: not built yet


@pytest.mark.parametrize("kind", inference.OUTPUTS)
def test_the_cache_does_not_keep_a_deleted_model_alive(batch, kind):
    net = _net()
    inference.forward(net, batch, kind)
    alive = weakref.ref(net)
    del net
    gc.collect()
    assert alive() is None


@pytest.mark.parametrize("call, message", [
    (lambda net, x: inference.forward(net, x, "softmax"), "output must be one of"),
    (lambda net, x: inference.forward(net, x, batch_size=0), "batch_size must be an integer >= 1"),
    (lambda net, x: inference.forward(net, x[:0]), "non-empty batch"),
    (lambda net, x: inference.accuracy(net, x, np.zeros(3)), "len(y) == len(x)"),
])
def test_bad_input_is_refused_in_one_line(batch, call, message):
    with pytest.raises(ValueError) as info:
        call(_net(), batch)
    assert message in str(info.value) and "\n" not in str(info.value)
