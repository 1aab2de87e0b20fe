"""The whole product in a browser: upload -> configure -> job -> results -> download -> share -> shared view."""

from __future__ import annotations

import json
import re
import zipfile

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import terminal_state, wait_for
from tests.e2e.conftest import OWNER_TOKEN, assert_cards_apart, assert_drawn, console_errors

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(420)]

RESULT_GRAPHS = ["results-wavelet-graph", "results-filters-graph", "results-grid-graph", "results-psi-grid-graph",
                 "results-activation-graph", "results-scores-graph"]


def _wait_graphs(page, ids, timeout=30_000):
    for gid in ids:
        page.locator(f"#{gid} .main-svg").first.wait_for(state="visible", timeout=timeout)


def test_upload_configure_run_share(web_server, browser, owner_context, screenshot, tmp_path):
    from awd_studio.models.data import make_example, save_npz

    data_file = tmp_path / "synthetic-e2e.npz"
    save_npz(make_example("synthetic", n=200), data_file)

    context = owner_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)

    # Home: upload through the drop zone's file picker (the browser posts straight to /api/datasets).
    page.goto(web_server + "/")
    page.locator("#home-dropzone").wait_for()
    screenshot(page, "01-home")
    with page.expect_file_chooser() as chooser:
        page.click("#home-dropzone")
    chooser.value.set_files(str(data_file))
    page.locator("#home-preview-card").wait_for()
    _wait_graphs(page, ["home-preview-graph", "home-target-graph"])
    assert "time series" in page.inner_text("#home-preview-kind")
    assert page.get_attribute("#home-upload-bar", "aria-valuenow") == "100"
    drawn = assert_drawn(page)  # the preview must not collapse a second after drawing
    assert set(drawn) >= {"home-preview-graph", "home-target-graph"}
    assert assert_cards_apart(page) >= 3
    screenshot(page, "02-home-preview")

    # Configure a tiny grid: 1 lambda x 2 gammas, 2 epochs, the small MLP teacher.
    page.click("#home-configure-link")
    page.wait_for_url(re.compile(r".*/configure\?dataset="))
    page.wait_for_function("document.querySelector('#configure-dataset-facts')"
                           " && document.querySelector('#configure-dataset-facts').innerText.includes(' of ')")
    page.wait_for_function("document.querySelector('#configure-lambdas').value.length > 0")
    page.wait_for_function("document.querySelector('#configure-teacher').innerText.trim().length > 0")
    # data made with db5 (the synthetic example): the form starts from sym5 and says why (review 16: it started
    # from db5, and the run had nothing to recover)
    page.wait_for_function("document.querySelector('#configure-wave-note').innerText.includes('made with db5')")
    assert "starts from sym5" in page.inner_text("#configure-wave-note")
    tree = page.locator("body").aria_snapshot()  # dropdowns named by their labels (review 16: "db5, button")
    assert 'button "Start from sym5"' in tree and 'button "Teacher architecture ' in tree and 'button "Dataset ' in tree
    page.click("#configure-teacher")
    page.get_by_role("option", name=re.compile(r"^mlp")).first.click()
    page.wait_for_function("document.querySelector('#configure-teacher').innerText.trim().startsWith('mlp')")
    page.fill("#configure-lambdas", "0.001")
    page.fill("#configure-gammas", "0, 0.001")
    page.fill("#configure-epochs", "2")
    page.fill("#configure-start-search", "20")  # a few random starts: the option reaches the job
    page.fill("#configure-random-search", "5")  # the teacher-free control of 5 random wavelets
    page.wait_for_function("document.querySelector('#configure-grid-size').innerText.includes('1 × 2 = 2')")
    page.locator("#configure-estimate").get_by_text("Estimated run time").wait_for()
    assert page.locator("#configure-start-search").is_visible()
    assert not page.locator("#configure-peak-response").is_visible()  # a maps-only option, hidden for series
    screenshot(page, "03-configure")
    page.evaluate("window.scrollTo(0, 400)")  # down the form, as a user who filled it is
    page.click("#configure-submit")

    # Job page: live state until it succeeds, then the app moves to the results.
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]{36}$"))
    job_id = page.url.rsplit("/", 1)[-1]
    page.locator("#job-state-badge").wait_for()
    # it opens at its top, its state and progress in sight (review 33B: 209 px down, carried over from configure)
    page.wait_for_function("window.scrollY === 0", timeout=5000)
    screenshot(page, "04-job")
    if "/jobs/" in page.url:  # still on the job page (the tiny job may already be done)
        try:
            page.locator("#job-loss-graph .main-svg").first.wait_for()
            assert_drawn(page, settle=1.0)
        except (PlaywrightError, AssertionError):  # the job ended meanwhile and the page moved on
            if "/jobs/" in page.url:
                raise
    # a job this tab has just submitted moves on to its results by itself, also when it ended before the job
    # page's first poll
    page.wait_for_url(re.compile(r".*/results/" + job_id), timeout=240_000)

    # Results: every figure of a time-series result is drawn.
    page.locator("#results-body").wait_for(state="visible")
    _wait_graphs(page, RESULT_GRAPHS, timeout=60_000)
    assert page.locator("#results-scores tbody tr").count() >= 4
    assert "AWD" in page.inner_text("#results-scores")
    assert "Best of 5 random wavelets (no teacher)" in page.inner_text("#results-scores")
    assert page.locator("#results-maps-only").is_hidden()
    # data made with db5: the page says how far the learned wavelet ended from it (the bundle had it, the page not)
    assert "This dataset was made with db5: the best AWD point ended" in page.inner_text("#results-truth-line")
    assert set(assert_drawn(page)) >= set(RESULT_GRAPHS)
    # a new result's activation map is not called an earlier version's (its redraw for example 0 said so)
    title = page.evaluate("document.querySelector('#results-activation-graph .js-plotly-plot')._fullLayout.title.text")
    assert "test example" in title and "earlier version" not in title, title
    assert assert_cards_apart(page) >= 8  # the "Use in Python" cards slid under "Explain a prediction"
    screenshot(page, "05-results")

    # Download the bundle JSON.
    with page.expect_download() as download:
        page.click("#results-download-bundle")
    bundle = json.loads(open(download.value.path()).read())
    assert download.value.suggested_filename == f"awd-{job_id[:8]}-result.json"  # the run's name, not result.json
    assert bundle["schema"] == "awd-result/1" and len(bundle["grid"]) == 2
    assert bundle["provenance"]["config"]["start_search"] == 20
    assert bundle["selection"]["random_search"]["n"] == 5 and "random_search" in bundle["models"]
    assert all(p["start"] in ("initial", "search") and len(p["start_h"]) == 10 for p in bundle["grid"])
    # every file at once, in the folder the page's Python code reads (review 16: 11 links clicked one by one)
    with page.expect_download() as download:
        page.click("#results-download-archive")
    assert download.value.suggested_filename == f"awd-{job_id[:8]}-result.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        names = set(archive.namelist())
    assert {"awd-result/result.json", "awd-result/arrays.npz", "awd-result/wavelet.png"} <= names, names
    # a figure as the page shows it and the result's own file of it are saved under two names (review 16: one
    # name, two contents)
    with page.expect_download() as download:
        page.click("#results-wavelet-graph-png")
    assert download.value.suggested_filename == f"awd-{job_id[:8]}-wavelet-as-shown.png"
    assert open(download.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"

    # Share: the dialog opens, a link that expires in 7 days appears, ready to copy, and is listed.
    page.focus("#results-share")
    page.keyboard.press("Enter")  # opened with the keyboard, the panel takes the focus at its first field
    page.locator("#results-share-none").wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'results-share-label'")
    # review 8: a link made at a loopback address opens only on this machine, and the dialog says so
    page.locator("#results-share-local").wait_for()
    assert "open only on this machine" in page.inner_text("#results-share-local")
    # its fields and copy button are named for a screen reader (review 16: "combobox" and a placeholder)
    page.get_by_label("Expires").select_option("168")
    page.get_by_label("Name").fill("for the referee")
    assert page.locator("#results-share-copy").get_attribute("aria-label") == "Copy the link"
    page.click("#results-share-create")
    page.wait_for_function("document.querySelector('#results-share-url').value.includes('/results/')")
    page.locator("#results-share-table").get_by_text("live").wait_for()
    page.locator("#results-share-table").get_by_text("for the referee").wait_for()
    assert page.input_value("#results-share-label") == ""  # emptied for the next link
    share_url = page.input_value("#results-share-url")
    assert job_id not in share_url
    screenshot(page, "06-results-shared-link")

    # A collaborator opens the link in a fresh context (no owner cookie): read-only, every figure, no actions,
    # no owner navigation.
    guest = browser.new_context(viewport={"width": 1280, "height": 900})
    gpage = guest.new_page()
    gpage.set_default_timeout(30_000)
    gerrors = console_errors(gpage)
    gpage.goto(share_url)
    gpage.locator("#results-shared-badge").wait_for()
    _wait_graphs(gpage, RESULT_GRAPHS, timeout=60_000)
    for action in ("#results-share", "#results-job-link", "#job-cancel", "#results-share-create"):
        assert gpage.locator(action).count() == 0, action
    assert gpage.locator("#app-nav-links").is_hidden()
    assert set(assert_drawn(gpage)) >= set(RESULT_GRAPHS)
    # a figure saved through the link is named after a hash of it, not its first characters (review 20)
    with gpage.expect_download() as download:
        gpage.click("#results-wavelet-graph-png")
    token = share_url.rsplit("/", 1)[-1]
    assert download.value.suggested_filename.startswith("awd-shared-")
    assert token[:6] not in download.value.suggested_filename
    screenshot(gpage, "07-shared-view")

    # The owner revokes the link already sent: the collaborator's next visit says so plainly.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))  # revoking asks first
    page.locator("#results-share-table button", has_text="Revoke").first.click()
    page.locator("#results-share-status").get_by_text("revoked").wait_for()
    assert asked and "cannot be restored" in asked[0]
    # the collaborator's page, still open, says why its downloads stopped (they saved the error, silently)
    gpage.click("#results-download-bundle")
    gpage.locator("#awd-download-error").wait_for()
    assert "revoked" in gpage.inner_text("#awd-download-error")
    assert gerrors == ["Failed to load resource: the server responded with a status of 410 (Gone)"], gerrors
    gerrors.clear()  # that check's own answer, logged by the browser
    gpage.goto(share_url)
    gpage.locator("#not-found-card").wait_for()
    assert "revoked" in gpage.inner_text("#not-found-card")
    assert gpage.locator("#results-jump").is_hidden()  # no "On this page" links to sections it lacks (review 40)
    screenshot(gpage, "07b-revoked-link")

    # An invalid token and an unknown page get the friendly 404.
    gpage.goto(web_server + "/results/not-a-valid-share-token")
    gpage.locator("#not-found-card").wait_for()
    assert "invalid" in gpage.inner_text("#not-found-card")
    screenshot(gpage, "08-invalid-token")
    assert not gerrors, gerrors
    gpage.goto(web_server + "/no/such/page")  # not the owner: no page of this server but share links
    gpage.locator("#owner-required").wait_for()
    gerrors.clear()  # the browser logs the 401 of that page itself
    logged = len(errors)
    missing = page.goto(web_server + "/no/such/page")  # the owner: the friendly 404, with its status
    page.locator("#not-found-card").wait_for()
    assert missing.status == 404
    # the owner's result page of a job that has none: no Share / Job page / Run again above the card (review 43A:
    # Bootstrap's d-flex kept them drawn under an inline display: none)
    page.goto(web_server + "/results/00000000-0000-4000-8000-000000000000")
    page.locator("#not-found-card").wait_for()
    assert "Result not found" in page.inner_text("#not-found-card")
    page.wait_for_function("() => getComputedStyle(document.getElementById('results-actions')).display === 'none'")
    assert not page.get_by_text("Run again with changes").is_visible()
    del errors[logged:]  # the browser logs the 404s of those pages themselves

    # The jobs list shows the finished job.
    page.goto(web_server + "/jobs")
    page.locator("#jobs-list").get_by_text("succeeded").first.wait_for()
    screenshot(page, "09-jobs")

    guest.close()
    assert not errors, errors
    assert not gerrors, gerrors


def test_teacher_weights_uploaded_through_the_page_are_used(web_server, owner_context, screenshot, tmp_path):
    """Configure page opened by a deep link: upload a state dict (.pt, architecture chosen on the page), run a
    job with it. The page is the first one this browser loads, so it also checks that deep links get the app's
    scripts (assets/awd.js) and raise no callback errors."""
    import torch

    from awd_studio.models.teachers import build_teacher

    owner = {"Authorization": f"Bearer {OWNER_TOKEN}"}
    dataset = httpx.post(web_server + "/api/examples/synthetic", json={"n": 150}, headers=owner, timeout=60).json()
    weights = tmp_path / "my-mlp.pt"
    state = build_teacher("mlp", (64,)).state_dict()
    state["y_mean"] = torch.tensor([1000.0])  # answers far from the targets' units: the upload warns, and keeps it
    torch.save(state, weights)

    context = owner_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/configure?dataset={dataset['id']}")
    page.wait_for_function("document.querySelector('#configure-dataset-facts')"
                           " && document.querySelector('#configure-dataset-facts').innerText.includes(' of ')")
    page.get_by_label("Upload trained weights").check()
    page.wait_for_function("!document.querySelector('#configure-teacher-upload').classList.contains('awd-hidden')")
    page.locator("#configure-teacher-arch").get_by_label("mlp", exact=True).check()
    with page.expect_file_chooser() as chooser:
        page.click("#configure-teacher-dropzone")
    chooser.value.set_files(str(weights))
    page.locator("#configure-upload-status").get_by_text("Loaded and checked my-mlp.pt").wait_for()
    page.wait_for_function("document.querySelector('#configure-teacher').innerText.includes('uploaded')")
    warning = page.locator("#configure-teacher-warning")
    warning.get_by_text("this teacher predicts at another scale than the target").wait_for()
    box = warning.bounding_box()
    assert box and box["width"] >= 250 and box["height"] >= 40, box  # drawn, readable, not collapsed
    # back to a built-in network: a built-in choice, not the flagged weights behind a hidden warning (review 23);
    # back to the upload: those weights again, with their warning
    page.get_by_label("Train a built-in network").check()
    page.wait_for_function("!document.querySelector('#configure-teacher').innerText.includes('uploaded')")
    page.get_by_label("Upload trained weights").check()
    page.wait_for_function("document.querySelector('#configure-teacher').innerText.includes('uploaded')")
    warning.get_by_text("this teacher predicts at another scale than the target").wait_for()
    screenshot(page, "10-configure-uploaded-teacher")
    # the selects show their whole choice (review 22: "orthogonal (exact lattice" side by side at 1366 px)
    cut = page.evaluate("""() => ['configure-parametrization', 'configure-mode'].map(id => {
        const el = document.getElementById(id), style = getComputedStyle(el);
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = style.fontSize + ' ' + style.fontFamily;
        const text = el.options[el.selectedIndex].text;
        return [text, Math.round(ctx.measureText(text).width), el.clientWidth - 40];  // 40: padding and arrow
    }).filter(([, width, room]) => width > room)""")
    assert not cut, cut
    # two wrong fields are named and outlined together (review 21: one at a time)
    page.fill("#configure-lambdas", "0.001, x")
    page.fill("#configure-epochs", "0")
    page.locator("#configure-start-line").get_by_text("2 fields to fix").wait_for()  # in the Start bar, in sight
    page.wait_for_function("['configure-lambdas', 'configure-epochs'].every(id => "
                           "document.getElementById(id).classList.contains('is-invalid') && "
                           "document.getElementById(id).getAttribute('aria-invalid') === 'true')")  # for a reader too
    assert "once the fields listed with Start are right" in page.inner_text("#configure-estimate")
    page.fill("#configure-lambdas", "0.001")
    page.fill("#configure-gammas", "0")
    page.wait_for_function("!document.getElementById('configure-lambdas').classList.contains('is-invalid') && "
                           "!document.getElementById('configure-lambdas').hasAttribute('aria-invalid')")
    # a refused submission says why under Start, and the words go once the field is fixed (review 21)
    page.fill("#configure-epochs", "5000")
    page.click("#configure-submit")
    page.wait_for_function("(() => { const t = document.querySelector('#configure-start-line').innerText;"
                           " return t.includes('Not started') && t.includes('epochs'); })()")
    page.fill("#configure-epochs", "1")
    page.wait_for_function("!document.querySelector('#configure-start-line').innerText.includes('Not started')")
    page.wait_for_function("document.querySelector('#configure-grid-size').innerText.includes('1 × 1 = 1')")
    page.click("#configure-submit")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]{36}$"))
    job_id = page.url.rsplit("/", 1)[-1]
    job = httpx.get(f"{web_server}/api/jobs/{job_id}", headers=owner, timeout=30).json()
    assert job["teacher_id"] and job["teacher_id"] not in ("mlp", "lstm", "cnn", "resnet18"), job  # uploaded
    with httpx.Client(base_url=web_server, headers=owner, timeout=30) as api:
        final = wait_for(lambda: terminal_state(api, job_id), timeout=240, what=f"job {job_id} to end")
    assert final["state"] == "succeeded", final  # with its error, should it fail
    page.wait_for_url(re.compile(r".*/results/" + job_id), timeout=60_000)  # moves on by itself
    page.locator("#results-body").wait_for(state="visible")
    page.locator("#results-badges").get_by_text("teacher: uploaded").wait_for()
    assert_drawn(page)
    assert not errors, errors


