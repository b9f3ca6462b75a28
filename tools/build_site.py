"""Build the executed course as a website (``make site``) with Sphinx, MyST-NB and the book theme.

The pages are the executed notebooks the test run saved (``build/executed``, see conftest.py and
``make executed``); nothing runs again. The site has the lessons in order in a sidebar, Sphinx's
full-text search, Colab and Binder launch buttons on each lesson (from course.toml), an index with
each lesson's objectives and time (minutes on a typical laptop, from the notebook metadata, with
``delivery.time_line``), the slide decks when ``make slides`` has built them, and the results of
``make bench`` when it has run. It is built offline: MathJax comes from ``make vendor``, widget
state and the Colab-only cells are left out, and no page asks another host for anything.
Usage: ``python tools/build_site.py --executed build/executed --out build/site``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import delivery
import fetch_web_assets
import nbformat

TITLE = "Deep learning for computer vision"
SITE_ONLY_DROPPED = {delivery.BADGE_TAG, delivery.SETUP_TAG}   # the theme's launch buttons replace them
CONF = '''# Written by tools/build_site.py: Sphinx with MyST-NB and the book theme, offline.
project = {title!r}
author = "the course's contributors"
html_title = {title!r}
extensions = ["myst_nb"]
myst_enable_extensions = ["dollarmath", "amsmath"]
nb_execution_mode = "off"          # the executed notebooks of the test run, as they are
nb_ipywidgets_js = {{}}              # no widget renderer from a CDN (widget state is left out)
html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"   # local MathJax 2 (make vendor)
myst_update_mathjax = False        # MyST's settings are MathJax 3's; these are MathJax 2's
mathjax2_config = {{"tex2jax": {{"processClass": "tex2jax_process|mathjax_process|math|output_area",
                                "ignoreClass": "tex2jax_ignore|mathjax_ignore"}}}}
html_copy_source = False
html_show_sourcelink = False
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["misc.highlighting_failure", "mystnb.unknown_mime_type"]
html_theme_options = {{
    "repository_url": {url!r},
    "repository_branch": {branch!r},
    "path_to_docs": "notebooks",
    "use_repository_button": True,
    "launch_buttons": {{"colab_url": "https://colab.research.google.com",
                       "binderhub_url": {hub!r}, "notebook_interface": "jupyterlab"}},
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
}}
'''


def lesson_info(path: Path, slides_dir: Path | None) -> dict[str, Any]:
    """Title, objectives, time line and slide deck of one executed lesson."""
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("course", {})
    heading = next((line[2:].strip() for c in nb.cells if c.cell_type == "markdown"
                    for line in c.source.splitlines() if line.startswith("# ")), None)
    deck = slides_dir / f"{path.stem}.slides.html" if slides_dir else None
    return {"stem": path.stem, "title": heading or meta.get("title", path.stem), "objectives": meta.get("objectives", []),
            "time": delivery.time_line(meta) if "time_full_units" in meta else "",
            "slides": f"../slides/{deck.name}" if deck and deck.exists() else None}


def index_md(lessons: list[dict[str, Any]], with_results: bool) -> str:
    """The home page: what the course is, then each lesson with its objectives and time."""
    parts = [f"# {TITLE}\n",
             ("An open course taught as an ordered series of Jupyter notebooks (Keras 3 on TensorFlow), "
              "executed here as they run on a laptop's CPU, in quick mode. Each lesson opens on Colab or "
              "Binder from the rocket button at the top of its page; the search box finds any word of "
              "any lesson. Times are minutes on a typical laptop: `make speed` estimates them on yours.\n")]
    for lesson in lessons:
        slides = f' · <a href="{lesson["slides"]}">slides</a>' if lesson["slides"] else ""
        parts.append(f"## [{lesson['title']}]({lesson['stem']}.ipynb)\n\n{lesson['time']}{slides}\n\n"
                     + "".join(f"- {objective}\n" for objective in lesson["objectives"]))
    toc = [lesson["stem"] for lesson in lessons] + (["results"] if with_results else [])
    parts.append("```{toctree}\n:hidden:\n:maxdepth: 1\n\n" + "\n".join(toc) + "\n```\n")
    return "\n".join(parts)


def site_notebook(path: Path) -> nbformat.NotebookNode:
    """The executed lesson without its widget state and Colab-only cells."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    nb.cells = [c for c in nb.cells if not SITE_ONLY_DROPPED & set(c.metadata.get("tags", []))]
    return nb


def write_sources(executed: Path, src: Path, vendor: Path, bench_md: Path, slides_dir: Path | None,
                  only_current: bool = True) -> list[dict[str, Any]]:
    """The Sphinx source folder: conf.py, index.md, one notebook per lesson, results.md, _static."""
    lessons_now = {p.name for p in delivery.notebooks()}
    # only lessons still in notebooks/ (a renamed lesson leaves a stale executed copy behind)
    paths = [p for p in delivery.notebooks(executed) if not only_current or p.name in lessons_now]
    if not paths:
        sys.exit(f"build_site: no executed notebooks in {executed} (run `make executed`)")
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    web = fetch_web_assets.fetch(vendor)
    shutil.copytree(web / "mathjax", src / "_static" / "mathjax")
    config = delivery.load_config()
    repo = config["repository"]
    (src / "conf.py").write_text(CONF.format(
        title=TITLE, url=repo["url"], branch=repo.get("branch", "main"),
        hub=config.get("binder", {}).get("hub", delivery.DEFAULT_BINDERHUB)), encoding="utf-8")
    for path in paths:
        nbformat.write(site_notebook(path), src / path.name)
    lessons = [lesson_info(p, slides_dir) for p in paths]
    if bench_md.exists():
        (src / "results.md").write_text("# Results of `make bench`\n\n" + bench_md.read_text(encoding="utf-8"),
                                        encoding="utf-8")
    (src / "index.md").write_text(index_md(lessons, bench_md.exists()), encoding="utf-8")
    return lessons


def build(executed: Path, out: Path, vendor: Path, bench_md: Path, slides_dir: Path | None,
          only_current: bool = True) -> Path:
    """Write the Sphinx sources next to ``out`` (``<out>-src``) and build the HTML site into ``out``."""
    src = out.with_name(out.name + "-src")
    write_sources(executed, src, vendor, bench_md, slides_dir, only_current)
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", "-d", str(src / "_doctrees"),
           str(src), str(out)]
    if subprocess.run(cmd, check=False).returncode != 0:
        sys.exit(f"build_site: sphinx-build failed ({' '.join(cmd[2:])})")
    index = out / "index.html"
    print(index)
    return index


def main(argv: list[str] | None = None) -> int:
    parser = delivery.build_arguments(__doc__, "site")
    parser.add_argument("--bench", type=Path, default=delivery.ROOT / "build" / "bench.md")
    parser.add_argument("--slides", type=Path, default=delivery.ROOT / "build" / "slides")
    args = parser.parse_args(argv)
    build(args.executed, args.out, args.vendor, args.bench, args.slides)
    return 0


if __name__ == "__main__":
    sys.exit(main())
