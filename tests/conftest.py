"""Shared pytest set-up: quiet TensorFlow, a non-interactive matplotlib backend for unit tests."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