def test_a_failed_upload_stands_alone_and_a_missing_job_is_not_found(web_server, owner_context, tmp_path):
    """After a good upload, a bad one shows its error without the earlier dataset's preview under it (nothing is
    lost: the earlier dataset stays stored); a job page for a job that does not exist says so and shows no empty
    progress bar."""
    from awd_studio.models.data import make_example, save_npz

    good, bad = tmp_path / "good.npz", tmp_path / "broken.npz"
    save_npz(make_example("synthetic", n=120, seed=8), good)
    bad.write_bytes(b"PK\x03\x04 this archive ends here")
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(web_server + "/")
    for path in (good, bad):
        with page.expect_file_chooser() as chooser:
            page.click("#home-dropzone")
        chooser.value.set_files(str(path))
        if path == good:
            page.locator("#home-preview-card").wait_for()
    page.wait_for_function("(() => { const e = document.querySelector('#home-error');"
                           " return e && e.innerText.includes('broken.npz'); })()")
    page.locator("#home-preview-card").wait_for(state="detached")
    # the refusal says the earlier dataset stays, and leaves no empty progress bar under it (review 43A)
    said = page.inner_text("#home-error")
    assert "The dataset uploaded before, good.npz, is still stored: the Configure page lists it." in said, said
    assert not page.locator("#home-upload-progress").is_visible()
    page.goto(web_server + "/jobs/00000000-0000-4000-8000-000000000000")
    page.locator("#not-found-card").wait_for()
    assert "Job not found" in page.inner_text("#not-found-card")
    assert not page.locator("#job-progress").is_visible()
    # the owner's mistyped result id is not called a dead share link (review 18)
    page.goto(web_server + "/results/3872a3ac")
    page.locator("#not-found-card").wait_for()
    said = page.inner_text("#not-found-card")
    assert "neither a job's id nor one of your share links" in said and "share link is invalid" not in said, said
    # the browser logs the refused upload's answer itself; nothing else may go wrong
    assert [e for e in errors if "status of 422" not in e] == [], errors


