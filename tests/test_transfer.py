"""course_utils.transfer: slicing a pretrained network, the frozen base with a head, the feature cache,
unfreezing with BatchNormalization frozen, the learning-curve helpers (tiny models, tiny arrays)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import keras
import numpy as np
import pytest

from course_utils import data, transfer
from course_utils.data import read_photo, subset
from course_utils.inference import accuracy
from course_utils.paths import sha256_of

GOLDEN = np.load(Path(__file__).parent / "golden" / "vision_transfer.npz", allow_pickle=False)


def _net(seed=0, side=8):
    """conv-BN-ReLU, a residual block (Add), global pooling, a dense head: a tiny functional model."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((side, side, 3), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same", name="stem_conv")(inputs)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.ReLU(name="stem_relu")(x)
    y = keras.layers.Conv2D(4, 3, padding="same", name="block_conv")(x)
    y = keras.layers.BatchNormalization(name="block_bn")(y)
    x = keras.layers.Add(name="block_add")([x, y])
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="logits")(x)
    model = keras.Model(inputs, outputs, name="tiny")
    rng = np.random.default_rng(seed)
    for name in ("stem_bn", "block_bn"):
        g, b, _, _ = model.get_layer(name).get_weights()
        model.get_layer(name).set_weights([g, b, rng.normal(0, 0.3, 4).astype("float32"),
                                           rng.uniform(0.5, 2, 4).astype("float32")])
    return model


def _x(n=5, side=8, seed=1):
    return np.random.default_rng(seed).normal(size=(n, side, side, 3)).astype("float32")


def test_graph_slice_shares_weights_and_composes():
    model = _net()
    x = _x()
    base = transfer.graph_slice(model, end="avg_pool")
    pooled = keras.Model(model.input, model.get_layer("avg_pool").output)
    np.testing.assert_allclose(base.predict(x, verbose=0), pooled.predict(x, verbose=0), atol=1e-6)
    bottom = transfer.graph_slice(model, end="stem_relu", size=12)
    top = transfer.graph_slice(model, start="stem_relu", end="avg_pool", size=12)
    big = _x(side=12)
    np.testing.assert_allclose(top.predict(bottom.predict(big, verbose=0), verbose=0),
                               transfer.graph_slice(model, end="avg_pool", size=12).predict(big, verbose=0),
                               atol=1e-5)
    assert bottom.get_layer("stem_conv") is model.get_layer("stem_conv")   # shared, not copied
    assert bottom.name == "tiny_input_to_stem_relu_12px"
    with pytest.raises(ValueError, match="not in"):
        transfer.graph_slice(model, end="nope")


def test_frozen_base_with_head_trains_only_the_head():
    base = transfer.graph_slice(_net(), end="avg_pool")
    model = transfer.frozen_base_with_head(base, 7, dropout=0.0)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 4 * 7 + 7


def test_only_frozen_batchnorm_keeps_inference_mode_in_keras3():
    """What lesson 06 states: Keras 3 passes the outer call's training flag to a nested model, over the
    ``training=False`` written when building it; a frozen BatchNormalization layer still uses its running
    statistics. If a Keras release changes this, the lesson's text must change with it."""
    base = transfer.graph_slice(_net(), end="avg_pool")
    model = transfer.frozen_base_with_head(base, 7, dropout=0.0)
    x = _x()
    np.testing.assert_allclose(model(x, training=True), model(x, training=False), atol=1e-6)   # all frozen
    base.trainable = True
    assert not np.allclose(model(x, training=True), model(x, training=False), atol=1e-4)    # overridden
    transfer.unfreeze_top(base, "stem_conv")
    np.testing.assert_allclose(model(x, training=True), model(x, training=False), atol=1e-6)   # BN frozen


def test_unfreeze_top_keeps_batchnorm_and_the_bottom_frozen():
    model = _net()
    model.trainable = False
    names = transfer.unfreeze_top(model, "block_conv")
    assert names == ["block_conv", "logits"]
    assert not model.get_layer("block_bn").trainable and not model.get_layer("stem_conv").trainable
    with pytest.raises(ValueError, match="not in"):
        transfer.unfreeze_top(model, "nope")


