"""course_utils.vae (lesson 12): the closed-form KL against Monte-Carlo and hand formulas, the
reparameterisation's moments, the Bernoulli likelihood against Keras' binary cross-entropy, one
train_step lowering the loss, weight round trips, the latent grid, and one-line errors; golden
outputs of the code before issue 21's rewrite (tests/golden/generative_vae.npz, the shipped 2-D VAE
and fixed inputs through the old module)."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
import pytest

from course_utils import models, vae

GOLDEN = np.load(Path(__file__).parent / "golden" / "generative_vae.npz", allow_pickle=False)


def test_kl_is_zero_for_the_standard_normal_and_matches_a_hand_formula():
    np.testing.assert_allclose(vae.gaussian_kl(np.zeros((3, 4)), np.zeros((3, 4))), 0.0, atol=1e-15)
    # one dimension: KL(N(m, s^2) || N(0, 1)) = log(1/s) + (s^2 + m^2) / 2 - 1/2
    m, s = 1.5, 0.4
    hand = math.log(1 / s) + (s**2 + m**2) / 2 - 0.5
    np.testing.assert_allclose(vae.gaussian_kl([[m]], [[math.log(s**2)]]), [hand], rtol=1e-12)
    # independent dimensions add up
    mu, lv = np.array([[m, -0.3]]), np.array([[math.log(s**2), 0.7]])
    parts = [vae.gaussian_kl(mu[:, [j]], lv[:, [j]])[0] for j in range(2)]
    np.testing.assert_allclose(vae.gaussian_kl(mu, lv), [sum(parts)], rtol=1e-12)


def test_closed_form_kl_agrees_with_monte_carlo_and_scipy():
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(0)
    mu, lv = rng.normal(size=(4, 3)), rng.uniform(-2, 1, size=(4, 3))
    exact = vae.gaussian_kl(mu, lv)
    estimate, se = vae.monte_carlo_kl(mu, lv, samples=40_000, seed=1)
    assert np.all(np.abs(estimate - exact) < 4 * se + 1e-9), (estimate, exact, se)
    # an independent check of E_q[log q - log p] with scipy's densities on the same draws
    z = rng.normal(size=(20_000, 3)) * np.exp(0.5 * lv[0]) + mu[0]
    q = multivariate_normal(mu[0], np.diag(np.exp(lv[0])))
    p = multivariate_normal(np.zeros(3), np.eye(3))
    assert abs(np.mean(q.logpdf(z) - p.logpdf(z)) - exact[0]) < 0.05


def test_reparameterisation_gives_the_right_mean_and_std():
    rng = np.random.default_rng(2)
    mu, lv = np.array([[1.0, -2.0]]), np.array([[math.log(0.25), math.log(4.0)]])
    z = vae.reparameterize(np.repeat(mu, 50_000, 0), np.repeat(lv, 50_000, 0), rng.standard_normal((50_000, 2)))
    np.testing.assert_allclose(z.mean(0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(z.std(0), [0.5, 2.0], rtol=0.02)
    layer = vae.Sampling(seed=3)
    out = np.asarray(layer([np.tile(mu, (50_000, 1)).astype("float32"), np.tile(lv, (50_000, 1)).astype("float32")]))
    np.testing.assert_allclose(out.mean(0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(out.std(0), [0.5, 2.0], rtol=0.02)


def test_bernoulli_log_likelihood_is_minus_keras_binary_cross_entropy():
    rng = np.random.default_rng(4)
    x = rng.uniform(size=(3, 28, 28, 1))
    logits = rng.normal(0, 3, size=x.shape)
    bce = keras.losses.binary_crossentropy(x.reshape(3, -1), logits.reshape(3, -1), from_logits=True)
    np.testing.assert_allclose(vae.bernoulli_log_likelihood(x, logits), -784 * np.asarray(bce), rtol=1e-5)
    big = np.full((1, 4), 80.0)            # stable where log(sigmoid) would give log(0)
    assert np.all(np.isfinite(vae.bernoulli_log_likelihood(np.zeros((1, 4)), big)))
    np.testing.assert_allclose(vae.elbo(x, logits, np.zeros((3, 2)), np.zeros((3, 2))),
                               vae.bernoulli_log_likelihood(x, logits))


@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(0)
    model = vae.build_vae(latent_dim=2, learning_rate=3e-3, seed=0, hidden=(16,), run_eagerly=True)
    x = (np.random.default_rng(5).uniform(size=(32, 28, 28, 1)) > 0.6).astype("float32")
    return model, x


def test_train_step_lowers_the_loss_and_logs_the_elbo_terms(tiny):
    model, x = tiny
    before = model.evaluate(x, batch_size=32, verbose=0, return_dict=True)
    assert set(before) == {"loss", "reconstruction", "kl"}
    assert before["loss"] == pytest.approx(before["reconstruction"] + before["kl"], rel=1e-5)
    for _ in range(5):
        logs = model.train_on_batch(x, return_dict=True)
    after = model.evaluate(x, batch_size=32, verbose=0, return_dict=True)
    assert after["loss"] < before["loss"] - 1 and np.isfinite(logs["loss"])
    # mean_elbo's NumPy ELBO agrees with the Keras loss on the same images (up to the sampling noise)
    assert vae.mean_elbo(model, x, samples=10)["elbo"] == pytest.approx(-after["loss"], rel=0.02)


def test_weights_round_trip_and_decoding(tiny, tmp_path):
    model, x = tiny
    path = tmp_path / "tiny.weights.h5"
    vae.save_vae_weights(model, str(path))
    other = vae.load_vae_weights(vae.build_vae(2, hidden=(16,)), str(path))
    for a, b in zip(model.encoder.weights + model.decoder.weights, other.encoder.weights + other.decoder.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert vae.mean_elbo(other, x, seed=7) == vae.mean_elbo(model, x, seed=7)
    mosaic, coords = vae.latent_grid(model.decoder, n=4)
    assert mosaic.shape == (112, 112) and 0 <= mosaic.min() and mosaic.max() <= 1
    np.testing.assert_allclose(coords, -coords[::-1], atol=1e-12)       # symmetric Gaussian quantiles
    np.testing.assert_allclose(mosaic[84:, :28], vae.decode(model.decoder, [[coords[0], coords[0]]])[0, ..., 0],
                               atol=1e-6)                                 # bottom-left: (low, low)
    frames = vae.interpolate(model.decoder, [0.0, 0.0], [1.0, -1.0], steps=3)
    np.testing.assert_allclose(frames[1], vae.decode(model.decoder, [[0.5, -0.5]])[0], atol=1e-6)
    samples = vae.sample_prior(model.decoder, 5, seed=1)       # z ~ N(0, I) drawn with that seed, decoded
    np.testing.assert_array_equal(samples, vae.sample_prior(model.decoder, 5, seed=1))
    z = np.random.default_rng(1).standard_normal((5, 2))
    np.testing.assert_allclose(samples, vae.decode(model.decoder, z), atol=1e-6)
    assert np.abs(vae.sample_prior(model.decoder, 5, seed=2) - samples).max() > 1e-3


def test_conv_vae_shapes_and_parameter_count_by_hand():
    model = vae.build_vae(16, architecture="conv", seed=0)
    assert [tuple(t.shape[1:]) for t in model.encoder.outputs] == [(16,)] * 3
    assert model.decoder.get_layer("logits").output.shape[1:] == (28, 28, 1)
    # conv 1->16 and 16->32 (3x3), heads 1568->16 twice; dense 16->1568, conv-T 32->16 and 16->1
    encoder = (9 * 16 + 16) + (9 * 16 * 32 + 32) + 2 * (7 * 7 * 32 * 16 + 16)
    decoder = (16 * 1568 + 1568) + (9 * 32 * 16 + 16) + (9 * 16 + 1)
    assert (model.encoder.count_params(), model.decoder.count_params()) == (encoder, decoder)
    with pytest.raises(ValueError, match="architecture must be one of"):
        vae.build_vae(16, architecture="resnet")


def test_elbo_step_with_given_eps_is_one_step_on_the_numpy_negative_elbo():
    keras.utils.set_random_seed(3)
    model = vae.VAE(vae.build_encoder(2, (8,)), vae.build_decoder(2, (8,)))
    model.compile(optimizer=keras.optimizers.SGD(0.0))                  # lr 0: the weights stay
    x = np.random.default_rng(6).uniform(size=(4, 28, 28, 1)).astype("float32")
    eps = np.random.default_rng(7).standard_normal((4, 2)).astype("float32")
    mu, log_var, _ = (np.asarray(t, np.float64) for t in model.encoder(x))
    logits = np.asarray(model.decoder_logits(vae.reparameterize(mu, log_var, eps).astype("float32")), np.float64)
    out = model.elbo_step(x, eps)
    assert float(out["loss"]) == pytest.approx(-vae.elbo(x, logits, mu, log_var).mean(), rel=1e-5)
    assert float(out["kl"]) == pytest.approx(vae.gaussian_kl(mu, log_var).mean(), rel=1e-5)


def test_train_step_draws_its_noise_from_the_model_seed():
    logs = []
    for _ in range(2):
        model = vae.build_vae(2, seed=4, hidden=(8,), run_eagerly=True)
        model.set_weights([np.full(w.shape, 0.01, w.dtype) for w in model.get_weights()])
        logs.append(model.train_on_batch(np.full((3, 28, 28, 1), 0.5, "float32"), return_dict=True))
    logs = [{name: float(value) for name, value in log.items()} for log in logs]   # Keras 3.13 (Colab): arrays
    assert logs[0] == pytest.approx(logs[1])


def test_binarize_is_a_seeded_bernoulli_draw_of_the_grey_levels():
    x = np.random.default_rng(8).uniform(size=(200, 28, 28, 1)).astype("float32")
    b = vae.binarize(x, seed=0)
    assert set(np.unique(b)) <= {0.0, 1.0} and b.dtype == np.float32
    np.testing.assert_array_equal(b, vae.binarize(x, seed=0))
    assert abs(b.mean() - x.mean()) < 0.005 and np.all(b[x == 0] == 0)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        vae.binarize(x * 2)


def test_autoencoder_builder_shapes():
    ae, encoder, decoder = vae.build_autoencoder(3, hidden=(8,))
    assert encoder.output_shape == (None, 3) and ae.output_shape == (None, 28, 28, 1)
    assert decoder.get_layer("logits").output.shape[1:] == (28, 28, 1)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: vae.gaussian_kl(np.zeros((2, 3)), np.zeros((2, 4))), "same shape"),
    (lambda: vae.gaussian_kl(np.zeros(3), np.zeros(3)), "2-D"),
    (lambda: vae.reparameterize(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 2))), "eps must have"),
    (lambda: vae.monte_carlo_kl(np.zeros((1, 2)), np.zeros((1, 2)), samples=1), "at least 2"),
    (lambda: vae.bernoulli_log_likelihood(np.zeros((2, 4)), np.zeros((2, 5))), "same shape"),
    (lambda: vae.build_encoder(0), "latent_dim must be a positive integer"),
    (lambda: vae.latent_grid(vae.build_decoder(2, (4,)), 5, 0.0, 0.9), "0 < low < high < 1"),
    (lambda: vae.unit_images(np.zeros((0, 28, 28))), "at least 1 image"),
    (lambda: vae.VAE(vae.build_encoder(2, (4,)), vae.build_decoder(2, (4,)), beta=-1.0), "beta must be"),
])
def test_bad_input_gives_one_line(call, message):
    with pytest.raises(ValueError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_bad_images_and_latents_give_one_line(tiny):
    model, _ = tiny
    for images, message in [(np.zeros((2, 27, 28)), "must have shape"), (np.full((1, 28, 28), 255.0), "in \\[0, 1\\]"),
                            (np.full((1, 28, 28), np.nan), "NaN")]:
        with pytest.raises(ValueError, match=message):
            vae.mean_elbo(model, images)
    for z, message in [(np.zeros((2, 3)), "shape \\(N, 2\\)"), ([[np.inf, 0.0]], "NaN or infinite")]:
        with pytest.raises(ValueError, match=message):
            vae.decode(model.decoder, z)
    with pytest.raises(ValueError, match="2-D latent space"):
        vae.latent_grid(vae.build_decoder(3, (4,)))
    with pytest.raises(ValueError, match="at least 2"):
        vae.interpolate(model.decoder, [0, 0], [1, 1], steps=1)


@pytest.mark.parametrize(("latent_dim", "architecture"), [(2, "dense"), (16, "dense"), (16, "conv")])
def test_shipped_vae_loads_verified_and_reaches_its_recorded_elbo(latent_dim, architecture):
    from course_utils import manifest
    from course_utils.data import load_fashion_mnist
    from course_utils.models import preprocess
    from course_utils.vae import fashion_vae, vae_file

    model = fashion_vae(latent_dim, architecture=architecture)
    x = preprocess(load_fashion_mnist()[1][0][:1000])
    terms = vae.mean_elbo(model, x, samples=2)
    spread = manifest.entry(vae_file(latent_dim, architecture=architecture))["spread"]["test_elbo"]
    # the first 1,000 test images against all 10,000: within 4 standard errors and the seeds' spread
    assert abs(terms["elbo"] - spread["mean"]) < 4 * terms["elbo_std"] / np.sqrt(len(x)) + 3 * spread["std"] + 0.5
    assert terms["kl"] > 0 and terms["reconstruction"] > 0


def test_unknown_latent_size_and_damaged_weights_are_one_line(tmp_path, monkeypatch):
    from course_utils import manifest, paths

    with pytest.raises(ValueError, match="latent sizes"):
        vae.fashion_vae(3)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    for name in (vae.vae_file(2), "manifest.json"):
        (shipped / name).write_bytes((paths.shipped_dir() / name).read_bytes())
    with open(shipped / vae.vae_file(2), "r+b") as fh:
        fh.seek(-64, 2)
        fh.write(b"\0" * 64)
    monkeypatch.setattr(manifest, "shipped_dir", lambda: shipped)
    with pytest.raises(manifest.WeightsFileError, match="SHA-256 mismatch") as info:
        vae.fashion_vae(2)
    assert "\n" not in str(info.value)


@pytest.fixture(scope="module")
def shipped2():
    return vae.fashion_vae(2), models.preprocess(GOLDEN["x_u8"])


def test_golden_encode_decode_and_the_latent_helpers(shipped2):
    model, x = shipped2
    mu, log_var = vae.encode(model.encoder, x)
    np.testing.assert_allclose(mu, GOLDEN["mu"], atol=1e-6)
    np.testing.assert_allclose(log_var, GOLDEN["log_var"], atol=1e-6)
    np.testing.assert_allclose(vae.decode(model.decoder, GOLDEN["z"]), GOLDEN["decoded"], atol=1e-6)
    np.testing.assert_allclose(vae.sample_prior(model.decoder, 4, seed=3), GOLDEN["prior"], atol=1e-6)
    mosaic, coords = vae.latent_grid(model.decoder, n=3)
    np.testing.assert_allclose(mosaic, GOLDEN["mosaic"], atol=1e-6)
    np.testing.assert_allclose(coords, GOLDEN["coords"], atol=1e-6)
    np.testing.assert_allclose(vae.interpolate(model.decoder, mu[0], mu[1], steps=4), GOLDEN["interp"], atol=1e-6)


def test_golden_mean_elbo(shipped2):
    model, x = shipped2
    terms = vae.mean_elbo(model, x, samples=3, seed=1)
    assert terms == pytest.approx({k: float(GOLDEN[f"elbo_{k}"]) for k in terms}, abs=1e-6)


def test_golden_numpy_references():
    m, s, eps = GOLDEN["m"], GOLDEN["s"], GOLDEN["eps"]
    np.testing.assert_allclose(vae.reparameterize(m, s, eps), GOLDEN["reparam"], atol=1e-6)
    np.testing.assert_allclose(vae.gaussian_kl(m, s), GOLDEN["kl"], atol=1e-6)
    estimate, se = vae.monte_carlo_kl(m, s, samples=500, seed=4)
    np.testing.assert_allclose(estimate, GOLDEN["mc_est"], atol=1e-6)
    np.testing.assert_allclose(se, GOLDEN["mc_se"], atol=1e-6)
    np.testing.assert_allclose(vae.bernoulli_log_likelihood(GOLDEN["xx"], GOLDEN["lg"]), GOLDEN["loglik"], atol=1e-6)
    np.testing.assert_allclose(vae.elbo(GOLDEN["xx"], GOLDEN["lg"], m, s), GOLDEN["elbo_np"], atol=1e-6)
