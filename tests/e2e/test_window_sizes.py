"""The pages at the window sizes people use: a 1366 × 768 laptop, an 820 × 1180 tablet held upright and a
390 × 844 phone. Measured in chromium against the real stack."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import terminal_state, wait_for
from tests.e2e.conftest import OWNER_TOKEN, console_errors

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

OWNER = {"Authorization": f"Bearer {OWNER_TOKEN}"}
LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}

#: The bottom of the lowest visible form control outside the Start bar, and the bar's box (viewport pixels).
_FORM_AND_BAR = """() => {
    const bar = document.querySelector('#configure-action-bar');
    const controls = [...document.querySelectorAll('#_pages_content input, #_pages_content textarea, '
                                                   + '#_pages_content select, #_pages_content button')]
        .filter(el => !bar.contains(el) && el.type !== 'hidden' && el.getClientRects().length > 0);
    const box = bar.getBoundingClientRect();
    return {lowest: Math.max(...controls.map(el => el.getBoundingClientRect().bottom)), top: box.top,
            bottom: box.bottom};
}"""


@pytest.fixture(scope="module")
def series_dataset(web_server) -> str:
    """A small time-series example to configure."""
    return httpx.post(f"{web_server}/api/examples/cme", json={"n": 120, "name": "window sizes"}, headers=OWNER,
                      timeout=60).json()["id"]


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_start_is_in_sight_when_the_configure_page_opens(web_server, owner_context, screenshot, series_dataset,
                                                         size):
    """At 1366 × 768 Start sat below the window (y = 832) and on a phone 3500 px down: the bar at the bottom of the
    window holds it, with the estimate in short, and at the end of the page stands below the form."""
    page = owner_context(viewport=size).new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/configure?dataset={series_dataset}")
    page.locator("#configure-estimate").get_by_text("Estimated run time").wait_for()
    page.locator("#configure-start-line").get_by_text("grid points").wait_for()
    box = page.locator("#configure-submit").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], box
    assert page.locator("#configure-start-line").inner_text().startswith("About ")
    screenshot(page, f"70-configure-start-{size['width']}")

    # the keyboard reaches Start after the last field of the form
    page.focus("#configure-seed")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "configure-submit"

    # at the end of the page the bar covers no field: it stands after the form
    page.evaluate("window.scrollTo({top: document.documentElement.scrollHeight, behavior: 'instant'})")
    page.wait_for_function("window.scrollY + innerHeight >= document.documentElement.scrollHeight - 1")
    end = page.evaluate(_FORM_AND_BAR)
    assert end["lowest"] <= end["top"] <= end["bottom"] <= size["height"], end
    screenshot(page, f"71-configure-end-{size['width']}")
    assert not errors, errors


@pytest.fixture(scope="module")
def finished_job(web_server, series_dataset) -> str:
    """A run that has succeeded on the small example: its row is the widest the list draws (score, Rerun, Delete)."""
    with httpx.Client(base_url=web_server, headers=OWNER, timeout=60) as api:
        job = api.post("/api/jobs", json={"dataset_id": series_dataset, "teacher": "mlp", "lambdas": [0.001],
                                          "gammas": [0.0], "epochs": 1, "teacher_epochs": 1}).json()
        done = wait_for(lambda: terminal_state(api, job["id"]), timeout=240, what="the small job")
    assert done["state"] == "succeeded", done.get("error")
    return job["id"]


@pytest.mark.parametrize("size", [TABLET, LAPTOP], ids=["tablet", "laptop"])
def test_the_jobs_list_fits_its_card_without_scrolling_sideways(web_server, owner_context, screenshot,
                                                                finished_job, size):
    """At 820 × 1180 the list was 1090 px wide in a 762 px card (1090 in 1082 at 1366 px): its State column was cut
    off. A tablet goes without three columns (pages/jobs.py, TABLET_HIDDEN) and the score wraps at its dot."""
    page = owner_context(viewport=size).new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/jobs")
    row = page.locator(f"#jobs-row-{finished_job[:8]}")
    row.wait_for()
    widths = page.evaluate("(() => { const t = document.querySelector('#jobs-table');"
                           " return [t.scrollWidth, t.clientWidth, t.getBoundingClientRect().right]; })()")
    assert widths[0] <= widths[1], widths
    for part in (row.get_by_role("link", name=finished_job[:8]), row.locator(".badge", has_text="succeeded"),
                 row.get_by_role("button", name="Delete")):
        assert part.is_visible()
        box = part.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= widths[2], box  # inside the card, none cut off
    screenshot(page, f"72-jobs-{size['width']}")
    assert not errors, errors


#: Each stacked cell of the jobs list whose content runs past the table's right edge (a phone), and the table's
#: scroll and client widths.
_JOBS_OVERFLOW = """() => {
    const table = document.querySelector('#jobs-table'), right = table.getBoundingClientRect().right;
    const cut = [...table.querySelectorAll('td')].filter(cell => cell.getClientRects().length > 0)
        .filter(cell => cell.scrollWidth > cell.clientWidth + 1
                || [...cell.querySelectorAll('*')].some(el => el.getBoundingClientRect().right > right + 1))
        .map(cell => [cell.getAttribute('data-label'), cell.innerText.slice(0, 40)]);
    return {scroll: table.scrollWidth, client: table.clientWidth, cut};
}"""


def test_a_phone_fits_the_jobs_list_with_a_running_job_and_a_long_name(web_server, owner_context, screenshot,
                                                                       long_named_dataset):
    """Review 51: at 390 px the list scrolled sideways by 9 px, a running job's badge, stage and time left side by
    side in its stacked State cell; a file's name without spaces ran 330 px past the card. The parts of a cell
    stand on lines of one block, and a long name breaks: nothing to scroll to, no cell cut at the right."""
    with httpx.Client(base_url=web_server, headers=OWNER, timeout=60) as api:
        # long enough to be seen running (cancelled below)
        job = api.post("/api/jobs", json={"dataset_id": long_named_dataset, "teacher": "mlp", "lambdas": [0.001],
                                          "gammas": [0.0], "epochs": 2000, "teacher_epochs": 1}).json()
        try:
            page = owner_context(viewport=PHONE).new_page()
            page.set_default_timeout(120_000)
            errors = console_errors(page)
            page.goto(f"{web_server}/jobs")
            row = page.locator(f"#jobs-row-{job['id'][:8]}")
            row.locator("td[data-label='State']").get_by_text("left").wait_for()  # running, with its time left
            drawn = page.evaluate(_JOBS_OVERFLOW)
            assert drawn["scroll"] <= drawn["client"] and not drawn["cut"], drawn
            state = row.locator("td[data-label='State']").bounding_box()
            badge = row.locator("td[data-label='State'] .badge").bounding_box()
            stage = row.locator("td[data-label='State']").get_by_text("left").bounding_box()
            assert badge["y"] + badge["height"] <= stage["y"] + 1, (badge, stage)  # on lines one under another
            assert state["x"] + state["width"] <= PHONE["width"], state
            row.scroll_into_view_if_needed()
            screenshot(page, "79-phone-jobs-running")
            assert not errors, errors
        finally:
            api.post(f"/api/jobs/{job['id']}/cancel")
            wait_for(lambda: terminal_state(api, job["id"]), timeout=120, what="the cancelled job")


@pytest.fixture(scope="module")
def long_named_dataset(web_server) -> str:
    """A dataset named as a microscope's file often is: long, and without a space to break it at."""
    # 100 series: 120 would give series_dataset back (the service keeps one copy of a file)
    name = "clathrin_traces_experiment_2024_03_12_cellA_TIRF.csv"
    return httpx.post(f"{web_server}/api/examples/cme", json={"n": 100, "name": name}, headers=OWNER,
                      timeout=60).json()["id"]


