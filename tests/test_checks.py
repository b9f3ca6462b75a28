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
    def square(x):
        return x ** 2
    ok = run_check("square", square, _square_cases(), reference=np.square)
    assert ok.passed and ok.use is square and "all 2 checks passed" in capsys.readouterr().out
    wrong_shape = run_check("square", lambda x: (x ** 2).ravel(), _square_cases())
    assert not wrong_shape.passed and "returned shape (6,), expected (2, 3)" in " ".join(wrong_shape.messages)
    nan = run_check("square", lambda x: x * np.nan, _square_cases())
    assert "NaN" in " ".join(nan.messages)
    crash = run_check("square", lambda x: x.nonexistent, _square_cases())
    out = capsys.readouterr().out
    assert not crash.passed and "raised AttributeError" in out and "Traceback" not in out
    values = run_check("square", lambda x: x ** 3, _square_cases())
    assert "wrong values" in " ".join(values.messages) and "Hint: square each entry" in " ".join(values.messages)


def test_not_done_uses_reference_and_says_so(capsys):
    def stub(x):
        raise NotImplementedError("exercise")
    reference = lambda x: x ** 2
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
    assert checks.as_float_array(None) is None  # a missing return, not NaN


# ----------------------------------------------------------------------------- diagnose and array_problem
def test_a_case_without_expected_is_judged_by_diagnose(capsys):
    seen = []

    def diagnose(out, x, power):
        seen.append(power)
        return None if np.array_equal(out, x ** power) else f"expected x ** {power}"

    cases = [Case("square", (np.array([1.0, 2.0]), 2)), Case("cube", (np.array([2.0]), 3), hint="x ** power")]
    assert run_check("power", lambda x, p: x ** p, cases, diagnose=diagnose).passed and seen == [2, 3]
    wrong = run_check("power", lambda x, p: x * p, cases, diagnose=diagnose)
    assert not wrong.passed and "  WRONG cube: expected x ** 3. Hint: x ** power" in wrong.messages
    mixed = [Case("given", (np.array([3.0]), 2), np.array([9.0])), cases[1]]
    assert run_check("power", lambda x, p: x ** p, mixed, diagnose=diagnose).passed


def test_a_case_needs_an_expected_value_or_a_diagnose():
    with pytest.raises(ValueError, match="no expected value"):
        run_check("square", lambda x: x ** 2, [Case("no expectation", (1.0,))])
    with pytest.raises(TypeError, match="diagnose"):
        run_check("square", lambda x: x ** 2, [Case("old style", (1.0,), lambda out: None)])


def test_array_problem_names_the_opening_faults():
    assert checks.array_problem(np.zeros((2, 3)), (2, 3)) is None
    assert checks.array_problem([1, 2], (2,)) is None
    assert "returned str, expected an array of shape (2,)" in checks.array_problem("ab", (2,))
    assert checks.array_problem(np.zeros(6), (2, 3)) == "wrong shape: returned shape (6,), expected (2, 3)"
    assert "NaN or inf" in checks.array_problem(np.array([1.0, np.inf]), (2,))
    assert "NaN or inf" in checks.array_problem(np.array([np.nan]), (1,))
    assert checks.array_problem(np.zeros(2), (3,), "dW") == "dW has shape (2,), expected (3,)"
    assert checks.array_problem(None, (3,), "db") == "db is NoneType, expected an array of shape (3,)"
    assert checks.array_problem([np.nan], (1,), "loss") == "loss contains NaN or inf"


def test_one_number():
    assert checks.one_number([0.5]).shape == ()
    assert checks.one_number(np.array([[2.0]])) == 2.0
    assert checks.one_number([1.0, 2.0]) == [1.0, 2.0]
    assert checks.one_number("text") == "text"


# ----------------------------------------------------------------------------- fail_on_warnings
def _sigmoid_cases():
    return [Case("s = 0", (np.array([0.0]),), np.array([0.5])),
            Case("s = -1000 and 1000", (np.array([-1000.0, 1000.0]),), np.array([0.0, 1.0]),
                 hint="only ever exponentiate -|s|")]


def test_fail_on_warnings_reports_an_overflow_in_one_line(capsys, recwarn):
    def naive(s):
        return 1 / (1 + np.exp(-s))
    before = np.geterr()
    assert run_check("sigmoid", naive, _sigmoid_cases()).passed  # the values are right: silenced, it passes
    strict = run_check("sigmoid", naive, _sigmoid_cases(), fail_on_warnings=True)
    out = capsys.readouterr().out
    assert not strict.passed and "Traceback" not in out
    assert ("  WRONG s = -1000 and 1000: numerically unstable: overflow encountered in exp (NaN or inf would "
            "follow). Hint: only ever exponentiate -|s|") in strict.messages
    assert "  ok    s = 0" in strict.messages
    assert np.geterr() == before
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_fail_on_warnings_catches_divide_and_invalid_and_passes_stable_code():
    def log_all(p):
        return -np.log(p)
    case = [Case("a zero probability", (np.array([0.0, 1.0]),), np.array([0.0]))]
    divide = run_check("loss", lambda p: np.array([log_all(p)[1]]), case, fail_on_warnings=True)
    assert "divide by zero encountered in log" in " ".join(divide.messages)
    invalid = run_check("ratio", lambda p: p / p, case, fail_on_warnings=True)
    assert "invalid value encountered in divide" in " ".join(invalid.messages)

    def stable(s):
        return np.exp(-np.logaddexp(0, -s))
    assert run_check("sigmoid", stable, _sigmoid_cases(), fail_on_warnings=True).passed  # underflow is fine
