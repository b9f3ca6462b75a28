"""Presenter path: the shipped checkpoint of a long training loads in seconds.

Lesson 05 owns ``course_utils.models.fashion_cnn(weights="shipped")``; this test only checks the
promise the README makes to instructors (see "Teaching with slides"). It is skipped, with its
reason, until that module exists in the checkout.
"""

import time

import pytest


def test_shipped_fashion_cnn_loads_in_seconds():
    models = pytest.importorskip("course_utils.models", reason="course_utils.models not written yet")
    if not hasattr(models, "fashion_cnn"):
        pytest.skip("course_utils.models.fashion_cnn not written yet")
    start = time.perf_counter()
    model = models.fashion_cnn(weights="shipped")
    seconds = time.perf_counter() - start
    assert model.count_params() > 0
    assert seconds < 30, f"loading the shipped Fashion-MNIST CNN took {seconds:.0f} s; a live demo needs seconds"


def test_is_live_follows_course_live_if_present(monkeypatch):
    from course_utils import config

    if not hasattr(config, "is_live"):
        pytest.skip("course_utils.config.is_live not provided; presenters use COURSE_QUICK=1 (README)")
    monkeypatch.setenv("COURSE_LIVE", "1")
    assert config.is_live()
    monkeypatch.delenv("COURSE_LIVE")
    assert not config.is_live()
