"""One-time set-up run by ``make setup``: offline class index, cached ImageNet weights, report.

Usage: ``python -m course_utils.setup_course``.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    """Prepare the caches and print the environment report."""
    from course_utils.environment import environment_report
    from course_utils.pretrained import class_index_path, imagenet_model

    print(f"ImageNet class index: {class_index_path()}")
    imagenet_model()
    print("ImageNet model: EfficientNet-Lite0 weights verified and cached")
    print(environment_report())


if __name__ == "__main__":
    main()
