"""Lessons 04-05: the NumPy convolution reference matches Keras, the checkers pass their
references and catch wrong implementations, the conv explorer survives its slider limits, and
the shipped Fashion-MNIST CNN has the stated SHA-256 and test accuracy (a bad file is refused)."""

from __future__ import annotations

import itertools
import shutil

import numpy as np
import pytest

from course_utils import conv, models
from course_utils.checks import ExerciseFailed, rel_error
from course_utils.exercises import lesson04 as l4
from course_utils.exercises import lesson05 as l5


def _stub(*_args, **_kwargs):
    raise NotImplementedError("exercise")


# ----------------------------------------------------------------------------- conv reference
@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def _keras_conv(keras, x, filters, k, s, p, d):
    xin = x if isinstance(p, str) else np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    layer = keras.layers.Conv2D(filters, k, strides=s, dilation_rate=d, dtype="float64",
                                padding=p if isinstance(p, str) else "valid", bias_initializer="random_normal")
    y = np.asarray(layer(xin))
    return y, *layer.get_weights()


def test_conv2d_matches_keras_over_a_grid(keras):
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
    assert rel_error(y, conv.conv2d(x, l4.reference_dilate_kernel(w, 2), stride=2, padding=1)) < 1e-12
    assert rel_error(y, conv.conv2d_loop(x, w, stride=2, padding=1, dilation=2)) < 1e-12


@pytest.mark.parametrize("size, stride, padding", itertools.product([2, 3], [None, 1, 2], ["valid", "same"]))
def test_pooling_matches_keras(keras, size, stride, padding):
    x = np.random.default_rng(2).normal(size=(2, 7, 8, 3))
    for layer, fn in [(keras.layers.MaxPooling2D, conv.max_pool2d), (keras.layers.AveragePooling2D, conv.avg_pool2d)]:
        y = np.asarray(layer(size, stride, padding, dtype="float64")(x))
        assert rel_error(fn(x, size, stride, padding), y) < 1e-5


def test_kernel_larger_than_input_is_a_clear_error():
    with pytest.raises(ValueError, match="padded input"):
        conv.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((5, 5, 1, 1)))


def test_receptive_field_formula():
    assert [r["rf"] for r in conv.receptive_field([(3, 1, 1), (2, 2, 1), (3, 1, 1)])] == [3, 4, 8]
    assert conv.receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])[-1] == {"rf": 15, "jump": 1}


# ----------------------------------------------------------------------------- checkers
REFERENCES = [
    (l4.check_output_size, l4.reference_output_size),
    (l4.check_dilate_kernel, l4.reference_dilate_kernel),
    (l4.check_receptive_fields, l4.reference_receptive_fields),
    (l5.check_one_vs_rest, l5.reference_one_vs_rest),
    (l5.check_specificity, l5.reference_specificity),
    (l5.check_top_confusions, l5.reference_top_confusions),
]


@pytest.mark.parametrize("check, reference", REFERENCES)
def test_reference_passes_and_is_used(check, reference, capsys):
    result = check(reference)
    assert result.passed and result.use is reference
    assert "WRONG" not in capsys.readouterr().out


@pytest.mark.parametrize("check, reference", REFERENCES)
def test_not_done_hands_over_the_reference(check, reference, capsys):
    result = check(_stub)
    out = capsys.readouterr().out
    assert result.not_done and result.use is reference and "not done yet" in out


@pytest.mark.parametrize("check, reference", REFERENCES)
def test_strict_mode_raises(check, reference, monkeypatch):
    monkeypatch.setenv("COURSE_CHECKS_STRICT", "1")
    with pytest.raises(ExerciseFailed):
        check(_stub)


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
    return l4.reference_receptive_fields([(k, s, 1) for k, s, _d in layers])


def _specificity_as_npv(cm):
    cm = np.asarray(cm, float)
    fp, fn = cm.sum(0) - np.diag(cm), cm.sum(1) - np.diag(cm)
    tn = cm.sum() - np.diag(cm) - fp - fn
    return tn / (tn + fn)


def _specificity_total_minus_tp(cm):
    cm = np.asarray(cm, float)
    fp = cm.sum(0) - np.diag(cm)
    tn = cm.sum() - np.diag(cm)
    return tn / (tn + fp)


def _top_with_diagonal(cm, n):
    order = np.argsort(np.asarray(cm), axis=None)[::-1][:n]
    return [(int(i), int(j), int(cm[i, j])) for i, j in zip(*np.unravel_index(order, cm.shape))]


def _top_swapped(cm, n):
    return [(j, i, c) for i, j, c in l5.reference_top_confusions(cm, n)]


