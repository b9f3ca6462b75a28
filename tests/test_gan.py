"""course_utils.gan: the GAN losses against closed forms and Keras' binary cross-entropy, the
builders' shapes and parameter counts, one train_step, interpolation, the sample-grid callback and
one-line errors; the TF tutorial baseline of tools/compare_dcgan.py (parameter counts by hand);
golden outputs of the code before issue 21's rewrite (tests/golden/generative_gan.npz, computed by the
old module on the same inputs)."""

from __future__ import annotations

import math
from pathlib import Path

import compare_dcgan
import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import gan
from course_utils.exercises import lesson11 as l11

GOLDEN = np.load(Path(__file__).parent / "golden" / "generative_gan.npz", allow_pickle=False)


def test_losses_at_zero_logits_are_the_closed_forms():
    zeros = np.zeros(4)
    assert float(gan.discriminator_loss(zeros, zeros)) == pytest.approx(2 * math.log(2), rel=1e-6)
    assert float(gan.nonsaturating_generator_loss(zeros)) == pytest.approx(math.log(2), rel=1e-6)
    assert l11._discriminator_loss(zeros, zeros) == pytest.approx(2 * math.log(2))


def test_losses_match_their_probability_forms_and_numpy_twins():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(0, 2, 9), rng.normal(0, 2, 7)
    d_real, d_fake = 1 / (1 + np.exp(-real)), 1 / (1 + np.exp(-fake))
    d = -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake))
    assert float(gan.discriminator_loss(real, fake)) == pytest.approx(d, rel=1e-5)
    assert l11._discriminator_loss(real, fake) == pytest.approx(d, rel=1e-10)
    assert float(gan.nonsaturating_generator_loss(fake)) == pytest.approx(-np.mean(np.log(d_fake)), rel=1e-5)
    assert l11._nonsaturating_generator_loss(fake) == pytest.approx(-np.mean(np.log(d_fake)), rel=1e-10)


def test_discriminator_loss_agrees_with_keras_binary_crossentropy():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(0, 3, (6, 1)).astype("float32"), rng.normal(0, 3, (6, 1)).astype("float32")
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    expected = float(bce(np.ones_like(real), real)) + float(bce(np.zeros_like(fake), fake))
    assert float(gan.discriminator_loss(real, fake)) == pytest.approx(expected, rel=1e-5)
    assert float(gan.nonsaturating_generator_loss(fake)) == pytest.approx(float(bce(np.ones_like(fake), fake)),
                                                                          rel=1e-5)


def test_losses_are_stable_for_huge_logits():
    big = np.array([1000.0, -1000.0])
    assert np.isfinite(float(gan.discriminator_loss(big, big)))
    assert l11._nonsaturating_generator_loss(np.array([-1000.0])) == pytest.approx(1000.0)
    with pytest.raises(ValueError, match="finite logits"):
        gan.discriminator_loss(np.array([np.nan]), np.zeros(2))


def test_non_saturating_gradient_stays_near_minus_one_where_d_rejects_the_samples():
    logit = tf.Variable([-8.0])       # D(G(z)) = 3e-4: D rejects the sample
    with tf.GradientTape() as tape:
        ns = gan.nonsaturating_generator_loss(logit)
    d = 1 / (1 + math.exp(8.0))       # the minimax loss's gradient would be -d
    assert float(tape.gradient(ns, logit)[0]) == pytest.approx(-(1 - d), rel=1e-4)


def test_builders_give_the_documented_shapes_and_parameter_counts():
    g, d = gan.build_generator(), gan.build_discriminator()
    z = np.random.default_rng(0).normal(size=(2, gan.LATENT_DIM)).astype("float32")
    out = np.asarray(g(z))
    assert out.shape == (2, 28, 28, 1) and np.abs(out).max() <= 1.0 and np.ptp(out) > 0
    assert np.asarray(d(np.zeros((3, 28, 28, 1), "float32"))).shape == (3, 1)
    # generator: Dense 100 -> 7x7x64 without bias (313,600) + its batch norm (4 x 3,136 = 12,544),
    # 4x4 ConvT 64 -> 32 without bias (32,768) + batch norm (128), 4x4 ConvT 32 -> 1 with bias (513)
    assert g.count_params() == 313_600 + 12_544 + 32_768 + 128 + 513 == 359_553
    # discriminator: 4x4 Conv 1 -> 32 with bias (544), 4x4 Conv 32 -> 64 without bias (32,768) + batch
    # norm (256), Dense 7x7x64 -> 1 with bias (3,137)
    assert d.count_params() == 544 + 32_768 + 256 + 3_137 == 36_705


