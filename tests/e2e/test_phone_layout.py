"""On a phone's screen (390 × 844 CSS px) every table shows all its columns, stacked one row to a block, and the
figures with several panels put fewer in a row, so that no title runs into another. Measured in chromium on a
maps job the real worker ran, with an explanation made through the API."""

from __future__ import annotations

import io
import re
import statistics

import httpx
import pytest
from PIL import Image

from tests.conftest import wait_for
from tests.e2e.conftest import OWNER_TOKEN, console_errors
from tests.e2e.test_results_explain import _finished_job

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

OWNER = {"Authorization": f"Bearer {OWNER_TOKEN}"}
PHONE = {"width": 390, "height": 844}

#: The boxes of a graph's panel titles and of the graph itself, in page pixels.
_TITLE_BOXES = """id => {
    const graph = document.querySelector('#' + id + ' .js-plotly-plot');
    const box = r => [r.left, r.top, r.right, r.bottom];
    const titles = [...graph.querySelectorAll('.annotation-text, .g-gtitle text')]
        .map(t => t.getBoundingClientRect()).filter(r => r.width > 0).map(box);
    return {graph: box(graph.getBoundingClientRect()), titles: titles};
}"""


#: A graph's colour bars as drawn (box and title), the bottom of its lowest panel and of the figure, in page px.
_COLOUR_BAR = """id => {
    const graph = document.querySelector('#' + id + ' .js-plotly-plot');
    const bars = [...graph.querySelectorAll('.colorbar')].map(bar => {
        const fill = bar.querySelector('.cbfills').getBoundingClientRect(), all = bar.getBoundingClientRect();
        return {width: fill.width, top: all.top, bottom: all.bottom,
                title: (bar.querySelector('.cbtitle') || {textContent: ''}).textContent};
    });
    const panels = [...graph.querySelectorAll('.draglayer .nsewdrag')].map(d => d.getBoundingClientRect().bottom);
    return {bars, panels_bottom: Math.max(...panels), figure_bottom: graph.getBoundingClientRect().bottom};
}"""


def _overlap(a, b) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


def _assert_titles_apart(page, graph_id):
    boxes = page.evaluate(_TITLE_BOXES, graph_id)
    titles, (left, _, right, _) = boxes["titles"], boxes["graph"]
    assert len(titles) >= 2, boxes
    clashes = [(a, b) for i, a in enumerate(titles) for b in titles[i + 1:] if _overlap(a, b)]
    assert not clashes, (graph_id, clashes)
    cut = [t for t in titles if t[0] < left - 1 or t[2] > right + 1]
    assert not cut, (graph_id, boxes["graph"], cut)  # none cut at an edge


def _edge_shades(box) -> tuple[float, float]:
    """How light the leftmost and the rightmost columns of pixels of an element are drawn (the median grey, 255
    white, over its height: the text it cuts at an edge is a few rows of many)."""
    image = Image.open(io.BytesIO(box.screenshot())).convert("L")
    width, height = image.size
    return tuple(statistics.median(image.getpixel((x, y)) for y in range(height)) for x in (1, width - 2))


def _explained(web_server, job_id):
    started = httpx.post(f"{web_server}/api/results/{job_id}/explain", headers=OWNER, timeout=30,
                         json={"example": 0, "model": "teacher", "wavelet": "learned", "lam": 0.2}).json()

    def done():
        body = httpx.get(f"{web_server}/api/results/{job_id}/explanations/{started['id']}", headers=OWNER,
                         timeout=30).json()
        return body if body["state"] in ("succeeded", "failed") else None

    assert wait_for(done, timeout=300, interval=1.0, what="the explanation")["state"] == "succeeded"


@pytest.fixture(scope="module")
def explained_maps_job(web_server):
    """A finished maps job with one explanation."""
    job_id = _finished_job(web_server, "lensing", 120, teacher="cnn", lambdas=[0.01], gammas=[0.0], epochs=1,
                           teacher_epochs=1, levels=2, wave="db2")
    _explained(web_server, job_id)
    return job_id


