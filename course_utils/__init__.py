"""Helpers for the deep learning for computer vision course.

Each module has one job: ``config`` (mode, budgets, seeds, paths), ``data`` (datasets and
photos), ``pretrained`` (the offline ImageNet model), ``torch_weights`` (safe .pth reader),
``plots`` (figures) and ``report`` (headline numbers for ``make bench``).

Usage: ``from course_utils.config import budget``.
"""

__version__ = "0.1.0"
