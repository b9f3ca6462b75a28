"""Lesson-specific exercise checkers, one module per lesson (``lesson00``, ``lesson02``, ...).

Usage: ``from course_utils.exercises.lesson00 import check_to_grayscale``.
"""
