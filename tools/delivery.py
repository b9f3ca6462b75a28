"""Shared code of the delivery tools: course settings, stamping (Colab and Binder badges, Colab set-up
cell, the lesson's time line), student edition, slide rules.

The command-line scripts next to this file (stamp_notebooks.py, make_student.py,
execute_notebook.py, build_site.py, build_slides.py) are thin wrappers around it, and
tests/test_delivery_*.py and tests/test_notebook_hygiene.py test it.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import tomllib
from pathlib import Path
from typing import Any

from course_utils.environment import COLAB_CHECK
from course_utils.speed import laptop_minutes

ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = ROOT / "course.toml"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"

BADGE_TAG = "course-badge"
SETUP_TAG = "course-setup"
TIME_TAG = "course-time"
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
MAX_LINES = {"code": 15, "markdown": 20}
MAX_QUICK_UNITS = 2  # a lesson's quick-mode budget in reference units, so 13 lessons fit CI
MAX_CODE_LINE_CHARS = 100  # wider code lines are cut off at the right edge of a slide
FREE_LENGTH_TYPES = {"skip", "notes"}
ANSWER_TAG = "answer"  # a markdown cell answering a written question: instructor edition only
BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
NOT_DONE = "not done yet"
STUB_RAISE = 'raise NotImplementedError("exercise")'
EXECUTED_KEY = "course_executed"  # metadata of an executed copy: mode and seconds (execute_notebook.py, nbval)
COLAB_BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE_SVG = "https://mybinder.org/badge_logo.svg"
DEFAULT_BINDERHUB = "https://mybinder.org"
# A hand-written time paragraph of the intro cells ("*Time: ...*"), replaced by the stamped one.
OLD_TIME_LINE = re.compile(r"\n*^\*Time\b[^*]*\*[ \t]*$", re.MULTILINE)


# ---------------------------------------------------------------- settings and notebooks

def load_config(path: Path = CONFIG_FILE) -> dict[str, Any]:
    """Read course.toml."""
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))


def notebooks(folder: Path | None = None) -> list[Path]:
    """The lessons, in order: ``notebooks/NN_*.ipynb``."""
    return sorted(p for p in Path(folder or ROOT / "notebooks").glob(NOTEBOOK_GLOB) if ".failed." not in p.name)


def build_arguments(doc: str, out: str) -> argparse.ArgumentParser:
    """The options every builder of build/ takes: ``--executed``, ``--out`` (``build/<out>``), ``--vendor``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--executed", type=Path, default=ROOT / "build" / "executed")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / out)
    parser.add_argument("--vendor", type=Path, default=ROOT / "build" / "vendor")
    return parser


def github_slug(url: str) -> str:
    """``https://github.com/org/repo(.git)`` -> ``org/repo``."""
    m = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?", url.strip())
    if not m:
        raise ValueError(f"course.toml: repository.url must be https://github.com/ORG/REPO, got {url!r}")
    return m.group(1)


def colab_url(rel_path: str, config: dict[str, Any] | None = None) -> str:
    """The Colab address of a notebook at ``rel_path`` (relative to the repository root)."""
    repo = (config or load_config())["repository"]
    return (f"https://colab.research.google.com/github/{github_slug(repo['url'])}"
            f"/blob/{repo.get('branch', 'main')}/{rel_path}")


def binder_url(rel_path: str, config: dict[str, Any] | None = None) -> str:
    """The Binder address that builds the repository (``binder/``) and opens ``rel_path`` in JupyterLab."""
    config = config or load_config()
    repo, hub = config["repository"], config.get("binder", {}).get("hub", DEFAULT_BINDERHUB)
    return (f"{hub.rstrip('/')}/v2/gh/{github_slug(repo['url'])}/{repo.get('branch', 'main')}"
            f"?urlpath=lab/tree/{rel_path}")


def time_line(meta: dict[str, Any]) -> str:
    """The lesson's time, from its metadata ``course``: full, quick and presenter mode in minutes on a
    typical laptop, the study time when ``study_minutes`` gives it, and how to estimate one's own."""
    extra = [f"{laptop_minutes(meta['time_quick_units'])} in quick mode"]
    if meta.get("time_presenter_units"):
        extra.append(f"{laptop_minutes(meta['time_presenter_units'])} with the presenter switch")
    study = f"; {meta['study_minutes']} minutes to study" if meta.get("study_minutes") else ""
    return (f"*Time: {laptop_minutes(meta['time_full_units'])} to run on a typical laptop "
            f"({', '.join(extra)}){study}. `make speed` estimates each lesson on your machine.*")


def rel_notebook_path(path: Path) -> str:
    """``notebooks/NN_x.ipynb``: the path a badge points at (the file's folder name + its name)."""
    path = Path(path)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return f"notebooks/{path.name}"


# ---------------------------------------------------------------- Colab badge and set-up cell

