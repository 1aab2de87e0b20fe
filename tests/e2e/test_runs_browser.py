"""Runs management in a browser: the jobs list tells runs apart, delete asks first and the row goes, two runs
compared side by side, /help and its "?" links, the configure page's teacher choices, a cancelled job's page."""

from __future__ import annotations

import re

import httpx
import pytest

from awd_studio.frontend.help_links import HELP_SECTIONS
from awd_studio.frontend.option_words import UNSET_WORDS
from tests.conftest import wait_for
from tests.e2e.conftest import OWNER_TOKEN, assert_drawn, console_errors

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(420)]

OWNER = {"Authorization": f"Bearer {OWNER_TOKEN}"}
NUMBER = r"-?\d+\.\d+"


#: Boxes of the scores graph, in the page's pixels: its plot, legend, model names (y ticks) and numbers (x ticks).
_SCORE_BOXES = """() => { const g = document.querySelector('#compare-scores-graph');
    const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    return {plot: box(g.querySelector('.nsewdrag')), legend: box(g.querySelector('.legend')),
            names: Array.from(g.querySelectorAll('.ytick text')).map(box),
            numbers: Array.from(g.querySelectorAll('.xtick text')).map(box)}; }"""


def _assert_scores_apart(page):
    """Review 49: the model names ran into the legend on a phone, the plot 120 px high. The legend above the plot,
    the names left of it, the axis's numbers under it; the plot over 150 px high."""
    boxes = page.evaluate(_SCORE_BOXES)
    left, top, _, bottom = boxes["plot"]
    assert boxes["legend"][3] <= top + 1 and bottom - top > 150, boxes
    assert boxes["names"] and all(name[2] <= left + 1 for name in boxes["names"]), boxes
    assert all(number[1] >= bottom - 1 for number in boxes["numbers"]), boxes


def _finished(api, job_id):
    body = api.get(f"/api/jobs/{job_id}").json()
    return body if body["state"] in ("succeeded", "failed", "cancelled") else None


def _plot_traces(page, graph_id):
    """(dash of each trace) of a drawn plotly graph, read from the browser."""
    return page.evaluate(f"""() => document.querySelector('#{graph_id} .js-plotly-plot').data
        .map(t => (t.line && t.line.dash) || 'solid')""")


