"""Run again with changes, in a browser: a failed job's page leads to the configure form filled with its settings,
the option it failed on (set through the API, no field on the page) is listed and can be dropped, and the new
job carries the old settings with the one change made, and links back to the old job."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import wait_for
from tests.e2e.conftest import OWNER_TOKEN, SCREENSHOTS, console_errors

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

OWNER = {"Authorization": f"Bearer {OWNER_TOKEN}"}


def _ended(api, job_id):
    body = api.get(f"/api/jobs/{job_id}").json()
    return body if body["state"] in ("succeeded", "failed", "cancelled") else None


def _value(page, selector):
    return page.locator(selector).input_value()


def _start_without_device(page, api):
    """Drop the run's device setting (it failed on it), press Start, and return the new job's config; the new job
    is cancelled (what it would compute is not the point)."""
    page.get_by_role("group", name="Keep its settings that this page does not show:").get_by_label(
        "device = cuda:7").uncheck()
    page.wait_for_function("document.querySelector('#configure-estimate').innerText.includes('Estimated')")
    page.click("#configure-submit")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]+$"))
    new_id = page.url.rsplit("/", 1)[1]
    config = api.get(f"/api/jobs/{new_id}").json()["config"]
    api.post(f"/api/jobs/{new_id}/cancel")
    return config


def test_failed_job_reruns_from_the_filled_form(web_server, owner_context, screenshot):
    api = httpx.Client(base_url=web_server, headers=OWNER, timeout=60)
    dataset = api.post("/api/examples/synthetic", json={"n": 150, "seed": 21, "name": "rerun e2e"}).json()
    asked = {"teacher": "mlp", "lambdas": [0.002, 0.02], "gammas": [0.0, 0.5], "epochs": 3, "teacher_epochs": 7,
             "levels": 3, "wave": "sym5", "mode": "zero", "attribution": "input_x_gradient", "seed": 3,
             "lr": 0.004, "random_search": 0, "top_k": 4, "device": "cuda:7"}  # no CUDA here: the job fails
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **asked}).json()
    final = wait_for(lambda: _ended(api, job["id"]), timeout=120, what="the CUDA job to fail")
    assert final["state"] == "failed" and "cuda" in final["error"].lower(), final

    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/jobs/{job['id']}")
    link = page.locator("#job-rerun-link")
    link.wait_for(state="visible")
    assert link.inner_text().strip() == "Run again with changes"
    assert link.get_attribute("role") == "button"  # a link drawn as a button: Space opens it, as a button's does
    link.focus()
    page.keyboard.press("Space")  # (review 11: Space scrolled the page, only Enter followed such links)
    page.wait_for_url(re.compile(rf".*/configure\?from={job['id']}$"))

    # every field holds the run's setting, after the defaults that arrive with the options and the dataset
    note = page.locator("#configure-prefill-note")
    note.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#configure-lambdas').value === '0.002, 0.02'")
    text = note.inner_text()
    assert job["id"][:8] in text and "failed:" in text and "new job" in text, text
    # one switch per setting the page has no field for (review: one switch dropped them all)
    keep = page.get_by_role("group", name="Keep its settings that this page does not show:")
    device, top_k = keep.get_by_label("device = cuda:7"), keep.get_by_label("top_k = 4")
    assert device.is_checked() and top_k.is_checked(), text
    assert _value(page, "#configure-gammas") == "0, 0.5" and _value(page, "#configure-epochs") == "3"
    assert _value(page, "#configure-lr") == "0.004" and _value(page, "#configure-seed") == "3"
    assert _value(page, "#configure-levels") == "3" and _value(page, "#configure-teacher-epochs") == "7"
    assert _value(page, "#configure-mode") == "zero" and _value(page, "#configure-random-search") == "0"
    assert page.get_by_label("Input × gradient").is_checked()
    assert "rerun e2e" in page.inner_text("#configure-dataset") and "sym5" in page.inner_text("#configure-wave")
    assert page.inner_text("#configure-teacher").strip().startswith("mlp")
    screenshot(page, "rerun-01-filled-form")

    # drop the option it failed on, change the seed, start: a new job with the same settings otherwise
    device.uncheck()
    page.fill("#configure-seed", "5")
    page.wait_for_function("document.querySelector('#configure-estimate').innerText.includes('Estimated')")
    page.click("#configure-submit")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]+$"))
    new_id = page.url.rsplit("/", 1)[1]
    assert new_id != job["id"]
    created = api.get(f"/api/jobs/{new_id}").json()
    new = created["config"]
    api.post(f"/api/jobs/{new_id}/cancel")  # what ran is not the point here
    # the new job names the run it came from, and its page links back to it (review 12: they were not linked)
    assert created["rerun_of"] == job["id"]
    origin = page.locator("#job-origin a")
    origin.wait_for(state="visible")
    assert "Started from the settings of job" in page.inner_text("#job-origin")
    assert origin.get_attribute("href") == f"/jobs/{job['id']}" and origin.inner_text() == job["id"]
    old = final["config"]
    changed = {k for k in old if old[k] != new.get(k)}
    assert changed == {"seed", "device"}, {k: (old[k], new.get(k)) for k in changed}
    assert new["seed"] == 5 and new["device"] is None and new["top_k"] == 4  # top_k kept
    # a link to a run deleted since says so, and the form shows the defaults (review 12: the alert was cleared)
    page.goto(f"{web_server}/configure?from=00000000-0000-4000-8000-000000000000")
    page.wait_for_function("(() => { const e = document.querySelector('#configure-error');"
                           " return e && e.innerText.includes('Could not read the settings of job'); })()")
    page.wait_for_timeout(1500)  # the options and the dataset list arrive after it: the alert stays
    assert page.locator("#configure-error").is_visible() and page.locator("#configure-prefill-note").is_hidden()
    assert [e for e in errors if "status of 404" not in e] == [], errors


def test_a_preset_run_reruns_with_only_the_change_made(web_server, owner_context):
    """Review 12: one changed seed made six differences (the preset's λ and γ rounded to 4 digits, its epochs and
    step size written out); the grid the form shows as a preset is sent as that preset."""
    api = httpx.Client(base_url=web_server, headers=OWNER, timeout=60)
    dataset = api.post("/api/examples/synthetic", json={"n": 150, "seed": 22, "name": "preset rerun"}).json()
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], "teacher": "mlp", "grid_preset": "paper",
                                      "device": "cuda:7"}).json()  # fails at once: no CUDA here
    final = wait_for(lambda: _ended(api, job["id"]), timeout=120, what="the CUDA job to fail")
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{web_server}/configure?from={job['id']}")
    page.locator("#configure-prefill-note").wait_for(state="visible")
    page.wait_for_function("document.querySelector('#configure-epochs').value === '100'")  # the paper's
    page.fill("#configure-seed", "9")
    new = _start_without_device(page, api)
    old = final["config"]
    assert {k for k in old if old[k] != new.get(k)} == {"seed", "device"}, {k: (old[k], new.get(k)) for k in old
                                                                            if old[k] != new.get(k)}


def test_an_ended_job_reruns_from_its_page(web_server, owner_context):
    """Review 18: a cancelled or failed job's page offered only "Change settings and run again"; its Rerun (asked
    first, in the jobs list's dialog and words) queues the same settings and opens the new job. The dialog opens
    with the focus on "Go back"; Escape closes it and reruns nothing."""
    api = httpx.Client(base_url=web_server, headers=OWNER, timeout=60)
    dataset = api.post("/api/examples/synthetic", json={"n": 150, "seed": 23, "name": "page rerun"}).json()
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], "teacher": "mlp", "epochs": 2,
                                      "device": "cuda:7"}).json()  # fails at once: no CUDA here
    final = wait_for(lambda: _ended(api, job["id"]), timeout=120, what="the CUDA job to fail")
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/jobs/{job['id']}")
    button = page.locator("#job-rerun")
    button.wait_for(state="visible")
    # one row, apart (review 19: the dialog's wrapper put Rerun and the link on lines of their own, touching)
    rerun, link = button.bounding_box(), page.locator("#job-rerun-link").bounding_box()
    assert abs(rerun["y"] - link["y"]) < 2 and rerun["x"] + rerun["width"] + 4 <= link["x"], (rerun, link)
    dialog = page.locator("#job-confirm")
    button.focus()
    page.keyboard.press("Enter")
    dialog.wait_for(state="visible")
    text = page.inner_text("#job-confirm-text")
    assert text.startswith("Rerun this job with the same dataset and settings, a new mlp teacher?"), text
    assert "time limit" not in text  # it failed on its device
    assert page.inner_text("#job-confirm-ok").strip() == "Rerun"
    page.wait_for_function("document.activeElement && document.activeElement.id === 'job-confirm-cancel'")
    page.keyboard.press("Tab")  # the next stop: the confirm button
    assert page.evaluate("document.activeElement.id") == "job-confirm-ok"
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    page.wait_for_timeout(500)
    assert [j for j in api.get("/api/jobs").json()["data"] if j.get("rerun_of") == job["id"]] == []
    button.click()  # asked again, confirmed
    dialog.wait_for(state="visible")
    page.click("#job-confirm-ok")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]+$"))
    page.wait_for_function(f"!location.pathname.endsWith('{job['id']}')")
    new_id = page.url.rsplit("/", 1)[1]
    created = api.get(f"/api/jobs/{new_id}").json()
    api.post(f"/api/jobs/{new_id}/cancel")
    assert created["rerun_of"] == job["id"] and created["config"] == final["config"]
    page.locator("#job-origin a").wait_for(state="visible")
    assert page.locator(".modal-backdrop").count() == 0  # the dialog went with the page it was on
    assert errors == [], errors


#: The time limit of the worker of :func:`test_a_job_stopped_by_its_time_limit_says_so_before_its_rerun`, in seconds
#: (the least AWD_JOB_TIME_LIMIT allows); its job takes minutes.
SHORT_LIMIT = 10


@pytest.fixture()
def limited_worker(no_worker, tmp_path):
    """The only worker while the test runs, with a time limit of :data:`SHORT_LIMIT` seconds (the web server keeps
    its own, so the job is not refused as too long); the session's worker comes back afterwards."""
    from tests.conftest import WorkerControl

    worker = WorkerControl(tmp_path, label="time-limit", AWD_JOB_TIME_LIMIT=str(SHORT_LIMIT)).start()
    yield worker
    worker.stop()