def test_large_maps_uploaded_with_a_tile_size_are_cut_and_the_preview_says_how(web_server, owner_context, tmp_path,
                                                                               screenshot):
    import numpy as np

    rng = np.random.default_rng(77)
    path = tmp_path / "suite.npz"
    np.savez(path, X=rng.normal(size=(6, 96, 96)), y=np.repeat([0.25, 0.3, 0.35], 2))
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(web_server + "/")
    page.fill("#home-tile-size", "32")
    with page.expect_file_chooser() as chooser:
        page.click("#home-dropzone")
    chooser.value.set_files(str(path))
    page.locator("#home-preview-tiles").wait_for()
    words = page.inner_text("#home-preview-tiles")
    assert "Cut into 32 × 32 px tiles, 9 a map, from 96 × 96 maps" in words and "held out whole" in words
    assert "32 × 32 pixels" in page.inner_text("#home-preview-card")
    assert_drawn(page)
    assert_cards_apart(page)
    screenshot(page, "02b-home-tiles")
    assert not errors, errors


@pytest.mark.parametrize("path", ["/", "/configure", "/jobs", "/jobs/00000000-0000-4000-8000-000000000000",
                                  "/results/00000000-0000-4000-8000-000000000000"])
def test_a_browser_without_the_owners_link_sees_no_owner_page(web_server, browser, path):
    stranger = browser.new_context()
    page = stranger.new_page()
    response = page.goto(web_server + path)
    assert response.status == 401
    assert "awd serve" in page.inner_text("#owner-required")
    assert page.locator("#home-dropzone, #jobs-list, #configure-submit").count() == 0
    stranger.close()


