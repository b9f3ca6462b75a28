"""Write the executed course as a static site: ``build/site/index.html`` + one page per lesson.

The index lists the lessons in order with their objectives and estimated times (notebook
metadata ``course``, in reference units, with minutes when ``make speed`` has measured the unit) and, when ``make bench`` has written it, the results table build/bench.md.
Pages are built from the executed notebooks (``make executed``); MathJax and require.js are
copied into ``build/site/_static`` so the site reads offline.
Usage: ``python tools/build_site.py --executed build/executed --out build/site``.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

import delivery
import fetch_web_assets
import nbformat
from nbconvert import HTMLExporter

from course_utils.speed import cached_reference

STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#222}h1{margin-bottom:0}.lesson{border-top:1px solid #ddd;padding:.6rem 0}
.lesson h2{margin:.2rem 0;font-size:1.25rem}.meta{color:#555;font-size:.9rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}"""


def minutes(seconds: float | None) -> str:
    if not seconds:
        return "?"
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def units(value: float | None) -> str:
    """A target in reference units, with minutes on this machine when ``make speed`` has measured it."""
    if not value:
        return "?"
    reference = cached_reference()
    return f"{value:g} units" + (f" (about {minutes(value * reference['seconds'])} here)" if reference else "")


def bench_html(bench_md: Path) -> str:
    if not bench_md.exists():
        return "<p>No benchmark yet: <code>make bench</code> runs every notebook in full mode and " \
               "writes <code>build/bench.md</code>, which then appears here.</p>"
    import mistune

    return mistune.create_markdown(plugins=["table"])(bench_md.read_text(encoding="utf-8"))


def index_html(lessons: list[dict], bench: str, mode: str) -> str:
    items = []
    for lesson in lessons:
        objectives = "".join(f"<li>{html.escape(o)}</li>" for o in lesson["objectives"])
        slides = (f' &middot; <a href="{lesson["slides"]}">slides</a>' if lesson.get("slides") else "")
        items.append(
            f'<div class="lesson"><h2><a href="{lesson["href"]}">{html.escape(lesson["title"])}</a></h2>'
            f'<div class="meta">{html.escape(lesson["stem"])} &middot; estimated time: '
            f'{units(lesson["time_quick_units"])} quick, {units(lesson["time_full_units"])} full'
            f' &middot; this build ran in {mode} mode in {minutes(lesson["ran_s"])}{slides}</div>'
            f"<ul>{objectives}</ul></div>")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Deep learning for computer vision"
            f"</title><style>{STYLE}</style></head><body><h1>Deep learning for computer vision</h1>"
            f"<p>The course, executed ({mode} mode). Lessons in order:</p>{''.join(items)}"
            f"<h1>Results</h1>{bench}</body></html>\n")


def build(executed: Path, out: Path, vendor: Path, bench_md: Path, slides_dir: Path | None,
          only_current: bool = True) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    urls = fetch_web_assets.install_into(out, vendor)
    exporter = HTMLExporter(template_name="lab", mathjax_url=urls["mathjax_url"],
                            require_js_url=urls["require_js_url"], mermaid_js_url=urls["mermaid_js_url"])
    lessons_now = {p.name for p in delivery.notebooks()}
    # only lessons still in notebooks/ (a renamed lesson leaves a stale executed copy behind)
    paths = [p for p in delivery.notebooks(executed) if not only_current or p.name in lessons_now]
    if not paths:
        sys.exit(f"build_site: no executed notebooks in {executed} (run `make executed`)")
    lessons, modes = [], set()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nb.metadata.pop("widgets", None)  # widget state would load its renderer from a CDN
        meta = nb.metadata.get("course", {})
        ran = nb.metadata.get(delivery.EXECUTED_KEY, {})
        modes.add(ran.get("mode", "?"))
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": meta.get("title", path.stem)}})
        body = body.replace(delivery.COLAB_BADGE_SVG, "_static/colab-badge.svg")  # no request to Google
        (out / f"{path.stem}.html").write_text(body, encoding="utf-8")
        slides = slides_dir / f"{path.stem}.slides.html" if slides_dir else None
        lessons.append({"stem": path.stem, "href": f"{path.stem}.html", "title": meta.get("title", path.stem),
                        "objectives": meta.get("objectives", []), "time_quick_units": meta.get("time_quick_units"),
                        "time_full_units": meta.get("time_full_units"), "ran_s": ran.get("seconds"),
                        "slides": (f"../slides/{slides.name}" if slides and slides.exists() else None)})
        print(out / f"{path.stem}.html")
    index = out / "index.html"
    index.write_text(index_html(lessons, bench_html(bench_md), "/".join(sorted(modes))), encoding="utf-8")
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