def test_tf_tutorial_baseline_follows_the_published_settings():
    g, d = compare_dcgan.build_tf_tutorial_generator(), compare_dcgan.build_tf_tutorial_discriminator()
    assert np.asarray(g(np.zeros((2, 100), "float32"))).shape == (2, 28, 28, 1)
    assert np.asarray(d(np.zeros((3, 28, 28, 1), "float32"))).shape == (3, 1)
    # the tutorial's generator: Dense 100 -> 7x7x256 without bias (1,254,400) + batch norm (4 x 12,544
    # = 50,176); 5x5 ConvT 256 -> 128 (819,200), 128 -> 64 (204,800), 64 -> 1 (1,600), all without
    # bias, the first two with batch norm (512 + 256)
    assert g.count_params() == 1_254_400 + 50_176 + 819_200 + 204_800 + 1_600 + 512 + 256 == 2_330_944
    # its discriminator: 5x5 Conv 1 -> 64 (1,664) and 64 -> 128 (204,928) with biases, Dense 7x7x128 -> 1
    # with bias (6,273)
    assert d.count_params() == 1_664 + 204_928 + 6_273 == 212_865
    dense = next(lay for lay in g.layers if lay.__class__.__name__ == "Dense")
    assert dense.units == 7 * 7 * 256 and not dense.use_bias
    convt = [lay for lay in g.layers if lay.__class__.__name__ == "Conv2DTranspose"]
    assert [c.filters for c in convt] == [128, 64, 1] and [c.strides for c in convt] == [(1, 1), (2, 2), (2, 2)]
    assert all(c.kernel_size == (5, 5) for c in convt)
    assert [lay.rate for lay in d.layers if lay.__class__.__name__ == "Dropout"] == [0.3, 0.3]
    recipe = compare_dcgan.TF_TUTORIAL_RECIPE
    assert recipe["batch_size"] == 256 and recipe["learning_rate"] == 1e-4


def _tiny_gan(seed=0):
    g = gan.build_generator(latent_dim=8, base=8)
    d = gan.build_discriminator(base=4)
    model = gan.GAN(g, d, seed=seed)
    model.compile(keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5),
                  run_eagerly=True)
    return model


def _real_batch(n=16):
    rng = np.random.default_rng(3)
    return rng.uniform(-1, 1, (n, 28, 28, 1)).astype("float32")


def test_one_train_step_changes_both_networks():
    model = _tiny_gan()
    before_g = [w.copy() for w in model.generator.get_weights()]
    before_d = [w.copy() for w in model.discriminator.get_weights()]
    logs = model.train_on_batch(_real_batch(), return_dict=True)
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"} and all(np.isfinite(list(logs.values())))
    assert any(not np.array_equal(a, b) for a, b in zip(before_g, model.generator.get_weights()))
    assert any(not np.array_equal(a, b) for a, b in zip(before_d, model.discriminator.get_weights()))


def test_each_step_lowers_its_own_loss_on_a_fixed_batch():
    model = _tiny_gan()
    real, z = _real_batch(), np.random.default_rng(4).standard_normal((16, 8)).astype("float32")

    def d_loss():
        return float(gan.discriminator_loss(model.discriminator(real, training=True),
                                            model.discriminator(model.generator(z, training=True), training=True)))

    def g_loss():
        return float(gan.nonsaturating_generator_loss(
            model.discriminator(model.generator(z, training=True), training=True)))

    start = d_loss()
    model.discriminator_step(real, z)
    assert d_loss() < start
    d_weights = [w.copy() for w in model.discriminator.get_weights() if w.ndim > 1]
    start = g_loss()
    model.generator_step(z)
    assert g_loss() < start
    assert all(np.array_equal(a, b) for a, b in zip(d_weights, [w for w in model.discriminator.get_weights()
                                                               if w.ndim > 1]))


class _OtherGAN(gan.GAN):
    """A subclass, as lesson 11's MyGAN."""


def test_make_gan_builds_the_class_it_is_given():
    model = gan.make_gan(seed=0, model_class=_OtherGAN)
    assert type(model) is _OtherGAN and model.generator.count_params() == gan.make_gan(seed=0).generator.count_params()