def test_cache_path_depends_on_model_weights_size_and_data(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    model, x = transfer.graph_slice(_net(), end="avg_pool"), _x()
    path = transfer.feature_cache_path(model, x)
    assert path.parent == tmp_path / "course_utils" / transfer.FEATURES_DIR and "_8px_" in path.name
    assert transfer.feature_cache_path(model, x + 1) != path
    assert transfer.feature_cache_path(transfer.graph_slice(_net(), end="avg_pool", size=12), _x(side=12)) != path
    model.trainable = False                                     # freezing changes no weight: same key
    assert transfer.feature_cache_path(model, x) == path
    model.get_layer("stem_conv").set_weights([w + 1 for w in model.get_layer("stem_conv").get_weights()])
    assert transfer.feature_cache_path(model, x) != path
    path = transfer.feature_cache_path(model, x)
    assert transfer.feature_cache_path(model, x.copy()) == path != transfer.feature_cache_path(model, x.astype("float64"))


def test_extract_features_saves_reads_back_and_never_unpickles(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    model, x = transfer.graph_slice(_net(), end="avg_pool"), _x()
    first = transfer.cached_features(model, x)
    np.testing.assert_allclose(first, model.predict(x, verbose=0), atol=1e-6)
    path = transfer.feature_cache_path(model, x)
    np.save(path, np.full_like(first, 3.0))
    assert np.all(transfer.cached_features(model, x) == 3.0)      # read from disk, not recomputed
    with open(path, "wb") as fh:
        np.lib.format.write_array(fh, np.array([{"a": 1}] * len(x), dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        transfer.cached_features(model, x)


def test_nested_subsets_are_balanced_and_nested():
    labels = np.repeat(np.arange(4), 30)
    sets = data.nested_subsets(labels, (1, 5, 20), seed=3)
    for n, idx in sets.items():
        assert len(set(idx)) == 4 * n and np.all(np.bincount(labels[idx]) == n)
    assert set(sets[1]) <= set(sets[5]) <= set(sets[20])
    assert not np.array_equal(sets[20], data.nested_subsets(labels, (1, 5, 20), seed=4)[20])
    with pytest.raises(ValueError, match="only 30"):
        data.nested_subsets(labels, (31,))
    with pytest.raises(ValueError, match="sizes"):
        data.nested_subsets(labels, (0, 5))


def test_nested_subsets_golden_and_one_size_draws_as_data_subset():
    labels = GOLDEN["labels"]
    for n, idx in data.nested_subsets(labels, (1, 4, 9), seed=2).items():
        np.testing.assert_array_equal(idx, GOLDEN[f"nested_{n}"])
    one = data.nested_subsets(labels, (7,), seed=5)[7]
    np.testing.assert_array_equal(one, subset(np.arange(len(labels)), labels, per_class=7, seed=5)[0])


def test_fit_steps_learns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    transfer.fit_steps(model, x, y, steps=150, batch_size=16, learning_rate=0.05)
    assert accuracy(model, x, y, compiled=False) >= 0.9
    with pytest.raises(ValueError, match="steps"):
        transfer.fit_steps(model, x, y, steps=0)


def test_eager_inference_accuracy_equals_the_old_transfer_accuracy():
    # golden: transfer.accuracy (removed for inference.accuracy) on a fixed net and fixed data
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(6, 3, activation="tanh"),
                              keras.layers.Conv2D(8, 3, activation="relu"), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(4, name="logits"), keras.layers.Softmax()])
    rng = np.random.default_rng(2024)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    x = np.random.default_rng(10).uniform(-1, 1, size=(300, 16, 16, 3)).astype("float32")
    y = np.random.default_rng(11).integers(0, 4, size=300)
    assert accuracy(model, x, y, compiled=False, batch_size=128) == pytest.approx(GOLDEN["accuracy"][0], abs=1e-12)


def test_linear_probe_separates_separable_features():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(60, 3))
    y = np.argmax(f, axis=1)
    assert transfer.linear_probe_accuracy(f[:40], y[:40], f[40:], y[40:]) >= 0.85
    golden = transfer.linear_probe_accuracy(GOLDEN["f_train"], GOLDEN["y_train"], GOLDEN["f_test"], GOLDEN["y_test"], 0.3)
    assert golden == pytest.approx(GOLDEN["probe_acc"][0], abs=1e-12)
    for bad in ((f[:40], y[:39], f[40:], y[40:]), (f[:40], y[:40], f[40:], y[41:])):
        with pytest.raises(ValueError, match="as many labels"):
            transfer.linear_probe_accuracy(*bad)
    with pytest.raises(ValueError, match="c > 0"):
        transfer.linear_probe_accuracy(f[:40], y[:40], f[40:], y[40:], c=0)


def test_fine_tune_leaves_body_alone_and_bn_mode_decides_the_drift():
    body = transfer.graph_slice(_net(), end="avg_pool")
    before = [w.copy() for w in body.get_weights()]
    x = _x(12)
    y = np.arange(12) % 3
    feats = body.predict(x, verbose=0)
    frozen = transfer.fine_tune(body, "block_conv", x, y, feats, 3, head_steps=3, steps=3, batch_size=4)
    assert transfer.bn_drift(body, frozen) == 0
    moving = transfer.fine_tune(body, "block_conv", x, y, feats, 3, head_steps=3, steps=3, batch_size=4,
                                bn_inference=False)
    assert transfer.bn_drift(body, moving) > 0
    assert all(np.array_equal(a, b) for a, b in zip(before, body.get_weights()))


def test_bn_drift_matches_the_formula():
    a, b = _net(0), _net(0)
    bn = b.get_layer("block_bn")
    g, beta, mean, var = bn.get_weights()
    bn.set_weights([g, beta, mean + 0.5, var])
    expected = np.mean([0.0, np.mean(0.5 / np.sqrt(var + 1e-3))])
    assert transfer.bn_drift(a, b) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="no BatchNormalization"):
        transfer.bn_drift(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), a)