def test_a_phone_shows_every_column_and_panels_that_do_not_collide(web_server, owner_context, screenshot,
                                                                   explained_maps_job):
    job_id = explained_maps_job
    page = owner_context(viewport=PHONE).new_page()
    page.set_default_timeout(60_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/results/{job_id}")
    page.wait_for_function("(() => { const el = document.querySelector('#results-student-graph .js-plotly-plot'); "
                           "return el && el.data && el.data.some(t => t.name === 'detected peak'); })()")
    page.wait_for_function("document.querySelector('#results-histogram-graph').innerText.includes('χ²')")
    page.wait_for_function("document.querySelector('#explain-status').innerText.includes('Done')")
    page.wait_for_timeout(1500)  # the last figures settle into their boxes

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # the scores table: every model's every number on screen (the phone showed the model column alone)
    cells = page.eval_on_selector_all("#results-scores td, #results-scores tbody th",
                                      "els => els.map(e => [e.getBoundingClientRect().left, "
                                      "e.getBoundingClientRect().right, e.getAttribute('data-label')])")
    assert len(cells) >= 5 * 6 and all(0 <= left and right <= PHONE["width"] for left, right, _ in cells), cells
    labels = {label for *_, label in cells}
    assert {"Test R²", "CV R²", "Parameters"} <= labels
    assert any(str(label).startswith("Test RMSE of") for label in labels)
    # the panels: two (maps, explanation) or one (histograms) a row, their titles apart and inside the figure
    for graph_id in ("results-student-graph", "results-histogram-graph", "explain-graph"):
        _assert_titles_apart(page, graph_id)
    # the sub-band panels' one colour scale: a bar drawn under the lowest panels, named, inside the figure (review
    # 51: none, each panel on a range of its own)
    scale = page.evaluate(_COLOUR_BAR, "results-student-graph")
    assert len(scale["bars"]) == 1 and "|c · saliency|" in scale["bars"][0]["title"], scale
    bar = scale["bars"][0]
    assert bar["width"] >= 150 and bar["top"] >= scale["panels_bottom"] and bar["bottom"] <= scale["figure_bottom"], \
        scale
    assert page.evaluate("document.querySelector('#explain-graph .js-plotly-plot')._fullLayout.xaxis2.domain[1]"
                         " > 0.9")  # input and cartoon fill the first row
    # each mask across the screen, below them (review 51: two a row, 133 px wide, its cells too small to read)
    masks = page.evaluate("['x3y3', 'x4y4'].map(s => document.querySelector('#explain-graph .draglayer > .' + s"
                          " + ' > .nsewdrag').getBoundingClientRect().width)")
    assert all(width >= 0.7 * PHONE["width"] for width in masks), masks
    # the kept share per band scrolls sideways (a map's four columns) and says so: a shadow at the right edge,
    # none at the left until it has scrolled (review 51: white cells hid the table's shadows)
    bands = page.locator("#explain-bands .table-responsive")
    bands.scroll_into_view_if_needed()
    assert bands.evaluate("el => el.scrollWidth > el.clientWidth")
    left, right = _edge_shades(bands)
    assert left >= 250 and right <= 240, (left, right)
    assert page.locator("#explain-bands", has_text="Kept per band").bounding_box()["x"] >= 0  # the heading in view
    bands.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    page.wait_for_timeout(200)
    left, right = _edge_shades(bands)
    assert left <= 240 and right >= 250, (left, right)
    bands.evaluate("el => { el.scrollLeft = 0; }")
    # Plotly's toolbar, which covered titles, is hidden: the cards' PNG / SVG buttons download the figures
    assert page.locator("#results-student-graph .modebar-container").evaluate(
        "el => getComputedStyle(el).display") == "none"
    assert page.locator("#results-student-graph-png").is_visible()
    screenshot(page, "60-phone-results-maps")

    # the navigation folds behind a menu button (stacked, its links took 175 px of the screen)
    assert page.locator("#app-navbar").bounding_box()["height"] <= 70
    assert not page.get_by_role("link", name="Jobs").is_visible()
    page.click("#app-nav-toggle")
    page.get_by_role("link", name="Jobs").click()
    page.wait_for_url(re.compile(r".*/jobs$"))
    row = page.locator(f"#jobs-row-{job_id[:8]}")
    row.wait_for()
    for button in (row.get_by_role("button", name="Rerun"), row.get_by_role("button", name="Delete")):
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert row.locator("td[data-label='Dataset']").is_visible()  # each cell behind its column's name
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("#app-navbar").bounding_box()["height"] <= 70  # the menu closed on the way
    title = page.locator("h1", has_text="Jobs").bounding_box()
    assert title["height"] <= 50, title  # "Jobs" and its "?" on one line
    screenshot(page, "61-phone-jobs")
    assert not errors, errors


def _second_panel_end(graph_id: str) -> str:
    """Where a graph's second panel ends, as a fraction of the figure's width (0 before it is drawn): a JS
    expression."""
    # no second axis while a redraw has the figure of one panel (the full suite once read it in between)
    return (f"((((document.querySelector('#{graph_id} .js-plotly-plot') || {{}})._fullLayout || {{}}).xaxis2)"
            " || {domain: [0, 0]}).domain[1]")


#: Where the explanation's second panel ends.
_SECOND_PANEL_END = _second_panel_end("explain-graph")


#: The λ/γ heat map's plot area (px).
_GRID_PLOT = "document.querySelector('#results-grid-graph .js-plotly-plot')._fullLayout._size"


def test_narrowing_the_window_to_a_phone_lays_the_panels_out_again(web_server, owner_context, screenshot,
                                                                     explained_maps_job):
    """A page drawn on a desktop and then narrowed (a window dragged, a tablet turned) draws its figures again for
    the phone: the explanation's four panels in a row overlapped their titles until a reload."""
    page = owner_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(60_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/results/{explained_maps_job}")
    page.wait_for_function("(document.querySelector('#explain-status') || {innerText: ''}).innerText.includes('Done')")
    page.wait_for_function(_SECOND_PANEL_END + " < 0.6")  # four panels in a row
    page.set_viewport_size(PHONE)
    page.wait_for_function(_SECOND_PANEL_END + " > 0.9")  # two a row
    # the student's sub-band maps are redrawn by their own callback: on a busy machine the full suite measured
    # them still four a row after the explanation had changed
    page.wait_for_function(_second_panel_end("results-student-graph") + " > 0.9")
    page.wait_for_timeout(1500)
    for graph_id in ("results-student-graph", "explain-graph"):
        _assert_titles_apart(page, graph_id)
    narrow_grid = page.evaluate(_GRID_PLOT)
    assert narrow_grid["h"] >= 150 and narrow_grid["w"] >= 200, narrow_grid  # a negative height, before
    screenshot(page, "62-phone-after-resize")
    page.set_viewport_size({"width": 1400, "height": 900})  # and back
    page.wait_for_function(_SECOND_PANEL_END + " < 0.6")
    page.wait_for_timeout(1500)
    wide_grid = page.evaluate(_GRID_PLOT)
    assert wide_grid["w"] >= 300 and wide_grid["h"] >= 150, wide_grid  # two squeezed cells, before
    assert not errors, errors


def test_an_800_px_window_fits_the_tables_and_gives_the_class_panel_a_row(web_server, owner_context, screenshot,
                                                                          explained_maps_job):
    """Review 20, at 800 × 900: the scores table ran out of its card, the χ² panel squeezed ten classes into a
    third of the width (labels on labels, its axis title cut at the edge), and the upload page's tile field was
    34 px wide."""
    page = owner_context(viewport={"width": 800, "height": 900}).new_page()
    page.set_default_timeout(60_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/")
    assert page.locator("#home-tile-size").bounding_box()["width"] >= 120
    page.goto(f"{web_server}/results/{explained_maps_job}")
    page.wait_for_function("(document.querySelector('#results-histogram-graph') || {innerText: ''})"
                           ".innerText.includes('χ²')")
    page.wait_for_timeout(1500)
    widths = page.evaluate("(() => { const t = document.querySelector('#results-scores');"
                           " const box = t.closest('.table-responsive'); return [t.scrollWidth, box.clientWidth]; })()")
    assert widths[0] <= widths[1], widths
    _assert_titles_apart(page, "results-histogram-graph")
    layout = page.evaluate("(() => { const l = document.querySelector('#results-histogram-graph .js-plotly-plot')"
                           "._fullLayout; return [l.xaxis.domain, l.xaxis3.domain]; })()")
    assert layout[1][1] - layout[1][0] > 0.9, layout  # the χ² panel across the figure, below the histograms
    screenshot(page, "63-800px-histograms")
    assert not errors, errors


def _swipe_up(page, x, y, steps=12, step=20):
    """A finger's upward swipe from (x, y), in viewport pixels, as touch events (chromium's DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - step * i}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(1000)


def test_a_swipe_that_starts_on_a_chart_scrolls_a_touch_screen_and_does_not_zoom(web_server, owner_context,
                                                                                  explained_maps_job):
    """Review 26B: on a phone and a tablet a swipe that started on any of the result's charts zoomed the chart
    (the scores' bars re-ranged until they looked equal) and the page did not move; on a phone, with no toolbar,
    only a double tap undid it. A tap still picks a grid point; a mouse still zooms by dragging."""
    job_id = explained_maps_job
    for viewport in (PHONE, {"width": 820, "height": 1180}):
        page = owner_context(viewport=viewport, is_mobile=True, has_touch=True).new_page()
        errors = console_errors(page)
        page.goto(f"{web_server}/results/{job_id}")
        page.wait_for_function("document.querySelector('#results-scores-graph .js-plotly-plot .bars')")
        page.wait_for_timeout(1500)
        assert page.evaluate("document.querySelector('#results-scores-graph .js-plotly-plot').layout.dragmode") is False
        ranges = "JSON.stringify(document.querySelector('#results-scores-graph .js-plotly-plot').layout.yaxis.range)"
        before_range = page.evaluate(ranges)
        top = page.evaluate("document.querySelector('#results-scores-graph .nsewdrag').getBoundingClientRect().top"
                            " + scrollY")
        page.evaluate(f"window.scrollTo(0, {top} - 100)")
        page.wait_for_timeout(500)
        before = page.evaluate("scrollY")
        _swipe_up(page, viewport["width"] * 0.6, 300)
        assert page.evaluate("scrollY") - before > 150, viewport  # the page moved under the finger
        assert page.evaluate(ranges) == before_range, viewport  # and the chart did not zoom
        # the toolbar stays hidden on a touch screen (it covered titles and legends on a tablet)
        assert page.evaluate("getComputedStyle(document.querySelector('#results-scores-graph "
                             ".modebar-container')).display") == "none"
        assert not errors, errors
    desktop = owner_context().new_page()
    desktop.goto(f"{web_server}/results/{job_id}")
    desktop.wait_for_function("document.querySelector('#results-scores-graph .js-plotly-plot .bars')")
    desktop.wait_for_timeout(1000)
    assert desktop.evaluate("document.querySelector('#results-scores-graph .js-plotly-plot').layout.dragmode") \
        is not False
