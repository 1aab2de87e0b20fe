"""The "Explain a prediction" panel in a browser: the owner starts an explanation, watches it finish, sees the
four plots side by side with the predictions as numbers, brushes a mask and reads the teacher's answer; a share
link shows the same explanation but cannot start one. Sizes in px, numbers and the console are measured."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import TINY_JOB, wait_for
from tests.e2e.conftest import OWNER_TOKEN, console_errors

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

_NUMBER = re.compile(r"^-?\d+(\.\d+)?(e[-+]?\d+)?$")


@pytest.fixture(scope="module")
def finished_job(web_server):
    api = httpx.Client(base_url=web_server, headers={"Authorization": f"Bearer {OWNER_TOKEN}"}, timeout=30)
    dataset = api.post("/api/examples/synthetic", json={"n": 200}).json()
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY_JOB, "seed": 21}).json()
    final = wait_for(lambda: (lambda b: b if b["state"] in ("succeeded", "failed") else None)(
        api.get(f"/api/jobs/{job['id']}").json()), timeout=240, what="the job")
    assert final["state"] == "succeeded", final["error"]
    token = api.post(f"/api/jobs/{job['id']}/share", json={}).json()["token"]
    return job["id"], token


def _text_has(selector, *words):
    """A wait_for_function expression: the element exists and its text has one of ``words``."""
    tests = " || ".join(f"t.includes({w!r})" for w in words)
    return f"(() => {{ const e = document.querySelector({selector!r}); const t = e ? e.innerText : ''; return {tests}; }})()"


def _plot_size(page, graph_id):
    return page.evaluate("""(id) => {
        const el = document.querySelector('#' + id + ' .js-plotly-plot') || document.getElementById(id);
        const box = el.getBoundingClientRect();
        const svg = el.querySelector('.main-svg');
        return [Math.round(box.width), Math.round(box.height), svg ? parseFloat(svg.getAttribute('height')) : 0,
                el.querySelectorAll('.subplot').length || el.querySelectorAll('.xy').length];
    }""", graph_id)


def _wait_for_plot(page, graph_id, min_height=300):
    """Until the graph's plot and its SVG are at least ``min_height`` px tall (drawn, not a placeholder)."""
    page.wait_for_function("""([id, h]) => {
        const el = document.querySelector('#' + id + ' .js-plotly-plot') || document.getElementById(id);
        const svg = el && el.querySelector('.main-svg');
        return el && svg && el.getBoundingClientRect().height >= h && parseFloat(svg.getAttribute('height')) >= h;
    }""", arg=[graph_id, min_height])


