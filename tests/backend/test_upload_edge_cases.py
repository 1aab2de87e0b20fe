"""Uploads a new user gets wrong: errors name their own file, never a temporary one; an .npy comes with its
targets or gets told how; a pickled array is refused in the same words everywhere; job options have bounds."""

from __future__ import annotations

import io

import numpy as np
import pytest

from .conftest import example_npz


def _npy(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _post(client, files: dict):
    return client.post("/api/datasets", files={k: (name, data, "application/octet-stream")
                                               for k, (name, data) in files.items()})


def test_errors_name_the_users_file_not_a_temporary_one(client, data_dir):
    response = _post(client, {"file": ("fake.npz", b"this is plain text, not an archive")})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "fake.npz" in detail and "upload-" not in detail and "tmp" not in detail


def test_a_lone_npy_says_what_works(client):
    X = np.random.default_rng(3).standard_normal((30, 16))
    response = _post(client, {"file": ("traces.npy", _npy(X))})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("y:") and "traces.npy" in detail and "traces_y.npy" in detail
    assert ".npz" in detail and "upload-" not in detail
    # review 44: the API's answer named the file to save beside X, never the field y the API takes it in
    assert "the multipart field y (curl -F file=@X.npy -F y=@y.npy; in the browser: drop both files together)" in \
        detail, detail
    paired = _post(client, {"file": ("p_X.npy", _npy(X)), "y": ("p_X_y.npy", _npy(np.arange(30.0)))})
    assert paired.status_code == 201, paired.text


# data_X.npy + data_y.npy, the names the README suggests, failed: the targets were stored as data_X_y.npy and the
# reader looked for data_y.npy beside data_X.npy
@pytest.mark.parametrize("x_name, y_name", [("X.npy", "y.npy"), ("traces_X.npy", "traces_y.npy"),
                                            ("cells.npy", "cells_y.npy"), ("run_X_train.npy", "whatever.npy")])
def test_an_npy_pair_is_one_dataset(client, data_dir, x_name, y_name):
    rng = np.random.default_rng(len(x_name))  # other data for each pair: the same bytes would be found stored
    X = rng.standard_normal((30, 16))
    y = X[:, 0]
    response = _post(client, {"file": (x_name, _npy(X)), "y": (y_name, _npy(y))})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["n"] + (body["n_test"] or 0) == 30 and body["shape"] == [16]
    stored = list((data_dir / "datasets" / body["id"]).iterdir())
    assert [p.name for p in stored] == ["data.npz"]  # one self-contained file
    with np.load(stored[0], allow_pickle=False) as npz:
        assert npz["X"].shape[1] == 16
    assert not any((data_dir / "tmp").iterdir())


def test_an_error_in_the_targets_file_names_the_file_the_user_sent(client):
    """The targets of an .npy pair are read as <stem>_y.npy beside X; an error about them names the user's file."""
    X = np.random.default_rng(5).standard_normal((30, 16))
    targets = np.array([np.zeros(3), "not a number"], dtype=object)
    response = _post(client, {"file": ("X.npy", _npy(X)), "y": ("labels.npy", _npy(targets, allow_pickle=True))})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "'labels.npy'" in detail and "X_y.npy" not in detail and "object array" in detail


def test_targets_file_only_with_an_npy(client):
    response = _post(client, {"file": ("data.npz", example_npz(seed=5)), "y": ("y.npy", _npy(np.zeros(60)))})
    assert response.status_code == 422 and response.json()["detail"].startswith("y:")


@pytest.mark.parametrize("name", ["pickled.npy", "pickled.npz"])
def test_a_pickled_array_gets_the_same_words_in_npy_and_npz(client, name):
    objects = np.array([np.zeros(3), "not a number"], dtype=object)
    if name.endswith(".npy"):
        files = {"file": (name, _npy(objects, allow_pickle=True)), "y": ("pickled_y.npy", _npy(np.zeros(2)))}
    else:
        buffer = io.BytesIO()
        np.savez(buffer, X=objects, y=np.zeros(2))
        files = {"file": (name, buffer.getvalue())}
    response = _post(client, files)
    assert response.status_code == 422
    assert "object array" in response.json()["detail"] and "never unpickled" in response.json()["detail"]


def test_the_same_file_twice_is_one_dataset(client):
    content = example_npz(seed=6)
    first = _post(client, {"file": ("first.npz", content)})
    again = _post(client, {"file": ("second-name.npz", content)})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and "uploaded before" in again.json()["note"]
    assert client.get("/api/datasets").json()["count"] == len({d["id"] for d in
                                                                client.get("/api/datasets").json()["data"]})


@pytest.mark.parametrize("options,bound", [
    ({"epochs": 2001}, "epochs"),
    ({"teacher_epochs": 5000}, "teacher_epochs"),
    ({"levels": 13}, "levels"),
    ({"lambdas": [float(i) for i in range(30)], "gammas": [float(i) for i in range(30)]}, "grid points"),
])
def test_job_options_beyond_their_bounds_are_refused(client, dataset, options, bound):
    response = client.post("/api/jobs", json={"dataset_id": dataset["id"], **options})
    assert response.status_code == 422
    assert bound in str(response.json()["detail"])


def test_a_job_longer_than_the_time_limit_is_refused_before_it_runs(make_client, dataset):
    # a grid of 400 points: the session's database holds other tests' finished jobs, whose short runs can
    # calibrate the estimate down fourfold (models.estimate.CALIBRATION_RANGE); 12 points then fitted in 10 s
    short = make_client(job_time_limit=10)
    body = {"dataset_id": dataset["id"], "teacher": "lstm", "epochs": 2000,
            "lambdas": [10.0 ** (k / 4 - 5) for k in range(20)], "gammas": [0.0] + [0.01 * 1.5 ** k for k in range(19)]}
    estimate = short.post("/api/jobs/estimate", json=body).json()
    assert estimate["within_limit"] is False and estimate["limit_seconds"] == 10, estimate
    before = short.get("/api/jobs").json()["count"]
    response = short.post("/api/jobs", json=body)
    assert response.status_code == 422 and "AWD_JOB_TIME_LIMIT" in response.json()["detail"]
    assert short.get("/api/jobs").json()["count"] == before


def test_a_start_search_on_data_it_does_not_take_is_refused_at_submission(client, dataset):
    """Maps (and long series) are not searched: the submission says so instead of a job that fails later."""
    buffer = io.BytesIO()
    rng = np.random.default_rng(4)
    np.savez(buffer, X=rng.standard_normal((40, 16, 16)), y=rng.standard_normal(40))
    maps = _post(client, {"file": ("maps.npz", buffer.getvalue())}).json()
    before = client.get("/api/jobs").json()["count"]
    for route in ("/api/jobs", "/api/jobs/estimate"):
        response = client.post(route, json={"dataset_id": maps["id"], "start_search": 10})
        assert response.status_code == 422 and "start search is for time series" in response.json()["detail"]
    assert client.get("/api/jobs").json()["count"] == before
    assert client.post("/api/jobs/estimate", json={"dataset_id": maps["id"], "start_search": 0}).status_code == 200
    response = client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], "start_search": 20_001})
    assert response.status_code == 422 and "start_search" in str(response.json()["detail"])
    assert client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], "start_search": 50}).status_code == 200


