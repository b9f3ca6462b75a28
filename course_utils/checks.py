"""Exercise checking: run a student's function on cases, one line per case, never a traceback.

A check calls the student's function on several cases and prints, for each, a pass or what is
wrong with a hint. If the exercise is not done yet (the student edition's stub raises
``NotImplementedError``), it says so in one line and hands back the reference
implementation so the rest of the notebook still runs.

With ``COURSE_CHECKS_STRICT=1`` (set by ``make test`` for the instructor notebooks) a
failing or undone check raises :class:`ExerciseFailed`, so nbval catches a wrong solution.

Usage::

    from course_utils import numpy_nn
    from course_utils.checks import Case, run_check
    result = run_check("softmax", softmax, cases, reference=numpy_nn.softmax, diagnose=diagnose)
    softmax = result.use          # the student's function if it passed, else the reference

A case either carries its ``expected`` value (compared with :func:`rel_error`) or leaves it
out, and the check's ``diagnose(output, *args)`` names what is wrong with the output (or
returns ``None``). Validators open with :func:`array_problem`, the checks every array needs.
With ``fail_on_warnings=True`` a NumPy overflow, division by zero or invalid operation inside
the student's function fails the case in one line, for exercises about numerical stability.
"""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

STRICT_ENV = "COURSE_CHECKS_STRICT"


class ExerciseFailed(AssertionError):
    """Raised in strict mode when a check does not pass."""


def rel_error(a: Any, b: Any) -> float:
    """Maximum relative error, as in CS231n: ``max |a-b| / max(1e-8, |a|+|b|)``.

    Usage: ``assert rel_error(mine, keras_out) < 1e-5``.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x`` (``x`` restored after).

    Usage: ``g = numerical_gradient(lambda w: loss(w), w)``.
    """
    x = np.asarray(x, dtype=np.float64)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = float(f(x))
        x[i] = old - h
        minus = float(f(x))
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def grad_check(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray,
               tol: float = 1e-6, name: str = "gradient", h: float = 1e-5) -> float:
    """Compare an analytic gradient with the numerical one; print and return the relative error.

    Usage: ``grad_check(lambda w: loss(w, x, y), w, dw, tol=1e-6)``.
    """
    x = np.asarray(x, dtype=np.float64)
    err = rel_error(numerical_gradient(f, x, h), analytic)
    verdict = "ok" if err <= tol else "TOO LARGE: the analytic gradient is probably wrong"
    print(f"{name}: relative error {err:.2e} (tolerance {tol:.0e}) {verdict}")
    return err


def as_float_array(out: Any) -> np.ndarray | None:
    """``out`` as a float64 array, or ``None`` if it is not numeric (for validators).

    Usage: ``got = as_float_array(out); if got is None: return "expected an array"``.
    """
    if out is None:  # np.asarray(None, float) would be NaN; a missing ``return`` deserves its own message
        return None
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def one_number(value: Any) -> Any:
    """``value`` as a 0-d float array if it holds exactly one number (``[0.5]`` counts), else as is.

    Usage: ``problem = array_problem(one_number(out), ())`` for a result that is one number.
    """
    got = as_float_array(value)
    return got.reshape(()) if got is not None and got.size == 1 else value


def array_problem(out: Any, expected_shape: tuple[int, ...], what: str = "") -> str | None:
    """The opening tests of every validator: numeric, of ``expected_shape``, no NaN or inf.

    Returns a one-line problem or ``None``; ``what`` names the part checked (``"dW"``), else the
    message speaks of the returned value. Callers add their own hints (``"flatten it"``) after it.
    Usage: ``problem = array_problem(out, expected.shape); if problem: return problem``.
    """
    got = as_float_array(out)
    if got is None:
        subject = f"{what} is" if what else "returned"
        return f"{subject} {type(out).__name__}, expected an array of shape {tuple(expected_shape)}"
    if got.shape != tuple(expected_shape):
        subject = f"{what} has shape" if what else "wrong shape: returned shape"
        return f"{subject} {got.shape}, expected {tuple(expected_shape)}"
    if not np.all(np.isfinite(got)):
        return f"{what} contains NaN or inf" if what else "returned NaN or inf (numerical overflow?)"
    return None


def close(got: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-7) -> bool:
    """Same shape and ``np.allclose(got, expected, rtol, atol)``: a validator's "this is the answer" test.

    Usage: ``if close(got, expected): return None``.
    """
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def first_fault(got: Any, faults: Sequence[tuple[Any, str]], rtol: float = 1e-5, atol: float = 1e-7) -> str | None:
    """The message of the first known mistake whose output ``got`` reproduces (by :func:`close`), else ``None``.

    A wrong version whose output is not finite (it overflowed) never matches.
    Usage: ``fault = first_fault(got, [(x + grad, "use the sign of the gradient"), ...])``.
    """
    for wrong, message in faults:
        with np.errstate(all="ignore"):
            wrong = np.asarray(wrong, dtype=np.float64)
        if np.all(np.isfinite(wrong)) and close(got, wrong, rtol, atol):
            return message
    return None


@dataclass
class Case:
    """One test case: the arguments, the expected value (optional), and a hint shown when it fails.

    ``expected`` is compared with :func:`rel_error` against ``tol``; leave it ``None`` to have
    the check's ``diagnose`` judge the output instead (see :func:`run_check`).
    Usage: ``Case("large scores", (np.array([1000.0, 1001.0]),), hint="subtract the maximum")``.
    """

    description: str
    args: tuple
    expected: Any = None
    hint: str = ""
    tol: float = 1e-6