def test_owner_explains_and_share_link_only_views(web_server, browser, owner_context, screenshot, finished_job):
    job_id, token = finished_job
    page = owner_context().new_page()
    page.set_default_timeout(120_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/results/{job_id}")
    page.locator("#explain-panel").wait_for()
    page.wait_for_function("(() => { const b = document.querySelector('#explain-start'); return b && !b.disabled; })()")
    page.fill("#explain-example", "3")
    page.click("#explain-start")
    page.wait_for_function(_text_has("#explain-status", "Done"))
    # a screen reader hears the end, once (review 22: the status line had no live region)
    assert page.get_attribute("#explain-announce", "aria-live") == "polite"
    assert page.locator("#explain-announce").text_content().startswith("Explanation done: the mask kept")
    # the list of this result's explanations names the one shown, no longer as queued
    page.wait_for_function(_text_has("#explain-list", "example 3"))
    listed = page.inner_text("#explain-list")
    assert "none yet" not in listed and "queued" not in listed and "running" not in listed, listed
    page.locator("#explain-panel").scroll_into_view_if_needed()
    _wait_for_plot(page, "explain-graph")
    width, height, svg_height, subplots = _plot_size(page, "explain-graph")
    assert width >= 800 and height >= 300 and svg_height >= 300, (width, height, svg_height)
    titles = page.eval_on_selector_all("#explain-graph .annotation-text", "els => els.map(e => e.textContent)")
    assert any(t.startswith("input:") for t in titles) and any(t.startswith("pixel mask:") for t in titles), titles
    numbers = {name: page.inner_text(f"#explain-pred-{name}").strip() for name in ("full", "cartoon", "true")}
    assert all(_NUMBER.match(v) for v in numbers.values()), numbers
    assert re.match(r"^-?[\d.e+-]+ ± [\d.e+-]+$", page.inner_text("#explain-pred-noise").strip())
    assert f"input: {numbers['full']}" in titles
    screenshot(page, "explain-01-owner")

    # draw your own mask: a box over the middle of the input
    width_d, height_d, _, _ = _plot_size(page, "explain-draw-graph")
    assert width_d >= 400 and height_d >= 280
    # in view first: a box dragged below the window's edge draws nothing (the panel grew by a line of help)
    page.locator("#explain-draw-graph").scroll_into_view_if_needed()
    box = page.locator("#explain-draw-graph .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.05 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.7 * box["width"], box["y"] + 0.95 * box["height"], steps=8)
    page.mouse.up()
    page.wait_for_function(_text_has("#explain-draw-result", "expected output"))
    said = page.inner_text("#explain-draw-result")
    kept = float(re.search(r"keeps ([\d.]+) %", said).group(1))
    assert 25 <= kept <= 55, said
    assert "the teacher's expected output" in said, said  # the explanation shown is the teacher's
    screenshot(page, "explain-02-drawn")
    # the same by keyboard (review 22: the box tool took the mouse): the box filled the form in, and typed numbers
    # are evaluated with Enter on the button; numbers out of range are named
    drawn = int(page.input_value("#explain-keep-from")), int(page.input_value("#explain-keep-to"))
    assert 0 < drawn[0] < drawn[1] < 63, drawn
    assert not page.locator("#explain-rows-from").is_visible()  # a series has no rows to keep
    page.fill("#explain-keep-from", "0")
    page.fill("#explain-keep-to", "15")
    page.focus("#explain-keep-apply")
    page.keyboard.press("Enter")
    page.wait_for_function(_text_has("#explain-draw-result", "keeps 25.0 %"))
    # the typed box is drawn in place of the box drawn before, and the answer sits above the graph, in view
    page.wait_for_function("document.querySelectorAll('#explain-draw-graph .shapelayer path').length === 1")
    answer, drawing = (page.locator(f"#{i}").bounding_box() for i in ("explain-draw-result", "explain-draw-graph"))
    assert answer["y"] + answer["height"] <= drawing["y"] + 1, (answer, drawing)
    screenshot(page, "explain-02b-typed")
    page.fill("#explain-keep-to", "99")
    page.click("#explain-keep-apply")
    page.wait_for_function(_text_has("#explain-draw-result", "from 0 to 63"))
    # each band's kept share, and the figure as SVG too, named after the run (review 22)
    assert "Kept per band (mask ≥ 0.5)" in page.inner_text("#explain-bands")
    assert page.locator("#explain-bands td").count() >= 5
    svg = page.locator("#explain-downloads a", has_text="figure (SVG)")
    assert svg.get_attribute("download").startswith(f"awd-{job_id[:8]}-explanation-")
    assert httpx.get(web_server + svg.get_attribute("href"), timeout=30,
                     headers={"Authorization": f"Bearer {OWNER_TOKEN}"}).text.lstrip().startswith("<?xml")

    # pressing again with the same settings comes from the cache
    page.click("#explain-start")
    page.wait_for_function(_text_has("#explain-status", "cache", "Done"))
    assert page.locator("#explain-list").inner_text().count("example 3") <= 1
    # after a reload the form shows the settings of the explanation shown (it read example 0)
    page.reload()
    page.wait_for_function(_text_has("#explain-status", "Done"))
    assert page.input_value("#explain-example") == "3" and page.input_value("#explain-model") == "teacher"
    assert not errors, errors

    shared = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    shared_errors = console_errors(shared)
    shared.set_default_timeout(60_000)
    shared.goto(f"{web_server}/results/{token}")
    shared.locator("#explain-panel").wait_for()
    shared.wait_for_timeout(3000)
    screenshot(shared, "explain-03-shared-loading")
    shared.wait_for_function(_text_has("#explain-status", "Done"))
    assert shared.locator("#explain-start").is_disabled() and not shared.locator("#explain-start").is_visible()
    assert not shared.locator("#explain-example").is_visible()  # no form the reader cannot use (review 26B)
    assert "only the owner can start" in shared.inner_text("#explain-read-only")
    assert shared.inner_text("#explain-pred-full").strip() == numbers["full"]
    shared.locator("#explain-panel").scroll_into_view_if_needed()
    _wait_for_plot(shared, "explain-graph")
    assert _plot_size(shared, "explain-graph")[1] >= 300
    assert not shared.locator("#explain-draw").is_visible()
    screenshot(shared, "explain-03-shared")
    assert not shared_errors, shared_errors
    shared.context.close()
