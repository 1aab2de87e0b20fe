"""Browser-test fixtures: the real web app (uvicorn subprocess of ``backend.app:create_app``) on top of the
session's real Redis and Celery worker (``tests/conftest.py``), and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from awd_studio.serve import free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


#: The owner token of the browser tests' server (as `awd serve` would have made one).
OWNER_TOKEN = "e2e-owner-token-0123456789abcdef"


@pytest.fixture(scope="session")
def web_server(redis_server, workers, data_dir):
    """Base URL of the whole stack: uvicorn (API + Dash pages) with the session's Redis and worker, guarded by
    :data:`OWNER_TOKEN` like ``awd serve``."""
    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["AWD_API_TOKEN"] = OWNER_TOKEN
    log = open(data_dir / "web-e2e.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "awd_studio.backend.app:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the web server exited early; see {data_dir / 'web-e2e.log'}")
        try:
            if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the web server did not answer /api/health within 60 s")
        time.sleep(0.3)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(autouse=True)
def _worker_alive(request):
    """Every browser test that reaches the stack finds its worker running: a fault test that ran earlier in the
    same test process may have killed it (the scattering test once waited 240 s for a job no worker took)."""
    if "web_server" in request.fixturenames:
        request.getfixturevalue("workers").ensure_running()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium (skips when it is not installed: ``make browser`` installs it)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):  # `make test` installs it; in CI a missing browser must not hide the UI tests
            pytest.fail(f"{CHROMIUM} is missing although `make test` installs it (make browser)")
        pytest.skip(f"{CHROMIUM} is missing; run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def owner_context(browser, web_server):
    """``owner_context(**options)`` -> a browser context that opened the owner's link (it holds the cookie)."""
    contexts = []

    def make(**options):
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
        page = context.new_page()
        page.goto(f"{web_server}/?token={OWNER_TOKEN}")
        page.locator("#home-dropzone").wait_for()
        page.close()
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def console_errors(page) -> list:
    """Collect the page's errors (uncaught exceptions and console errors) into the returned list."""
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "WebSocket" not in m.text else None)
    return errors


def assert_drawn(page, min_height: int = 200, settle: float = 3.0) -> dict:
    """Wait ``settle`` seconds, then check that every plot on the page is drawn at least ``min_height`` px tall
    (its box and its SVG) and at least 200 px wide. Returns ``{graph id: (width, height)}``.

    A plot that exists in the DOM but collapsed to a few pixels fails here.
    """
    page.wait_for_timeout(int(settle * 1000))
    sizes = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
        .filter(el => el.offsetParent !== null)
        .map(el => {
            const box = el.getBoundingClientRect();
            const svg = el.querySelector('.main-svg');
            const id = (el.closest('[id]') || el).id;
            return [id, Math.round(box.width), Math.round(box.height),
                    svg ? parseFloat(svg.getAttribute('height')) : 0];
        })""")
    assert sizes, "no plot is visible on this page"
    small = [s for s in sizes if s[1] < 200 or s[2] < min_height or s[3] < min_height]
    assert not small, f"plots drawn smaller than {min_height} px (id, width, height, svg height): {small}"
    return {s[0]: (s[1], s[2]) for s in sizes}


def assert_cards_apart(page) -> int:
    """Check that no two visible cards on the page overlap or touch (nested cards aside): cards above one another
    keep at least 8 px between them. Returns how many cards were checked.

    A full-height card (``h-100``) with its own bottom margin overflows its column, and the next card's header
    sat on its bottom edge.
    """
    overlaps = page.evaluate("""() => {
        const cards = Array.from(document.querySelectorAll('.card')).filter(el => el.offsetParent !== null);
        const boxes = cards.map(el => [el, el.getBoundingClientRect()]);
        const found = [];
        for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const [a, ra] = boxes[i], [b, rb] = boxes[j];
            if (a.contains(b) || b.contains(a)) continue;
            const dx = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
            const dy = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
            if (dx > 1 && dy > -8) found.push([a.innerText.slice(0, 40), b.innerText.slice(0, 40), Math.round(dy)]);
        }
        return [boxes.length, found];
    }""")
    count, found = overlaps
    assert not found, f"cards overlap or touch (first card, second card, px of overlap): {found}"
    return count


@pytest.fixture(scope="session")
def screenshot():
    """``screenshot(page, name)`` saves a full-page PNG under tests/artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