@pytest.mark.parametrize("size", [TABLET, LAPTOP, PHONE], ids=["tablet", "laptop", "phone"])
def test_every_datasets_delete_button_is_in_sight(web_server, owner_context, screenshot, series_dataset,
                                                  long_named_dataset, size):
    """Review: at 820 px the datasets table was 1117 px wide in its 762 px card, Delete drawn at x = 1138 (1366 px
    scrolled too, with a long name). As in the jobs list, a tablet shows the date under the name, the name wraps
    (anywhere, when it has no space) and every row's New run and Delete stand inside the card and the window."""
    page = owner_context(viewport=size).new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/jobs")
    page.locator(f"#jobs-dataset-{long_named_dataset[:8]}").wait_for()
    page.locator(f"#jobs-dataset-{series_dataset[:8]}").wait_for()
    table = page.evaluate("(() => { const t = document.querySelector('#jobs-datasets');"
                          " return {scroll: t.scrollWidth, client: t.clientWidth,"
                          " right: t.getBoundingClientRect().right}; })()")
    assert table["scroll"] <= table["client"], table  # nothing to scroll to
    rows = page.locator("#jobs-datasets-list tbody tr")
    assert rows.count() >= 2
    for i in range(rows.count()):
        for name in ("New run", "Delete"):
            button = rows.nth(i).get_by_role("button", name=name)  # New run: a link drawn as a button
            button.scroll_into_view_if_needed()
            assert button.is_visible(), (i, name)
            box = button.bounding_box()
            right = min(table["right"], size["width"])
            assert box["x"] >= 0 and box["x"] + box["width"] <= right, (i, name, box, right)  # none cut off
    screenshot(page, f"76-datasets-{size['width']}")
    assert not errors, errors


