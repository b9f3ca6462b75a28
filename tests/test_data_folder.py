"""data/: the README's tables are generated from the loaders' checksums and the shipped manifest,
a student's photo dropped in the folder is found by name, and git keeps it out of the repository."""

import subprocess

import data_readme
import numpy as np
import pytest
from PIL import Image

from course_utils import data, pretrained
from course_utils.manifest import read_manifest
from course_utils.paths import DATA_DIR_ENV, data_dir, repo_root


def test_readme_tables_are_generated_from_the_checksums_the_code_verifies():
    text = data_readme.README.read_text(encoding="utf-8")
    assert data_readme.render(text) == text, "data/README.md is stale: run python tools/data_readme.py"
    digests = [e["sha256"] for e in read_manifest().values()] + list(data.FASHION_MNIST_FILES.values())
    assert all(f"`{d}`" in text for d in digests + [pretrained.WEIGHTS_SHA256])
    assert all(f"`{name}`" in text for name in data.PHOTOS)


def test_a_stale_table_is_replaced_and_a_readme_without_the_block_refused():
    stale = f"intro\n{data_readme.BEGIN}\n| old | table |\n{data_readme.END}\noutro\n"
    new = data_readme.render(stale)
    assert new.startswith("intro\n") and new.endswith("outro\n") and "| old |" not in new
    assert read_manifest()["fashion_cnn.weights.h5"]["sha256"] in new
    with pytest.raises(ValueError, match="no"):
        data_readme.render("no generated block here")


def test_data_dir_is_the_clones_data_folder_unless_the_variable_says_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    assert data_dir() == repo_root() / "data" and (data_dir() / "README.md").is_file()
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert data_dir() == tmp_path


def test_a_dropped_photo_is_found_by_name_with_or_without_its_suffix(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    cat = data.sample_photo("chelsea")[:64, :48]
    Image.fromarray(cat).save(tmp_path / "my_cat.png")
    (tmp_path / "notes.txt").write_text("not a photo")
    assert data.photos_in_data() == ["my_cat.png"]
    for name in ("my_cat.png", "my_cat", tmp_path / "my_cat.png"):
        assert np.array_equal(data.read_photo(name), cat)


def test_an_unknown_name_says_in_one_line_what_the_folder_holds(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(ValueError) as err:
        data.read_photo("my_dog.jpg")
    assert "no photo yet" in str(err.value) and "\n" not in str(err.value)
    Image.fromarray(data.sample_photo("coffee")[:32, :32]).save(tmp_path / "cup.jpg")
    Image.fromarray(data.sample_photo("rocket")[:32, :32]).save(tmp_path / "launch.png")
    with pytest.raises(ValueError) as err:
        data.read_photo("my_dog")
    message = str(err.value)
    assert "my_dog" in message and "cup.jpg, launch.png" in message and str(tmp_path) in message
    with pytest.raises(ValueError, match="no such file"):
        data.read_photo("elsewhere/cup.jpg")   # a path that is not there is not looked up by name


def test_git_ignores_what_a_student_or_the_set_up_puts_in_data():
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], check=False, cwd=repo_root()).returncode == 0

    assert ignored("data/my_cat.jpg") and ignored("data/cache/weights.npz")
    assert not ignored("data/README.md") and not ignored("data/.gitignore")
