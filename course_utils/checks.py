"""Exercise checking: run a student's function on cases, one line per case, never a traceback.

A check calls the student's function on several cases and prints, for each, a pass or what is
wrong with a hint. If the exercise is not done yet (the student edition's stub raises
``NotImplementedError``), it says so in one line and hands back the reference
implementation so the rest of the notebook still runs.

With ``COURSE_CHECKS_STRICT=1`` (set by ``make test`` for the instructor notebooks) a
failing or undone check raises :class:`ExerciseFailed`, so nbval catches a wrong solution.

Usage::

    from course_utils.checks import Case, run_check, rel_error
    result = run_check("softmax", softmax, cases, reference=reference_softmax)
    softmax = result.use          # the student's function if it passed, else the reference
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

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
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        return None


@dataclass
class Case:
    """One test case: the arguments, the expected value, and a hint shown when it fails.

    ``expected`` may be a value (compared with :func:`rel_error` against ``tol``) or a
    callable ``validate(output) -> str | None`` returning a problem description or ``None``.
    """

    description: str
    args: tuple
    expected: Any
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


def _describe_problem(out: Any, case: Case) -> str | None:
    if callable(case.expected):
        return case.expected(out)
    expected = np.asarray(case.expected)
    try:
        got = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        return f"returned {type(out).__name__}, expected an array of shape {expected.shape}"
    if got.shape != expected.shape:
        return f"returned shape {got.shape}, expected {expected.shape}"
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(expected)):
        return "returned NaN or inf (numerical overflow?)"
    err = rel_error(got, expected)
    if err > case.tol:
        return f"wrong values: rel_error {err:.1e} > tolerance {case.tol:.0e}"
    return None


def run_check(name: str, fn: Callable, cases: Sequence[Case], reference: Callable | None = None,
              quiet: bool = False) -> CheckResult:
    """Run ``fn`` on every case; print one line per case; return a :class:`CheckResult`.

    Usage: ``softmax = run_check("softmax", softmax, cases, reference=ref).use``.
    """
    say = (lambda _msg: None) if quiet else print
    messages: list[str] = []
    passed = True
    for case in cases:
        try:
            # on copies (a function that changes its input in place cannot spoil later cases),
            # with NumPy's warnings silenced: overflow and NaN are reported in the case's line
            with np.errstate(all="ignore"):
                out = fn(*copy.deepcopy(case.args))
        except NotImplementedError:
            msg = f"{name}: not done yet" + (" - using the reference implementation so the rest of "
                                             "the notebook runs." if reference else ".")
            say(msg)
            result = CheckResult(name, False, True, [msg], reference)
            return _finish(result)
        except Exception as exc:  # noqa: BLE001 - the student sees one line, not a traceback
            problem = f"raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        else:
            try:
                problem = _describe_problem(out, case)
            except Exception as exc:  # noqa: BLE001
                problem = f"returned something that could not be checked ({type(exc).__name__})"
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
    problem = _describe_problem(value, Case(name, (), expected, hint, tol))
    msg = f"{name}: correct" if problem is None else f"{name}: {problem}" + (f". Hint: {hint}" if hint else "")
    print(msg)
    return _finish(CheckResult(name, problem is None, False, [msg], value if problem is None else reference))
