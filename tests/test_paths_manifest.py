import json

import pytest
import shipping  # tools/shipping.py: tools/ is on the test path

from course_utils import manifest, paths


def test_cache_paths_respect_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert paths.keras_home() == tmp_path / "k"
    assert paths.cache_dir() == tmp_path / "x" / "course_utils" and paths.cache_dir().is_dir()
    monkeypatch.delenv("KERAS_HOME")
    assert paths.keras_home().name == ".keras"


def test_shipped_files_live_in_the_package():
    assert (paths.repo_root() / "course_utils" / "config.py").is_file()
    assert paths.shipped_dir() == paths.package_dir() / "shipped"
    assert paths.shipped_path("manifest.json").is_file()


def test_sha256_of_file_and_bytes_agree(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"abc")
    known = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"   # FIPS 180-2 example
    assert paths.sha256_of(f) == paths.sha256_bytes(b"abc") == known


def test_every_manifest_entry_matches_its_file():
    entries = manifest.read_manifest()
    assert entries
    for name, info in entries.items():
        assert manifest.verified_path(name).stat().st_size == info["bytes"]
        assert set(info) >= {"sha256", "made_by", "metrics", "date"}


@pytest.fixture
def fake_shipped(tmp_path, monkeypatch):
    monkeypatch.setattr(manifest, "shipped_dir", lambda: tmp_path)
    (tmp_path / "w.h5").write_bytes(b"weights")
    return tmp_path


def test_write_entry_then_verify_then_detect_damage(fake_shipped):
    spread = manifest.spread([0.91, 0.93, 0.92], [0, 1, 2])
    assert spread["mean"] == 0.92 and spread["std"] == pytest.approx(0.01, abs=1e-4)
    shipping.write_entry("w.h5", "tools/x.py", {"acc": 0.91}, {"acc": spread})
    assert manifest.metric("w.h5", "acc") == 0.91
    assert manifest.verified_path("w.h5") == fake_shipped / "w.h5"
    (fake_shipped / "w.h5").write_bytes(b"weightz")
    with pytest.raises(manifest.WeightsFileError) as err:
        manifest.verified_path("w.h5")
    assert "SHA-256 mismatch" in str(err.value) and "tools/x.py" in str(err.value) and "\n" not in str(err.value)
    (fake_shipped / "w.h5").unlink()
    with pytest.raises(manifest.WeightsFileError, match="not found"):
        manifest.verified_path("w.h5")
    with pytest.raises(manifest.WeightsFileError, match="not in"):
        manifest.entry("other.h5")


def test_write_entry_keeps_other_entries(fake_shipped):
    (fake_shipped / "a.h5").write_bytes(b"a")
    shipping.write_entry("a.h5", "tools/a.py", {"m": 1})
    shipping.write_entry("w.h5", "tools/w.py", {"m": 2})
    assert set(json.loads((fake_shipped / "manifest.json").read_text())) == {"a.h5", "w.h5"}


def test_a_broken_manifest_is_one_line(fake_shipped):
    (fake_shipped / "manifest.json").write_text("{not json")
    with pytest.raises(manifest.WeightsFileError) as err:
        manifest.read_manifest()
    assert "not valid JSON" in str(err.value) and "\n" not in str(err.value)


def test_tools_writing_the_manifest_at_once_keep_every_entry(fake_shipped):
    import threading

    names = [f"w{i}.h5" for i in range(12)]
    for name in names:
        (fake_shipped / name).write_bytes(name.encode())
    threads = [threading.Thread(target=shipping.write_entry, args=(name, "tools/t.py", {"m": i}))
               for i, name in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(manifest.read_manifest()) == sorted(names)
    assert not list(fake_shipped.glob("*.lock")) and not list(fake_shipped.glob("*.partial"))
