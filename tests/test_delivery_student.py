"""The student edition of every lesson runs top to bottom with every exercise left undone.

For each notebooks/NN_*.ipynb: write its student edition (tools/make_student.py), execute it in
quick mode WITHOUT COURSE_CHECKS_STRICT, and check that no cell fails, that each exercise's check
says "not done yet" (the reference implementation takes over), and that there are as many such
exercises as solution blocks. About one quick run of each notebook (the heaviest test here).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
import delivery
import make_student

pytestmark = pytest.mark.notebook    # runs every lesson's student edition in a kernel

NOTEBOOKS = delivery.notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_student_edition_runs_with_every_exercise_not_done(path, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "1")
    monkeypatch.delenv("COURSE_CHECKS_STRICT", raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    target, blocks = make_student.write_student(path, tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "the instructor notebook changed"
    assert blocks >= 1, f"{path.name}: no # BEGIN SOLUTION blocks, so no exercises"
    nb = nbformat.read(target, as_version=4)
    assert delivery.count_solution_blocks(nb) == 0
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} (student edition) failed:\n{str(exc)[-3000:]}")
    not_done_cells = []
    for i, cell in enumerate(nb.cells):
        text = delivery.output_text({"cells": [cell]})
        if delivery.NOT_DONE in text:
            not_done_cells.append(i)
        wrong = [line for line in text.splitlines() if re.search(r"\bWRONG\b|some checks failed", line)]
        assert not wrong, f"{path.name}, cell {i}: a check on a stub should say 'not done yet', got {wrong}"
    assert len(not_done_cells) == blocks, (
        f"{path.name}: {blocks} solution blocks but {len(not_done_cells)} cells report "
        f"'{delivery.NOT_DONE}' (cells {not_done_cells}); each exercise needs its own check")
