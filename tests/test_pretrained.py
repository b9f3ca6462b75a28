import hashlib
from pathlib import Path

import numpy as np
import pytest

from course_utils import pretrained
from course_utils.data import sample_photo

CAT_CLASSES = {"tiger_cat", "Egyptian_cat", "tabby"}
GOLDEN_DIR = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def model():
    return pretrained.imagenet_model()


def test_model_has_published_parameter_count_and_readable_names(model):
    assert model.count_params() == 4_694_024
    names = {layer.name for layer in model.layers}
    assert {"stem_conv", "block0_dw_conv", "block15_project_bn", pretrained.LAST_CONV_LAYER,
            pretrained.LOGITS_LAYER, "predictions"} <= names


def test_cat_and_espresso_come_first(model):
    cat = pretrained.predict_photo("chelsea", model=model)
    assert cat[0][1] in CAT_CLASSES and len(cat) == 5
    assert sum(p for _, name, p in cat if name in CAT_CLASSES) > 0.8
    coffee = pretrained.predict_photo(sample_photo("coffee"), top=3, model=model)
    assert coffee[0][:2] == ("n07920052", "espresso") and coffee[0][2] > 0.9


def test_probabilities_sum_to_one(model):
    probs = model.predict(pretrained.preprocess(sample_photo("rocket"))[None], verbose=0)
    assert probs.shape == (1, 1000) and abs(probs.sum() - 1) < 1e-4


def test_preprocess_crops_resizes_and_scales():
    x = pretrained.preprocess(sample_photo("chelsea"))
    assert x.shape == (224, 224, 3) and x.dtype == np.float32
    assert -1.0 <= x.min() < -0.5 and 0.5 < x.max() <= 128 / 128
    grey = pretrained.preprocess(np.full((100, 300), 127, np.uint8))
    assert grey.shape == (224, 224, 3) and np.allclose(grey, 0)
    assert np.array_equal(pretrained.deprocess(pretrained.preprocess(np.full((50, 50, 3), 255, np.uint8))),
                          np.full((224, 224, 3), 255, np.uint8))
    with pytest.raises(ValueError, match="shape"):
        pretrained.preprocess(np.zeros((5, 5, 7)))


def test_class_index_is_rebuilt_offline_with_keras_md5(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    path = pretrained.class_index_path()
    assert path == tmp_path / "models" / "imagenet_class_index.json"
    assert hashlib.md5(path.read_bytes()).hexdigest() == pretrained.CLASS_INDEX_MD5
    names = pretrained.class_names()
    assert names[281] == "tabby" and names[967] == "espresso" and len(names) == 1000
    row = np.zeros((1, 1000)); row[0, 967] = 0.7; row[0, 285] = 0.2
    top = pretrained.decode_predictions(row, top=2)[0]
    assert top == [("n07920052", "espresso", pytest.approx(0.7)), ("n02124075", "Egyptian_cat", pytest.approx(0.2))]


def test_weights_are_converted_once_then_loaded_from_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    legacy = tmp_path / "course_utils" / "efficientnet_lite0_imagenet.weights.h5"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"an earlier version's cache")
    first = pretrained.imagenet_model()
    cached = tmp_path / "course_utils" / "efficientnet_lite0_imagenet.npz"
    assert cached.is_file() and not legacy.exists()
    golden = np.load(GOLDEN_DIR / "vision_pretrained.npz", allow_pickle=False)   # the old conversion's output
    x = pretrained.preprocess(sample_photo("chelsea"))[None]
    np.testing.assert_allclose(x[0, ::16, ::16], golden["chelsea_input"], atol=1e-6)
    np.testing.assert_allclose(first(x, training=False).numpy()[0], golden["chelsea_probs"], atol=1e-6)

    def refuse(path):
        raise AssertionError("the .pth file was read again although the cache is valid")
    monkeypatch.setattr(pretrained, "read_state_dict", refuse)
    second = pretrained.imagenet_model()  # must not read the .pth again
    w1, w2 = first.get_layer("logits").get_weights()[0], second.get_layer("logits").get_weights()[0]
    assert np.array_equal(w1, w2)
    cached.write_bytes(b"damaged")  # a damaged cache is rebuilt from the .pth
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    third = pretrained.imagenet_model()
    assert np.array_equal(third.get_layer("logits").get_weights()[0], w1)


def test_cache_lacking_weights_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached = tmp_path / "course_utils" / "efficientnet_lite0_imagenet.npz"
    cached.parent.mkdir(parents=True)
    with open(cached, "wb") as f:
        np.savez(f, **{"stem_conv/kernel": np.zeros((3, 3, 3, 32), np.float32)})
    from course_utils.paths import sha256_of

    cached.with_suffix(".sha256").write_text(f"{pretrained.WEIGHTS_SHA256} {sha256_of(cached)}\n")
    with pytest.raises(pretrained.WeightsError, match="lacks 246 weights") as error:
        pretrained.imagenet_model()
    assert "\n" not in str(error.value)


def test_wrong_weights_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    bad = tmp_path / "efficientnet-lite0.pth"
    bad.write_bytes(b"not the weights")
    monkeypatch.setattr(pretrained, "packaged_weights_path", lambda: bad)
    with pytest.raises(pretrained.WeightsError, match="wrong SHA-256"):
        pretrained.imagenet_model()


def test_to_imagenet_input_scales_and_copies_grey():
    images = np.full((2, 28, 28), 255, dtype=np.uint8)
    images[1] = 127
    out = pretrained.to_imagenet_input(images, 56)
    assert out.shape == (2, 56, 56, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[0], 1.0, atol=1e-5)
    np.testing.assert_allclose(out[1], 0.0, atol=1e-5)
    ramp = np.tile(np.arange(28, dtype=np.uint8) * 9, (1, 28, 1))
    up = pretrained.to_imagenet_input(ramp, 56)
    assert np.all(up[..., 0] == up[..., 2]) and abs(up.mean() - (ramp.mean() - 127) / 128) < 0.01
    golden = np.load(GOLDEN_DIR / "vision_transfer.npz", allow_pickle=False)   # moved from transfer
    np.testing.assert_allclose(pretrained.to_imagenet_input(golden["grey_u8"], 16), golden["imagenet_input_16"],
                               atol=1e-6)
    for bad in ((np.zeros((2, 28, 28, 3)), 56), (images, 0)):
        with pytest.raises(ValueError, match="greyscale"):
            pretrained.to_imagenet_input(*bad)


def test_the_model_with_preprocessing_equals_the_plain_one_on_preprocessed_input(model, tmp_path, monkeypatch):
    x = np.random.default_rng(0).random((2, 224, 224, 3)).astype("float32")      # RGB in [0, 1]
    expected = model((x * 255 - 127) / 128, training=False).numpy()
    with_pre = pretrained.imagenet_model(include_preprocessing=True)
    np.testing.assert_allclose(with_pre(x, training=False).numpy(), expected, atol=1e-5)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))                           # cold cache: converts first
    cold = pretrained.imagenet_model(include_preprocessing=True)
    np.testing.assert_allclose(cold(x, training=False).numpy(), expected, atol=1e-5)
