"""The exercise-check framework: rel_error, gradient checks, one line per case, no tracebacks."""

import numpy as np
import pytest

from course_utils import checks
from course_utils.checks import Case, check_value, grad_check, numerical_gradient, rel_error, run_check


def test_rel_error_matches_cs231n_definition():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0
    assert rel_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)
    assert rel_error([0.0], [0.0]) == 0
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.zeros(3), np.zeros(4))


def test_numerical_gradient_of_a_quadratic_and_grad_check(capsys):
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([0.5, -1.0])
    g = numerical_gradient(lambda v: 0.5 * v @ A @ v, x.copy())
    assert rel_error(g, A @ x) < 1e-8
    assert grad_check(lambda v: 0.5 * v @ A @ v, x, A @ x, tol=1e-7) < 1e-7
    assert "ok" in capsys.readouterr().out
    assert grad_check(lambda v: 0.5 * v @ A @ v, x, 2 * A @ x) > 0.1
    assert "TOO LARGE" in capsys.readouterr().out


def _square_cases():
    return [Case("small", (np.array([1.0, 2.0]),), np.array([1.0, 4.0]), hint="square each entry"),
            Case("batch", (np.ones((2, 3)),), np.ones((2, 3)), hint="keep the shape")]


def test_run_check_names_each_fault_in_one_line(capsys):
    ok = run_check("square", lambda x: x ** 2, _square_cases())
    assert ok.passed and ok.use is not None and "all 2 checks passed" in capsys.readouterr().out
    wrong_shape = run_check("square", lambda x: (x ** 2).ravel(), _square_cases())
    assert not wrong_shape.passed and "returned shape (6,), expected (2, 3)" in " ".join(wrong_shape.messages)
    nan = run_check("square", lambda x: x * np.nan, _square_cases())
    assert "NaN" in " ".join(nan.messages)
    crash = run_check("square", lambda x: x.nonexistent, _square_cases())
    out = capsys.readouterr().out
    assert "raised AttributeError" in out and "Traceback" not in out
    values = run_check("square", lambda x: x ** 3, _square_cases())
    assert "wrong values" in " ".join(values.messages) and "Hint: square each entry" in " ".join(values.messages)


def test_not_done_uses_reference_and_says_so(capsys):
    def stub(x):
        raise NotImplementedError("exercise")
    reference = lambda x: x ** 2  # noqa: E731
    result = run_check("square", stub, _square_cases(), reference=reference)
    assert result.not_done and not result.passed and result.use is reference
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["square: not done yet - using the reference implementation so the rest of the notebook runs."]


def test_strict_mode_turns_failures_into_errors(monkeypatch):
    monkeypatch.setenv(checks.STRICT_ENV, "1")
    with pytest.raises(checks.ExerciseFailed, match="square: failed"):
        run_check("square", lambda x: x, _square_cases())
    with pytest.raises(checks.ExerciseFailed, match="not done"):
        check_value("answer", ..., 3)
    assert run_check("square", lambda x: x ** 2, _square_cases()).passed


def test_check_value(capsys):
    assert check_value("size", 13, 13).passed
    wrong = check_value("size", 12, 13, hint="floor((n + 2p - k) / s) + 1")
    assert not wrong.passed and "Hint: floor" in wrong.messages[0]
    undone = check_value("size", ..., 13)
    assert undone.not_done and "not done yet" in capsys.readouterr().out


def test_cases_are_passed_as_copies_and_warnings_stay_quiet(recwarn):
    def square_in_place(x):
        x **= 2
        return x
    cases = _square_cases()
    assert run_check("square", square_in_place, cases).passed
    assert cases[0].args[0].tolist() == [1.0, 2.0]  # the case data was not changed
    overflow = run_check("square", lambda x: np.exp(x * 1e4) / np.exp(x * 1e4), cases)
    assert "NaN" in " ".join(overflow.messages)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_as_float_array():
    assert checks.as_float_array([1, 2]).dtype == np.float64
    assert checks.as_float_array("text") is None