def _ask_rerun(page, selector: str, dialog: str) -> str:
    """Press a Rerun button; the dialog's text once it is open, with the focus on its "Go back"."""
    page.click(selector)
    page.locator(f"#{dialog}").wait_for(state="visible")
    page.wait_for_function(f"document.activeElement && document.activeElement.id === '{dialog}-cancel'")
    # slid in and opaque: the fade has ended (a picture taken earlier shows the page through it)
    page.wait_for_function(f"getComputedStyle(document.getElementById('{dialog}')).transform === 'none'"
                           " && getComputedStyle(document.querySelector('.modal')).opacity === '1'")
    return page.inner_text(f"#{dialog}-text")


def test_a_job_stopped_by_its_time_limit_says_so_before_its_rerun(web_server, owner_context, limited_worker):
    """Rerun as it was, a job its time limit stopped will very likely stop there again: the dialog says so, on the
    job page and on the jobs list, and links to the configure form filled with its settings."""
    api = httpx.Client(base_url=web_server, headers=OWNER, timeout=60)
    dataset = api.post("/api/examples/synthetic", json={"n": 150, "seed": 24, "name": "limit rerun"}).json()
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], "teacher": "mlp", "lambdas": [1e-3],
                                      "gammas": [0.0, 1e-3], "epochs": 2000, "teacher_epochs": 20,
                                      "batch_size": 4}).json()
    assert "id" in job, job
    final = wait_for(lambda: _ended(api, job["id"]), timeout=SHORT_LIMIT + 120, what="the time limit")
    assert final["state"] == "failed" and f"time limit of {SHORT_LIMIT} s" in final["error"], final
    href = f"/configure?from={job['id']}"

    for size, name in (({"width": 1366, "height": 768}, "desktop"), ({"width": 390, "height": 844}, "phone")):
        page = owner_context(viewport=size).new_page()
        page.set_default_timeout(30_000)
        errors = console_errors(page)
        page.goto(f"{web_server}/jobs/{job['id']}")
        page.locator("#job-rerun").wait_for(state="visible")
        text = _ask_rerun(page, "#job-rerun", "job-confirm").replace("\u00a0", " ")
        assert text.startswith("Rerun this job with the same dataset and settings, a new mlp teacher?"), text
        assert f"This job was stopped by its time limit of {SHORT_LIMIT} s: rerun as it was, it will very likely " \
               "be stopped there again. Its error says what to change: use fewer" in text, text
        link = page.locator("#job-confirm-text a")
        assert link.inner_text() == "Run again with changes" and link.get_attribute("href") == href
        box, window = page.locator("#job-confirm .modal-content").bounding_box(), size
        assert box["x"] >= 0 and box["x"] + box["width"] <= window["width"] and box["height"] < window["height"], box
        # the window as it shows the dialog (a full-page picture has the backdrop over its top only)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"rerun-05-time-limit-dialog-{name}.png"))
        page.keyboard.press("Escape")
        page.locator("#job-confirm").wait_for(state="hidden")
        # back where it was opened (restored as the dialog unmounts, a moment after it is hidden)
        page.wait_for_function("document.activeElement && document.activeElement.id === 'job-rerun'", timeout=5000)
        assert errors == [], errors
        page.close()

    # the jobs list asks the same; its link leads to the filled form, which names the limit too
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/jobs")
    page.locator(f"#jobs-row-{job['id'][:8]}").wait_for()
    text = _ask_rerun(page, f"#jobs-row-{job['id'][:8]} button:has-text('Rerun')", "jobs-confirm")
    assert f"Run {job['id'][:8]} was stopped by its time limit of {SHORT_LIMIT}" in text.replace("\u00a0", " "), text
    page.click("#jobs-confirm-text a")
    page.wait_for_url(re.compile(rf".*/configure\?from={job['id']}$"))
    page.locator("#configure-prefill-note").wait_for(state="visible")
    assert "time limit" in page.inner_text("#configure-prefill-note")
    assert page.locator(".modal-backdrop").count() == 0 and page.locator(".modal").count() == 0
    assert [j for j in api.get("/api/jobs").json()["data"] if j.get("rerun_of") == job["id"]] == []
    assert errors == [], errors


