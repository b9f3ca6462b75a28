"""Shared pytest set-up: quiet TensorFlow, a non-interactive matplotlib backend for unit tests, and
the ``slow`` mark on the few tests that take more than about 5 s on their own.

``make check`` leaves out the tests marked ``notebook``, ``browser``, ``platform`` (each marked in its
own file) and ``slow`` (listed here, with the seconds measured on a busy 2-core machine, so that the
list stays in one place and under 10 % of the tests: tests/test_package_structure.py checks both).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib
import numpy as np

matplotlib.use("Agg")

import pytest
from sklearn.datasets import load_digits

SLOW = {
    "tests/test_binder.py::test_post_build_caches_the_weights_and_opens_jupyterlab_in_a_fresh_venv": 99,
    "tests/test_packaging.py::test_wheel_installs_a_working_package": 40,   # a wheel in a fresh venv
    "tests/test_widgets.py::test_explain_maps_widget_draws_every_choice_or_says_why_not": 26,
    "tests/test_models.py::test_training_recipe_runs_and_the_tool_has_a_help": 19,
    "tests/test_widget_adversarial.py::test_photo_upload_attacks_an_image_and_rejects_a_non_image": 19,
    "tests/test_widget_latent_plane.py::test_sliders_draw_at_every_position_including_the_limits": 15,
    "tests/test_progress_speed.py::test_reference_workload_is_the_classic_convnet_and_runs": 12,
    "tests/test_pretrained.py::test_the_model_with_preprocessing_equals_the_plain_one_on_preprocessed_input": 11,
    "tests/test_pretrained.py::test_weights_are_converted_once_then_loaded_from_cache": 10,
    "tests/test_robust_model.py::test_subset_accuracy_agrees_with_the_manifest": 8,
    "tests/test_augmentation.py::test_placements_and_the_small_data_helpers": 6,
    "tests/test_pretrained.py::test_cat_and_espresso_come_first": 6,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.split("[", 1)[0] in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _checks_not_strict(monkeypatch):
    """Unit tests feed checks wrong answers on purpose: `make test`'s strict mode is for notebooks."""
    monkeypatch.delenv("COURSE_CHECKS_STRICT", raising=False)


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten 8x8 digits as images ``(N, 8, 8, 1)`` in [0, 1] and int32 labels:
    a small real dataset on which the attack and training tests train a model in seconds."""
    bunch = load_digits()
    return (bunch.images / 16.0).astype(np.float32)[..., None], bunch.target.astype(np.int32)
