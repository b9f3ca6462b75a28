"""Reference confusion-matrix metrics: one-vs-rest counts, specificity, error rates, the largest mistakes.

Lesson 05 derives these (each function's docstring names the exercise); later lessons import
them from here. Confusion matrices follow scikit-learn: ``cm[i, j]`` counts examples of true
class ``i`` predicted as class ``j`` (rows: actual, columns: predicted).

Usage::

    from sklearn.metrics import confusion_matrix
    from course_utils.metrics import specificity, top_confusions
    cm = confusion_matrix(y_true, y_pred)
    spec = specificity(cm)
"""

from __future__ import annotations

import numpy as np


def one_vs_rest(cm: np.ndarray, k: int) -> tuple[int, int, int, int]:
    """``(TP, FN, FP, TN)`` of class ``k`` against all the others.

    Derived in lesson 05 (CNN training and evaluation), exercise 1.
    Usage: ``tp, fn, fp, tn = one_vs_rest(cm, 3)``.
    """
    cm = np.asarray(cm)
    tp = int(cm[k, k])
    fn = int(cm[k].sum() - tp)
    fp = int(cm[:, k].sum() - tp)
    return tp, fn, fp, int(cm.sum() - tp - fn - fp)


def specificity(cm: np.ndarray) -> np.ndarray:
    """Per-class specificity ``TN / (TN + FP)`` from a confusion matrix.

    Derived in lesson 05 (CNN training and evaluation), exercise 2.
    Usage: ``spec = specificity(cm)``.
    """
    cm = np.asarray(cm, dtype=np.float64)
    fp = cm.sum(axis=0) - np.diag(cm)
    tn = cm.sum() - cm.sum(axis=1) - fp
    return tn / (tn + fp)


def top_confusions(cm: np.ndarray, n: int) -> list[tuple[int, int, int]]:
    """The ``n`` largest off-diagonal cells as ``(true, predicted, count)``, largest first.

    Derived in lesson 05 (CNN training and evaluation), exercise 4.
    Usage: ``top_confusions(cm, 5)[0]``.
    """
    cm = np.asarray(cm)
    off = cm.astype(np.int64).copy()
    np.fill_diagonal(off, -1)
    order = np.argsort(off, axis=None, kind="stable")[::-1][:n]
    return [(int(i), int(j), int(cm[i, j])) for i, j in zip(*np.unravel_index(order, cm.shape))]


def error_rates(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class type I and type II error rates ``(FP / (FP + TN), FN / (FN + TP))``.

    The type I error rate (false alarms, ``1 - specificity``) and the type II error rate
    (misses, ``1 - sensitivity``) of each class against the rest.
    Derived in lesson 05 (CNN training and evaluation), exercise 3.
    Usage: ``alpha, beta = error_rates(cm)``.
    """
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    fn = cm.sum(axis=1) - tp
    fp = cm.sum(axis=0) - tp
    tn = cm.sum() - tp - fn - fp
    return fp / (fp + tn), fn / (fn + tp)