def test_the_map_students_range_is_a_field_of_the_form(web_server, owner_context, screenshot):
    """peak_range has a field beside "Map student reads" for maps: a run with the signed range fills it, the choice
    made is the new job's, and the field is hidden with the other maps-only ones for series."""
    api = httpx.Client(base_url=web_server, headers=OWNER, timeout=60)
    dataset = api.post("/api/examples/lensing", json={"n": 120, "name": "range e2e"}).json()
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], "teacher": "cnn", "lambdas": [0.01],
                                      "gammas": [0.0], "epochs": 1, "teacher_epochs": 1, "peak_range": "signed",
                                      "device": "cuda:7"}).json()  # fails at once: no CUDA here
    wait_for(lambda: _ended(api, job["id"]), timeout=120, what="the CUDA job to fail")
    page = owner_context().new_page()
    page.set_default_timeout(30_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/configure?from={job['id']}")
    page.locator("#configure-prefill-note").wait_for(state="visible")
    field = page.locator("#configure-peak-range")
    field.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#configure-peak-range').value === 'signed'")
    choices = [t for t in field.locator("option").all_inner_texts() if t]  # the select's placeholder is blank
    assert choices == ["from 0 (the paper's)", "both signs"], choices
    label = page.locator("label[for='configure-peak-range']")
    assert label.inner_text().strip().startswith("Map student's range") and label.bounding_box()["width"] > 50
    box = field.bounding_box()
    assert box["width"] > 150 and box["height"] > 20, box  # drawn, not collapsed
    page.locator("#configure-peak-range").scroll_into_view_if_needed()
    screenshot(page, "rerun-04-peak-range")
    field.select_option("from_zero")
    new = _start_without_device(page, api)
    assert new["peak_range"] == "from_zero" and new["device"] is None
    # series: the field is hidden with "Map student reads"
    series = api.post("/api/examples/synthetic", json={"n": 150, "seed": 23, "name": "range e2e series"}).json()
    page.goto(f"{web_server}/configure?dataset={series['id']}")
    page.locator("#configure-start-search").wait_for(state="visible")
    page.locator("#configure-peak-range").wait_for(state="hidden")
    assert page.locator("#configure-peak-response").is_hidden()
    assert not errors, errors
