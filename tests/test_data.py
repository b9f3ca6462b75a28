import gzip
import shutil

import numpy as np
import pytest

from course_utils import data


@pytest.fixture(scope="module")
def fashion():
    return data.load_fashion_mnist()


def test_fashion_mnist_matches_keras_shapes_and_counts(fashion):
    (x_train, y_train), (x_test, y_test) = fashion
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert 70 < x_train.mean() < 75  # published mean pixel value 72.94
    assert len(data.FASHION_CLASSES) == 10


def _good_source():
    return next(d for _, d in data._candidate_dirs() if (d / "train-labels-idx1-ubyte.gz").is_file())


def _copy_fashion_to(folder):
    source = _good_source()
    target = folder / "datasets" / "fashion-mnist"
    target.mkdir(parents=True)
    for name in data.FASHION_MNIST_FILES:
        shutil.copy(source / name, target / name)
    return target


def _no_other_source(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", tmp_path / "none")
    monkeypatch.setattr(data, "FASHION_URL", "http://127.0.0.1:9/")  # nothing listens there


def test_truncated_file_is_rejected_with_one_line(tmp_path, monkeypatch, fashion):
    target = _copy_fashion_to(tmp_path)
    victim = target / "t10k-labels-idx1-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[:2000])
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    _no_other_source(monkeypatch, tmp_path)
    with pytest.raises(data.DataFileError) as err:
        data.load_fashion_mnist()
    message = str(err.value)
    assert "\n" not in message and str(victim) in message and "truncated" in message
    assert "apt-get install" in message


def test_altered_content_is_rejected_by_sha256(tmp_path, monkeypatch, fashion):
    target = _copy_fashion_to(tmp_path)
    victim = target / "train-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(victim.read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # one wrong label, still a valid gzip file
    victim.write_bytes(gzip.compress(bytes(raw)))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    _no_other_source(monkeypatch, tmp_path)
    with pytest.raises(data.DataFileError, match="SHA-256 mismatch"):
        data.load_fashion_mnist()
    assert "Keras cache" in data.fashion_mnist_source()


def test_a_corrupt_cache_is_skipped_for_the_next_verified_source(tmp_path, monkeypatch, capsys, fashion):
    debian = tmp_path / "debian"
    shutil.copytree(_good_source(), debian)
    target = _copy_fashion_to(tmp_path)
    victim = target / "train-images-idx3-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[:5000])
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", debian)
    monkeypatch.setattr(data, "FASHION_URL", "http://127.0.0.1:9/")
    (x_train, _), (x_test, _) = data.load_fashion_mnist()
    assert np.array_equal(x_train, fashion[0][0]) and np.array_equal(x_test, fashion[1][0])
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and "skipping the Keras cache" in said[0] and str(victim) in said[0]


def test_missing_everywhere_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", tmp_path / "none")
    monkeypatch.setattr(data, "FASHION_URL", "http://127.0.0.1:9/")  # nothing listens there
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_fashion_mnist()
    assert "apt-get install dataset-fashion-mnist" in str(err.value) and "\n" not in str(err.value)
    assert "not found offline" in data.fashion_mnist_source()




@pytest.mark.parametrize("name", list(data.PHOTOS))
def test_sample_photos_are_rgb_uint8(name):
    photo = data.sample_photo(name)
    assert photo.ndim == 3 and photo.shape[2] == 3 and photo.dtype == np.uint8
    assert min(photo.shape[:2]) >= 256 and photo.std() > 10


def test_unknown_photo_lists_valid_names():
    with pytest.raises(ValueError) as err:
        data.sample_photo("leopard")
    assert "'leopard'" in str(err.value) and "chelsea" in str(err.value) and "coffee" in str(err.value)


def test_subset_is_balanced_shuffled_and_reproducible(fashion):
    (x, y), _ = fashion
    xs, ys = data.subset(x, y, per_class=30, seed=1)
    assert xs.shape == (300, 28, 28) and np.bincount(ys).tolist() == [30] * 10
    assert not np.all(np.diff(ys.astype(int)) >= 0)  # shuffled, not sorted by class
    xs2, ys2 = data.subset(x, y, per_class=30, seed=1)
    assert np.array_equal(xs, xs2) and np.array_equal(ys, ys2)
    with pytest.raises(ValueError, match="only"):
        data.subset(x[:50], y[:50], per_class=30)
