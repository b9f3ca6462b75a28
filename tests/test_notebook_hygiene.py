"""Every lesson in notebooks/ follows the delivery conventions (CONTRIBUTING.md):

slide metadata on every cell and no slide too tall or too wide, the `course` metadata the site index shows,
no outputs, balanced solution markers, and the Colab badge + set-up cell stamped by
`make badges` for the notebook's own path (the stamp is up to date with course.toml).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
import delivery

NOTEBOOKS = delivery.notebooks()
ids = [p.name for p in NOTEBOOKS]


def test_there_are_lessons():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"


@pytest.fixture(params=NOTEBOOKS, ids=ids)
def lesson(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_every_cell_has_slide_metadata_and_fits_on_a_slide(lesson):
    path, nb = lesson
    problems = delivery.slide_problems(nb, path.name)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_course_metadata_for_the_site_index(lesson):
    path, nb = lesson
    meta = nb.metadata.get("course", {})
    assert isinstance(meta.get("title"), str) and meta["title"], f"{path.name}: metadata.course.title"
    objectives = meta.get("objectives")
    assert isinstance(objectives, list) and 3 <= len(objectives) <= 5, \
        f"{path.name}: metadata.course.objectives must list 3-5 objectives"
    for key in ("time_quick_units", "time_full_units"):
        assert isinstance(meta.get(key), (int, float)) and meta[key] > 0, f"{path.name}: metadata.course.{key}"
    assert meta["time_quick_units"] <= delivery.MAX_QUICK_UNITS, \
        f"{path.name}: quick mode may take at most {delivery.MAX_QUICK_UNITS} reference units (CONTRIBUTING.md)"
    assert not {"time_quick_s", "time_full_s"} & set(meta), f"{path.name}: times are in reference units now"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernelspec python3"


def test_no_outputs(lesson):
    path, nb = lesson
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs (clear them before committing)"


def test_solution_markers_are_balanced(lesson):
    path, nb = lesson
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            try:
                delivery.solution_blocks(delivery.source_text(cell))
            except delivery.SolutionBlockError as exc:
                pytest.fail(f"{path.name}, cell {i}: {exc}")


def test_colab_badge_points_at_its_own_notebook(lesson):
    path, nb = lesson
    badges = [c for c in nb.cells if delivery.BADGE_TAG in c.metadata.get("tags", [])]
    assert len(badges) == 1 and nb.cells[0] is badges[0], \
        f"{path.name}: no Colab badge as first cell - run `make badges`"
    expected = delivery.colab_url(f"notebooks/{path.name}")
    assert f"]({expected})" in badges[0].source, f"{path.name}: the badge points elsewhere - run `make badges`"


def test_colab_setup_cell_is_stamped_and_up_to_date(lesson):
    path, nb = lesson
    setups = [c for c in nb.cells if delivery.SETUP_TAG in c.metadata.get("tags", [])]
    assert len(setups) == 1, f"{path.name}: expected one Colab set-up cell - run `make badges`"
    assert setups[0].metadata["slideshow"]["slide_type"] == "skip"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code is setups[0], f"{path.name}: the Colab set-up cell must run first - run `make badges`"
    stamped = delivery.stamp(nb, f"notebooks/{path.name}")
    assert stamped == nb, f"{path.name}: stamp out of date with course.toml - run `make badges`"