def test_a_device_the_local_workers_lack_is_refused_at_submission(client, dataset, monkeypatch):
    """Review 21: ``device: "cuda"`` was accepted on a server whose own workers have no GPU; the job failed at
    once and its page offered a Rerun that would fail again. With ``awd serve``'s workers (on this machine) the
    submission is refused; a server whose workers run elsewhere cannot tell and takes it."""
    import torch

    before = client.get("/api/jobs").json()["count"]
    monkeypatch.setenv("AWD_LOCAL_WORKERS", "1")
    response = client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], "device": "cuda"})
    if torch.cuda.is_available():
        assert response.status_code == 200
    else:
        assert response.status_code == 422 and "torch.cuda.is_available() is False" in response.json()["detail"]
        response = client.post("/api/jobs", json={"dataset_id": dataset["id"], "device": "cuda"})
        assert response.status_code == 422 and client.get("/api/jobs").json()["count"] == before
    assert client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], "device": "cpu"}).status_code == 200
    monkeypatch.delenv("AWD_LOCAL_WORKERS")
    assert client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], "device": "cuda"}).status_code == 200


def test_options_the_data_cannot_take_are_refused_at_submission(client, dataset):
    """The API resolves the options against the dataset as the job will (models.pipeline.resolve_config): more
    levels than the series allow is refused with the job's own words, and no job is made."""
    before = client.get("/api/jobs").json()["count"]
    response = client.post("/api/jobs", json={"dataset_id": dataset["id"], "levels": 12})
    detail = response.json()["detail"]
    assert response.status_code == 422 and "levels are too many for series of length 64" in detail
    assert "mode 'auto' can take at most 6" in detail  # the mode the job would choose, not one it never chose
    assert client.get("/api/jobs").json()["count"] == before