def test_runs_list_delete_compare_help_and_configure(web_server, owner_context, screenshot, tiny_job):
    api = httpx.Client(base_url=web_server, headers=OWNER, timeout=60)
    dataset = api.post("/api/examples/synthetic", json={"n": 150, "seed": 14, "name": "runs e2e"}).json()
    jobs = [api.post("/api/jobs", json={"dataset_id": dataset["id"], **tiny_job, "seed": seed}).json()
            for seed in (0, 1)]
    for job in jobs:
        final = wait_for(lambda: _finished(api, job["id"]), timeout=240, what="a tiny job to finish")
        assert final["state"] == "succeeded", final.get("error")
    a, b = (j["id"] for j in jobs)
    teacher_points = [p for p in api.get(f"/api/jobs/{a}").json()["losses"] if p["chunk"] == -1]
    assert teacher_points and "teacher_val" in teacher_points[0]["values"]  # the teacher's training curve

    context = owner_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)

    # The jobs list: dataset, teacher, grid and score with numbers on each run's row.
    page.goto(web_server + "/jobs")
    row = page.locator(f"#jobs-row-{a[:8]}")
    row.wait_for()
    text = row.inner_text()
    assert "runs e2e" in text and "mlp" in text and "1 × 2" in text and "succeeded" in text.lower(), text
    assert re.search(r"R² " + NUMBER, text), text
    screenshot(page, "runs-01-jobs-list")

    # Compare: tick both runs, the button opens /compare?a=&b= with both wavelets and the scores drawn.
    for jid in (a, b):
        page.locator(f"#jobs-row-{jid[:8]} input[type=checkbox]").check()
    page.wait_for_function("!document.querySelector('#jobs-compare').classList.contains('disabled')")
    page.click("#jobs-compare")
    page.wait_for_url(re.compile(r".*/compare\?a=.*&b=.*"))
    page.locator("#compare-wavelets-graph .main-svg").first.wait_for()
    page.locator("#compare-scores-graph .main-svg").first.wait_for()
    sizes = assert_drawn(page, min_height=300, settle=1.5)
    assert sizes["compare-wavelets-graph"][0] >= 600 and sizes["compare-wavelets-graph"][1] >= 380, sizes
    dashes = _plot_traces(page, "compare-wavelets-graph")
    assert dashes.count("solid") == 4 and dashes.count("dash") == 4, dashes  # φ and ψ of A and B
    scores = page.inner_text("#compare-scores")
    assert "AWD" in scores and "Teacher" in scores and len(re.findall(NUMBER, scores)) >= 8, scores
    _assert_scores_apart(page)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone's: the graph redraws 330 px wide
    page.wait_for_function("document.querySelector('#compare-scores-graph .nsewdrag').getBoundingClientRect()"
                           ".width < 250")
    _assert_scores_apart(page)
    page.set_viewport_size({"width": 1280, "height": 900})  # the context's, for the rest of the test
    # where the students look, both runs on one axis (review 31B: comparing maps took two results pages)
    assert sizes["compare-activation-graph"][0] >= 600 and sizes["compare-activation-graph"][1] >= 340, sizes
    names = page.evaluate("document.querySelector('#compare-activation-graph .js-plotly-plot').data.map(t => t.name)")
    assert sum(n.endswith(": activation") for n in names) == 2, names
    assert sum(n.endswith(": teacher's sensitivity") for n in names) == 2, names
    notes = page.inner_text("#compare-activation-notes")
    assert notes.count("mean of") == 2 and "teacher's sensitivity" in notes, notes
    assert page.locator("#compare-settings td.awd-differs").count() >= 2  # seed differs (A and B cells)
    differing = page.locator("#compare-settings tr.awd-diff-row").all_inner_texts()
    # each option in words over its name in the API
    assert any(t.split("\t")[0].split() == ["Seed", "seed"] and sorted(t.split("\t")[1:]) == ["0", "1"]
               for t in differing), differing
    # an option left to the default that the run does not resolve reads as on the job page (review: "—" here,
    # "default" there)
    cells = page.evaluate("Array.from(document.querySelectorAll('#compare-settings tbody tr'))"
                          ".map(row => Array.from(row.cells).map(cell => cell.innerText.trim()))")
    patience = [row[1:] for row in cells if row[0].split()[-1] == "patience"]
    assert patience == [[UNSET_WORDS, UNSET_WORDS]], cells
    # both tables in one CSV (review 17: the compare page had no download)
    with page.expect_download() as download:
        page.click("#compare-download")
    assert download.value.suggested_filename in (f"awd-compare-{a[:8]}-{b[:8]}.csv", f"awd-compare-{b[:8]}-{a[:8]}.csv")
    saved = open(download.value.path(), encoding="utf-8").read()
    assert saved.startswith("part,name,") and "test score,R² AWD," in saved and "setting,seed," in saved, saved
    screenshot(page, "runs-02-compare")
    page.goto(f"{web_server}/jobs/{a}")
    page.locator("#job-settings dd").first.wait_for()
    listed = dict(zip([term.split()[-1] for term in page.locator("#job-settings dt").all_inner_texts()],
                      page.locator("#job-settings dd").all_inner_texts()))
    assert listed["patience"] == UNSET_WORDS, listed
    # three runs (a seed sweep): a card, a colour and a column each; the first run again stands in for a third
    page.goto(f"{web_server}/compare?a={a}&b={b}&c={a}")
    page.locator("#compare-wavelets-graph .main-svg").first.wait_for()
    assert page.locator("#compare-heads .card").count() == 3
    learned = page.evaluate("document.querySelector('#compare-wavelets-graph .js-plotly-plot').data"
                            ".filter(t => t.name && t.name.endsWith(': learned')).map(t => t.line.color)")
    assert len(set(learned)) == 3, learned
    assert page.locator("#compare-scores th", has_text="R² C · ").count() == 1
    screenshot(page, "runs-02b-compare-three")

    # Delete run B from the list: a dialog asks first; confirmed, the row goes and the API agrees.
    page.goto(web_server + "/jobs")
    page.locator(f"#jobs-row-{b[:8]}").wait_for()
    page.locator(f"#jobs-row-{b[:8]} button", has_text="Delete").click()
    dialog = page.locator("#jobs-confirm")
    dialog.wait_for(state="visible")
    confirm = page.inner_text("#jobs-confirm-text")
    assert b[:8] in confirm and "cannot be undone" in confirm
    screenshot(page, "runs-03-delete-confirm")
    page.click("#jobs-confirm-cancel")  # cancelling keeps it
    dialog.wait_for(state="hidden")
    assert api.get(f"/api/jobs/{b}").status_code == 200
    page.locator(f"#jobs-row-{b[:8]} button", has_text="Delete").click()
    dialog.wait_for(state="visible")
    assert page.inner_text("#jobs-confirm-ok").strip() == "Delete"  # the button says what it does
    page.click("#jobs-confirm-ok")
    page.locator(f"#jobs-row-{b[:8]}").wait_for(state="detached")
    assert api.get(f"/api/jobs/{b}").status_code == 404
    assert page.locator(f"#jobs-row-{a[:8]}").is_visible()

    # Help: the "?" next to the heading opens its section in a new tab (the page keeps its state, review 19),
    # scrolled into view; every section is there.
    with page.context.expect_page() as opened:
        page.click("#help-link-runs")
    help_page = opened.value
    help_page.wait_for_url(re.compile(r".*/help#runs$"))
    help_page.locator("section#runs").wait_for()
    # the page may still be laying out its sections when the scroll happens (a busy machine): wait until it settles
    help_page.wait_for_function("""() => { const top = document.getElementById('runs').getBoundingClientRect().top;
        return window.scrollY > 500 && top >= 0 && top < window.innerHeight - 100; }""", timeout=10_000)
    top, scrolled, height = help_page.evaluate("""() => [document.getElementById('runs').getBoundingClientRect().top,
        window.scrollY, window.innerHeight]""")
    assert scrolled > 500 and 0 <= top < height - 100, (top, scrolled, height)  # scrolled to it, in view
    assert help_page.locator(".awd-help section").count() == len(HELP_SECTIONS)  # one per section id, none lost
    assert "λ" in help_page.inner_text("section#lambda") and "TRIM" in help_page.inner_text("section#trim")
    assert "@inproceedings" in help_page.inner_text("#help-bibtex")
    screenshot(help_page, "runs-04-help")
    help_page.close()

    # Configure for maps with two targets: the target to explain is a choice, by name (every run used column 0)
    maps = api.post("/api/examples/lensing", json={"n": 60}).json()
    page.goto(f"{web_server}/configure?dataset={maps['id']}")
    page.locator("#configure-target-field").wait_for(state="visible")
    assert "Omega_m (column 0)" in page.inner_text("#configure-target")
    page.click("#configure-target")
    page.get_by_role("option", name="sigma_8 (column 1)").click()
    page.wait_for_function("document.querySelector('#configure-target').innerText.includes('sigma_8')")

    # Configure for a time series: one architecture selector at a time, no CNN or ResNet18 offered.
    page.goto(f"{web_server}/configure?dataset={dataset['id']}")
    page.wait_for_function("document.querySelector('#configure-dataset-facts')"
                           " && document.querySelector('#configure-dataset-facts').innerText.includes(' of ')")
    assert page.locator("#configure-target-field").is_hidden()  # one target: nothing to choose
    page.wait_for_function("document.querySelector('#configure-teacher').innerText.trim().length > 0")
    page.click("#configure-teacher")
    page.get_by_role("option").first.wait_for()
    offered = page.get_by_role("option").all_inner_texts()
    assert offered and not any(re.match(r"(cnn|resnet18)\b", o) for o in offered), offered
    assert any(o.startswith("lstm") for o in offered) and any(o.startswith("mlp") for o in offered), offered
    page.keyboard.press("Escape")
    assert page.locator("#configure-teacher-builtin").is_visible()
    assert page.locator("#configure-teacher-upload").is_hidden()
    page.get_by_label("Upload trained weights").check()
    page.wait_for_function("!document.querySelector('#configure-teacher-upload').classList.contains('awd-hidden')")
    assert page.locator("#configure-teacher-builtin").is_hidden()
    radios = page.locator("#configure-teacher-arch label").all_inner_texts()
    assert sorted(radios) == ["lstm", "mlp"], radios
    screenshot(page, "runs-05-configure-upload")

    # Cancel on the job page asks first (it cancelled at once); a cancelled job: neither a Cancel button nor
    # "Time left", and no promise of loss curves to come. Long enough to be cancelled while queued or running.
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **tiny_job, "seed": 7, "epochs": 400}).json()
    page.goto(f"{web_server}/jobs/{job['id']}")
    page.locator("#job-cancel").wait_for(state="visible")
    job_dialog = page.locator("#job-confirm")  # the jobs list's dialog, in its words
    page.click("#job-cancel")
    job_dialog.wait_for(state="visible")
    asked = page.inner_text("#job-confirm-text")
    assert asked == "Cancel this job? It stops within seconds and keeps no result; it can be rerun later.", asked
    assert page.inner_text("#job-confirm-ok").strip() == "Cancel the job"
    page.click("#job-confirm-cancel")  # "Go back"
    job_dialog.wait_for(state="hidden")
    page.wait_for_timeout(1000)
    assert api.get(f"/api/jobs/{job['id']}").json()["state"] in ("queued", "running")  # gone back: still on
    page.click("#job-cancel")
    job_dialog.wait_for(state="visible")
    page.click("#job-confirm-ok")
    job_dialog.wait_for(state="hidden")
    page.locator("#job-state-badge", has_text="cancelled").wait_for()
    page.wait_for_timeout(500)
    assert page.locator("#job-cancel").is_hidden() and page.locator("#job-eta-line").is_hidden()
    assert "finished" not in page.inner_text("main") and "appear once training starts" not in page.inner_text("main")
    assert "progress-bar-striped" not in page.get_attribute("#job-progress .progress-bar", "class")

    # Delete the dataset: the dialog names its jobs; confirmed, the dataset and they are gone.
    page.goto(web_server + "/jobs")
    ds_row = page.locator(f"#jobs-dataset-{dataset['id'][:8]}")
    ds_row.wait_for()
    ds_row.locator("button", has_text="Delete").click()
    dialog.wait_for(state="visible")
    assert "its 2 jobs" in page.inner_text("#jobs-confirm-text")
    page.click("#jobs-confirm-ok")
    ds_row.wait_for(state="detached")
    assert api.get(f"/api/datasets/{dataset['id']}").status_code == 404
    assert api.get(f"/api/jobs/{a}").status_code == 404
    assert not errors, errors


def test_a_page_says_when_the_server_stops_answering(web_server, owner_context):
    """A job page left open while the server was stopped kept showing "running, 27 s left" (a reviewer's
    finding): a banner says the server is not answering, and goes when it answers again."""
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    page.goto(web_server + "/jobs")
    page.locator("#jobs-table, h1").first.wait_for()
    assert page.locator("#app-offline").count() == 0
    page.route("**/assets/awd.css", lambda route: route.abort("connectionrefused"))  # the server, as if stopped
    page.locator("#app-offline").wait_for(timeout=20_000)
    assert "not answering" in page.inner_text("#app-offline")
    page.unroute("**/assets/awd.css")
    page.locator("#app-offline").wait_for(state="detached", timeout=20_000)
    page.context.close()
