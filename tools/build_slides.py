"""Write the static slide decks ``build/slides/NN_*.slides.html`` from the executed notebooks.

reveal.js, require.js, jQuery and MathJax are copied into ``build/slides/_static`` (see
fetch_web_assets.py), so the folder opens in a browser with no network. ``make slides`` runs it
after ``make executed`` (each notebook is executed once, for the site and the slides).
Usage: ``python tools/build_slides.py --executed build/executed --out build/slides``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import delivery
import fetch_web_assets
import nbformat
from nbconvert import SlidesExporter

# Code and output wrap instead of running off the right edge of a slide (a safety net: the
# notebooks keep code lines to 100 characters, see CONTRIBUTING.md 'Slides').
WRAP_STYLE = """<style id="course-wrap">
.reveal pre, .reveal pre code, .reveal .jp-OutputArea-output pre {
  white-space: pre-wrap; word-break: break-word; overflow-wrap: anywhere;
}
</style>
"""


def add_wrap_style(html: str) -> str:
    """Insert ``WRAP_STYLE`` just before ``</head>`` (once; a page with no head is left alone)."""
    if 'id="course-wrap"' in html or "</head>" not in html:
        return html
    return html.replace("</head>", WRAP_STYLE + "</head>", 1)


def build(executed: Path, out: Path, vendor: Path, only_current: bool = True) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    urls = fetch_web_assets.install_into(out, vendor)
    exporter = SlidesExporter(reveal_url_prefix=urls["reveal_url_prefix"],
                              require_js_url=urls["require_js_url"], jquery_url=urls["jquery_url"],
                              mathjax_url=urls["mathjax_url"], mermaid_js_url=urls["mermaid_js_url"],
                              reveal_scroll=True)
    written = []
    lessons_now = {p.name for p in delivery.notebooks()}
    # only lessons still in notebooks/ (a renamed lesson leaves a stale executed copy behind)
    paths = [p for p in delivery.notebooks(executed) if not only_current or p.name in lessons_now]
    if not paths:
        sys.exit(f"build_slides: no executed notebooks in {executed} (run `make executed`)")
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nb.metadata.pop("widgets", None)  # widget state would load its renderer from a CDN
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        target = out / f"{path.stem}.slides.html"
        target.write_text(add_wrap_style(body), encoding="utf-8")
        written.append(target)
        print(target)
    return written


def main(argv: list[str] | None = None) -> int:
    args = delivery.build_arguments(__doc__, "slides").parse_args(argv)
    build(args.executed, args.out, args.vendor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
