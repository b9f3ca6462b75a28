"""Every lesson with a presenter path (metadata ``time_presenter_units``) runs with ``COURSE_PRESENTER=1``.

``make test`` runs each lesson in quick mode with the switch off (nbval), so every training
runs on a tiny budget; this test covers the other path, where shipped weights are loaded.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
import delivery
import execute_notebook

from course_utils.config import PRESENTER_ENV

pytestmark = pytest.mark.notebook    # runs lessons with the presenter switch on

LESSONS = [p for p in delivery.notebooks()
           if nbformat.read(p, as_version=4).metadata.get("course", {}).get("time_presenter_units")]


def test_lessons_with_a_long_training_have_a_presenter_path():
    assert any(p.name.startswith("05_") for p in LESSONS)


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_runs_in_presenter_mode_and_says_so(path, tmp_path, monkeypatch):
    monkeypatch.setenv(PRESENTER_ENV, "1")
    out = tmp_path / path.name
    execute_notebook.execute(path, out, full=False)
    nb = nbformat.read(out, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert f"Presenter mode ({PRESENTER_ENV}=1): loading" in text
