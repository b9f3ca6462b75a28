"""TensorFloat-32 is off for the course (startup.exact_float32, called by freeze_imports): on a GPU
runner the NumPy-against-Keras checks at rel_error < 1e-5 need full float32. On this CPU the call is
made and changes no result."""

import numpy as np


def test_freeze_imports_turns_tf32_off(monkeypatch):
    import tensorflow as tf

    from course_utils import startup

    tf.config.experimental.enable_tensor_float_32_execution(True)       # TensorFlow's default
    calls = []
    real = startup.exact_float32
    monkeypatch.setattr(startup, "exact_float32", lambda: calls.append(real()))
    startup.freeze_imports()
    assert calls == [None]
    assert not tf.config.experimental.tensor_float_32_execution_enabled()


def test_exact_float32_is_harmless_on_cpu():
    import keras
    import tensorflow as tf

    from course_utils.startup import exact_float32

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(64, 300)).astype(np.float32), rng.normal(size=(300, 32)).astype(np.float32)
    image, kernel = rng.normal(size=(2, 16, 16, 3)).astype(np.float32), rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    before = (tf.matmul(a, b).numpy(), keras.ops.conv(image, kernel, padding="same").numpy())
    exact_float32()
    assert not tf.config.experimental.tensor_float_32_execution_enabled()
    after = (tf.matmul(a, b).numpy(), keras.ops.conv(image, kernel, padding="same").numpy())
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])
    exact = a.astype(np.float64) @ b.astype(np.float64)
    assert np.max(np.abs(after[0] - exact)) / np.max(np.abs(exact)) < 1e-5       # the checks' tolerance
