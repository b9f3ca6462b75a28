"""The contract every lesson's checker keeps (course_utils.checks), over every checker there is.

Each ``check_*`` of every ``course_utils/exercises/lessonNN.py`` is found here, none listed by hand:
the reference passes and is handed on, an undone exercise says so in one line and hands over the
reference, strict mode raises, a crashing solution gives one line and no traceback. Each lesson's
test file ``tests/test_lessonNN.py`` holds a module-level table

    WRONG = {"softmax": (check_softmax, [(wrong_implementation, "fault its message names"), ...]), ...}

keyed by the checker's name without ``check_``; here every checker must have at least three
wrong implementations there, and each must fail naming its fault.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import numpy as np
import pytest

from course_utils.checks import ExerciseFailed

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted(p.stem for p in (ROOT / "course_utils" / "exercises").glob("lesson[0-9][0-9].py"))
MODULES = {name: importlib.import_module(f"course_utils.exercises.{name}") for name in LESSONS}


def _checkers(kind: str) -> list:
    """Every ``check_*`` defined in a lesson module whose first parameter is ``kind``:
    ``fn`` for a function the student writes, ``value`` for a number the student computes."""
    found = []
    for module in MODULES.values():
        for name, obj in vars(module).items():
            if (name.startswith("check_") and inspect.isfunction(obj) and obj.__module__ == module.__name__
                    and next(iter(inspect.signature(obj).parameters)) == kind):
                found.append(obj)
    return found


def _stub(*_args, **_kwargs):
    raise NotImplementedError("exercise")


FUNCTION_CHECKERS = _checkers("fn")
VALUE_CHECKERS = _checkers("value")
IDS = [f"{c.__module__.rsplit('.', 1)[1]}.{c.__name__}" for c in FUNCTION_CHECKERS]


def _wrong_tables() -> dict[str, dict]:
    """Each lesson test file's ``WRONG`` table (tests/ is on sys.path: pytest puts it there)."""
    return {n: importlib.import_module(f"test_{n}").WRONG for n in LESSONS if (ROOT / "tests" / f"test_{n}.py").exists()}


WRONG = _wrong_tables()
CASES = [(lesson, name, i) for lesson, table in WRONG.items() for name, (_c, wrongs) in table.items()
         for i in range(len(wrongs))]


def test_every_checker_is_found_and_is_either_a_function_or_a_value_checker():
    assert len(FUNCTION_CHECKERS) >= 40 and len(MODULES) >= 13 and len(VALUE_CHECKERS) >= 1
    for module in MODULES.values():
        for name in dir(module):
            obj = getattr(module, name)
            if name.startswith("check_") and inspect.isfunction(obj) and obj.__module__ == module.__name__:
                assert obj in FUNCTION_CHECKERS or obj in VALUE_CHECKERS, f"{module.__name__}.{name}"


@pytest.mark.parametrize("check", FUNCTION_CHECKERS, ids=IDS)
def test_not_done_says_so_and_hands_over_the_reference(check, capsys):
    result = check(_stub)
    out = capsys.readouterr().out
    assert result.not_done and not result.passed
    assert callable(result.use) and result.use is not _stub and result.use.__module__.startswith("course_utils.")
    assert "not done yet" in out and "reference" in out and len(out.strip().splitlines()) == 1


@pytest.mark.parametrize("check", FUNCTION_CHECKERS, ids=IDS)
def test_reference_passes_and_is_used(check, capsys):
    reference = check(_stub).use
    capsys.readouterr()
    result = check(reference)
    assert result.passed and not result.not_done and result.use is reference
    assert "WRONG" not in capsys.readouterr().out


@pytest.mark.parametrize("check", FUNCTION_CHECKERS, ids=IDS)
def test_strict_mode_raises(check, monkeypatch):
    monkeypatch.setenv("COURSE_CHECKS_STRICT", "1")
    with pytest.raises(ExerciseFailed):
        check(_stub)


@pytest.mark.parametrize("check", FUNCTION_CHECKERS, ids=IDS)
def test_a_crashing_solution_gives_one_line_not_a_traceback(check, capsys):
    def crash(*_args):
        raise IndexError("index 3 is out of bounds")
    result = check(crash)
    out = capsys.readouterr().out
    assert not result.passed and "raised IndexError" in out and "Traceback" not in out


@pytest.mark.parametrize("check", VALUE_CHECKERS, ids=[c.__name__ for c in VALUE_CHECKERS])
def test_a_value_left_as_ellipsis_is_not_done(check, capsys):
    result = check(...)
    assert result.not_done and not result.passed and "not done yet" in capsys.readouterr().out


@pytest.mark.parametrize("check", FUNCTION_CHECKERS, ids=IDS)
def test_each_checker_has_at_least_three_wrong_implementations(check):
    lesson, name = check.__module__.rsplit(".", 1)[1], check.__name__.removeprefix("check_")
    assert lesson in WRONG, f"tests/test_{lesson}.py has no WRONG table"
    assert name in WRONG[lesson], f"tests/test_{lesson}.py: WRONG has no entry {name!r}"
    listed, wrongs = WRONG[lesson][name]
    assert listed is check and len(wrongs) >= 3


@pytest.mark.parametrize(("lesson", "name", "index"), CASES, ids=[f"{les}-{n}-{i}" for les, n, i in CASES])
def test_wrong_implementation_is_named(lesson, name, index, capsys):
    check, wrongs = WRONG[lesson][name]
    wrong, fault = wrongs[index]
    reference = check(_stub).use
    capsys.readouterr()
    with np.errstate(all="ignore"):
        result = check(wrong)
    out = capsys.readouterr().out
    assert not result.passed and not result.not_done and result.use is reference
    assert "WRONG" in out and fault in out, out
