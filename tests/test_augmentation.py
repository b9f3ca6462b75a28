"""course_utils.augmentation: the written-out matrices against scipy.ndimage.affine_transform and the
Keras 3 layers' own transforms, the deck's translation, the shift, the placement and the experiment
helpers (tiny arrays and models)."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
from keras import layers

from course_utils import augmentation as aug
from course_utils import manifest
from course_utils.exercises import lesson07 as l7

GOLDEN = np.load(Path(__file__).parent / "golden" / "vision_augmentation.npz", allow_pickle=False)


@pytest.fixture(scope="module")
def image():
    """A smooth, asymmetric 23x31 RGB test image (odd and unequal sizes catch centre mistakes)."""
    y, x = np.mgrid[0:23, 0:31].astype(np.float32)
    return np.stack([x / 30, y / 22, 0.5 + 0.5 * np.sin(x / 4 + y / 7)], axis=-1).astype(np.float32)


LAYERS = {"RandomRotation": {"factor": 0.2}, "RandomTranslation": {"height_factor": 0.2, "width_factor": 0.2},
          "RandomZoom": {"height_factor": 0.2}, "RandomShear": {"y_factor": 0.2}}
CASES = [("RandomRotation", {"degrees": 33.0}, lambda h, w: aug.rotation_matrix(33.0, h, w)),
         ("RandomRotation", {"degrees": -90.0}, lambda h, w: aug.rotation_matrix(-90.0, h, w)),
         ("RandomTranslation", {"dx": 4.5, "dy": -3.25}, lambda h, w: aug.translation_matrix(4.5, -3.25)),
         ("RandomZoom", {"zoom_x": 1.3, "zoom_y": 0.7}, lambda h, w: aug.zoom_matrix(1.3, 0.7, h, w)),
         ("RandomShear", {"shear_x": 0.15, "shear_y": -0.2}, lambda h, w: aug.shear_matrix(0.15, -0.2))]


@pytest.mark.parametrize(("kind", "params", "matrix"), CASES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(CASES)])
def test_each_layer_equals_scipy_with_the_written_out_matrix(image, kind, params, matrix):
    """Every fill mode: equal to float32 rounding, except on the wrap seam (TensorFlow clamps there)."""
    h, w = image.shape[:2]
    m = matrix(h, w)
    for mode in aug.FILL_MODES:
        ours = aug.fixed_transform(getattr(layers, kind)(**LAYERS[kind], fill_mode=mode), image, **params)
        diff = np.abs(ours - aug.scipy_warp(image, m, mode)).max(axis=-1)
        seam = aug.wrap_seam(m, h, w) if mode == "wrap" else np.zeros((h, w), bool)
        assert diff[~seam].max() < 1e-4, (kind, mode, diff[~seam].max())
        assert seam.mean() < 0.25


def test_ops_affine_transform_equals_scipy_with_a_composed_matrix(image):
    h, w = image.shape[:2]
    m = (aug.rotation_matrix(25, h, w) @ aug.translation_matrix(2, -1) @ aug.shear_matrix(0, 0.2)
         @ aug.zoom_matrix(1.1, 0.9, h, w))
    for mode in ("nearest", "reflect", "constant"):
        np.testing.assert_allclose(aug.keras_warp(image, m, mode), aug.scipy_warp(image, m, mode), atol=1e-4)


def test_a_chain_of_layers_samples_at_the_product_of_their_matrices(image):
    """Exact chain: a whole-pixel shift then a 90-degree turn of a square image need no interpolation."""
    square = image[:23, :23]
    h, w = square.shape[:2]
    shifted = aug.fixed_transform(layers.RandomTranslation(0.2, 0.2, fill_mode="constant"), square, dx=3, dy=2)
    chained = aug.fixed_transform(layers.RandomRotation(0.3, fill_mode="constant"), shifted, degrees=90)
    product = aug.translation_matrix(3, 2) @ aug.rotation_matrix(90, h, w)
    np.testing.assert_allclose(chained, aug.scipy_warp(square, product, "constant", order=0), atol=1e-4)


def test_matrices_closed_forms():
    np.testing.assert_allclose(aug.rotation_matrix(90, 5, 5) @ [4, 2, 1], [2, 4, 1], atol=1e-12)  # about (2, 2)
    np.testing.assert_allclose(aug.rotation_matrix(0, 7, 9), np.eye(3), atol=1e-12)
    np.testing.assert_allclose(aug.zoom_matrix(2, 2, 5, 9) @ [4, 2, 1], [4, 2, 1])             # the centre stays
    np.testing.assert_allclose(aug.translation_matrix(3, -2) @ [5, 5, 1], [2, 7, 1])
    with pytest.raises(ValueError, match="3x3"):
        aug.keras_warp(np.zeros((4, 4, 1)), np.eye(2))
    with pytest.raises(ValueError, match="positive"):
        aug.zoom_matrix(0, 1, 5, 5)
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        aug.scipy_warp(np.zeros((4, 4)), np.eye(3), "mirror")


@pytest.mark.parametrize("mode", aug.FILL_MODES)
def test_fixed_transform_and_warps_equal_the_old_outputs(mode):
    # golden: the outputs before fixed_transform dropped Keras' private _compute_affine_matrix
    photo, L = GOLDEN["photo"], layers
    got = {"rotation": aug.fixed_transform(L.RandomRotation(0.2, fill_mode=mode), photo, degrees=30),
           "translation": aug.fixed_transform(L.RandomTranslation(0.2, 0.2, fill_mode=mode), photo, dx=3.5, dy=-2.25),
           "zoom": aug.fixed_transform(L.RandomZoom(0.3, 0.3, fill_mode=mode), photo, zoom_x=1.25, zoom_y=0.8),
           "shear": aug.fixed_transform(L.RandomShear(0.3, 0.3, fill_mode=mode), photo, shear_x=0.1, shear_y=0.2)}
    for name, out in got.items():
        np.testing.assert_allclose(out, GOLDEN[f"{name}_{mode}"], atol=1e-6, err_msg=name)
    if mode == "reflect":
        np.testing.assert_allclose(aug.keras_warp(photo, GOLDEN["matrix"], mode), GOLDEN["keras_warp_reflect"], atol=1e-6)
        np.testing.assert_allclose(aug.scipy_warp(photo, GOLDEN["matrix"], mode), GOLDEN["scipy_warp_reflect"], atol=1e-6)
        np.testing.assert_array_equal(aug.wrap_seam(aug.rotation_matrix(30, 10, 12), 10, 12), GOLDEN["wrap_seam"])
        np.testing.assert_array_equal(l7.shift_image(photo, 3, -2), GOLDEN["shift_image"])


@pytest.mark.parametrize("degrees", [30.0, -72.0, 145.0])
def test_fixed_rotation_equals_the_layers_own_random_path(image, degrees):
    # a factor range of one value draws that angle: the layer's own matrix, then its own transform
    layer = layers.RandomRotation((degrees / 360, degrees / 360), fill_mode="reflect")
    own = keras.ops.convert_to_numpy(layer(image[None], training=True))[0]
    np.testing.assert_allclose(aug.fixed_transform(layer, image, degrees=degrees), own, atol=1e-5)
    with pytest.raises(ValueError, match="RandomFlip"):
        aug.fixed_transform(layers.RandomFlip(), image)


def test_shift_image_matches_the_keras_layer_and_np_roll_inside(image):
    ours = l7.shift_image(image, 3, -2)
    keras_shift = aug.fixed_transform(layers.RandomTranslation(0.2, 0.2, fill_mode="constant"), image, dx=3, dy=-2)
    np.testing.assert_allclose(ours, keras_shift, atol=1e-5)
    np.testing.assert_allclose(ours[:-2, 3:], np.roll(image, (-2, 3), axis=(0, 1))[:-2, 3:])
    assert np.all(ours[:, :3] == 0) and np.all(ours[-2:] == 0)
    assert np.all(l7.shift_image(image, 40, 0) == 0)


def test_units_of_the_deck():
    assert aug.rotation_factor(40) == pytest.approx(40 / 360)
    assert aug.shear_slope(0.2) == pytest.approx(math.sin(0.2))
    assert aug.shear_slope(0.2, "degrees") == pytest.approx(math.sin(math.radians(0.2)))
    with pytest.raises(ValueError, match="unit must be"):
        aug.shear_slope(0.2, "turns")


def test_deck_augmentation_layers_and_inference_identity():
    deck = aug.deck_augmentation("nearest", seed=1)
    kinds = [type(layer).__name__ for layer in deck.layers]
    assert kinds == ["Rescaling", "RandomRotation", "RandomTranslation", "RandomShear", "RandomZoom", "RandomFlip"]
    assert deck.get_layer("rotation").get_config()["factor"] == pytest.approx((-40 / 360, 40 / 360))
    assert all(layer.get_config()["fill_mode"] == "nearest" for layer in deck.layers[1:5])
    x = np.random.default_rng(0).integers(0, 256, size=(2, 12, 12, 1)).astype(np.float32)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(deck(x, training=False)), x / 255, atol=1e-6)
    out = keras.ops.convert_to_numpy(deck(x, training=True))
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1 + 1e-6 and not np.allclose(out, x / 255)
    with pytest.raises(ValueError, match="fill_mode"):
        aug.deck_augmentation("mirror")
    with pytest.raises(ValueError, match="condition must be"):
        aug.condition_augmentation("cats")


def test_the_lesson_tables_every_argument_of_the_decks_call():
    # the argument -> layer table is the lesson's own markdown (two slides), one row per deck argument
    lesson = nbformat.read(Path(__file__).parent.parent / "notebooks" / "07_data_augmentation.ipynb", as_version=4)
    rows = [line for cell in lesson.cells if "| `ImageDataGenerator` |" in cell.source
            for line in cell.source.splitlines() if line.startswith("| `") and "`ImageDataGenerator`" not in line]
    arguments = [row.split("`")[1].split("=")[0] for row in rows]
    assert arguments[:len(aug.DECK_SETTINGS)] == list(aug.DECK_SETTINGS)   # in the order of the deck's call
    assert len(rows) >= len(aug.DECK_SETTINGS) + 3    # then the arguments the deck does not use


def test_placements_and_the_small_data_helpers():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(64, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, size=64)
    for placement in ("none", "model", "tf.data"):
        rate = aug.training_throughput(x, y, aug.task_augmentation, placement, epochs=1, batch_size=32,
                                       build=lambda: aug.build_small_cnn(width=4))
        assert np.isfinite(rate) and rate > 0
    with pytest.raises(ValueError, match="placement"):
        aug.training_throughput(x, y, None, "gpu")
    net, hist = aug.train_small_data(x, y, (x[:16], y[:16]), aug.task_augmentation(seed=0), epochs=2,
                                     width=4, run_eagerly=True)
    assert set(hist) >= {"clean_accuracy", "accuracy", "val_accuracy"} and len(hist["clean_accuracy"]) == 2
    clean = float(np.mean(net.predict(x, verbose=0).argmax(-1) == y))    # the last epoch's clean accuracy
    assert hist["clean_accuracy"][-1] == pytest.approx(clean)
    assert [type(layer).__name__ for layer in net.layers][-2:] == ["Dense", "Activation"]   # no augmentation
    assert aug.overfitting_gap({"clean_accuracy": [1.0, 0.9], "val_accuracy": [0.5, 0.6]}, last=2) == pytest.approx(0.4)
    with pytest.raises(ValueError, match="history needs"):
        aug.overfitting_gap({"loss": [1.0]})


def test_early_stopping_never_stops_before_its_minimum_and_keeps_the_best_epoch():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(48, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, size=48)
    stop = aug.EarlyStoppingAfter(min_epochs=4, patience=1)
    net, hist = aug.train_small_data(x, y, (x[:16], y[:16]), None, epochs=12, width=4, callbacks=[stop],
                                     run_eagerly=True)
    val = hist["val_accuracy"]
    assert 4 <= len(val) <= 12
    best = int(np.argmax(val))
    assert len(val) == 12 or len(val) >= max(4, best + 2)      # stopped only after its patience ran out
    kept = float(np.mean(net.predict(x[:16], verbose=0).argmax(-1) == y[:16]))
    assert kept == pytest.approx(val[best])                    # the best epoch's weights were restored
    with pytest.raises(ValueError, match="stopping must be"):
        aug.train_configuration(x, y, (x, y), "none", 0, 4, "forever")
    net, hist = aug.train_configuration(x, y, (x[:16], y[:16]), "task", 0, 4, "50 epochs", epochs=1,
                                        run_eagerly=True)
    assert len(hist["val_accuracy"]) == 1


def test_the_search_gives_every_condition_the_same_grid_and_no_more_than_six_configurations():
    recipe = aug.AUGMENTATION_RECIPE
    assert len(recipe["search_widths"]) * len(aug.STOPPINGS) <= 6
    shipped = manifest.read_json(aug.AUGMENTATION_RUNS_FILE)
    grid = {c: sorted((r["width"], r["stopping"]) for r in shipped["search"]["rows"] if r["condition"] == c)
            for c in recipe["conditions"]}
    assert all(g == grid["none"] for g in grid.values()) and len(grid["none"]) <= 6
    for c, config in shipped["search"]["chosen"].items():          # the highest validation accuracy wins
        rows = [r for r in shipped["search"]["rows"] if r["condition"] == c]
        assert config["val_accuracy"] == max(r["val_accuracy"] for r in rows)
        assert all(r["width"] == config["width"] and r["stopping"] == config["stopping"]
                   for r in shipped["runs"] if r["condition"] == c)