def test_the_api_docs_render_without_internet(web_server, browser, screenshot):
    """Swagger UI and ReDoc come from the server itself: every script and style of /docs and /redoc is its own (a
    lab machine without internet showed blank pages when they came from a CDN), and the pages list the API."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda request: requests.append((request.resource_type, request.url)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(web_server + "/docs")
    page.locator(".opblock-summary-path", has_text="/api/jobs").first.wait_for(timeout=30_000)
    assert page.locator(".opblock").count() >= 20
    assert page.locator(".opblock").first.bounding_box()["height"] >= 30
    assert errors == []
    screenshot(page, "api-docs")
    page.goto(web_server + "/redoc")
    page.get_by_text("/api/jobs").first.wait_for(timeout=30_000)
    outside = [(kind, url) for kind, url in requests
               if not url.startswith((web_server, f"blob:{web_server}", "data:"))]
    # ReDoc's "powered by" logo is an image from its maker's site; offline it is simply not shown
    assert [(kind, url) for kind, url in outside if kind != "image"] == []
    context.close()


def test_an_open_dropdown_is_searched_by_typing(web_server, owner_context):
    """Review 16: opened with Enter, a dropdown's menu held the focus on its current option, and typing "sym5"
    then Enter chose db6; letters now go to the menu's search box."""
    owner = {"Authorization": f"Bearer {OWNER_TOKEN}"}
    dataset = httpx.post(web_server + "/api/examples/cme", json={"n": 120, "name": "dropdown typing"},
                         headers=owner, timeout=60).json()
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/configure?dataset={dataset['id']}")
    # the service's wavelets arrive with its options, as does the grid preset's λ values; the dataset's facts (which
    # may set the wavelet: a synthetic dataset starts from sym5) before the keys are pressed, or they undo the choice
    page.wait_for_function("document.querySelector('#configure-lambdas')"
                           " && document.querySelector('#configure-lambdas').value.length > 0")
    page.locator("#configure-estimate").get_by_text("Estimated run time").wait_for()
    for _ in range(60):  # Tab to "Start from", as a keyboard user does
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.parentElement"
                         " && document.activeElement.parentElement.querySelector('#configure-wave') !== null"):
            break
    page.keyboard.press("Enter")
    page.locator(".dash-dropdown-content [role=listbox]").wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.closest('.dash-dropdown-content')")
    page.keyboard.type("coif2")
    assert page.evaluate("document.activeElement.value") == "coif2"
    # the menu filters as it is typed in: the first option is coif2 once it has (on a busy machine ArrowDown could
    # land on the unfiltered list's first option)
    page.wait_for_function("(() => { const o = document.querySelector('.dash-dropdown-content [role=option]');"
                           " return o && o.innerText.trim() === 'coif2'; })()")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#configure-wave').innerText.trim() === 'coif2'")
    assert errors == [], errors


