"""Checkers for lesson 05 (CNN evaluation): one-vs-rest counts, specificity, type I and II error
rates, top confusions.

Confusion matrices follow scikit-learn: ``cm[i, j]`` counts examples of true class ``i``
predicted as class ``j`` (rows: actual, columns: predicted). The reference implementations
live in :mod:`course_utils.metrics`.

Usage::

    from course_utils.exercises.lesson05 import check_specificity
    specificity = check_specificity(specificity).use
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils import checks
from course_utils.checks import Case, CheckResult, array_problem, as_float_array, run_check
from course_utils.metrics import error_rates, one_vs_rest, specificity, top_confusions


def _random_cm(seed: int, k: int, total: int = 1000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cm = rng.integers(0, 20, size=(k, k))
    cm[np.diag_indices(k)] = rng.integers(50, total // k, size=k)
    return cm


def _one_vs_rest_problem(out: Any, cm: np.ndarray, k: int) -> str | None:
    expected = one_vs_rest(cm, k)
    problem = array_problem(out, (4,))
    if problem is not None:
        return f"{problem}: return a tuple (TP, FN, FP, TN)"
    got = tuple(int(v) for v in as_float_array(out))
    if got == expected:
        return None
    names = [n for n, a, b in zip(("TP", "FN", "FP", "TN"), got, expected) if a != b]
    return f"wrong {', '.join(names)}: got {got}, expected {expected}"


def _top_confusions_problem(out: Any, cm: np.ndarray, n: int) -> str | None:
    expected = top_confusions(cm, n)
    problem = array_problem(out, (n, 3))
    if problem is not None:
        return f"{problem}: return a list of {n} (true, predicted, count) tuples"
    got = [tuple(int(v) for v in row) for row in as_float_array(out)]
    return None if got == expected else f"returned {got[:3]}..., expected {expected[:3]}..."


def check_one_vs_rest(fn: Callable) -> CheckResult:
    """Check ``fn(cm, k) -> (TP, FN, FP, TN)`` for class ``k``.

    Usage: ``one_vs_rest = check_one_vs_rest(one_vs_rest).use``.
    """
    cms = [(np.array([[50, 10], [5, 35]]), 0), (np.array([[50, 10], [5, 35]]), 1),
           (_random_cm(0, 4), 2), (_random_cm(1, 10), 6)]
    hint = "rows are the actual class, columns the prediction: FN is the rest of row k, FP the rest of column k"
    cases = [Case(f"{cm.shape[0]} classes, class {k}", (cm, k), hint=hint) for cm, k in cms]
    return run_check("one_vs_rest", fn, cases, reference=one_vs_rest, diagnose=_one_vs_rest_problem)


def check_specificity(fn: Callable) -> CheckResult:
    """Check ``fn(cm) -> array`` of per-class specificity TN / (TN + FP).

    Usage: ``specificity = check_specificity(specificity).use``.
    """
    cms = [np.array([[50, 10], [5, 35]]), _random_cm(2, 3), _random_cm(3, 10)]
    hint = ("specificity = TN / (TN + FP): of the examples that are NOT class k, the share "
            "not predicted as k (sensitivity is TP / (TP + FN), NPV is TN / (TN + FN))")
    cases = [Case(f"{cm.shape[0]}x{cm.shape[0]} confusion matrix", (cm,), hint=hint) for cm in cms]
    return run_check("specificity", fn, cases, reference=specificity, diagnose=_specificity_problem)


def _specificity_problem(out: Any, cm: np.ndarray) -> str | None:
    expected = specificity(cm)
    problem = array_problem(out, expected.shape)
    if problem is not None:
        return f"{problem}: one specificity per class"
    got = as_float_array(out)
    if checks.close(got, expected, rtol=1e-9, atol=1e-12):
        return None
    c = np.asarray(cm, dtype=np.float64)
    tp = np.diag(c)
    fn, fp = c.sum(axis=1) - tp, c.sum(axis=0) - tp
    tn = c.sum() - tp - fn - fp
    fault = checks.first_fault(got, [(tp / (tp + fn), "that is the sensitivity TP / (TP + FN)"),
                              (tp / (tp + fp), "that is the precision TP / (TP + FP)"),
                              (tn / (tn + fn), "that is the NPV TN / (TN + FN)"),
                              ((c.sum() - tp) / (c.sum() - tp + fp),
                               "TN counted as everything but TP: leave out row k and column k")],
                        rtol=1e-9, atol=1e-12)
    return fault or f"wrong values: got {np.round(got, 4)[:3]}..., expected {np.round(expected, 4)[:3]}..."


def _error_rates_problem(out: Any, cm: np.ndarray) -> str | None:
    k = cm.shape[0]
    alpha, beta = error_rates(cm)
    problem = array_problem(out, (2, k))
    if problem is not None:
        return f"{problem}: return a pair (type I rates, type II rates), two arrays of {k} values"
    got_a, got_b = as_float_array(out)
    same = lambda a, b: checks.close(a, b, rtol=1e-9, atol=1e-12)
    if same(got_a, alpha) and same(got_b, beta):
        return None
    c = np.asarray(cm, dtype=np.float64)
    tp = np.diag(c)
    fn, fp = c.sum(axis=1) - tp, c.sum(axis=0) - tp
    tn = c.sum() - tp - fn - fp
    if same(got_a, beta) and same(got_b, alpha):
        return "the two are swapped: type I is a false alarm (FP), type II a miss (FN)"
    if same(got_a, fp) or same(got_b, fn):
        return "returned counts: divide FP by the negatives FP + TN and FN by the positives FN + TP"
    if same(got_a, fn / (fn + tn)) or same(got_b, fp / (fp + tp)):
        return "rows and columns swapped: rows are the actual class, columns the prediction"
    if same(got_a, fp / (fp + tp)) or same(got_b, fn / (fn + tn)):
        return ("wrong denominator: FP / (FP + TP) is the false discovery rate (1 - PPV); "
                "the type I rate divides by the actual negatives FP + TN")
    which = [n for n, a, b in (("type I", got_a, alpha), ("type II", got_b, beta)) if not same(a, b)]
    return f"wrong {' and '.join(which)} rates: got {np.round(got_a, 4)[:3]}..., {np.round(got_b, 4)[:3]}..."


def check_error_rates(fn: Callable) -> CheckResult:
    """Check ``fn(cm) -> (type I rates, type II rates)``: per class, FP / (FP + TN) and FN / (FN + TP).

    Usage: ``error_rates = check_error_rates(error_rates).use``.
    """
    cms = [np.array([[50, 10], [5, 35]]), _random_cm(6, 3), _random_cm(7, 10)]
    hint = ("type I = false alarm: FP / (FP + TN) = 1 - specificity; "
            "type II = miss: FN / (FN + TP) = 1 - sensitivity")
    cases = [Case(f"{cm.shape[0]}x{cm.shape[0]} confusion matrix", (cm,), hint=hint) for cm in cms]
    return run_check("error_rates", fn, cases, reference=error_rates, diagnose=_error_rates_problem)


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
    cases = [Case(f"{cm.shape[0]} classes, n={n}", (cm, n), hint=hint) for cm, n in zip(cms, (2, 4, 6))]
    return run_check("top_confusions", fn, cases, reference=top_confusions, diagnose=_top_confusions_problem)