#: The configure page's dataset field and its open menu as drawn: boxes (viewport px), the choice's text box, and
#: each option's scroll and client widths.
_DATASET_FIELD = """() => {
    const field = document.querySelector('#configure-dataset');
    const value = document.querySelector('#configure-dataset-value');
    const menu = document.querySelector('.dash-dropdown-content');
    const box = el => { const r = el.getBoundingClientRect();
                        return {left: r.left, right: r.right, height: r.height}; };
    return {field: box(field), value: box(value), ellipsis: getComputedStyle(value).textOverflow,
            menu: menu && box(menu), options: menu ? [...menu.querySelectorAll('.dash-dropdown-option')]
                .map(o => ({text: o.innerText, scroll: o.scrollWidth, client: o.clientWidth,
                            lines: o.querySelector('.dash-options-list-option-text').getClientRects().length > 0
                                ? Math.round(o.querySelector('.dash-options-list-option-text').offsetHeight
                                             / parseFloat(getComputedStyle(o).lineHeight)) : 0}))
                : [], page: document.documentElement.scrollWidth};
}"""


def test_a_phone_keeps_a_long_dataset_name_inside_the_dataset_field(web_server, owner_context, screenshot,
                                                                    long_named_dataset):
    """Review 51: on a phone the configure page's dataset dropdown ran a file's name past its box: its menu, 98 %
    of the window wide, scrolled the name sideways and stood past the card. The field ends the choice with "…",
    and the open menu, as wide as the field, wraps the name inside it."""
    page = owner_context(viewport=PHONE).new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/configure?dataset={long_named_dataset}")
    page.locator("#configure-dataset-value").get_by_text("cellA_TIRF", exact=False).wait_for()
    closed = page.evaluate(_DATASET_FIELD)
    assert closed["value"]["right"] <= closed["field"]["right"] and closed["ellipsis"] == "ellipsis", closed
    page.click("#configure-dataset")
    page.locator(".dash-dropdown-option", has_text="cellA_TIRF").wait_for()
    drawn = page.evaluate(_DATASET_FIELD)
    field, menu = drawn["field"], drawn["menu"]
    assert field["left"] - 1 <= menu["left"] and menu["right"] <= field["right"] + 1, drawn  # under the field
    assert all(o["scroll"] <= o["client"] for o in drawn["options"]), drawn["options"]  # nothing cut at its edge
    long_one = next(o for o in drawn["options"] if "cellA_TIRF" in o["text"])
    assert long_one["lines"] >= 2, long_one  # wrapped
    assert drawn["page"] <= PHONE["width"], drawn
    screenshot(page, "70-configure-dataset-menu-390")
    assert not errors, errors


