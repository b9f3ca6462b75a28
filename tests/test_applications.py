"""course_utils.applications: the deck's Keras Applications table, architectures built with weights=None,
CPU latency per image, and the shipped table of tools/measure_applications.py."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course_utils import applications, manifest


def test_deck_table_is_the_keras_table():
    rows = applications.deck_rows()
    assert len(rows) == 26 and set(applications.COLUMNS) < set(rows[0])
    assert all(name in dir(keras.applications) for name in applications.DECK_TABLE)
    assert set(applications.KERAS_IO_CPU_MS_PER_STEP) <= set(applications.DECK_TABLE)
    with pytest.raises(ValueError, match="unknown architecture 'AlexNet'"):
        applications.measure(["MobileNet", "AlexNet"])


def test_measure_builds_the_published_parameter_count_at_its_input_size():
    seen = []
    (row,) = applications.measure(["MobileNet"], repeats=1, batch_sizes=(2,), on_each=seen.append)
    assert seen == ["MobileNet"] and row["input_size"] == 224 and row["ms_per_image_batch2"] > 0
    assert row["parameters_measured"] == applications.DECK_TABLE["MobileNet"][3]


def test_latency_per_image_is_positive_and_chunks():
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 3), keras.layers.Flatten()])
    assert 0 < applications.latency_per_image(model, batch_size=5, repeats=2, chunk=2) < 1
    for kwargs in ({"batch_size": 0}, {"repeats": 0}, {"chunk": 0}):
        with pytest.raises(ValueError, match="must be >= 1"):
            applications.latency_per_image(model, **kwargs)


def test_shipped_table_is_verified_and_complete():
    table = manifest.read_json(applications.LATENCY_FILE)   # SHA-256 checked
    assert {row["name"] for row in table["rows"]} == set(applications.DECK_TABLE)
    for row in table["rows"]:
        published = applications.DECK_TABLE[row["name"]][3]
        if row["name"] in table["parameter_count_mismatches"]:   # the deck's EfficientNetB3 typo
            assert abs(row["parameters_measured"] - published) == 100_000
        else:
            assert row["parameters_measured"] == published
        assert np.isfinite(row["ms_per_image_batch1"]) and row["ms_per_image_batch32"] > 0
