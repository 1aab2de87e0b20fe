"""Explanations through the API with the real Redis and Celery worker: start -> progress -> numbers, the
cache, the share link's read-only scope, a hand-drawn mask, and bad bodies answered in one sentence."""

from __future__ import annotations

import io
import json
import time

import numpy as np
import pytest

from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: Few Adam steps: the test checks the service, not the optimisation (tests/models/test_explain.py does).
FAST = {"example": 2, "lam": 0.2, "wavelet": "learned", "model": "teacher", "steps": 20}


@pytest.fixture(scope="module")
def series_job(client, workers, tiny_job):
    """A succeeded tiny time-series job."""
    workers.ensure_running()
    dataset = client.post("/api/examples/synthetic", json={"n": 200}).json()
    job_id = client.post("/api/jobs", json={"dataset_id": dataset["id"], **tiny_job, "seed": 7}).json()["id"]

    def finished():
        body = client.get(f"/api/jobs/{job_id}").json()
        return body if body["state"] in ("succeeded", "failed", "cancelled") else None

    final = wait_for(finished, timeout=180, what="the job to finish")
    assert final["state"] == "succeeded", final["error"]
    return job_id


def _done(client, key, eid):
    body = client.get(f"/api/results/{key}/explanations/{eid}").json()
    return body if body["state"] in ("succeeded", "failed") else None


