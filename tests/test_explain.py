"""Tests for course_utils.explain on tiny hand-built models whose answers are known."""

from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

from course_utils import explain

GOLDEN = np.load(Path(__file__).parent / "golden" / "vision_explain.npz", allow_pickle=False)

H, W, C, K, CLASSES = 6, 6, 2, 3, 4


def _gap_weights(seed=0):
    rng = np.random.default_rng(seed)
    kernel = rng.normal(size=(1, 1, C, K)).astype("float32")
    dense = rng.normal(size=(K, CLASSES)).astype("float32")
    bias = rng.normal(size=CLASSES).astype("float32")
    return kernel, dense, bias


def _gap_layers():
    """1x1 conv (the feature maps A) -> global average pooling -> Dense "logits" -> softmax."""
    return [layers.Conv2D(K, 1, use_bias=False, name="features"), layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(CLASSES, name="logits"), layers.Softmax(name="probs")]


def _set_gap_weights(model, seed=0):
    kernel, dense, bias = _gap_weights(seed)
    model.get_layer("features").set_weights([kernel])
    model.get_layer("logits").set_weights([dense, bias])
    return model


def gap_functional():
    inputs = keras.Input((H, W, C))
    x = inputs
    for layer in _gap_layers():
        x = layer(x)
    return _set_gap_weights(keras.Model(inputs, x))


def gap_sequential(with_input=True):
    stack = ([keras.Input((H, W, C))] if with_input else []) + _gap_layers()
    model = keras.Sequential(stack)
    if not with_input:
        model.build((None, H, W, C))
    return _set_gap_weights(model)


def quadrant_model(size=8, classes=2, fixed=True):
    """Logits see only the top-left quadrant; if ``fixed``, class 0 adds its pixels, class 1 subtracts."""
    half = size // 2
    inputs = keras.Input((size, size, 1))
    x = layers.Cropping2D(((0, size - half), (0, size - half)))(inputs)
    x = layers.Flatten()(x)
    x = layers.Dense(classes, name="logits", kernel_initializer=keras.initializers.RandomNormal(seed=1))(x)
    model = keras.Model(inputs, layers.Softmax()(x))
    if fixed:
        kernel = np.stack([np.full(half * half, 0.5), np.full(half * half, -0.5)], axis=1)
        model.get_layer("logits").set_weights([kernel, np.zeros(2)])
    return model


