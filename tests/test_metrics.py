"""The confusion-matrix metrics agree with their definitions and with scikit-learn."""

import numpy as np

from course_utils import metrics


def _cm():
    return np.array([[50, 10, 0], [5, 35, 4], [1, 2, 30]])


def test_one_vs_rest_counts_add_up():
    cm = _cm()
    for k in range(3):
        tp, fn, fp, tn = metrics.one_vs_rest(cm, k)
        assert tp + fn + fp + tn == cm.sum() and tp + fn == cm[k].sum() and tp + fp == cm[:, k].sum()
    assert metrics.one_vs_rest(cm, 0) == (50, 10, 6, 71)


def test_specificity_matches_scikit_learn_recall_of_the_negatives():
    from sklearn.metrics import confusion_matrix, recall_score

    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    spec = metrics.specificity(confusion_matrix(y_true, y_pred))
    for k in range(4):
        assert np.isclose(spec[k], recall_score(y_true != k, y_pred != k))


def test_top_confusions_skip_the_diagonal_largest_first():
    assert metrics.top_confusions(_cm(), 3) == [(0, 1, 10), (1, 0, 5), (1, 2, 4)]


def test_error_rates_are_one_minus_specificity_and_sensitivity():
    cm = _cm()
    alpha, beta = metrics.error_rates(cm)
    assert np.allclose(alpha, 1 - metrics.specificity(cm))
    assert np.allclose(beta, 1 - np.diag(cm) / cm.sum(axis=1))
    assert np.isclose(alpha[0], 6 / 77) and np.isclose(beta[0], 10 / 60)