def _open_result(owner_context, web_server, job_id, size):
    page = owner_context(viewport=size).new_page()
    page.set_default_timeout(60_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/results/{job_id}")
    page.locator("#results-body").wait_for(state="visible")
    page.wait_for_function("document.querySelectorAll('#results-summary-cards .card').length === 4")
    return page, errors


@pytest.mark.parametrize("size, across", [(TABLET, 2), (LAPTOP, 4)], ids=["tablet", "laptop"])
def test_the_summary_cards_stand_two_across_on_a_tablet(web_server, owner_context, screenshot, finished_job, size,
                                                       across):
    """Review: at 820 px the four summary cards stood four across, 180 px each, a score's label over three lines;
    a tablet puts them two across (two rows of two, each half the row), a laptop four across in one row."""
    page, errors = _open_result(owner_context, web_server, finished_job, size)
    cards = page.evaluate("""() => {
        const row = document.querySelector('#results-summary-cards').getBoundingClientRect();
        return [...document.querySelectorAll('#results-summary-cards .card')].map(card => {
            const box = card.getBoundingClientRect();
            return {top: Math.round(box.top), left: Math.round(box.left), width: box.width,
                    share: box.width / row.width};
        });
    }""")
    assert len({card["left"] for card in cards}) == across, cards  # columns
    assert len({card["top"] for card in cards}) == 4 // across, cards  # rows
    assert all(0.9 / across <= card["share"] <= 1 / across for card in cards), cards
    assert all(card["left"] + card["width"] <= size["width"] for card in cards), cards
    screenshot(page, f"77-results-summary-{size['width']}")
    assert not errors, errors


#: Every title, panel title (an annotation), axis title and legend entry of each visible figure whose drawn text
#: runs past its figure's left or right edge (Plotly does not wrap them: the SVG cuts them off).
_CUT_FIGURE_TEXTS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(el => el.offsetParent !== null)
    .flatMap(el => {
        const figure = el.querySelector('.main-svg').getBoundingClientRect();
        const graph = (el.closest('[id]') || el).id;
        return [...el.querySelectorAll('.gtitle, .annotation-text, .g-xtitle text, .g-ytitle text, .legendtext')]
            .map(text => [text, text.getBoundingClientRect()])
            .filter(([, box]) => box.width > 0 && (box.left < figure.left - 1 || box.right > figure.right + 1))
            .map(([text, box]) => [graph, text.textContent, Math.round(box.left - figure.left),
                                   Math.round(box.right - figure.right)]);
    })"""


def test_no_figure_title_is_cut_on_a_phone(web_server, owner_context, screenshot, finished_job):
    """Review: on a phone two figure texts of the results page ran past the figure's right edge: the scores'
    "Test RMSE of auxilin ± bootstrap SD (lower" (59 px cut) and the activation map's "teacher's sensitivity, all
    test series (right axis" (9 px). They break into lines that fit; none runs past its figure."""
    page, errors = _open_result(owner_context, web_server, finished_job, PHONE)
    page.locator("#results-scores-graph .main-svg").first.wait_for(state="visible")
    page.locator("#results-activation-graph .legendtext").first.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#results-scores-graph .annotation-text')"
                           ".textContent.includes('lower is better')")
    cut = page.evaluate(_CUT_FIGURE_TEXTS)
    assert not cut, cut  # (graph, text, px left of the figure, px past its right edge)
    titles = page.evaluate("[...document.querySelectorAll('#results-scores-graph .annotation-text')]"
                           ".map(t => t.querySelectorAll('tspan.line').length || 1)")
    assert titles[0] >= 2, titles  # the RMSE panel's title on two lines
    screenshot(page, "78-results-phone")
    assert not errors, errors


#: The boxes of the Explain form's labels and of the λ slider's number box (None when it is not drawn).
_EXPLAIN_FORM = """() => {
    const box = el => { if (!el || el.getClientRects().length === 0) return null;
                        const b = el.getBoundingClientRect();
                        return {left: b.left, right: b.right, top: b.top, bottom: b.bottom, width: b.width}; };
    const labels = ['explain-example', 'explain-model', 'explain-wavelet', 'explain-lam']
        .map(id => [id, box(document.querySelector(`label[for="${id}"]`))]);
    const number = document.querySelector('#explain-lam input, #explain-lam ~ * input')
        || [...document.querySelectorAll('#explain-panel input')].find(el => el.closest('.dash-slider-container'));
    return {labels, number: box(number)};
}"""


@pytest.mark.parametrize("width", [800, 1400])
def test_the_explain_forms_labels_stand_apart_and_lambda_keeps_its_number_box(web_server, owner_context, screenshot,
                                                                              finished_job, width):
    """Review 40: at 800 px the example's range "0–239" ran into the "Model" label, and the number box beside the λ
    slider (drawn at 1400 px) was gone (Dash hides it in a slider under 200 px wide). Below 1200 px the form takes
    two rows; the labels' boxes overlap at no width, and the number box is drawn at both."""
    page, errors = _open_result(owner_context, web_server, finished_job, {"width": width, "height": 900})
    page.locator("#explain-example-label").get_by_text("0–").wait_for()  # the range, the label's widest
    page.locator("#explain-panel").scroll_into_view_if_needed()
    drawn = page.evaluate(_EXPLAIN_FORM)
    labels = [(name, b) for name, b in drawn["labels"] if b is not None]
    assert len(labels) == 4, drawn
    for i, (a_name, a) in enumerate(labels):
        for b_name, b in labels[i + 1:]:
            apart = a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] \
                or b["bottom"] <= a["top"]
            assert apart, (a_name, a, b_name, b)
    assert drawn["number"] is not None and drawn["number"]["width"] > 20, drawn  # the λ slider's number box
    screenshot(page, f"78-explain-form-{width}")
    assert not errors, errors
