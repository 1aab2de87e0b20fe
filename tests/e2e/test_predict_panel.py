"""The results page's "Predict new data" panel in a browser: the owner drops a file of new series, gets the
recommended model's predictions and scores (the numbers the API and the stored test predictions give) and a CSV
of them; a share link's reader does not see the panel. Measured in chromium against the real worker's result."""

from __future__ import annotations

import io
import re

import httpx
import numpy as np
import pytest

from tests.conftest import TINY_JOB, wait_for
from tests.e2e.conftest import OWNER_TOKEN, console_errors

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OWNER = {"Authorization": f"Bearer {OWNER_TOKEN}"}


@pytest.fixture(scope="module")
def finished_job(web_server):
    api = httpx.Client(base_url=web_server, headers=OWNER, timeout=30)
    dataset = api.post("/api/examples/synthetic", json={"n": 200}).json()
    job = api.post("/api/jobs", json={"dataset_id": dataset["id"], **TINY_JOB, "seed": 22}).json()
    final = wait_for(lambda: (lambda b: b if b["state"] in ("succeeded", "failed") else None)(
        api.get(f"/api/jobs/{job['id']}").json()), timeout=240, what="the job")
    assert final["state"] == "succeeded", final["error"]
    bundle = api.get(f"/api/results/{job['id']}").json()
    arrays = np.load(io.BytesIO(api.get(f"/api/results/{job['id']}/files/arrays.npz").content), allow_pickle=False)
    token = api.post(f"/api/jobs/{job['id']}/share", json={}).json()["token"]
    return job["id"], token, bundle, {k: arrays[k] for k in arrays.files}


