"""Lesson 05 (CNN training and evaluation): the confusion-matrix checkers pass their references
and catch wrong implementations with a hint."""

from __future__ import annotations

import numpy as np
import pytest

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


WRONG = {
    "one_vs_rest": (l5.check_one_vs_rest, [
        lambda cm, k: metrics.one_vs_rest(np.asarray(cm).T, k),                # rows/columns swapped
        lambda cm, k: (cm[k, k], cm[k].sum() - cm[k, k], cm[:, k].sum() - cm[k, k], cm.sum() - cm[k, k]),
        lambda cm, k: (cm[k, k], cm[k].sum(), cm[:, k].sum(), cm.sum() - cm[k].sum() - cm[:, k].sum()),
    ]),
    "specificity": (l5.check_specificity, [
        lambda cm: np.diag(cm) / np.asarray(cm).sum(1),                         # sensitivity
        lambda cm: np.diag(cm) / np.asarray(cm).sum(0),                         # precision
        _specificity_as_npv, _specificity_total_minus_tp,
    ]),
    "error_rates": (l5.check_error_rates, [
        _rates_swapped, _rates_counts, _rates_false_discovery,
        lambda cm: metrics.error_rates(np.asarray(cm).T),                     # rows/columns swapped
    ]),
    "top_confusions": (l5.check_top_confusions, [_top_with_diagonal, _top_swapped,
                                                 lambda cm, n: metrics.top_confusions(cm, n)[::-1]]),
}


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_implementations_fail_with_a_hint(name, capsys):
    check, wrongs = WRONG[name]
    assert len(wrongs) >= 3
    for i, wrong in enumerate(wrongs):
        result = check(wrong)
        assert not result.passed and not result.not_done, f"{name}: wrong implementation {i} passed"
        assert "WRONG" in capsys.readouterr().out


def test_messages_name_the_wrong_count_and_the_wrong_shape():
    swapped = " ".join(l5.check_one_vs_rest(WRONG["one_vs_rest"][1][0]).messages)
    assert "wrong FN, FP" in swapped
    three = " ".join(l5.check_one_vs_rest(lambda cm, k: metrics.one_vs_rest(cm, k)[:3]).messages)
    assert "wrong shape" in three and "(TP, FN, FP, TN)" in three
    short = " ".join(l5.check_top_confusions(lambda cm, n: metrics.top_confusions(cm, n - 1)).messages)
    assert "wrong shape" in short and "(true, predicted, count)" in short


@pytest.mark.parametrize("wrong, fault", [
    (_rates_swapped, "swapped: type I is a false alarm"),
    (_rates_counts, "returned counts"),
    (_rates_false_discovery, "false discovery rate"),
    (lambda cm: metrics.error_rates(np.asarray(cm).T), "rows and columns swapped"),
    (lambda cm: metrics.error_rates(cm)[0], "wrong shape"),
])
def test_error_rates_messages_name_the_fault(wrong, fault):
    assert fault in " ".join(l5.check_error_rates(wrong).messages)
