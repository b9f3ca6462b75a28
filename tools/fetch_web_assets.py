"""Fetch the offline web assets of the slides and the site (``make vendor``).

reveal.js 4.6.1 (not 6.x: the nbconvert template expects the 4.x layout), require.js, jQuery and
MathJax 2 come from the npm registry with ``npm install --prefix build/vendor/npm``; only what the
pages load is copied to ``build/vendor/web/`` (MathJax: the TeX-AMS_CHTML-full configuration,
CommonHTML output and TeX web fonts, about 5 MB instead of 73 MB). Mermaid is not shipped: a stub
module stands in so that no page asks a CDN for it.
Usage: ``python tools/fetch_web_assets.py [build/vendor]``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES = ["reveal.js@4.6.1", "requirejs@2.3.7", "jquery@3.7.1", "mathjax@2.7.9"]
MATHJAX_PARTS = ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions",
                 "jax/input/TeX", "jax/output/CommonHTML", "jax/element", "fonts/HTML-CSS/TeX/woff"]
MERMAID_STUB = ("// Mermaid is not shipped offline: a stand-in so no page asks a CDN for it.\n"
                "export default { initialize() {}, run() {}, registerLayoutLoaders() {} };\n")
# A local stand-in for Colab's badge image, so the site asks no other host for it.
COLAB_BADGE = ('<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20" role="img" '
               'aria-label="Open In Colab"><rect width="117" height="20" rx="3" fill="#555"/>'
               '<rect x="20" width="97" height="20" rx="3" fill="#f9ab00"/>'
               '<text x="6" y="14" fill="#fff" font-family="sans-serif" font-size="11">CO</text>'
               '<text x="26" y="14" fill="#fff" font-family="sans-serif" font-size="11">Open in Colab</text></svg>\n')
# Paths (relative to a page's asset folder) that the nbconvert options point at.
URLS = {
    "reveal_url_prefix": "reveal.js",
    "require_js_url": "require.min.js",
    "jquery_url": "jquery.min.js",
    "mathjax_url": "mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "mermaid_js_url": "mermaid-stub.mjs",
}
STAMP = ".done-" + "-".join(p.split("@")[1] for p in PACKAGES)  # bump to re-copy: the Makefile names it


def fetch(vendor: Path, force: bool = False) -> Path:
    """Install the npm packages under ``vendor/npm`` and copy the trimmed assets to ``vendor/web``
    (done once: later calls reuse them unless ``force``)."""
    web = vendor / "web"
    if not force and (vendor / STAMP).exists() and web.is_dir():
        return web
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("make vendor: npm not found - install Node.js 18+ with npm (Debian: apt-get install npm), "
                 "it fetches reveal.js, require.js, jQuery and MathJax for offline slides")
    prefix = vendor / "npm"
    prefix.mkdir(parents=True, exist_ok=True)
    cmd = [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--no-save",
           "--loglevel=error", *PACKAGES]
    print(" ".join(cmd[1:]), flush=True)
    if subprocess.run(cmd, check=False).returncode != 0:
        sys.exit("make vendor: `npm install` failed (is the npm registry reachable?)")
    modules = prefix / "node_modules"
    shutil.rmtree(web, ignore_errors=True)
    web.mkdir(parents=True)
    reveal = modules / "reveal.js"
    shutil.copytree(reveal / "dist", web / "reveal.js" / "dist", ignore=shutil.ignore_patterns("*.map", "*.esm.js"))
    shutil.copytree(reveal / "plugin" / "notes", web / "reveal.js" / "plugin" / "notes")
    for css in (web / "reveal.js" / "dist" / "theme").glob("*.css"):  # themes @import Google Fonts
        text = css.read_text(encoding="utf-8")
        css.write_text(re.sub(r"@import url\((['\"]?)https?://[^)]*\1\);?", "", text), encoding="utf-8")
    shutil.copy(reveal / "LICENSE", web / "reveal.js" / "LICENSE")
    shutil.copy(modules / "requirejs" / "require.js", web / "require.min.js")
    shutil.copy(modules / "jquery" / "dist" / "jquery.min.js", web / "jquery.min.js")
    for part in MATHJAX_PARTS:
        src, dst = modules / "mathjax" / part, web / "mathjax" / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    shutil.copy(modules / "mathjax" / "LICENSE", web / "mathjax" / "LICENSE")
    (web / "mermaid-stub.mjs").write_text(MERMAID_STUB, encoding="utf-8")
    (web / "colab-badge.svg").write_text(COLAB_BADGE, encoding="utf-8")
    for old in vendor.glob(".done-*"):
        old.unlink()
    (vendor / STAMP).touch()
    return web


def install_into(page_dir: Path, vendor: Path, name: str = "_static") -> dict[str, str]:
    """Copy the assets next to the pages (so the folder works on its own, offline) and return
    the nbconvert options, relative to ``page_dir``."""
    web = fetch(vendor)
    target = page_dir / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(web, target)
    return {key: f"{name}/{value}" for key, value in URLS.items()}


if __name__ == "__main__":
    folder = fetch(Path(sys.argv[1] if len(sys.argv) > 1 else "build/vendor"), force=True)
    print(f"offline web assets in {folder}")
