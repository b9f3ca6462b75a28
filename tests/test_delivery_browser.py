"""The delivered course in a real browser: Debian's Chromium, headless, no network, driven by
Playwright (`executable_path=/usr/bin/chromium`, no browser download).

- a static slide deck from `make slides` renders reveal.js slides (sections, maths, a screenshot
  that is not blank) without a single request to another host;
- every slide of every static deck fits the slide reveal.js lays out (its configured height),
  so nothing runs off the bottom of the screen at 1280x800;
- the site from `make site` (Sphinx, MyST-NB, book theme): its sidebar leads from each lesson to the
  next, a search for 'Grad-CAM' finds lesson 08, each lesson has its Colab and Binder launch links,
  and no page asks another host for anything (COURSE_SITE_DIR: a site built elsewhere);
- `make lab` starts JupyterLab on localhost: a notebook opens, its first cells run, and its RISE
  slide view ("Render as slides", jupyterlab-rise) typesets LaTeX; then the server is stopped by
  its PID and the notebook file is unchanged.

Run by `make test` and `make test-browser` (both build the site and slides and install Chromium first);
marked `browser`, so `make check` leaves it out. Screenshots go to build/browser/
The decks are read from build/slides, or from COURSE_SLIDES_DIR when it is set (decks built elsewhere:
`python tools/build_slides.py --executed build/executed --out /tmp/slides`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser    # `make test` and `make test-browser` run it; `make check` leaves it out

ROOT = Path(__file__).resolve().parent.parent
import delivery

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
SHOTS = ROOT / "build" / "browser"
LAB_RUN_TIMEOUT_MS = int(os.environ.get("LAB_RUN_TIMEOUT_S", "300")) * 1000
LOCAL = ("file:", "data:", "blob:", "about:", "http://127.0.0.1", "ws://127.0.0.1")
SLIDES = Path(os.environ.get("COURSE_SLIDES_DIR") or ROOT / "build" / "slides")


def _chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        pytest.fail("Chromium not found: install it with `bash tools/install_system_tools.sh chromium` "
                    "(as root, or `sudo apt-get install chromium`), then run `make test-browser` again")
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    p = context.new_page()
    p.external = []
    p.on("request", lambda r: None if r.url.startswith(LOCAL) else p.external.append(r.url))
    yield p
    context.close()


def _not_blank(png: Path) -> None:
    from PIL import Image

    img = Image.open(png).convert("RGB")
    grey = img.convert("L")
    low, high = grey.getextrema()
    colours = len(img.getcolors(maxcolors=1 << 20) or [])
    assert high - low > 100 and colours > 10, f"{png.name} looks blank ({colours} colours, grey {low}-{high})"


def _decks() -> list[Path]:
    decks = sorted(SLIDES.glob("[0-9][0-9]_*.slides.html"))
    assert decks, f"no slide decks in {SLIDES} - run `make slides`"
    return decks


# Visits every slide through reveal.js' own API (the module require.js loaded for the deck), waits
# for MathJax, and lists the slides whose content is taller than the configured slide height.
TOO_TALL_JS = r"""async () => {
  const Reveal = require("_static/reveal.js/dist/reveal.js");
  const limit = Reveal.getConfig().height;
  const settle = () => new Promise(done => {
    const frames = () => requestAnimationFrame(() => requestAnimationFrame(done));
    if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(frames); } else { frames(); }
  });
  const tall = [];
  for (const slide of Reveal.getSlides()) {
    const at = Reveal.getIndices(slide);
    Reveal.slide(at.h, at.v, Number.MAX_SAFE_INTEGER);  // every fragment shown
    await settle();
    if (slide.scrollHeight > limit) {
      const heading = slide.querySelector("h1, h2, h3");
      const text = (heading ? heading.textContent : slide.textContent).replace(/\u00b6/g, "");
      tall.push({h: at.h, v: at.v, height: slide.scrollHeight, limit: limit,
                 what: text.trim().replace(/\s+/g, " ").slice(0, 60)});
    }
  }
  return tall;
}"""


def test_every_slide_fits_the_screen(page):
    problems = []
    for deck in _decks():
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        for s in page.evaluate(TOO_TALL_JS):
            problems.append(f"{deck.name}: slide {s['h'] + 1}.{s['v'] + 1} ({s['what']!r}) is {s['height']} px "
                            f"tall, the slide {s['limit']} px")
    assert not problems, "slides taller than the screen:\n" + "\n".join(problems)


def test_static_slide_deck_renders_offline(page):
    decks = _decks()
    deck = decks[0]
    page.goto(deck.as_uri())
    page.wait_for_selector(".reveal.ready", timeout=30_000)
    sections = page.locator(".reveal .slides section").count()
    assert sections >= 3, f"{deck.name}: reveal.js rendered {sections} slides"
    if "$" in deck.read_text(encoding="utf-8"):
        page.wait_for_function("document.querySelectorAll('.MathJax_CHTML, .mjx-chtml').length > 0",
                               timeout=30_000)
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(800)
    shot = SHOTS / "slides.png"
    page.screenshot(path=str(shot))
    _not_blank(shot)
    assert page.external == [], f"the deck asked the network for {page.external}"


SITE = Path(os.environ.get("COURSE_SITE_DIR") or ROOT / "build" / "site")


def _site_lessons() -> list[str]:
    stems = [p.stem for p in delivery.notebooks() if (SITE / f"{p.stem}.html").exists()]
    assert (SITE / "index.html").exists() and stems, f"no site in {SITE} - run `make site`"
    return stems


def test_site_sidebar_leads_from_each_lesson_to_the_next(page):
    stems = _site_lessons()
    if "COURSE_SITE_DIR" not in os.environ:
        assert stems == [p.stem for p in delivery.notebooks()], "the site must hold every lesson"
    page.goto((SITE / "index.html").as_uri())
    sidebar = page.locator(".bd-sidebar-primary nav a.reference.internal")
    hrefs = sidebar.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert [Path(h).stem for h in hrefs if h[:2].isdigit()] == stems
    for here, there in itertools.pairwise(stems):
        page.goto((SITE / f"{here}.html").as_uri())
        page.locator(".bd-sidebar-primary nav a.reference.internal", has_text=there[:2] + " ").first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith(f"/{there}.html"), (here, page.url)
        assert page.locator("h1").first.inner_text().startswith(there[:2])
    shot = SHOTS / "site_lesson.png"
    page.screenshot(path=str(shot))
    _not_blank(shot)
    assert page.external == [], f"the site asked the network for {page.external}"


def test_site_search_for_grad_cam_finds_lesson_08(page):
    _site_lessons()
    page.goto((SITE / "search.html").as_uri() + "?q=Grad-CAM")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=30_000)
    hrefs = results.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert any(h.split("?")[0].startswith("08_") for h in hrefs), hrefs
    assert page.external == [], f"the site asked the network for {page.external}"


def test_every_lesson_page_has_its_colab_and_binder_launch_links(page):
    config = delivery.load_config()
    for stem in _site_lessons():
        page.goto((SITE / f"{stem}.html").as_uri())
        hrefs = page.locator(".dropdown-launch-buttons a").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))")
        rel = f"notebooks/{stem}.ipynb"
        assert sorted(hrefs) == sorted([delivery.binder_url(rel, config), delivery.colab_url(rel, config)]), stem
    page.locator(".dropdown-launch-buttons button").first.click()
    page.locator(".dropdown-launch-buttons a", has_text="Colab").wait_for(state="visible")
    assert page.external == [], f"the site asked the network for {page.external}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab_server(tmp_path):
    """`make lab` on localhost with a token; yields (url, token); stops the server by its PID."""
    runtime, settings = tmp_path / "runtime", tmp_path / "settings"
    docmanager = settings / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True)
    (docmanager / "plugin.jupyterlab-settings").write_text('{"autosave": false}')  # never write the lesson
    token, port = "course-browser-test", _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    env.pop("MPLBACKEND", None)
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115 - the server writes to it until the fixture ends
    make = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_PORT={port}",
         f"LAB_ARGS=--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.token={token} --ServerApp.port_retries=0"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server_pid = None
    try:
        deadline = time.time() + 600  # includes `make setup`
        while server_pid is None:
            info = list(runtime.glob("jpserver-*.json"))
            if info:
                server_pid = json.loads(info[0].read_text())["pid"]
            elif make.poll() is not None or time.time() > deadline:
                pytest.fail(f"`make lab` did not start a server:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
            else:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", token
    finally:
        if server_pid is not None:
            os.kill(server_pid, signal.SIGTERM)  # the Jupyter server, by its PID
        try:
            make.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)  # the process group this fixture started
            make.wait()
        log.close()
        if server_pid is not None:
            with pytest.raises(ProcessLookupError):
                os.kill(server_pid, 0)


def test_make_lab_runs_the_first_cells_and_rise_renders_latex(browser, lab_server):
    url, token = lab_server
    path = delivery.notebooks()[0]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    nb = json.loads(path.read_text(encoding="utf-8"))
    code_at = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    n_run = code_at[1] + 1 if len(code_at) > 1 else code_at[0] + 1  # through the lesson's own set-up cell
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/lab/tree/{path.name}?token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
    # the toolbar indicator says 'idle' before any kernel exists; the status bar names the kernel
    page.wait_for_function("() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
                           ".some(e => /^(?!No Kernel).+\\| Idle$/.test(e.innerText.trim()))", timeout=120_000)
    page.locator(".jp-NotebookPanel .jp-Cell").first.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")  # command mode: Shift+Enter runs a cell and moves to the next
    for _ in range(n_run):
        page.keyboard.press("Shift+Enter")
    want = min(2, len(code_at))
    try:
        page.wait_for_function(
            "n => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
            ".filter(e => /\\[\\d+\\]/.test(e.innerText)).length >= n", arg=want, timeout=LAB_RUN_TIMEOUT_MS)
    except Exception:
        page.screenshot(path=str(SHOTS / "lab_failed.png"))
        raise
    page.wait_for_timeout(500)
    outputs = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
    assert "Traceback" not in outputs, f"a cell failed in JupyterLab:\n{outputs[-2000:]}"
    page.screenshot(path=str(SHOTS / "lab.png"))
    _not_blank(SHOTS / "lab.png")

    rise = context.new_page()
    rise.goto(f"{url}/rise/{path.name}?token={token}")
    rise.wait_for_selector(".reveal .slides section", timeout=120_000)
    assert rise.locator(".reveal .slides section").count() >= 3
    if any("$" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"):
        # jupyterlab-mathjax3 is flagged as outdated with JupyterLab 4.6; LaTeX must still typeset
        rise.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=60_000)
    rise.screenshot(path=str(SHOTS / "rise.png"))
    _not_blank(SHOTS / "rise.png")
    context.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "the lesson file was modified"