WRONG = {
    "output_size": (l4.check_output_size, [
        lambda n, k, s=1, p=0, d=1: (n + 2 * p - k) // s + 1,                  # ignores dilation
        lambda n, k, s=1, p=0, d=1: (n + p - d * (k - 1) - 1) // s + 1,        # padding on one side only
        lambda n, k, s=1, p=0, d=1: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1,  # ceil instead of floor
        lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * (k - 1) - 1) / s + 1,     # float, not an int
    ]),
    "dilate_kernel": (l4.check_dilate_kernel, [
        lambda w, d: w,                                                         # no dilation
        lambda w, d: np.kron(w.transpose(2, 3, 0, 1), np.eye(d)[:1].T @ np.eye(d)[:1]).transpose(2, 3, 0, 1),
        lambda w, d: np.repeat(np.repeat(w, d, axis=0), d, axis=1)[: d * (w.shape[0] - 1) + 1, : d * (w.shape[1] - 1) + 1],
    ]),
    "receptive_fields": (l4.check_receptive_fields, [_rf_no_jump, _rf_own_stride, _rf_no_dilation]),
    "one_vs_rest": (l5.check_one_vs_rest, [
        lambda cm, k: l5.reference_one_vs_rest(np.asarray(cm).T, k),            # rows/columns swapped
        lambda cm, k: (cm[k, k], cm[k].sum() - cm[k, k], cm[:, k].sum() - cm[k, k], cm.sum() - cm[k, k]),
        lambda cm, k: (cm[k, k], cm[k].sum(), cm[:, k].sum(), cm.sum() - cm[k].sum() - cm[:, k].sum()),
    ]),
    "specificity": (l5.check_specificity, [
        lambda cm: np.diag(cm) / np.asarray(cm).sum(1),                         # sensitivity
        lambda cm: np.diag(cm) / np.asarray(cm).sum(0),                         # precision
        _specificity_as_npv, _specificity_total_minus_tp,
    ]),
    "top_confusions": (l5.check_top_confusions, [_top_with_diagonal, _top_swapped,
                                                 lambda cm, n: l5.reference_top_confusions(cm, n)[::-1]]),
}


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_implementations_fail_with_a_hint(name, capsys):
    check, wrongs = WRONG[name]
    assert len(wrongs) >= 3
    for i, wrong in enumerate(wrongs):
        result = check(wrong)
        assert not result.passed and not result.not_done, f"{name}: wrong implementation {i} passed"
        assert "WRONG" in capsys.readouterr().out


# ----------------------------------------------------------------------------- conv explorer
@pytest.mark.parametrize("k, stride, padding, dilation", [(1, 1, "valid", 1), (9, 4, "valid", 6), (9, 4, "same", 6),
                                                          (9, 1, "4", 6), (3, 3, "same", 1), (5, 2, "2", 2)])
def test_show_conv_survives_every_slider_limit(k, stride, padding, dilation):
    import matplotlib.pyplot as plt

    from course_utils.conv_widgets import show_conv

    fig = show_conv(np.random.default_rng(0).random((28, 28)), "edge", k, stride, padding, dilation)
    plt.close(fig)


def test_impossible_setting_gives_a_clear_message():
    from course_utils.conv_widgets import conv_summary, make_kernel

    ok, text = conv_summary(28, 28, 9, 1, "valid", 6)
    assert not ok and "padded input" in text
    for name in ("edge", "box", "gauss", "sharpen"):
        for k in (1, 2, 9):
            assert make_kernel(name, k).shape == (k, k)


def test_conv_explorer_builds_its_widgets():
    from course_utils.conv_widgets import conv_explorer

    assert conv_explorer(np.zeros((28, 28))) is not None


# ----------------------------------------------------------------------------- shipped model
def test_shipped_weights_have_the_stated_sha256():
    path = models.weights_path()
    assert path.is_file(), f"{path} missing"
    assert models.sha256_of(path) == models.FASHION_CNN_SHA256
    assert path.stat().st_size < 2_000_000


def test_shipped_model_reaches_its_stated_test_accuracy():
    from course_utils.data import load_fashion_mnist

    _, (x_test, y_test) = load_fashion_mnist()
    model = models.fashion_cnn()
    accuracy = model.evaluate(models.preprocess(x_test), y_test, batch_size=1000, verbose=0)[1]
    assert accuracy >= models.FASHION_CNN_TEST_ACCURACY - 0.002
    assert models.FASHION_CNN_TEST_ACCURACY >= 0.92


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "missing"])
def test_a_damaged_weights_file_is_refused_in_one_line(tmp_path, monkeypatch, damage):
    bad = tmp_path / "data" / models.FASHION_CNN_FILE
    bad.parent.mkdir()
    shutil.copy(models.weights_path(), bad)
    raw = bytearray(bad.read_bytes())
    if damage == "flip a byte":
        raw[len(raw) // 2] ^= 0xFF
        bad.write_bytes(bytes(raw))
    elif damage == "truncate":
        bad.write_bytes(bytes(raw[: len(raw) // 3]))
    else:
        bad.unlink()
    monkeypatch.setattr(models, "weights_path", lambda name=models.FASHION_CNN_FILE: bad)
    with pytest.raises(models.WeightsFileError) as info:
        models.fashion_cnn()
    message = str(info.value)
    assert str(bad) in message and "train_fashion_cnn.py" in message and "\n" not in message


def test_training_recipe_runs_and_the_tool_has_a_help(tmp_path):
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    x, y = rng.random((256, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 256)
    model, history = models.train_fashion_cnn(x, y, (x[:64], y[:64]), epochs=1, verbose=0)
    assert model.output_shape == (None, 10) and len(history.history["loss"]) == 1
    assert model.get_layer("logits") is not None and model.count_params() == models.build_fashion_cnn().count_params()
    tool = models.repo_root() / "tools" / "train_fashion_cnn.py"
    out = subprocess.run([sys.executable, str(tool), "--help"], capture_output=True, text=True, check=True).stdout
    assert "--update" in out