def test_the_owner_predicts_new_data_and_downloads_a_csv(web_server, browser, owner_context, screenshot,
                                                          finished_job, tmp_path):
    job_id, token, bundle, arrays = finished_job
    recommended = "baseline_wavelet" if bundle["selection"]["choice"] == "initial" else "awd"
    X, y = arrays["X_examples"], arrays["y_test"][:len(arrays["X_examples"])]
    np.savez(tmp_path / "new.npz", X=X, y=y)
    page = owner_context().new_page()
    page.set_default_timeout(60_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/results/{job_id}")
    panel = page.locator("#results-predict")
    panel.scroll_into_view_if_needed()
    page.wait_for_function(f"document.querySelector('#results-predict-model').value === {recommended!r}")
    with page.expect_file_chooser() as chooser:
        page.click("#results-predict-dropzone")
    chooser.value.set_files(str(tmp_path / "new.npz"))
    page.wait_for_function("document.querySelector('#results-predict-output').innerText.includes('predictions')")
    said = page.inner_text("#results-predict-output")
    assert f"{len(X)} predictions" in said and "R² " in said and "RMSE " in said, said
    api = httpx.post(f"{web_server}/api/results/{job_id}/predict", headers=OWNER, timeout=60,
                     files={"file": ("new.npz", (tmp_path / "new.npz").read_bytes())}).json()
    assert api["model"] == recommended
    assert f"R² {api['scores']['X']['r2']:.4f}"[:8] in said  # the page's number is the API's
    with page.expect_download() as download:
        page.click("#results-predict-csv")
    assert re.fullmatch(r"awd-[0-9a-f]{8}-predictions\.csv", download.value.suggested_filename)
    lines = open(download.value.path()).read().splitlines()
    assert lines[0] == "split,row,y_pred,y_true" and len(lines) == len(X) + 1
    assert {line.split(",")[0] for line in lines[1:]} == {"file"}  # words, not "X" (review 24b)
    got = np.array([float(line.split(",")[2]) for line in lines[1:]])
    np.testing.assert_allclose(got, arrays[f"y_pred_{recommended}"][:len(X)], atol=1e-10)  # the stored test ones
    screenshot(page, "predict-01-owner")

    # a bad file: one sentence in the panel, nothing else lost
    (tmp_path / "short.npz").write_bytes(b"not an npz")
    with page.expect_file_chooser() as chooser:
        page.click("#results-predict-dropzone")
    chooser.value.set_files(str(tmp_path / "short.npz"))
    page.wait_for_function("(document.querySelector('#results-predict-error') || {innerText: ''})"
                           ".innerText.includes('failed')")
    assert not [e for e in errors if "422" not in e], errors  # the refused file's 422 is the only console error

    shared = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    shared.goto(f"{web_server}/results/{token}")
    shared.locator("#results-shared-badge").wait_for()
    assert shared.locator("#results-predict").count() == 0  # predicting is the owner's
    shared.context.close()


#: The panel's button under a file refused for missing values (frontend/predict_panel.py).
DROP = "Leave out the rows with missing values and predict again"


def test_rows_with_missing_values_can_be_left_out_of_a_prediction(web_server, owner_context, screenshot,
                                                                   finished_job, tmp_path):
    """A new CSV with a blank cell inside one trace: the refusal names the panel's button, not the API's field; the
    button sends the same file again (no second pick), and the predictions say which row was left out and keep
    their rows in the file, on the page and in the downloaded CSV (a table shifted by one row is wrong everywhere
    below the gap, silently)."""
    job_id, _token, bundle, arrays = finished_job
    recommended = "baseline_wavelet" if bundle["selection"]["choice"] == "initial" else "awd"
    X = arrays["X_examples"]
    expected = arrays[f"y_pred_{recommended}"][:len(X)]
    cells = [["track_id"] + [f"t{i}" for i in range(X.shape[1])]]
    cells += [[f"trk{i}"] + [repr(float(v)) for v in row] for i, row in enumerate(X)]
    cells[3][6] = ""  # line 4, the file's row 2 (trk2): a blank inside its trace
    path = tmp_path / "gapped.csv"
    path.write_text("\n".join(",".join(row) for row in cells) + "\n")

    page = owner_context().new_page()
    page.set_default_timeout(60_000)
    errors = console_errors(page)
    page.goto(f"{web_server}/results/{job_id}")
    page.locator("#results-predict").scroll_into_view_if_needed()
    page.wait_for_function(f"document.querySelector('#results-predict-model').value === {recommended!r}")
    button = page.locator("#results-predict-drop-incomplete")
    assert button.is_hidden()  # nothing refused yet
    with page.expect_file_chooser() as chooser:
        page.click("#results-predict-dropzone")
    chooser.value.set_files(str(path))
    page.wait_for_function("(document.querySelector('#results-predict-error') || {innerText: ''})"
                           ".innerText.includes('failed')")
    said = page.inner_text("#results-predict-error")
    assert "line 4 (trk2), column 7 “t5” holds nothing" in said, said
    assert f"(the button “{DROP}”; awd predict --drop-incomplete)" in said, said
    assert "drop_incomplete" not in said and "=true" not in said, said
    button.wait_for(state="visible")
    assert button.inner_text() == DROP
    box, alert = button.bounding_box(), page.locator("#results-predict-error").bounding_box()
    panel = page.locator("#results-predict").bounding_box()
    assert box["height"] >= 24 and box["width"] >= 200, box  # drawn, one readable button
    assert box["y"] >= alert["y"] + alert["height"] - 1, (box, alert)  # under the message, not over it
    assert panel["x"] <= box["x"] and box["x"] + box["width"] <= panel["x"] + panel["width"], (box, panel)
    screenshot(page, "predict-drop-01-refused")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the button's words wrap inside the panel
    page.wait_for_timeout(500)
    box, panel = button.bounding_box(), page.locator("#results-predict").bounding_box()
    assert box["width"] >= 150 and panel["x"] <= box["x"] and box["x"] + box["width"] <= panel["x"] + panel["width"], \
        (box, panel)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the window
    screenshot(page, "predict-drop-01b-refused-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#results-predict-error .btn-close")  # closing the message closes its offer too
    button.wait_for(state="hidden")
    with page.expect_file_chooser() as chooser:  # the same file again: refused again, the offer back
        page.click("#results-predict-dropzone")
    chooser.value.set_files(str(path))
    button.wait_for(state="visible")

    button.click()  # the same file, no file chooser
    page.locator("#results-predict-dropped").wait_for()
    page.wait_for_function("document.querySelector('#results-predict-output').innerText.includes('predictions')")
    output = page.inner_text("#results-predict-output")
    assert f"{len(X) - 1} predictions" in output, output
    dropped = page.inner_text("#results-predict-dropped")
    assert f"Left out 1 of {len(X)} rows with missing values, as asked: line 4 (trk2); in the CSV, row 2." \
        in dropped, dropped  # line 4 under the header is the CSV's row 2: both named
    assert "keeping its row in the file" in dropped, dropped
    assert output.count("Left out 1 of") == 1, output  # the answer's warning of the same row not said twice
    assert "(row in the file: prediction)" in output and " 1: " in output and " 3: " in output, output
    assert " 2: " not in output, output
    assert "row with missing values left out" in page.inner_text("#results-predict-upload-status")
    assert button.is_hidden() and not page.locator("#results-predict-error").is_visible()
    line = page.locator("#results-predict-dropped").bounding_box()
    assert line["height"] >= 16 and line["width"] >= 200, line

    with page.expect_download() as download:
        page.click("#results-predict-csv")
    lines = open(download.value.path()).read().splitlines()
    assert lines[0] == "split,row,track_id,y_pred" and len(lines) == len(X), lines[:3]
    kept = [i for i in range(len(X)) if i != 2]
    assert [line.split(",")[1:3] for line in lines[1:]] == [[str(i), f"trk{i}"] for i in kept], lines[:5]
    got = np.array([float(line.split(",")[3]) for line in lines[1:]])
    np.testing.assert_allclose(got, expected[kept], atol=1e-10)  # each prediction on its own row
    screenshot(page, "predict-drop-02-predicted")
    assert [e for e in errors if "status of 422" not in e] == [], errors
