"""Helpers for the deep learning for computer vision course.

Each module has one job: ``config`` (mode, budgets, seeds, paths), ``data`` (datasets and
photos), ``pretrained`` (the offline ImageNet model), ``torch_weights`` (safe .pth reader),
``models`` (the lessons' shared models and their shipped weights), ``conv`` (reference
convolution and pooling), ``plots`` (figures), ``widgets`` and ``conv_widgets`` (ipywidgets
demos), ``checks`` (exercise checking), ``exercises`` (one checker module per lesson) and
``report`` (headline numbers for ``make bench``).

Usage: ``from course_utils.config import budget``.
"""

__version__ = "0.1.0"
