"""Unit tests of the delivery tools (tools/delivery.py and the scripts around it), on a tiny
synthetic notebook: Colab stamping, the Colab set-up cell under a faked Colab, the student
edition, slide rules, and an offline site + slide deck built from an executed notebook."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import delivery
import make_student
import nbformat
import pytest
import stamp_notebooks

ROOT = Path(__file__).resolve().parent.parent

CONFIG = {"repository": {"url": "https://github.com/example-org/dl-course", "branch": "main"},
          "colab": {"extra_packages": ["pkg-a==1.0", "pkg-b==2.0"]}}

FUNCTION_EXERCISE = '''def double(x):
    """Return 2 x."""
    # BEGIN SOLUTION
    y = x + x
    return y
    # END SOLUTION
'''
VALUE_EXERCISE = '''# BEGIN SOLUTION
answer = 6 * 7
rows, cols = 3, 4
print("not an assignment")
# END SOLUTION
check_value("answer", answer, 42)
'''


def tiny_notebook() -> nbformat.NotebookNode:
    """A lesson in miniature: title, set-up, maths, one function and one value exercise."""
    def md(src, slide="slide"):
        return nbformat.v4.new_markdown_cell(src, metadata={"slideshow": {"slide_type": slide}})

    def code(src, slide="-"):
        return nbformat.v4.new_code_cell(src, metadata={"slideshow": {"slide_type": slide}})

    checks = ("from course_utils.checks import Case, run_check, check_value\n"
              "import os\nos.environ.pop('COURSE_CHECKS_STRICT', None)")
    nb = nbformat.v4.new_notebook(cells=[
        md("# 99 · A tiny lesson\n\nWe double numbers."),
        code(checks),
        md("## Double a number\n\n$$y = 2x$$", "slide"),
        code(FUNCTION_EXERCISE),
        code("double = run_check('double', double, [Case('two', (2,), 4)], reference=lambda x: 2 * x).use\n"
             "print('double(3) =', double(3))", "fragment"),
        md("## A value exercise", "subslide"),
        code(VALUE_EXERCISE),
        md("Speaker notes.", "notes"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["course"] = {"title": "A tiny lesson", "objectives": ["Double a number", "Multiply"],
                             "time_quick_units": 1, "time_full_units": 2}
    return nb


# ------------------------------------------------------------------ stamping

def test_stamp_puts_badges_first_the_time_line_then_setup_before_the_first_code_cell():
    nb = delivery.stamp(tiny_notebook(), "notebooks/99_tiny.ipynb", CONFIG)
    badge, title, time, setup = nb["cells"][:4]
    assert badge["metadata"]["tags"] == [delivery.BADGE_TAG]
    assert "colab.research.google.com/github/example-org/dl-course/blob/main/notebooks/99_tiny.ipynb" \
        in badge["source"]
    assert ("(https://mybinder.org/v2/gh/example-org/dl-course/main?urlpath=lab/tree/notebooks/99_tiny.ipynb)"
            in badge["source"]) and delivery.BINDER_BADGE_SVG in badge["source"]
    assert title["source"].startswith("# 99")
    assert time["metadata"] == {"slideshow": {"slide_type": "notes"}, "tags": [delivery.TIME_TAG]}
    assert time["source"] == ("*Time: under a minute to run on a typical laptop (under a minute in quick "
                              "mode). `make speed` estimates each lesson on your machine.*")
    assert setup["metadata"] == {"slideshow": {"slide_type": "skip"}, "tags": [delivery.SETUP_TAG]}
    assert setup["cell_type"] == "code" and nb["cells"][4]["source"].startswith("from course_utils")


def test_time_line_is_minutes_on_a_typical_laptop_from_the_metadata():
    assert [delivery.laptop_minutes(u) for u in (2, 5, 15, 50)] == [
        "under a minute", "about 1 minute", "about 3 minutes", "about 10 minutes"]
    line = delivery.time_line({"time_quick_units": 2, "time_full_units": 25, "time_presenter_units": 5,
                               "study_minutes": 60})
    assert line == ("*Time: about 5 minutes to run on a typical laptop (under a minute in quick mode, "
                    "about 1 minute with the presenter switch); 60 minutes to study. "
                    "`make speed` estimates each lesson on your machine.*")
    assert "unit" not in line


def test_stamp_replaces_a_hand_written_time_paragraph_and_follows_the_metadata():
    nb = tiny_notebook()
    nb.cells[0].source += ("\n\n*Time: at most 2 reference units in quick mode, 40 in full mode (one unit is"
                           "\nabout 12 s on a quiet 2-core machine).*")
    stamped = delivery.stamp(nb, "notebooks/99_tiny.ipynb", CONFIG)
    assert stamped["cells"][1]["source"] == "# 99 · A tiny lesson\n\nWe double numbers."
    stamped.metadata["course"]["time_full_units"] = 50
    again = delivery.stamp(stamped, "notebooks/99_tiny.ipynb", CONFIG)
    assert len(again["cells"]) == len(stamped["cells"]) and "about 10 minutes" in again["cells"][2]["source"]


def test_no_lesson_introduction_speaks_of_reference_units():
    """Students read minutes; reference units stay in the metadata, `make bench` and CONTRIBUTING.md.
    (The introduction is every cell before the set-up code; `make badges` writes its time line.)"""
    for path in delivery.notebooks():
        cells = nbformat.read(path, as_version=4).cells
        intro = cells[:next(i for i, c in enumerate(cells) if c.cell_type == "code")]
        assert not [c.source for c in intro if re.search(r"reference unit|\bunits? in (quick|full)", c.source)], \
            f"{path.name}: run `make badges`"
        assert any(delivery.TIME_TAG in c.metadata.get("tags", []) for c in intro), f"{path.name}: run `make badges`"


def test_stamp_is_idempotent_and_follows_a_new_url():
    once = delivery.stamp(tiny_notebook(), "notebooks/99_tiny.ipynb", CONFIG)
    assert delivery.stamp(once, "notebooks/99_tiny.ipynb", CONFIG) == once
    moved = {**CONFIG, "repository": {"url": "https://github.com/new/place", "branch": "dev"}}
    again = delivery.stamp(once, "notebooks/99_tiny.ipynb", moved)
    assert len(again["cells"]) == len(once["cells"])
    assert "github/new/place/blob/dev/notebooks/99_tiny.ipynb" in again["cells"][0]["source"]


def test_stamp_script_twice_gives_identical_files(tmp_path):
    path = tmp_path / "99_tiny.ipynb"
    nbformat.write(tiny_notebook(), path)
    assert stamp_notebooks.main([str(path)]) == 0
    first = path.read_bytes()
    assert stamp_notebooks.main([str(path)]) == 0
    assert path.read_bytes() == first
    assert stamp_notebooks.main(["--check", str(path)]) == 0
    nbformat.validate(nbformat.read(path, as_version=4))


def test_repository_url_must_be_github():
    with pytest.raises(ValueError, match="github"):
        delivery.github_slug("https://gitlab.com/a/b")
    assert delivery.github_slug("https://github.com/a/b.git") == "a/b"


def test_course_toml_colab_extras_are_pinned_as_in_pyproject():
    config = delivery.load_config()
    delivery.github_slug(config["repository"]["url"])
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert set(config["colab"]["extra_packages"]) <= set(deps)


# ------------------------------------------------------------------ the Colab set-up cell

def _run_setup_cell(monkeypatch, colab: bool, gpu: bool, cloned: bool = False):
    import os
    import shutil

    calls = []
    if colab:
        monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(subprocess, "check_call", lambda cmd, *a, **k: calls.append(list(cmd)) or 0)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: "/usr/bin/nvidia-smi" if gpu else None)
    real_isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: cloned if str(p).startswith("/content/") else real_isdir(p))
    exec(compile(delivery.setup_source(CONFIG), "setup-cell", "exec"), {})  # noqa: S102 - the cell under test
    return calls


def test_setup_cell_on_colab_installs_course_utils_without_touching_tensorflow(monkeypatch, capsys):
    calls = _run_setup_cell(monkeypatch, colab=True, gpu=True)
    assert calls == [
        ["git", "clone", "--quiet", "--depth", "1", "--branch", "main",
         "https://github.com/example-org/dl-course", "/content/dl-course"],
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-e", "/content/dl-course",
         "pkg-a==1.0", "pkg-b==2.0"]]
    assert not any(re.search(r"tensorflow|keras", " ".join(c)) for c in calls)
    assert sys.path[0] == "/content/dl-course"
    assert "No GPU" not in capsys.readouterr().out


def test_setup_cell_on_colab_run_twice_does_not_clone_again(monkeypatch):
    calls = _run_setup_cell(monkeypatch, colab=True, gpu=True, cloned=True)
    assert [c[0] for c in calls] == [sys.executable]


def test_setup_cell_warns_on_colab_without_gpu(monkeypatch, capsys):
    _run_setup_cell(monkeypatch, colab=True, gpu=False)
    assert "No GPU attached" in capsys.readouterr().out


def test_setup_cell_does_nothing_locally(monkeypatch, capsys):
    assert _run_setup_cell(monkeypatch, colab=False, gpu=False) == []
    assert capsys.readouterr().out == ""
    assert "google.colab" not in sys.modules


# ------------------------------------------------------------------ student edition

def test_indented_block_becomes_raise_at_the_same_indentation():
    out, n = delivery.studentize_source(FUNCTION_EXERCISE)
    assert n == 1
    assert out == 'def double(x):\n    """Return 2 x."""\n    raise NotImplementedError("exercise")\n'


def test_top_level_block_becomes_ellipsis_assignments():
    out, n = delivery.studentize_source(VALUE_EXERCISE)
    assert n == 1
    assert "answer = ...\nrows, cols = ..., ...\n" in out
    assert "6 * 7" not in out and "not an assignment" not in out
    assert out.endswith('check_value("answer", answer, 42)\n')
    ns = {}
    exec(out.replace("check_value", "print"), ns)  # noqa: S102 - the student cell under test
    assert ns["answer"] is Ellipsis


def test_two_blocks_in_one_cell_and_code_around_them_kept():
    src = "a = 1\n" + FUNCTION_EXERCISE + "b = 2\n" + VALUE_EXERCISE
    out, n = delivery.studentize_source(src)
    assert n == 2 and out.startswith("a = 1\n") and "b = 2\n" in out
    assert delivery.BEGIN not in out and delivery.END not in out


@pytest.mark.parametrize("bad", ["# BEGIN SOLUTION\nx = 1\n",
                                 "x = 1\n# END SOLUTION\n",
                                 "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n",
                                 "def f():\n    # BEGIN SOLUTION\n    pass\n# END SOLUTION\n"])
def test_unbalanced_solution_markers_are_reported(bad):
    with pytest.raises(delivery.SolutionBlockError):
        delivery.studentize_source(bad)


def test_student_edition_strips_outputs_keeps_metadata_and_leaves_the_original_alone(tmp_path):
    nb = delivery.stamp(tiny_notebook(), "notebooks/99_tiny.ipynb", CONFIG)
    nb["cells"][6]["outputs"] = [nbformat.v4.new_output("stream", text="old output")]
    nb["cells"][6]["execution_count"] = 3
    path = tmp_path / "99_tiny.ipynb"
    nbformat.write(nb, path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert make_student.main(["--out", str(tmp_path / "student"), str(path)]) == 0
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    student = nbformat.read(tmp_path / "student" / "99_tiny.ipynb", as_version=4)
    assert student.metadata == nb.metadata
    assert [c.metadata for c in student.cells] == [c.metadata for c in nb.cells]
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in student.cells if c.cell_type == "code")
    assert delivery.count_solution_blocks(student) == 0 and delivery.count_solution_blocks(nb) == 2


def test_student_edition_keeps_written_questions_and_drops_their_answers():
    nb = tiny_notebook()
    question = nbformat.v4.new_markdown_cell("**Question.** Why is the initial loss close to ln 10?",
                                             metadata={"slideshow": {"slide_type": "subslide"}})
    answer = nbformat.v4.new_markdown_cell("**Answer.** Ten equally likely classes: -ln(1/10).",
                                           metadata={"slideshow": {"slide_type": "fragment"},
                                                     "tags": [delivery.ANSWER_TAG]})
    nb.cells += [question, answer]
    student, _ = delivery.student_edition(nb)
    texts = [delivery.source_text(c) for c in student["cells"]]
    assert any("**Question.**" in t for t in texts) and not any("**Answer.**" in t for t in texts)
    assert len(student["cells"]) == len(nb.cells) - 1


# ------------------------------------------------------------------ slide rules

def test_slide_rules_accept_the_tiny_lesson():
    assert delivery.slide_problems(tiny_notebook()) == []


def test_slide_rules_catch_missing_metadata_and_tall_slides():
    nb = tiny_notebook()
    nb.cells[1].metadata = {}
    nb.cells[3].source = "\n".join(f"x{i} = {i}" for i in range(16))
    nb.cells[2].source = "\n".join(["line"] * 21)
    problems = "\n".join(delivery.slide_problems(nb))
    assert "cell 1" in problems and "slide_type is None" in problems
    assert "cell 3" in problems and "16 lines" in problems
    assert "cell 2" in problems and "21 lines" in problems


def test_long_cells_are_fine_when_skipped_or_notes():
    nb = tiny_notebook()
    nb.cells[3].source = "\n".join(f"x{i} = {i}" for i in range(40))
    nb.cells[3].metadata["slideshow"]["slide_type"] = "skip"
    nb.cells[7].source = "\n".join(["note"] * 40)
    assert delivery.slide_problems(nb) == []


def test_slide_rules_catch_code_lines_too_wide_for_a_slide():
    nb = tiny_notebook()
    nb.cells[3].source = "x = 1\n" + "y = " + "1 + " * 24 + "1\n"  # line 2: 101 characters
    nb.cells[6].source = "z = [" + "0, " * 31 + "0]"  # line 1: exactly 100 characters, fine
    problems = delivery.slide_problems(nb, "99_tiny.ipynb")
    assert len(problems) == 1, problems
    assert problems[0].startswith("99_tiny.ipynb: cell 3 line 2: 101 characters, more than 100")


def test_long_code_lines_are_fine_when_skipped_or_notes_and_in_markdown():
    nb = tiny_notebook()
    nb.cells[3].source = "x = '" + "a" * 150 + "'"
    nb.cells[3].metadata["slideshow"]["slide_type"] = "notes"
    nb.cells[1].metadata["slideshow"]["slide_type"] = "skip"
    nb.cells[1].source = "y = '" + "b" * 150 + "'"
    nb.cells[2].source = "A long sentence. " * 10  # markdown wraps by itself
    assert delivery.slide_problems(nb) == []


# ------------------------------------------------------------------ site and slides, offline

def test_missing_npm_fails_with_one_clear_line(tmp_path, monkeypatch):
    import fetch_web_assets

    monkeypatch.setattr(fetch_web_assets.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="npm not found"):
        fetch_web_assets.fetch(tmp_path / "vendor")


def test_index_page_lists_lessons_in_order_with_objectives_minutes_and_slides():
    import build_site

    lessons = [{"stem": f"0{i}_x", "title": f"0{i} · Lesson {i}", "objectives": [f"goal {i}"],
                "time": delivery.time_line({"time_quick_units": 2, "time_full_units": 50}),
                "slides": "../slides/01_x.slides.html" if i else None} for i in (0, 1)]
    page = build_site.index_md(lessons, with_results=True)
    assert page.index("## [00 · Lesson 0](00_x.ipynb)") < page.index("## [01 · Lesson 1](01_x.ipynb)")
    assert "- goal 1\n" in page and "about 10 minutes to run on a typical laptop" in page and "units" not in page
    assert page.count('<a href="../slides/01_x.slides.html">slides</a>') == 1
    assert page.endswith("```{toctree}\n:hidden:\n:maxdepth: 1\n\n00_x\n01_x\nresults\n```\n")
    assert "results" not in build_site.index_md(lessons, with_results=False).split("toctree")[1]


@pytest.fixture(scope="module")
def built_tiny_course(tmp_path_factory):
    """The tiny lesson, executed once, then turned into a site page and a slide deck."""
    import build_site
    import build_slides
    import execute_notebook

    tmp = tmp_path_factory.mktemp("course")
    src = tmp / "notebooks" / "99_tiny.ipynb"
    src.parent.mkdir()
    nbformat.write(delivery.stamp(tiny_notebook(), "notebooks/99_tiny.ipynb"), src)
    execute_notebook.execute(src, tmp / "executed" / src.name, timeout=120)
    vendor = ROOT / "build" / "vendor"
    build_slides.build(tmp / "executed", tmp / "slides", vendor, only_current=False)
    build_site.build(tmp / "executed", tmp / "site", vendor, tmp / "no-bench.md", tmp / "slides",
                     only_current=False)
    return tmp


def _external_urls(html: str) -> list[str]:
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    refs += re.findall(r"""import\s+\w+\s+from\s+["']([^"']+)["']""", html)
    return [r for r in refs if re.match(r"(https?:)?//", r)]


@pytest.mark.notebook
def test_executed_copy_carries_outputs_and_mode(built_tiny_course):
    nb = nbformat.read(built_tiny_course / "executed" / "99_tiny.ipynb", as_version=4)
    assert nb.metadata["course_executed"]["mode"] == "quick"
    assert "double(3) = 6" in delivery.output_text(nb)


@pytest.mark.notebook
def test_slides_load_nothing_from_the_network(built_tiny_course):
    deck = (built_tiny_course / "slides" / "99_tiny.slides.html").read_text()
    assert "<section" in deck and "double(3) = 6" in deck
    scripts = [u for u in _external_urls(deck) if not u.startswith("https://colab.research.google.com/github/")]
    assert scripts == []
    for asset in ["reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js", "require.min.js",
                  "jquery.min.js", "mathjax/MathJax.js", "mathjax/config/TeX-AMS_CHTML-full.js"]:
        assert (built_tiny_course / "slides" / "_static" / asset).is_file(), asset
    theme = (built_tiny_course / "slides" / "_static" / "reveal.js/dist/theme/simple.css").read_text()
    assert "fonts.googleapis" not in theme


@pytest.mark.notebook
def test_slides_wrap_code_and_output_instead_of_overflowing(built_tiny_course):
    import build_slides

    deck = (built_tiny_course / "slides" / "99_tiny.slides.html").read_text()
    head = deck[:deck.index("</head>")]
    assert 'id="course-wrap"' in head and "white-space: pre-wrap" in head
    assert deck.count('id="course-wrap"') == 1
    assert build_slides.add_wrap_style(deck) == deck  # once only


@pytest.mark.notebook
def test_site_pages_and_index_load_nothing_from_the_network(built_tiny_course):
    page = (built_tiny_course / "site" / "99_tiny.html").read_text()
    index = (built_tiny_course / "site" / "index.html").read_text()
    assert "double(3) = 6" in page and "Colab set-up" not in page and "badge_logo.svg" not in page
    launch = ("https://colab.research.google.com/github/", "https://mybinder.org/v2/gh/", "https://github.com/")
    assert [u for u in _external_urls(page) if not u.startswith(launch)] == []
    assert [u for u in _external_urls(index) if not u.startswith(launch)] == []
    assert 'href="99_tiny.html"' in index and "Double a number" in index and "units" not in index
    assert 'href="../slides/99_tiny.slides.html"' in index
    assert (built_tiny_course / "site" / "searchindex.js").is_file()
    assert (built_tiny_course / "site" / "_static" / "mathjax" / "MathJax.js").is_file()
