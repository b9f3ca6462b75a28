"""Lesson 05 (CNN training and evaluation): the confusion-matrix checkers pass their references
and catch wrong implementations with a hint."""

from __future__ import annotations

import numpy as np

from course_utils import metrics
from course_utils.exercises import lesson05 as l5


def _specificity_as_npv(cm):
    cm = np.asarray(cm, float)
    fp, fn = cm.sum(0) - np.diag(cm), cm.sum(1) - np.diag(cm)
    tn = cm.sum() - np.diag(cm) - fp - fn
    return tn / (tn + fn)


def _specificity_total_minus_tp(cm):
    cm = np.asarray(cm, float)
    fp = cm.sum(0) - np.diag(cm)
    tn = cm.sum() - np.diag(cm)
    return tn / (tn + fp)


def _top_with_diagonal(cm, n):
    order = np.argsort(np.asarray(cm), axis=None)[::-1][:n]
    return [(int(i), int(j), int(cm[i, j])) for i, j in zip(*np.unravel_index(order, cm.shape))]


def _top_swapped(cm, n):
    return [(j, i, c) for i, j, c in metrics.top_confusions(cm, n)]


def _rates_swapped(cm):
    alpha, beta = metrics.error_rates(cm)
    return beta, alpha


def _rates_counts(cm):
    _, fn, fp, _ = (np.array(v) for v in zip(*(metrics.one_vs_rest(cm, k) for k in range(len(cm)))))
    return fp, fn


def _rates_false_discovery(cm):
    cm = np.asarray(cm, float)
    tp = np.diag(cm)
    fp = cm.sum(0) - tp
    return fp / (fp + tp), metrics.error_rates(cm)[1]


# The wrong implementations of each checker, with the fault its message must name; the contract
# (tests/test_checker_contract.py) runs every one of them and asks for at least three per checker.
WRONG = {
    "one_vs_rest": (l5.check_one_vs_rest, [
        (lambda cm, k: metrics.one_vs_rest(np.asarray(cm).T, k), "wrong FN, FP:"),     # rows/columns swapped
        (lambda cm, k: (cm[k, k], cm[k].sum() - cm[k, k], cm[:, k].sum() - cm[k, k], cm.sum() - cm[k, k]),
         "wrong TN:"),
        (lambda cm, k: (cm[k, k], cm[k].sum(), cm[:, k].sum(), cm.sum() - cm[k].sum() - cm[:, k].sum()),
         "wrong FN, FP, TN:"),
        (lambda cm, k: metrics.one_vs_rest(cm, k)[:3], "(TP, FN, FP, TN)"),
    ]),
    "specificity": (l5.check_specificity, [
        (lambda cm: np.diag(cm) / np.asarray(cm).sum(1), "that is the sensitivity"),
        (lambda cm: np.diag(cm) / np.asarray(cm).sum(0), "that is the precision"),
        (_specificity_as_npv, "that is the NPV"),
        (_specificity_total_minus_tp, "TN counted as everything but TP"),
    ]),
    "error_rates": (l5.check_error_rates, [
        (_rates_swapped, "swapped: type I is a false alarm"),
        (_rates_counts, "returned counts"),
        (_rates_false_discovery, "false discovery rate"),
        (lambda cm: metrics.error_rates(np.asarray(cm).T), "rows and columns swapped"),
        (lambda cm: metrics.error_rates(cm)[0], "wrong shape"),
    ]),
    "top_confusions": (l5.check_top_confusions, [
        (_top_with_diagonal, "returned [(2, 2, 1009), (0, 0, 1002)]"),
        (_top_swapped, "returned [(2, 1, 8), (1, 2, 7)]"),
        (lambda cm, n: metrics.top_confusions(cm, n)[::-1], "returned [(2, 1, 7), (1, 2, 8)]"),
        (lambda cm, n: metrics.top_confusions(cm, n - 1), "(true, predicted, count)"),
    ]),
}
