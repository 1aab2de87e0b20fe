"""Errors that say what to do (API review): a result asked by the 8 characters of a run's file names, predict's query
parameters sent as form fields, and lists sent empty or too long."""

from __future__ import annotations

import pytest

from awd_studio.jobstate import crud
from awd_studio.jobstate.db import Job, get_sessionmaker

from .conftest import example_npz


def test_a_result_asked_by_its_ids_first_8_characters_says_to_pass_the_full_id(client):
    """The predict route explained the 8-character trap; GET /api/results/<8 characters> said only "no result here".
    Every route of a result (its files, its explanations) answers with the same sentence."""
    for path in ("/api/results/1a2b3c4d", "/api/results/1a2b3c4d/files", "/api/results/1a2b3c4d/explanations"):
        response = client.get(path)
        assert response.status_code == 404, path
        detail = response.json()["detail"]
        assert detail.startswith("key: '1a2b3c4d' is neither a job's id nor a share link; pass the job's full id")
        assert "the 8 characters in a result's file names are only its start" in detail
        assert detail.endswith("or a share link's whole token"), detail
    gone = client.get("/api/results/00000000-0000-4000-8000-000000000000")
    assert gone.status_code == 404 and "GET /api/jobs lists them" in gone.json()["detail"]


@pytest.fixture()
def succeeded_job(make_client, tmp_path):
    """``(client, job id)``: an app on a database and data directory of its own, with a job row marked succeeded
    over an empty result directory (enough for the routes that refuse an upload's form before reading a result)."""
    url = f"sqlite:///{tmp_path / 'awd.sqlite3'}"
    client = make_client(data_dir=tmp_path, database_url=url)
    dataset = client.post("/api/datasets", files={"file": ("d.npz", example_npz(), "application/octet-stream")})
    with get_sessionmaker(url)() as session:
        job = crud.create_job(session, dataset_id=dataset.json()["id"], teacher_id=None, config={})
        row = session.get(Job, job.id)
        row.state, row.result_dir = "succeeded", f"jobs/{job.id}/result"
        session.commit()
        (tmp_path / row.result_dir).mkdir(parents=True)
        return client, job.id


@pytest.mark.parametrize("field", ["drop_incomplete", "model", "format"])
def test_a_query_parameter_of_predict_sent_as_a_form_field_says_it_goes_in_the_url(succeeded_job, field):
    """``drop_incomplete`` is a form field of POST /api/datasets but a query parameter of predict: sent as a form
    field it was "not a field of this upload", without saying where it goes."""
    client, job_id = succeeded_job
    response = client.post(f"/api/results/{job_id}/predict", data={field: "true"},
                           files={"file": ("new.npz", example_npz(), "application/octet-stream")})
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{field}: is a query parameter of this route, not a form field; "
                                                f"put it in the URL (?{field}=...)")
    assert response.json()["remedies"] == []  # an UploadProblem, as every 422 of predict
    empty = client.post(f"/api/results/{job_id}/predict", files={"file": ("new.npz", b"", "application/octet-stream")})
    assert empty.status_code == 422 and empty.json()["remedies"] == [] and "empty" in empty.json()["detail"]


@pytest.mark.parametrize("body,said", [
    ({"lambdas": []}, "lambdas: has no values; omit lambdas for the grid preset's λ values, or give at least one "
                      "value"),
    ({"gammas": ""}, "gammas: has no values; omit gammas for the grid preset's γ values, or give at least one value"),
    ({"gammas": [0.1] * 65}, "gammas: has 65 values; give at most 64"),
])
def test_a_list_of_the_wrong_length_says_what_to_send(client, dataset, body, said):
    """pydantic's "List should have at least 1 item after validation, not 0" said nothing of what to do."""
    response = client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], **body})
    assert response.status_code == 422 and response.json()["detail"].startswith(said), response.text


def test_the_examples_of_the_sentences_hold():
    import doctest

    from awd_studio.backend import app, deps
    from awd_studio.worker import runner

    for module in (app, deps, runner):
        assert doctest.testmod(module).failed == 0, module.__name__