def badge_source(rel_path: str, config: dict[str, Any] | None = None) -> str:
    return (f"[![Open In Colab]({COLAB_BADGE_SVG})]({colab_url(rel_path, config)}) "
            f"[![Launch on Binder]({BINDER_BADGE_SVG})]({binder_url(rel_path, config)})")


def setup_source(config: dict[str, Any] | None = None) -> str:
    """The Colab set-up cell: on Colab only, a shallow clone of the course repository (so that
    the notebooks and ``course_utils`` with its shipped weights come along), installed with ``--no-deps`` so that
    Colab's TensorFlow and Keras stay as they are, plus the small packages Colab lacks."""
    config = config or load_config()
    repo = config["repository"]
    folder = "/content/" + github_slug(repo["url"]).split("/")[1]
    extras = ", ".join(f'"{p}"' for p in config["colab"]["extra_packages"])
    return "\n".join([
        "# Colab set-up, stamped by `make badges` (do not edit by hand). On Google Colab it installs",
        "# course_utils from the course repository and keeps Colab's own TensorFlow; elsewhere it does nothing.",
        "import os",
        "import sys",
        "",
        f"if {COLAB_CHECK}:",
        "    import shutil",
        "    import subprocess",
        f'    COURSE_DIR = "{folder}"  # course_utils with its shipped weights',
        "    if not os.path.isdir(COURSE_DIR):",
        f'        subprocess.check_call(["git", "clone", "--quiet", "--depth", "1", "--branch", "{repo.get("branch", "main")}",',
        f'                               "{repo["url"]}", COURSE_DIR])',
        '    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]',
        f'    subprocess.check_call(pip + ["-e", COURSE_DIR, {extras}])',
        "    sys.path.insert(0, COURSE_DIR)  # importable now, without restarting the runtime",
        '    if shutil.which("nvidia-smi") is None:',
        '        print("No GPU attached: the lesson runs, but slowly. "',
        '              "Runtime > Change runtime type > GPU, then run the notebook again.")',
    ])


