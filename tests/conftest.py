"""Shared pytest set-up: quiet TensorFlow, a non-interactive matplotlib backend for unit tests."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")

import pytest


@pytest.fixture(autouse=True)
def _checks_not_strict(monkeypatch):
    """Unit tests feed checks wrong answers on purpose: `make test`'s strict mode is for notebooks."""
    monkeypatch.delenv("COURSE_CHECKS_STRICT", raising=False)