def small_cnn(seed=0, size=16):
    """Random tanh conv net: smooth, no dead units, so a zero image already has a gradient."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 1))
    x = layers.Conv2D(6, 3, activation="tanh", name="conv1")(inputs)
    x = layers.Conv2D(8, 3, activation="tanh", name="conv2")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(3, name="logits")(x)
    return keras.Model(inputs, layers.Softmax()(x))


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(42).normal(size=(H, W, C)).astype("float32")


# ----------------------------------------------------------------------------- Grad-CAM


@pytest.mark.parametrize("make", [gap_functional, gap_sequential, lambda: gap_sequential(with_input=False)],
                         ids=["functional", "sequential", "sequential-built"])
def test_grad_cam_matches_closed_form(make, image):
    model = make()
    kernel, dense, _ = _gap_weights()
    acts = image @ kernel[0, 0]                       # A^k_ij of the 1x1 conv
    for c in range(CLASSES):
        alphas = dense[:, c] / (H * W)                # d y_c / d A^k_ij = W[k, c] / (h w)
        expected = np.maximum(acts @ alphas, 0)
        raw = explain.grad_cam(model, image, class_index=c, upsample=False, normalize=False)
        np.testing.assert_allclose(raw, expected, atol=1e-5)
    _, grads = explain.grad_cam_gradients(model, image, class_index=1)
    np.testing.assert_allclose(explain.grad_cam_weights(grads), dense[:, 1] / (H * W), atol=1e-6)
    assert explain.last_conv_layer_name(model) == "features"


def test_grad_cam_sequential_equals_functional(image):
    a = explain.grad_cam(gap_functional(), image)
    b = explain.grad_cam(gap_sequential(), image[None])
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert a.shape == (H, W) and a.min() >= 0 and np.isclose(a.max(), 1.0)


def test_grad_cam_top_class_default_and_zero_map_stays_zero(image):
    model = gap_functional()
    top = int(np.argmax(model(image[None])[0]))
    np.testing.assert_allclose(explain.grad_cam(model, image), explain.grad_cam(model, image, top))
    model.get_layer("logits").set_weights([np.zeros((K, CLASSES)), np.zeros(CLASSES)])
    heat = explain.grad_cam(model, image, class_index=0)
    assert np.all(heat == 0) and np.all(np.isfinite(heat))


def test_grad_cam_pieces():
    acts = np.arange(12, dtype=float).reshape(2, 2, 3)
    grads = np.ones((2, 2, 3)) * np.array([1.0, -1.0, 0.5])
    alphas = explain.grad_cam_weights(grads)
    np.testing.assert_allclose(alphas, [1.0, -1.0, 0.5])
    np.testing.assert_allclose(explain.grad_cam_combine(acts, alphas),
                               np.maximum(acts[..., 0] - acts[..., 1] + 0.5 * acts[..., 2], 0))


# ----------------------------------------------------------------------------- saliency


def test_saliency_matches_central_differences():
    keras.utils.set_random_seed(3)
    inputs = keras.Input((5, 5, 2), dtype="float64")
    x = layers.Conv2D(3, 3, activation="tanh", dtype="float64")(inputs)
    x = layers.Flatten(dtype="float64")(x)
    x = layers.Dense(4, name="logits", dtype="float64")(x)
    model = keras.Model(inputs, layers.Softmax(dtype="float64")(x))
    image = np.random.default_rng(0).normal(size=(5, 5, 2))
    logits = keras.Model(model.inputs[0], model.get_layer("logits").output)
    eps, c = 1e-5, 2
    bumps = np.eye(image.size).reshape(-1, *image.shape) * eps
    plus = logits(image + bumps).numpy()[:, c]
    minus = logits(image - bumps).numpy()[:, c]
    numeric = np.abs((plus - minus) / (2 * eps)).reshape(image.shape).max(axis=-1)
    heat = explain.saliency_map(model, image, class_index=c)
    assert heat.shape == (5, 5)
    np.testing.assert_allclose(heat, numeric, rtol=1e-6, atol=1e-8)   # float64: errors ~1e-10


# ----------------------------------------------------------------------------- occlusion


def test_occlusion_is_nonzero_only_in_the_seen_quadrant():
    model = quadrant_model(fixed=False)
    image = np.random.default_rng(1).uniform(size=(8, 8, 1)).astype("float32")
    heat = explain.occlusion_map(model, image, class_index=0, patch=2, stride=2, batch_size=5)
    assert heat.shape == (8, 8)
    outside = np.ones((8, 8), bool)
    outside[:4, :4] = False
    assert np.all(heat[outside] == 0)
    assert np.all(heat[:4, :4] != 0)


def test_occlusion_drop_is_the_probability_difference():
    model = quadrant_model()
    image = np.ones((8, 8, 1), "float32")
    heat = explain.occlusion_map(model, image, patch=4, stride=4, fill=0.0)
    clean = model(image[None]).numpy()[0, 0]
    occluded = image.copy()
    occluded[:4, :4] = 0
    np.testing.assert_allclose(heat[:4, :4], clean - model(occluded[None]).numpy()[0, 0], atol=1e-6)
    assert heat[:4, :4].min() > 0.4


# ----------------------------------------------------------------------------- class-model visualisation


def test_class_model_visualization_raises_each_score():
    model = small_cnn()
    plain = {"l2": 0, "blur_every": 0, "clip_percentile": None, "jitter": 0}
    images, history = explain.class_model_visualization(model, 1, steps=15, **plain)
    assert images.shape == (1, 16, 16, 1) and history.shape == (16, 1)
    assert history[-1, 0] > history[10, 0] > history[0, 0] + 0.1
    images, history = explain.class_model_visualization(
        model, [0, 1, 2], steps=15, l2=1e-3, blur_every=4, blur_sigma=0.5, clip_percentile=20,
        jitter=2, value_range=(-1, 1))
    assert images.shape == (3, 16, 16, 1) and history.shape == (16, 3)
    assert np.all(history[-1] > history[0] + 0.05)
    assert images.min() >= -1 and images.max() <= 1
    assert not np.allclose(images[0], images[1])


def test_unit_visualization_raises_the_units_activation():
    model = small_cnn()
    images, history = explain.class_model_visualization(model, None, steps=15, layer_name="conv2",
                                                        unit=[3, 5], jitter=1)
    activation = keras.Model(model.inputs[0], model.get_layer("conv2").output)(images).numpy()
    np.testing.assert_allclose(activation[..., [3, 5]].mean(axis=(1, 2)).diagonal(), history[-1], rtol=1e-5)
    assert np.all(history[-1] > history[0] + 0.05)


# ----------------------------------------------------------------------------- deletion metric


def test_deletion_curve_ranks_a_faithful_map_below_random_order():
    model = quadrant_model(size=16)
    image = np.ones((16, 16, 1), "float32")
    heat = explain.saliency_map(model, image)          # gradient: non-zero only in the seen quadrant
    assert np.all(heat[:8, :8] > 0) and np.all(heat[8:] == 0)
    fractions, probs = explain.deletion_curves(model, image, {"map": heat}, steps=16, fill=0.0)["map"]
    assert len(fractions) == len(probs) == 17 and fractions[0] == 0 and fractions[-1] == 1
    assert np.isclose(probs[0], model(image[None]).numpy()[0, 0], atol=1e-6)
    assert np.isclose(probs[4], 0.5, atol=1e-6)      # the quadrant is a quarter of the image
    random = {"random": explain.random_saliency((16, 16))}
    random_auc = explain.deletion_auc(*explain.deletion_curves(model, image, random, steps=16, fill=0.0)["random"])
    auc = explain.deletion_auc(fractions, probs)
    assert auc < random_auc - 0.1
    assert np.isclose(explain.deletion_auc(np.array([0, 1.0]), np.array([1.0, 0.0])), 0.5)


def test_deletion_curves_of_several_maps_equal_one_curve_each():
    model = quadrant_model(size=16)
    image = np.random.default_rng(1).random((16, 16, 1)).astype("float32")
    maps = {"saliency": explain.saliency_map(model, image), "random": explain.random_saliency((16, 16), seed=2)}
    together = explain.deletion_curves(model, image, maps, steps=8)
    assert list(together) == ["saliency", "random"]
    for name, heat in maps.items():
        fractions, probs = explain.deletion_curves(model, image, {name: heat}, steps=8)[name]
        np.testing.assert_allclose(together[name][0], fractions)
        np.testing.assert_allclose(together[name][1], probs, atol=1e-6)


# ----------------------------------------------------------------------------- sanity checks


def test_randomize_top_down_changes_only_the_top_layers():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(4, 3, name="conv")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(3, name="logits")(x)
    model = keras.Model(inputs, layers.Softmax()(x))
    rng = np.random.default_rng(0)
    for layer in model.layers:
        layer.set_weights([rng.uniform(0.5, 1.5, w.shape) for w in layer.get_weights()])
    before = {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers}
    randomized = explain.randomize_top_down(model, 2)
    for layer in model.layers:     # original untouched
        for old, now in zip(before[layer.name], layer.get_weights()):
            np.testing.assert_array_equal(old, now)
    for name, changed in [("conv", False), ("bn", True), ("logits", True)]:
        new = randomized.get_layer(name).get_weights()
        differs = any(not np.array_equal(a, b) for a, b in zip(before[name], new))
        assert differs == changed, name
    x0 = rng.normal(size=(1, 8, 8, 1)).astype("float32")
    assert not np.allclose(model(x0), randomized(x0))
    np.testing.assert_allclose(explain.randomize_top_down(model, 0)(x0), model(x0), atol=1e-6)


def test_spearman():
    a = np.random.default_rng(0).random((5, 5))
    assert np.isclose(explain.spearman(a, a), 1.0)
    assert np.isclose(explain.spearman(a, -a), -1.0)
    assert np.isclose(explain.spearman(a, a ** 3), 1.0)


# ----------------------------------------------------------------------------- bad input


def _one_line_value_error(call):
    with pytest.raises(ValueError) as info:
        call()
    assert "\n" not in str(info.value) and str(info.value)


def test_bad_input_raises_one_line_value_errors(image):
    model = gap_functional()
    _one_line_value_error(lambda: explain.saliency_map(model, image[..., 0]))
    _one_line_value_error(lambda: explain.grad_cam(model, np.stack([image, image])))
    _one_line_value_error(lambda: explain.grad_cam(model, np.zeros((5, 5, C))))
    _one_line_value_error(lambda: explain.grad_cam(model, image, class_index=CLASSES))
    _one_line_value_error(lambda: explain.saliency_map(model, image, class_index=-1))
    _one_line_value_error(lambda: explain.occlusion_map(model, image, class_index=7))
    _one_line_value_error(lambda: explain.grad_cam(model, image, layer_name="nope"))
    _one_line_value_error(lambda: explain.grad_cam(model, image, layer_name="logits"))
    _one_line_value_error(lambda: explain.class_model_visualization(model, 9, steps=1))
    _one_line_value_error(lambda: explain.class_model_visualization(model, None, layer_name="nope", unit=0))
    _one_line_value_error(lambda: explain.class_model_visualization(model, None, layer_name="features"))
    _one_line_value_error(lambda: explain.class_model_visualization(model, None))
    _one_line_value_error(lambda: explain.deletion_curves(model, image, {"small": np.zeros((3, 3))}))
    _one_line_value_error(lambda: explain.deletion_curves(model, image, {"map": np.zeros((H, W))}, steps=0))
    for kwargs in ({"patch": 0}, {"patch": H + 1}, {"stride": 0}, {"batch_size": 0}):
        _one_line_value_error(lambda kw=kwargs: explain.occlusion_map(model, image, **kw))
    with pytest.raises(ValueError, match="patch must be"):
        explain.occlusion_map(model, image, patch=0)
    _one_line_value_error(lambda: explain.randomize_top_down(model, 99))
    _one_line_value_error(lambda: explain.spearman(np.zeros(3), np.zeros(4)))


# ----------------------------------------------------------------------------- regularisers


def test_clip_small_norm_zeroes_whole_weak_pixels():
    rng = np.random.default_rng(0)
    image = rng.normal(size=(5, 4, 3))
    image[0, 0] = [0.0, 0.0, 10.0]             # one large channel: a strong pixel, kept whole
    out = explain.clip_small_norm(image, 40)
    norms = np.linalg.norm(image, axis=-1)
    weak = norms < np.percentile(norms, 40)
    assert weak.sum() == 8 and np.all(out[weak] == 0)
    np.testing.assert_array_equal(out[~weak], image[~weak])
    assert not np.all(image[weak] == 0)        # the input is not changed in place
    np.testing.assert_array_equal(explain.clip_small_norm(image, 0), image)
    batch = np.stack([image, 3 * image[::-1]])   # one threshold per image
    np.testing.assert_array_equal(explain.clip_small_norm(batch, 40)[0], out)
    assert (explain.clip_small_norm(batch, 40)[1] == 0).all(axis=-1).sum() == 8


def test_class_model_visualization_shows_a_progress_bar_when_asked(capsys):
    model = small_cnn()
    _, quiet = explain.class_model_visualization(model, 0, steps=3)
    assert "ascent" not in capsys.readouterr().err
    _, shown = explain.class_model_visualization(model, 0, steps=3, progress_desc="ascent")
    assert "ascent" in capsys.readouterr().err
    np.testing.assert_allclose(quiet, shown, rtol=1e-6)      # the bar changes nothing else


# ----------------------------------------------------------------------------- feature inversion


def test_invert_features_matches_the_layer_features():
    model = small_cnn()
    image = np.random.default_rng(5).uniform(-1, 1, size=(16, 16, 1)).astype("float32")
    rec, losses = explain.invert_features(model, image, "conv1", steps=40, lr=0.02, tv=0.0, value_range=(-1, 1))
    assert rec.shape == image.shape and losses.shape == (41,)
    assert rec.min() >= -1 and rec.max() <= 1
    assert losses[-1] < 0.3 * losses[0]
    features = keras.Model(model.inputs[0], model.get_layer("conv1").output)
    target = features(image[None]).numpy()
    error = np.sum((features(rec[None]).numpy() - target) ** 2) / np.sum(target ** 2)
    np.testing.assert_allclose(error, losses[-1], rtol=1e-4)
    _one_line_value_error(lambda: explain.invert_features(model, image, "nope", steps=1))


def test_random_saliency_by_regions_is_constant_on_each_cell_and_rejects_bad_grids():
    pixels = explain.random_saliency((28, 21), seed=1)
    regions = explain.random_saliency((28, 21), seed=1, cells=7)
    assert pixels.shape == regions.shape == (28, 21)
    assert len(np.unique(pixels)) == 28 * 21          # one value per pixel
    assert len(np.unique(regions)) == 49              # one value per cell of the 7x7 grid
    assert np.all(regions[:4, :3] == regions[0, 0]) and regions[4, 0] != regions[0, 0]
    for bad in (0, 22):
        with pytest.raises(ValueError, match="cells must be between 1 and 21"):
            explain.random_saliency((28, 21), cells=bad)


# ----------------------------------------------------------------------------- golden outputs


def vision_net():
    """conv (tanh) -> conv (ReLU) -> pooling -> "logits" -> softmax, weights drawn by NumPy (seed 2024)."""
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(6, 3, activation="tanh", name="conv1")(inputs)
    x = layers.Conv2D(8, 3, activation="relu", name="conv2")(x)
    x = layers.Dense(4, name="logits")(layers.GlobalAveragePooling2D(name="gap")(x))
    model = keras.Model(inputs, layers.Softmax(name="probs")(x))
    rng = np.random.default_rng(2024)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def test_every_map_equals_the_old_implementation_on_a_fixed_net():
    # golden: the outputs before explain's own compiled call gave way to inference.forward
    model, x = vision_net(), GOLDEN["input"]
    acts, grads = explain.grad_cam_gradients(model, x, 3)
    curves = explain.deletion_curves(model, x, {"sal": GOLDEN["saliency_top"],
                                                "rnd": explain.random_saliency((16, 16), 1)}, steps=5)
    images, history = explain.class_model_visualization(model, [0, 2], steps=10, value_range=(-1, 1))
    inverted, losses = explain.invert_features(model, x, "conv2", steps=10, value_range=(-1, 1))
    got = {"saliency_top": explain.saliency_map(model, x), "saliency_c1": explain.saliency_map(model, x, 1),
           "grad_cam": explain.grad_cam(model, x), "gc_acts": acts, "gc_grads": grads,
           "grad_cam_raw_conv1_c2": explain.grad_cam(model, x, 2, "conv1", upsample=False, normalize=False),
           "occlusion_p5_s3_c0": explain.occlusion_map(model, x, 0, patch=5, stride=3),
           "occlusion_default": explain.occlusion_map(model, x),
           "random_saliency_cells4": explain.random_saliency((16, 16), seed=3, cells=4),
           "deletion_sal": curves["sal"][1], "deletion_rnd": curves["rnd"][1],
           "cmv_images": images, "cmv_history": history, "inv_image": inverted, "inv_losses": losses}
    for name, value in got.items():
        np.testing.assert_allclose(value, GOLDEN[name], rtol=0, atol=1e-6, err_msg=name)


def test_the_shared_step_loop_equals_the_two_old_loops():
    # golden: class_model_visualization and invert_features each had their own loop; eager (< 8 steps)
    # and compiled paths, jitter, blur, small-norm clipping and unit visualisation
    model, x = vision_net(), GOLDEN["input"]
    images, history = explain.class_model_visualization(model, [1, 3], steps=5, clip_percentile=20, jitter=2,
                                                        blur_every=2, value_range=(-1, 1), seed=4)
    units, unit_history = explain.class_model_visualization(model, None, steps=9, layer_name="conv2", unit=[3, 5],
                                                            jitter=1, l2=0.01, clip_percentile=10)
    inverted, losses = explain.invert_features(model, x, "conv1", steps=5, lr=0.03, tv=0.1, seed=2)
    got = {"cmv_eager_clip_images": images, "cmv_eager_clip_history": history, "unit_images": units,
           "unit_history": unit_history, "inv_eager_image": inverted, "inv_eager_losses": losses}
    for name, value in got.items():
        np.testing.assert_allclose(value, GOLDEN[name], rtol=0, atol=1e-6, err_msg=name)


def test_class_model_starts_from_init_and_contribution_clipping_zeroes_pixels():
    keras.utils.set_random_seed(3)
    inputs = keras.Input((8, 8, 3))
    hidden = layers.Conv2D(4, 3, padding="same", activation="relu", bias_initializer="random_normal")(inputs)
    logits = layers.Dense(2, name="logits")(layers.Flatten()(hidden))
    model = keras.Model(inputs, layers.Softmax()(logits))
    start = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    same, _ = explain.class_model_visualization(model, [0, 1], steps=0, init=start, jitter=0)
    np.testing.assert_array_equal(same, start)
    clipped, history = explain.class_model_visualization(model, [0, 1], steps=2, init=start, jitter=0,
                                                         blur_every=None, contribution_percentile=50)
    assert (np.all(clipped == 0, axis=-1).sum(axis=(1, 2)) >= 32).all()   # half of the 64 pixels
    assert history.shape == (3, 2)
    with pytest.raises(ValueError, match="init must have shape"):
        explain.class_model_visualization(model, 0, steps=1, init=start)