def _cell(cell_type: str, cell_id: str, source: str, tag: str, slide_type: str) -> dict[str, Any]:
    cell = {"cell_type": cell_type, "id": cell_id, "metadata": {
        "slideshow": {"slide_type": slide_type}, "tags": [tag]}, "source": source}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _tags(cell: dict[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def stamp(nb: dict[str, Any], rel_path: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return ``nb`` with exactly one badge cell (first: Colab and Binder), the time line (after the
    introduction, from the metadata; a hand-written ``*Time: ...*`` paragraph there goes) and one
    Colab set-up cell (before the first other code cell). Idempotent: a second stamp changes nothing."""
    config = config or load_config()
    nb = copy.deepcopy(nb)
    cells = [c for c in nb["cells"] if not {BADGE_TAG, SETUP_TAG, TIME_TAG} & set(_tags(c))]
    badge = _cell("markdown", "course-badge", badge_source(rel_path, config), BADGE_TAG, "skip")
    setup = _cell("code", "course-setup", setup_source(config), SETUP_TAG, "skip")
    first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    for cell in cells[:first_code]:
        if cell["cell_type"] == "markdown":
            cell["source"] = OLD_TIME_LINE.sub("", source_text(cell))
    meta = nb.get("metadata", {}).get("course", {})
    if {"time_full_units", "time_quick_units"} <= set(meta):
        cells.insert(first_code, _cell("markdown", "course-time", time_line(meta), TIME_TAG, "notes"))
        first_code += 1
    cells.insert(first_code, setup)
    cells.insert(0, badge)
    nb["cells"] = cells
    if nb.get("nbformat_minor", 0) < 5:  # cell ids need nbformat 4.5
        nb["nbformat_minor"] = 5
    return _node(nb)


def _node(nb: dict[str, Any]) -> Any:
    """A NotebookNode (attribute access, what nbformat.write expects) when nbformat is there."""
    try:
        import nbformat
    except ModuleNotFoundError:  # pragma: no cover
        return nb
    return nbformat.from_dict(nb)


# ---------------------------------------------------------------- slides

def slide_problems(nb: dict[str, Any], name: str | None = None) -> list[str]:
    """Every cell needs a slide type; a slide must fit (CONTRIBUTING.md, 'Slides'): at most
    ``MAX_LINES`` lines per cell, and code lines of at most ``MAX_CODE_LINE_CHARS`` characters,
    except in 'skip' and 'notes' cells. ``name`` (the notebook's file name) prefixes each message."""
    problems = []
    prefix = f"{name}: " if name else ""
    for i, cell in enumerate(nb["cells"]):
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        where = f"{prefix}cell {i} ({cell['cell_type']}, {_first_line(cell)!r})"
        if kind not in SLIDE_TYPES:
            problems.append(f"{where}: metadata.slideshow.slide_type is {kind!r}, "
                            f"expected one of {sorted(SLIDE_TYPES)}")
            continue
        if kind in FREE_LENGTH_TYPES:
            continue
        limit = MAX_LINES.get(cell["cell_type"])
        lines = source_text(cell).rstrip("\n").splitlines()
        if limit and len(lines) > limit:
            problems.append(f"{where}: {len(lines)} lines, more than {limit} fit on a slide "
                            f"(split the cell, or make it 'skip'/'notes')")
        if cell["cell_type"] == "code":
            for n, line in enumerate(lines, start=1):
                if len(line) > MAX_CODE_LINE_CHARS:
                    problems.append(f"{prefix}cell {i} line {n}: {len(line)} characters, more than "
                                    f"{MAX_CODE_LINE_CHARS} fit on a slide (break the line): "
                                    f"{line[:40]!r}...")
    return problems


def source_text(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _first_line(cell: dict[str, Any]) -> str:
    lines = source_text(cell).strip().splitlines()
    return lines[0][:50] if lines else ""


# ---------------------------------------------------------------- student edition

class SolutionBlockError(ValueError):
    """A BEGIN/END SOLUTION pair that does not match."""


def solution_blocks(source: str) -> list[tuple[int, int]]:
    """(begin_line, end_line) index pairs of the solution blocks in ``source``."""
    blocks, start = [], None
    for i, line in enumerate(source.splitlines()):
        s = line.strip()
        if s == BEGIN:
            if start is not None:
                raise SolutionBlockError(f"line {i + 1}: {BEGIN} inside another block")
            start = i
        elif s == END:
            if start is None:
                raise SolutionBlockError(f"line {i + 1}: {END} without {BEGIN}")
            if _indent(line) != _indent(source.splitlines()[start]):
                raise SolutionBlockError(f"line {i + 1}: {END} not at the indentation of its {BEGIN}")
            blocks.append((start, i))
            start = None
    if start is not None:
        raise SolutionBlockError(f"line {start + 1}: {BEGIN} without {END}")
    return blocks


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _top_level_stub(body: list[str]) -> list[str]:
    """Each ``name = ...`` assignment of a top-level block becomes ``name = ...`` (an Ellipsis)."""
    text = "\n".join(body)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    out = []
    if tree is not None:
        for stmt in tree.body:
            targets = (stmt.targets if isinstance(stmt, ast.Assign)
                       else [stmt.target] if isinstance(stmt, ast.AnnAssign) else [])
            for target in targets:
                if isinstance(target, ast.Name):
                    out.append(f"{target.id} = ...")
                elif isinstance(target, (ast.Tuple, ast.List)) and all(
                        isinstance(e, ast.Name) for e in target.elts):
                    out.append(", ".join(e.id for e in target.elts) + " = "
                               + ", ".join("..." for _ in target.elts))
    else:  # not plain Python (a magic?): fall back to one line at a time
        for line in body:
            m = re.match(r"\s*([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)", line)
            if m:
                out.append(f"{m.group(1)} = ...")
    seen, unique = set(), []
    for line in out:
        if line not in seen:
            seen.add(line)
            unique.append(line)
    return unique


def studentize_source(source: str) -> tuple[str, int]:
    """Replace each solution block by its stub; return the new source and the number of blocks."""
    lines = source.splitlines()
    blocks = solution_blocks(source)
    if not blocks:
        return source, 0
    out: list[str] = []
    prev = 0
    for begin, end in blocks:
        out += lines[prev:begin]
        indent = _indent(lines[begin])
        if indent:
            out.append(indent + STUB_RAISE)
        else:
            out.append("# Your turn: replace each ... with your code.")
            out += _top_level_stub(lines[begin + 1:end])
        prev = end + 1
    out += lines[prev:]
    return "\n".join(out) + ("\n" if source.endswith("\n") else ""), len(blocks)


def student_edition(nb: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The student edition of a notebook: stubs instead of solutions, the answers to the written
    questions (cells tagged ``answer``) left out, no outputs, metadata kept."""
    nb = copy.deepcopy(nb)
    nb["cells"] = [c for c in nb["cells"] if ANSWER_TAG not in _tags(c)]
    total = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        cell["source"], n = studentize_source(source_text(cell))
        total += n
        cell["outputs"] = []
        cell["execution_count"] = None
    return _node(nb), total


def count_solution_blocks(nb: dict[str, Any]) -> int:
    return sum(len(solution_blocks(source_text(c))) for c in nb["cells"] if c["cell_type"] == "code")


def output_text(nb: dict[str, Any]) -> str:
    """All text the executed notebook printed (stream and text/plain outputs)."""
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(source_text({"source": out.get("text", "")}))
            elif "data" in out and "text/plain" in out["data"]:
                parts.append(source_text({"source": out["data"]["text/plain"]}))
    return "\n".join(parts)
