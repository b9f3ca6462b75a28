"""Lesson 00 (images as arrays): each check passes the reference and names the fault of wrong implementations."""

import numpy as np
import pytest

from course_utils import images
from course_utils.exercises import lesson00 as ex


def _messages(result):
    return " ".join(result.messages)


def test_references_pass_quietly(capsys):
    assert ex.check_to_grayscale(images.to_grayscale).passed
    assert ex.check_frobenius_inner(images.frobenius_inner).passed
    assert ex.check_cosine_similarity(images.cosine_similarity).passed
    assert "WRONG" not in capsys.readouterr().out


@pytest.mark.parametrize("wrong, fault", [
    (lambda rgb: rgb.mean(axis=-1), "wrong values"),                                   # plain average
    (lambda rgb: (rgb * np.array([0.299, 0.587, 0.114])).sum(axis=0), "shape"),       # wrong axis
    (lambda rgb: (rgb * np.array([0.299, 0.587, 0.114])).astype(np.uint8).sum(-1).astype(np.uint8),
     "overflow"),                                                                       # uint8 wrap
])
def test_grayscale_faults_are_named(wrong, fault):
    result = ex.check_to_grayscale(wrong)
    assert not result.passed and fault in _messages(result) and result.use is images.to_grayscale


@pytest.mark.parametrize("wrong, fault", [
    (lambda a, b: np.trace(a @ b), "raised ValueError"),               # matrix product, shapes clash
    (lambda a, b: a * b, "returned shape"),                            # forgot to sum
    (lambda a, b: float(np.sum(a.astype(np.uint8) * b.astype(np.uint8))), "overflow"),
])
def test_frobenius_faults_are_named(wrong, fault):
    result = ex.check_frobenius_inner(wrong)
    assert not result.passed and fault in _messages(result)


@pytest.mark.parametrize("wrong, fault", [
    (lambda a, b: float(np.sum(a * b)), "divide <A, B>_F"),                                    # no normalising
    (lambda a, b: float(np.sum(a * b) / np.sum(a * a)), "scaling cancels"),                    # one norm only
    (lambda a, b: float(np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b))), "NaN"),      # 0/0
])
def test_cosine_faults_are_named(wrong, fault):
    with np.errstate(invalid="ignore", divide="ignore"):
        result = ex.check_cosine_similarity(wrong)
    assert not result.passed and fault in _messages(result)


def test_not_done_hands_over_the_reference(capsys):
    def stub(a, b):
        raise NotImplementedError("exercise")
    result = ex.check_cosine_similarity(stub)
    assert result.not_done and result.use is images.cosine_similarity
    assert "not done yet" in capsys.readouterr().out


def test_strict_mode_raises_on_a_wrong_answer(monkeypatch):
    from course_utils.checks import ExerciseFailed

    monkeypatch.setenv("COURSE_CHECKS_STRICT", "1")
    with pytest.raises(ExerciseFailed):
        ex.check_frobenius_inner(lambda a, b: 0.0)


@pytest.mark.parametrize("wrong, fault", [
    (lambda a, b: float(np.mean(np.abs(np.asarray(a) - np.asarray(b)))), "wrapped around"),   # uint8
    (lambda a, b: float(np.mean(np.asarray(a, float) - np.asarray(b, float))), "absolute value"),
    (lambda a, b: float(np.sum(np.abs(np.asarray(a, float) - np.asarray(b, float)))), "summed"),
    (lambda a, b: float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)))), "largest"),
    (lambda a, b: np.abs(np.asarray(a, float) - np.asarray(b, float)), "one number"),          # no mean
])
def test_mean_abs_difference_faults_are_named(wrong, fault):
    result = ex.check_mean_abs_difference(wrong)
    assert not result.passed and fault in _messages(result)
    assert result.use is images.mean_abs_difference


@pytest.mark.parametrize("wrong, fault", [
    (lambda shape: int(np.prod(shape[-3:-1])) if len(shape) >= 3 else int(np.prod(shape)), "channels"),
    (lambda shape: sum(shape), "added the sizes"),
    (lambda shape: int(np.prod(shape[1:])) if len(shape) == 4 else int(np.prod(shape)), "batch axis"),
    (lambda shape: len(shape), "number of axes"),
])
def test_count_numbers_faults_are_named(wrong, fault):
    result = ex.check_count_numbers(wrong)
    assert not result.passed and fault in _messages(result)
    assert result.use is images.count_numbers


def test_new_references_pass(capsys):
    assert ex.check_mean_abs_difference(images.mean_abs_difference).passed
    assert ex.check_count_numbers(images.count_numbers).passed
    assert images.count_numbers((400, 600, 3)) == 720000
    assert "WRONG" not in capsys.readouterr().out
