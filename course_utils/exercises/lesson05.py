"""Checkers for lesson 05 (CNN evaluation): one-vs-rest counts, specificity, top confusions.

Confusion matrices follow scikit-learn: ``cm[i, j]`` counts examples of true class ``i``
predicted as class ``j`` (rows: actual, columns: predicted).

Usage::

    from course_utils.exercises.lesson05 import check_specificity
    specificity = check_specificity(specificity).use
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from course_utils.checks import Case, CheckResult, run_check


def reference_one_vs_rest(cm: np.ndarray, k: int) -> tuple[int, int, int, int]:
    """``(TP, FN, FP, TN)`` of class ``k`` against all the others.

    Usage: ``tp, fn, fp, tn = reference_one_vs_rest(cm, 3)``.
    """
    cm = np.asarray(cm)
    tp = int(cm[k, k])
    fn = int(cm[k].sum() - tp)
    fp = int(cm[:, k].sum() - tp)
    return tp, fn, fp, int(cm.sum() - tp - fn - fp)


def reference_specificity(cm: np.ndarray) -> np.ndarray:
    """Per-class specificity ``TN / (TN + FP)`` from a confusion matrix.

    Usage: ``spec = reference_specificity(cm)``.
    """
    cm = np.asarray(cm, dtype=np.float64)
    fp = cm.sum(axis=0) - np.diag(cm)
    tn = cm.sum() - cm.sum(axis=1) - fp
    return tn / (tn + fp)


def reference_top_confusions(cm: np.ndarray, n: int) -> list[tuple[int, int, int]]:
    """The ``n`` largest off-diagonal cells as ``(true, predicted, count)``, largest first.

    Usage: ``reference_top_confusions(cm, 5)[0]``.
    """
    cm = np.asarray(cm)
    off = cm.astype(np.int64).copy()
    np.fill_diagonal(off, -1)
    order = np.argsort(off, axis=None, kind="stable")[::-1][:n]
    return [(int(i), int(j), int(cm[i, j])) for i, j in zip(*np.unravel_index(order, cm.shape))]


def _random_cm(seed: int, k: int, total: int = 1000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cm = rng.integers(0, 20, size=(k, k))
    cm[np.diag_indices(k)] = rng.integers(50, total // k, size=k)
    return cm


def check_one_vs_rest(fn: Callable) -> CheckResult:
    """Check ``fn(cm, k) -> (TP, FN, FP, TN)`` for class ``k``.

    Usage: ``one_vs_rest = check_one_vs_rest(one_vs_rest).use``.
    """
    cms = [(np.array([[50, 10], [5, 35]]), 0), (np.array([[50, 10], [5, 35]]), 1),
           (_random_cm(0, 4), 2), (_random_cm(1, 10), 6)]
    hint = "rows are the actual class, columns the prediction: FN is the rest of row k, FP the rest of column k"

    def validator(expected):
        def validate(out):
            try:
                got = tuple(int(v) for v in out)
            except (TypeError, ValueError):
                return f"returned {type(out).__name__}, expected a tuple (TP, FN, FP, TN)"
            if len(got) != 4:
                return f"returned {len(got)} values, expected 4: (TP, FN, FP, TN)"
            if got == expected:
                return None
            names = [n for n, a, b in zip(("TP", "FN", "FP", "TN"), got, expected) if a != b]
            return f"wrong {', '.join(names)}: got {got}, expected {expected}"
        return validate

    cases = [Case(f"{cm.shape[0]} classes, class {k}", (cm, k), validator(reference_one_vs_rest(cm, k)), hint)
             for cm, k in cms]
    return run_check("one_vs_rest", fn, cases, reference=reference_one_vs_rest)


def check_specificity(fn: Callable) -> CheckResult:
    """Check ``fn(cm) -> array`` of per-class specificity TN / (TN + FP).

    Usage: ``specificity = check_specificity(specificity).use``.
    """
    cms = [np.array([[50, 10], [5, 35]]), _random_cm(2, 3), _random_cm(3, 10)]
    hint = ("specificity = TN / (TN + FP): of the examples that are NOT class k, the share "
            "not predicted as k (sensitivity is TP / (TP + FN), NPV is TN / (TN + FN))")
    cases = [Case(f"{cm.shape[0]}x{cm.shape[0]} confusion matrix", (cm,), reference_specificity(cm), hint, 1e-9)
             for cm in cms]
    return run_check("specificity", fn, cases, reference=reference_specificity)


def check_top_confusions(fn: Callable) -> CheckResult:
    """Check ``fn(cm, n) -> [(true, predicted, count), ...]``: the n largest mistakes, largest first.

    Usage: ``top_confusions = check_top_confusions(top_confusions).use``.
    """
    rng = np.random.default_rng(5)
    cms = []
    for k in (3, 5, 10):
        cm = rng.permutation(k * k).reshape(k, k) + 1     # all counts distinct: no ties
        cm[np.diag_indices(k)] += 1000                      # the diagonal dominates, as in a good model
        cms.append(cm)
    hint = "skip the diagonal (correct predictions), then sort the remaining cells by count, largest first"

    def validator(expected):
        def validate(out):
            try:
                got = [tuple(int(v) for v in row) for row in out]
            except (TypeError, ValueError):
                return f"returned {type(out).__name__}, expected a list of (true, predicted, count) tuples"
            return None if got == expected else f"returned {got[:3]}..., expected {expected[:3]}..."
        return validate

    cases = [Case(f"{cm.shape[0]} classes, n={n}", (cm, n), validator(reference_top_confusions(cm, n)), hint)
             for cm, n in zip(cms, (2, 4, 6))]
    return run_check("top_confusions", fn, cases, reference=reference_top_confusions)