def test_explanation_runs_on_the_worker_and_is_cached(client, worker, series_job):
    started = client.post(f"/api/results/{series_job}/explain", json=FAST)
    assert started.status_code == 202, started.text
    first = started.json()
    assert first["state"] == "queued" and first["cached"] is False and len(first["id"]) == 16
    fractions = set()

    def done():
        body = client.get(f"/api/results/{series_job}/explanations/{first['id']}").json()
        fractions.add(body["fraction"])
        return body if body["state"] in ("succeeded", "failed") else None

    final = wait_for(done, timeout=120, interval=0.1, what="the explanation")
    assert final["state"] == "succeeded", final["error"]
    summary, arrays = final["summary"], final["arrays"]
    e = summary["explanation"]
    assert 0.0 <= e["kept_fraction"] <= 1.0 and np.isfinite(e["prediction"]) and np.isfinite(e["cartoon_prediction"])
    assert summary["baseline"]["space"] == "pixel"
    assert len(arrays["wavelet_x"]) == 64 and len(arrays["wavelet_cartoon"]) == 64
    assert len(arrays["baseline_mask"]) == 64 and len(arrays["wavelet_mask_image"]) == len(summary["band_names"])
    assert max(fractions) == 1.0

    files = f"/api/results/{series_job}/explanations/{first['id']}/files"  # the panel's download links
    png = client.get(f"{files}/explanation.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    with np.load(io.BytesIO(client.get(f"{files}/arrays.npz").content), allow_pickle=False) as saved:
        np.testing.assert_allclose(saved["wavelet_x"], arrays["wavelet_x"])
    assert client.get(f"{files}/summary.json").json()["explanation"]["kept_fraction"] == e["kept_fraction"]
    assert client.get(f"{files}/status.json").status_code == 404
    # the page's links and the API name each file alike, after the run (review 22) and with "explanation" once
    from awd_studio.frontend.explain_panel import download_links

    for link in download_links(series_job, first["id"])[1:]:
        assert link.href.startswith(files)
        disposition = client.get(link.href).headers["content-disposition"]
        assert f'filename="{link.download}"' in disposition and link.download.count("explanation") == 1, disposition

    again = client.post(f"/api/results/{series_job}/explain", json=FAST)
    assert again.status_code == 200 and again.json()["cached"] is True and again.json()["id"] == first["id"]
    listed = client.get(f"/api/results/{series_job}/explanations").json()
    assert [x["id"] for x in listed["data"]].count(first["id"]) == 1 and listed["can_start"] is True
    # what the form offers: the series student, the wavelet cross-validation kept, the teacher's test R²
    bundle = client.get(f"/api/results/{series_job}").json()
    kept = "initial" if bundle["selection"]["choice"] == "initial" else "learned"
    assert listed["has_student"] is True and listed["recommended_wavelet"] == kept
    assert listed["teacher_test_r2"] == pytest.approx(bundle["teacher"]["test"]["r2"])
    assert listed["weak_teacher"] is (bundle["teacher"]["test"]["r2"] < 0.1)  # the trust notes' bound

    student = client.post(f"/api/results/{series_job}/explain", json={**FAST, "model": "student",
                                                                      "baseline": False})
    assert student.status_code == 202, student.text
    final = wait_for(lambda: _done(client, series_job, student.json()["id"]), timeout=120, what="student")
    assert final["state"] == "succeeded", final["error"]
    assert final["summary"]["baseline"] is None and final["summary"]["model"] == "student"

    # a share link reads the explanations but cannot start one or evaluate a mask
    token = client.post(f"/api/jobs/{series_job}/share", json={}).json()["token"]
    assert client.get(f"/api/results/{token}/explanations/{first['id']}").json()["state"] == "succeeded"
    shared_list = client.get(f"/api/results/{token}/explanations").json()
    assert shared_list["count"] == listed["count"] + 1 and shared_list["can_start"] is False
    for url, body in ((f"/api/results/{token}/explain", {**FAST, "example": 3}),
                      (f"/api/results/{token}/explain/mask", {"example": 3, "mask": [1.0] * 64})):
        refused = client.post(url, json=body)
        assert refused.status_code == 403 and "read-only" in refused.json()["detail"], refused.text
    # a request without a wavelet explains the one cross-validation kept (it took the learned one regardless)
    default = client.post(f"/api/results/{series_job}/explain",
                          json={k: v for k, v in FAST.items() if k != "wavelet"} | {"example": 4})
    assert default.status_code == 202 and default.json()["request"]["wavelet"] == kept, default.text
    final = wait_for(lambda: _done(client, series_job, default.json()["id"]), timeout=120, what="the default")
    assert final["state"] == "succeeded", final["error"]


def test_hand_drawn_mask_is_evaluated_on_the_worker(client, worker, series_job):
    keep = client.post(f"/api/results/{series_job}/explain/mask", json={"example": 1, "mask": [1.0] * 64})
    assert keep.status_code == 200, keep.text
    kept = keep.json()
    assert abs(kept["mean"] - kept["prediction"]) < 1e-4 and kept["kept_fraction"] == 1.0
    drop = client.post(f"/api/results/{series_job}/explain/mask",
                       json={"example": 1, "mask": [0.0] * 32 + [1.0] * 32}).json()
    assert drop["distortion"] > kept["distortion"] and drop["kept_fraction"] == 0.5
    bad = client.post(f"/api/results/{series_job}/explain/mask", json={"example": 1, "mask": [2.0] * 64})
    assert bad.status_code == 422 and "mask" in bad.json()["detail"] and "[0, 1]" in bad.json()["detail"]
    # the series student's output under the same masks: its own full-input prediction, and its own shift
    student = client.post(f"/api/results/{series_job}/explain/mask",
                          json={"example": 1, "model": "student", "mask": [1.0] * 64}).json()
    assert kept["model"] == "teacher" and student["model"] == "student"
    assert abs(student["mean"] - student["prediction"]) < 1e-4 and student["prediction"] != kept["prediction"]
    arrays = np.load(io.BytesIO(client.get(f"/api/results/{series_job}/files/arrays.npz").content), allow_pickle=False)
    assert student["prediction"] == pytest.approx(float(np.ravel(arrays["y_pred_awd"][1])[0]), abs=1e-4)


#: Masks no worker can evaluate on the series result (64 samples), and words of the answer.
MALFORMED_MASKS = [({"mask": [1.0] * 63}, "has shape (63,); pass a mask shaped (64,)"),
                   ({"mask": [[1.0] * 8] * 8}, "has shape (8, 8)"),  # a map's mask on a series
                   ({"mask": [[1.0] * 8, [1.0] * 3]}, "cannot be read as an array of numbers"),
                   ({"mask": [1.0] * 63 + [2.0]}, "outside [0, 1]"),
                   ({"mask": [1.0] * 63 + [float("nan")]}, "NaN or infinite"),
                   ({"space": "wavelet", "mask": [1.0] * 3}, "coefficient layout"),
                   ({"space": "wavelet", "wavelet": "haar", "mask": [[1.0] * 8, [1.0] * 8]}, "bands")]


def test_a_malformed_mask_is_refused_at_once_without_a_worker(client, series_job, no_worker):
    """A mask of the wrong shape or values was checked on a worker only: with none free, the answer was a 503 after
    60 s (MASK_TIMEOUT_SECONDS) instead of the 422 saying what is wrong. The web process checks what needs no
    weights: shape, numbers, range."""
    for body, words in MALFORMED_MASKS:
        started = time.monotonic()
        answer = client.post(f"/api/results/{series_job}/explain/mask", headers={"content-type": "application/json"},
                             content=json.dumps({"example": 1, **body}))  # Python's JSON: NaN as NaN
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"].startswith("mask: ") and words in answer.json()["detail"], answer.text
        assert time.monotonic() - started < 5, body


@pytest.mark.parametrize("body, field", [
    ({"lam": -1}, "lam"), ({"lam": 99}, "lam"), ({"wavelet": "bior2.2"}, "wavelet"), ({"model": "oracle"}, "model"),
    ({"steps": 5}, "steps"), ({"example": 10_000}, "example"), ({"perturbation": "pink"}, "perturbation"),
    ({"surprise": 1}, "surprise"),
    # review 40B: a boolean or a string passed as a number (example 1, λ 0.3), as the job options refuse them
    ({"example": True}, "example"), ({"lam": "0.3"}, "lam"), ({"steps": "20"}, "steps"),
])
def test_bad_bodies_get_one_sentence(client, series_job, body, field):
    response = client.post(f"/api/results/{series_job}/explain", json={**FAST, **body})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail.startswith(field), detail
