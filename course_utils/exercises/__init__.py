"""Exercise checkers, one module per lesson (``lesson00`` ... ``lesson12``).

Each ``lessonNN`` holds the lesson's ``check_*`` functions (built on :func:`course_utils.checks.run_check`,
their validators on ``checks.array_problem``, ``checks.close`` and ``checks.first_fault``) and the
NumPy references that only that lesson's exercises need. ``tests/test_checker_contract.py`` finds
every checker here by itself.

Usage: ``from course_utils.exercises.lesson00 import check_to_grayscale``.
"""
