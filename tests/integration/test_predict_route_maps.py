"""``POST /api/results/{id}/predict`` with a maps result the real worker ran: new maps without targets (npz with
only X, a FITS cube) give the pipeline's test predictions and say there is nothing to score; wrong shapes, NaN
and pickles get a 422 whose detail is one sentence naming the field."""

from __future__ import annotations

import io
import pickle
import re

import numpy as np
import pytest

from awd_studio.models.pipeline.predict import recommended_model
from tests.conftest import terminal_state, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAPS_JOB = {"teacher": "cnn", "lambdas": [0.01], "gammas": [0.0], "epochs": 1, "teacher_epochs": 1, "levels": 2,
            "cv_folds": 3, "wave": "db2"}


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _npy(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _fits_cube(maps) -> bytes:
    from astropy.io import fits

    buffer = io.BytesIO()
    fits.PrimaryHDU(maps).writeto(buffer)
    return buffer.getvalue()


def _one_sentence(detail: str) -> bool:
    """One sentence: no full stop followed by another sentence inside it."""
    return re.search(r"[.!?]\s+[A-Z]", detail) is None and len(detail) < 400


@pytest.fixture(scope="module")


def maps_result(client, workers):
    from awd_studio.models.data import make_example

    workers.ensure_running()  # an earlier test may have stopped it
    data = make_example("lensing", n=120, seed=5)
    X_all, y_all = np.concatenate([data.X, data.X_test]), np.concatenate([data.y, data.y_test])
    X, y, X_test, y_test = X_all[:90], y_all[:90], X_all[90:], y_all[90:]  # a fixed test split
    upload = {"file": ("maps-fixed-split.npz", _npz(X=X, y=y, X_test=X_test, y_test=y_test),
                       "application/octet-stream")}
    dataset = client.post("/api/datasets", files=upload)
    assert dataset.status_code in (200, 201), dataset.text
    job = client.post("/api/jobs", json={"dataset_id": dataset.json()["id"], **MAPS_JOB}).json()
    done = wait_for(lambda: terminal_state(client, job["id"]), timeout=300, what="the maps job to end")
    assert done["state"] == "succeeded", done.get("error")
    stored = np.load(io.BytesIO(client.get(f"/api/results/{job['id']}/files/arrays.npz").content), allow_pickle=False)
    recommended = recommended_model(client.get(f"/api/results/{job['id']}").json())  # the route's default model
    return job["id"], X_test, y_test, stored[f"y_pred_{recommended}"]


def test_maps_without_targets_give_the_pipelines_test_predictions(client, maps_result):
    job_id, X_test, y_test, expected = maps_result
    assert X_test.shape[1:] == (64, 64)
    for name, content in (("new.npz", _npz(X=X_test)), ("new.fits", _fits_cube(X_test))):
        response = client.post(f"/api/results/{job_id}/predict",
                               files={"file": (name, content, "application/octet-stream")})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["has_targets"] is False and body["scores"] == {}, name
        assert body["note"] == "the file has no targets: predictions only, no scores"
        np.testing.assert_allclose(body["y_pred"], expected, rtol=0, atol=1e-10, err_msg=name)
    as_csv = client.post(f"/api/results/{job_id}/predict", files={"file": ("new.npz", _npz(X=X_test), "x")},
                         params={"format": "csv"})
    # the map student's whole class row beside the reported column (review 28A; this file names no columns)
    assert as_csv.status_code == 200 and as_csv.text.splitlines()[0] == "split,row,y_pred,y_pred_y0,y_pred_y1"
    assert body["target_names"] == ["y0", "y1"] and np.shape(body["y_pred_rows"]) == (len(X_test), 2)
    assert len(as_csv.text.splitlines()) == len(X_test) + 1

    with_targets = client.post(f"/api/results/{job_id}/predict",
                               files={"file": ("scored.npz", _npz(X=X_test, y=y_test), "application/octet-stream")})
    body = with_targets.json()
    assert body["has_targets"] is True and "note" not in body and body["scores"]["X"]["n"] == len(X_test)
    np.testing.assert_allclose(body["y_pred"], expected, rtol=0, atol=1e-10)
    # the map student answers with its training classes' targets, and says so; maps like the training ones raise
    # no scale warning
    assert any("nearest of its" in w and "training classes" in w for w in body["warnings"])
    assert not any("unlike the training data" in w for w in body["warnings"])

    # maps five times as rough (a real survey map in other units): predictions, with a warning; one target
    # for every map: R² undefined (null), not 0
    rough = client.post(f"/api/results/{job_id}/predict", files={"file": (
        "rough.npz", _npz(X=5 * X_test, y=np.full(len(X_test), 0.3)), "application/octet-stream")})
    assert rough.status_code == 200, rough.text
    body = rough.json()
    assert any(w.startswith("X: the inputs") and "unlike the training data" in w for w in body["warnings"])
    assert body["scores"]["X"]["r2"] is None and any("R² is undefined" in w for w in body["warnings"])


def test_bad_maps_get_a_one_sentence_422_naming_the_field(client, maps_result):
    job_id, X_test, _, _ = maps_result
    with_nan = X_test[:3].copy()
    with_nan[1, 5, 7] = np.nan
    cases = {
        "wrong shape": (("small.npz", _npz(X=X_test[:, :32, :32])), "X", "64 x 64"),
        "series for maps": (("series.npy", _npy(X_test[:, 0, :])), "X", "64 x 64"),
        "NaN": (("nan.npz", _npz(X=with_nan)), "X", "NaN"),
        "pickled array": (("evil.npy", _npy(np.array([X_test[0], None], dtype=object), allow_pickle=True)), "X",
                          "never unpickled"),
        "python pickle": (("evil.npz", pickle.dumps({"X": X_test[:2]})), "file", "pickle"),
    }
    for what, ((name, content), field, words) in cases.items():
        response = client.post(f"/api/results/{job_id}/predict",
                               files={"file": (name, content, "application/octet-stream")})
        assert response.status_code == 422, (what, response.text)
        detail = response.json()["detail"]
        assert detail.startswith(f"{field}:") and words in detail, (what, detail)
        assert _one_sentence(detail), (what, detail)