@dataclass
class CheckResult:
    """What a check found. ``use`` is the function the notebook should go on with."""

    name: str
    passed: bool
    not_done: bool
    messages: list[str] = field(default_factory=list)
    use: Callable | None = None

    def __bool__(self) -> bool:
        return self.passed


Diagnose = Callable[..., str | None]  # diagnose(output, *case.args) -> problem or None


def _compare(out: Any, case: Case) -> str | None:
    expected = np.asarray(case.expected)
    problem = array_problem(out, expected.shape)
    if problem is not None:
        return problem
    err = rel_error(out, expected)
    if err > case.tol:
        return f"wrong values: rel_error {err:.1e} > tolerance {case.tol:.0e}"
    return None


def _call(fn: Callable, args: tuple, fail_on_warnings: bool) -> Any:
    """``fn`` on copies of ``args`` (a function that changes its input in place cannot spoil
    later cases), NumPy's warnings silenced, or raised as errors with ``fail_on_warnings``."""
    args = copy.deepcopy(args)
    if not fail_on_warnings:
        with np.errstate(all="ignore"):  # overflow and NaN are reported in the case's line
            return fn(*args)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            return fn(*args)


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else ""


def _run_case(fn: Callable, case: Case, diagnose: Diagnose | None, fail_on_warnings: bool) -> str | None:
    """The problem with ``fn`` on one case, or ``None``; ``NotImplementedError`` passes through."""
    try:
        out = _call(fn, case.args, fail_on_warnings)
    except NotImplementedError:
        raise
    except (FloatingPointError, RuntimeWarning) as exc:
        return f"numerically unstable: {_first_line(exc)} (NaN or inf would follow)"
    except Exception as exc:  # noqa: BLE001 - the student sees one line, not a traceback
        return f"raised {type(exc).__name__}: {_first_line(exc)}"
    try:
        with np.errstate(all="ignore"):
            if case.expected is None:
                return diagnose(out, *case.args)  # type: ignore[misc]
            return _compare(out, case)
    except Exception as exc:  # noqa: BLE001
        return f"returned something that could not be checked ({type(exc).__name__})"


def run_check(name: str, fn: Callable, cases: Sequence[Case], reference: Callable | None = None,
              quiet: bool = False, diagnose: Diagnose | None = None,
              fail_on_warnings: bool = False) -> CheckResult:
    """Run ``fn`` on every case; print one line per case; return a :class:`CheckResult`.

    A case without ``expected`` is judged by ``diagnose(output, *case.args) -> str | None``.
    With ``fail_on_warnings`` a NumPy overflow, division by zero or invalid value inside ``fn``
    fails the case ("numerically unstable: overflow encountered in exp ...").
    Usage: ``softmax = run_check("softmax", softmax, cases, reference=ref, diagnose=d).use``.
    """
    for case in cases:
        if case.expected is None and diagnose is None:
            raise ValueError(f"{name}: case {case.description!r} has no expected value and the check no diagnose")
        if callable(case.expected):
            raise TypeError(f"{name}: case {case.description!r}: pass a validator as run_check(diagnose=...)")
    say = (lambda _msg: None) if quiet else print
    messages: list[str] = []
    passed = True
    for case in cases:
        try:
            problem = _run_case(fn, case, diagnose, fail_on_warnings)
        except NotImplementedError:
            msg = f"{name}: not done yet" + (" - using the reference implementation so the rest of "
                                             "the notebook runs." if reference else ".")
            say(msg)
            return _finish(CheckResult(name, False, True, [msg], reference))
        if problem is None:
            messages.append(f"  ok    {case.description}")
        else:
            passed = False
            messages.append(f"  WRONG {case.description}: {problem}" + (f". Hint: {case.hint}" if case.hint else ""))
        say(messages[-1])
    summary = f"{name}: all {len(cases)} checks passed" if passed else (
        f"{name}: some checks failed" + (" - the reference implementation is used below." if reference else "."))
    say(summary)
    messages.append(summary)
    return _finish(CheckResult(name, passed, False, messages, fn if passed else (reference or fn)))


def _finish(result: CheckResult) -> CheckResult:
    if os.environ.get(STRICT_ENV) == "1" and not result.passed:
        raise ExerciseFailed(f"{result.name}: " + ("not done" if result.not_done else "failed"))
    return result


def check_value(name: str, value: Any, expected: Any, tol: float = 1e-6, hint: str = "",
                reference: Any = None) -> CheckResult:
    """Check a value the student computed (not a function) against the expected one.

    ``value`` may be ``...`` (Ellipsis), the student edition's stub, which means not done.
    Usage: ``check_value("output size", out_size, 13, hint="use floor((n + 2p - k) / s) + 1")``.
    """
    if value is Ellipsis or value is None:
        msg = f"{name}: not done yet."
        print(msg)
        return _finish(CheckResult(name, False, True, [msg], reference))
    with np.errstate(all="ignore"):
        problem = _compare(value, Case(name, (), expected, hint, tol))
    msg = f"{name}: correct" if problem is None else f"{name}: {problem}" + (f". Hint: {hint}" if hint else "")
    print(msg)
    return _finish(CheckResult(name, problem is None, False, [msg], value if problem is None else reference))