def test_a_file_over_the_upload_limit_is_refused_before_it_is_sent(web_server, owner_context, tmp_path):
    """Review 18: a 205 MB file was refused (413) only after all of it had been sent, 49 s later. The page reads
    the limit (GET /api/options) and refuses at once, sending nothing."""
    big = tmp_path / "too_big.csv"
    with open(big, "wb") as f:  # sparse: 201 MiB on paper, nothing on disk
        f.truncate(201 * 2**20)
    stored = httpx.get(web_server + "/api/datasets", headers={"Authorization": f"Bearer {OWNER_TOKEN}"}).json()
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and "/api/datasets" in r.url else None)
    page.goto(web_server + "/")
    with page.expect_file_chooser() as chooser:
        page.click("#home-dropzone")
    chooser.value.set_files(str(big))
    page.wait_for_function("(() => { const e = document.querySelector('#home-error');"
                           " return e && e.innerText.includes('upload limit'); })()")
    said = page.inner_text("#home-error")
    assert "too_big.csv is 201 MB, more than this server's upload limit of 200 MB" in said, said
    assert "nothing was sent" in said and sent == [], sent
    after = httpx.get(web_server + "/api/datasets", headers={"Authorization": f"Bearer {OWNER_TOKEN}"}).json()
    assert after["count"] == stored["count"] and errors == [], errors


def test_a_move_to_another_page_puts_the_focus_on_its_heading(web_server, owner_context):
    """Review 22: after every move within the app the focus was left on <body> (Tab started again from the top)."""
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(web_server + "/")
    page.locator("#_pages_content h1").first.wait_for()
    assert page.evaluate("document.activeElement === document.body")  # a first load moves nothing
    page.locator("#app-nav-links a[href='/jobs']").click()
    page.wait_for_function("location.pathname === '/jobs' && document.activeElement.tagName === 'H1' && "
                           "document.getElementById('_pages_content').contains(document.activeElement)")
    page.keyboard.press("Tab")  # Tab goes on from the heading, inside the page, not from the navbar
    assert page.evaluate("document.getElementById('_pages_content').contains(document.activeElement)")
    page.go_back()
    page.wait_for_function("location.pathname === '/' && document.activeElement.tagName === 'H1'")
    assert not errors, errors