def test_frozen_base_with_head_refuses_bad_arguments():
    base = transfer.graph_slice(_net(), end="avg_pool")
    for kwargs in ({"num_classes": 0}, {"num_classes": 3, "dropout": 1.0}, {"num_classes": 3, "dropout": -0.1}):
        with pytest.raises(ValueError, match="num_classes"):
            transfer.frozen_base_with_head(base, **kwargs)


def test_read_photo_golden_and_one_line_errors(tmp_path):
    # data.read_photo, moved from transfer.read_photo: the same arrays from the same PNG files
    for kind in ("rgb", "grey", "rgba"):
        path = tmp_path / f"{kind}.png"
        path.write_bytes(GOLDEN[f"png_{kind}"].tobytes())
        got = read_photo(path)
        assert got.dtype == np.uint8 and got.shape == (9, 7, 3)
        np.testing.assert_array_equal(got, GOLDEN[f"photo_{kind}"])
    np.testing.assert_array_equal(GOLDEN["photo_grey"][..., 0], GOLDEN["photo_grey"][..., 2])
    (tmp_path / "b.jpg").write_bytes(b"not an image")
    for path, message in ((tmp_path / "b.jpg", "not an image file"), (tmp_path / "c.jpg", "no such file")):
        with pytest.raises(ValueError, match=message) as info:
            read_photo(path)
        assert "\n" not in str(info.value)


def test_start_fine_tuning_unfreezes_the_top_and_recompiles_at_a_lower_rate():
    base = _net(2)
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(base(inputs)))
    base.trainable = False
    assert transfer.start_fine_tuning(model, base, "block_conv", 1e-3, ratio=20) is model
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(5e-5)
    assert [layer.name for layer in base.layers if layer.trainable and layer.weights] == ["block_conv", "logits"]
    with pytest.raises(ValueError, match="ratio in"):
        transfer.start_fine_tuning(model, base, "block_conv", 1e-3, ratio=2)


def _flower_archive(folder: Path) -> tuple[Path, dict[str, list[np.ndarray]]]:
    """A tiny archive with the layout of TensorFlow's flower_photos.tgz: flower_photos/<class>/*.jpg and
    a LICENSE.txt, 3 photos of 2 classes (flat colours, so JPEG keeps them to within a few levels)."""
    root = folder / "src" / "flower_photos"
    photos = {}
    for k, name in enumerate(("daisy", "roses")):
        (root / name).mkdir(parents=True)
        photos[name] = [np.full((30, 40, 3), (40 + 60 * i, 200 - 80 * k, 90), np.uint8) for i in range(3)]
        for i, photo in enumerate(photos[name]):
            keras.utils.save_img(root / name / f"{i}.jpg", photo, scale=False)
    (root / "LICENSE.txt").write_text("fixture")
    archive = folder / "flower_photos.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname="flower_photos")
    return archive, photos


def test_flower_photos_reads_a_fixture_archive_with_the_real_layout(tmp_path):
    archive, photos = _flower_archive(tmp_path)
    digest = sha256_of(archive)
    images, labels, classes = transfer.flower_photos(16, origin=archive.as_uri(), file_hash=digest,
                                                     cache_dir=tmp_path / "cache")
    assert classes == ["daisy", "roses"] and labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert images.shape == (6, 16, 16, 3) and images.dtype == np.uint8
    expected = np.stack([p[0, 0] for name in classes for p in photos[name]]).astype(int)
    assert np.abs(images.reshape(6, -1, 3).astype(int) - expected[:, None]).max() <= 4
    with pytest.raises(ValueError, match="size"):
        transfer.flower_photos(0, origin=archive.as_uri(), file_hash=digest, cache_dir=tmp_path / "cache")
    with pytest.raises(ValueError, match="hash"):
        transfer.flower_photos(16, origin=archive.as_uri(), file_hash="0" * 64, cache_dir=tmp_path / "other")