def test_make_gan_and_the_tutorial_gan_are_gans_with_their_recipes():
    ours, tutorial = gan.make_gan(seed=0), compare_dcgan.make_tutorial_gan(seed=0)
    assert isinstance(ours, gan.GAN) and isinstance(tutorial, gan.GAN)
    assert ours.generator.name == "dcgan_generator" and tutorial.generator.name == "tf_tutorial_generator"
    assert float(ours.d_optimizer.learning_rate) == pytest.approx(2e-4) and float(ours.g_optimizer.beta_1) == 0.5
    assert float(tutorial.g_optimizer.learning_rate) == pytest.approx(1e-4)


def test_gan_rejects_mismatched_networks():
    g = gan.build_generator(latent_dim=4, base=4)
    other = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"it reads \(32, 32, 1\)"):
        gan.GAN(g, other)


def test_fit_rejects_images_outside_the_tanh_range():
    model = _tiny_gan()
    with pytest.raises(ValueError, match=r"in \[-1, 1\]"):
        model.fit(np.full((4, 28, 28, 1), 255.0, "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        model.fit(np.zeros((4, 28, 28), "float32"), epochs=1, verbose=0)


def test_range_conversions():
    x = np.array([[[0, 255]]], dtype=np.uint8).repeat(28, 1).repeat(14, 2)
    t = gan.to_tanh_range(x)
    assert t.shape == (1, 28, 28, 1) and t.min() == -1.0 and t.max() == 1.0
    np.testing.assert_allclose(gan.to_unit_range(t)[..., 0], x / 255.0, atol=1e-6)
    with pytest.raises(ValueError, match="uint8"):
        gan.to_tanh_range(x.astype("float32"))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        gan.to_unit_range(np.full((1, 2), 3.0))


def test_interpolation_endpoints_norms_and_errors():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(100), rng.standard_normal(100)
    for method in ("linear", "slerp"):
        path = gan.interpolate_latents(a, b, 7, method)
        assert path.shape == (7, 100)
        np.testing.assert_allclose(path[0], a, atol=1e-5)
        np.testing.assert_allclose(path[-1], b, atol=1e-5)
    unit_a, unit_b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    norms = np.linalg.norm(gan.slerp(unit_a, unit_b, 9), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)                 # stays on the sphere
    assert np.linalg.norm(gan.interpolate_latents(unit_a, unit_b, 9, "linear")[4]) < 0.9   # the line cuts inside
    with pytest.raises(ValueError, match="same length"):
        gan.interpolate_latents(a, b[:5], 3)
    with pytest.raises(ValueError, match="method"):
        gan.interpolate_latents(a, b, 3, "cubic")
    with pytest.raises(ValueError, match="positive integer"):
        gan.interpolate_latents(a, b, 0)


def test_sample_grid_callback_keeps_one_grid_per_epoch():
    model = _tiny_gan()
    z = gan.latent_vectors(4, 8, seed=0)
    cb = gan.SampleGrid(z, monitor=lambda g: {"n": 1})
    model.fit(_real_batch(8), batch_size=4, epochs=2, verbose=0, callbacks=[cb])
    assert cb.epochs == [1, 2] and [g.shape for g in cb.grids] == [(4, 28, 28, 1)] * 2
    assert cb.monitored == [{"n": 1}, {"n": 1}] and not np.array_equal(cb.grids[0], cb.grids[1])
    fig = gan.plot_sample_grids(cb.grids, ["epoch 1", "epoch 2"], columns=4)
    assert len(fig.axes) == 8
    with pytest.raises(ValueError, match="2-D array"):
        gan.SampleGrid(np.zeros(8))


def test_generate_is_reproducible_and_in_range():
    g = gan.build_generator(latent_dim=8, base=8)
    a, b = gan.generate(g, 5, seed=1), gan.generate(g, 5, seed=1)
    assert np.array_equal(a, b) and np.abs(a).max() <= 1.0
    z = np.random.default_rng(1).standard_normal((5, 8))      # the z that seed draws, through G in inference mode
    np.testing.assert_allclose(a, np.asarray(g(z.astype("float32"), training=False)), atol=1e-6)
    assert np.abs(gan.generate(g, 5, seed=2) - a).max() > 1e-4
    with pytest.raises(ValueError, match="positive integer"):
        gan.generate(g, 0)


def test_shipped_generator_loads_verified_and_draws_images():
    from course_utils import manifest
    from course_utils.gan import DCGAN_GENERATOR_FILE, dcgan_generator, dcgan_history

    g = dcgan_generator()
    images = gan.generate(g, 4, seed=0)
    assert images.shape == (4, 28, 28, 1) and np.abs(images).max() <= 1.0 and images.std() > 0.1
    info = manifest.entry(DCGAN_GENERATOR_FILE)
    assert len(info["spread"]["frechet_distance"]["seeds"]) >= 3 or info["seeds_done"] != info["seeds_planned"]
    history = dcgan_history()
    assert len(history["grids"]) == len(history["epochs"]) == len(history["history"]["d_loss"])
    untrained = dcgan_generator(weights=None)
    assert not np.array_equal(np.asarray(untrained(gan.latent_vectors(2))), np.asarray(g(gan.latent_vectors(2))))


def _golden_weights(prefix: str, n: int) -> list[np.ndarray]:
    return [GOLDEN[f"{prefix}_{i}"] for i in range(n)]


def _golden_tiny_gan() -> gan.GAN:
    """The tiny GAN of the golden file: its initial weights, fresh Adam optimizers, noise seed 0."""
    g, d = gan.build_generator(8, 8, 4), gan.build_discriminator(4, 4)
    g.set_weights(_golden_weights("g_init", len(g.weights)))
    d.set_weights(_golden_weights("d_init", len(d.weights)))
    model = gan.GAN(g, d, seed=0)
    model.compile()
    return model


def _assert_weights(model: gan.GAN, tag: str) -> None:
    for net, prefix in ((model.generator, f"g_{tag}"), (model.discriminator, f"d_{tag}")):
        for got, expected in zip(net.get_weights(), _golden_weights(prefix, len(net.weights)), strict=True):
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_golden_losses_interpolation_and_conversions():
    real, fake = GOLDEN["real_logits"], GOLDEN["fake_logits"]
    assert float(gan.discriminator_loss(real, fake)) == pytest.approx(float(GOLDEN["d_loss"]), abs=1e-6)
    assert float(gan.nonsaturating_generator_loss(fake)) == pytest.approx(float(GOLDEN["g_loss"]), abs=1e-6)
    assert l11._discriminator_loss(real, fake) == pytest.approx(float(GOLDEN["d_loss_numpy"]), abs=1e-6)
    assert l11._nonsaturating_generator_loss(fake) == pytest.approx(float(GOLDEN["g_loss_numpy"]), abs=1e-6)
    np.testing.assert_allclose(gan.slerp(GOLDEN["z0"], GOLDEN["z1"], 7), GOLDEN["slerp"], atol=1e-6)
    np.testing.assert_allclose(gan.interpolate_latents(GOLDEN["z0"], GOLDEN["z1"], 7), GOLDEN["linear"], atol=1e-6)
    np.testing.assert_array_equal(gan.latent_vectors(3, 5, seed=2), GOLDEN["latent_vectors"])
    np.testing.assert_array_equal(gan.to_tanh_range(GOLDEN["u8"]), GOLDEN["tanh"])


def test_golden_shipped_generator_draws_the_same_images():
    images = np.asarray(gan.dcgan_generator()(GOLDEN["shipped_z"], training=False))
    np.testing.assert_allclose(images, GOLDEN["shipped_generator"], atol=1e-6)


def test_golden_one_discriminator_and_one_generator_step_with_fixed_noise():
    model = _golden_tiny_gan()
    d_loss, _, _ = model.discriminator_step(GOLDEN["x_real"], GOLDEN["z_d"])
    g_loss = model.generator_step(GOLDEN["z_g"])
    assert (float(d_loss), float(g_loss)) == pytest.approx((float(GOLDEN["step_d_loss"]),
                                                            float(GOLDEN["step_g_loss"])), abs=1e-6)
    _assert_weights(model, "step")


def test_golden_train_step_with_its_seeded_noise():
    model = _golden_tiny_gan()
    logs = model.train_on_batch(GOLDEN["x_real"], return_dict=True)
    assert {k: float(v) for k, v in logs.items()} == pytest.approx(
        {k: float(GOLDEN[f"tob_{k}"]) for k in ("d_loss", "g_loss", "d_real", "d_fake")}, abs=1e-6)
    _assert_weights(model, "tob")
