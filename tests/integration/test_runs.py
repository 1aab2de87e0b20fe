"""Runs management through the API with a real worker: the jobs list tells runs apart (dataset, teacher, grid,
score read from the stored summary), a dataset with jobs is deleted only with them, an old database gains the
summary column, and a job that finished before summaries existed gets one on first listing."""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pytest
from sqlalchemy import create_engine, inspect

from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _npz(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(120, 64))
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=X[:, :4].sum(axis=1))
    return buffer.getvalue()


def _finished(client, job_id):
    body = client.get(f"/api/jobs/{job_id}").json()
    return body if body["state"] in ("succeeded", "failed", "cancelled") else None


def test_jobs_list_shows_dataset_teacher_grid_and_score_and_dataset_delete_names_its_jobs(client, worker, tiny_job,
                                                                                         data_dir):
    files = {"file": ("runs.npz", _npz(seed=1401), "application/octet-stream")}
    dataset = client.post("/api/datasets", files=files, data={"name": "runs list data"}).json()
    job = client.post("/api/jobs", json={"dataset_id": dataset["id"], **tiny_job}).json()
    assert job["state"] in ("queued", "running")
    final = wait_for(lambda: _finished(client, job["id"]), timeout=240, what="the job to finish")
    assert final["state"] == "succeeded", final.get("error")

    row = next(j for j in client.get("/api/jobs").json()["data"] if j["id"] == job["id"])
    bundle = client.get(f"/api/results/{job['id']}").json()
    assert row["dataset_name"] == "runs list data" and row["teacher_name"] == "mlp"
    assert row["grid"] == [len(bundle["lambdas"]), len(bundle["gammas"])] == [1, 2]
    summary = row["summary"]
    assert summary["metric"] == bundle["verdict"]["metric"]
    assert summary["awd_test"] == pytest.approx(bundle["models"]["awd"]["test"][summary["metric"]], abs=1e-12)
    assert summary["teacher_test"] == pytest.approx(bundle["teacher"]["test"][summary["metric"]], abs=1e-12)
    assert summary["teacher_test_r2"] == pytest.approx(bundle["teacher"]["test"]["r2"], abs=1e-12)
    assert summary["awd_test_r2"] == pytest.approx(bundle["models"]["awd"]["test"]["r2"], abs=1e-12)
    assert summary["choice"] in ("awd", "initial")
    delivered = "baseline_wavelet" if summary["choice"] == "initial" else "awd"  # the model the result recommends
    assert summary["delivered_test"] == pytest.approx(bundle["models"][delivered]["test"][summary["metric"]],
                                                      abs=1e-12)
    assert summary["initial"] == bundle["wavelet"]["init"]
    detail = client.get(f"/api/jobs/{job['id']}").json()
    assert detail["summary"] == summary
    # the options as the run resolved them, kept on the job as it succeeded: the job page reads no bundle for them
    assert detail["resolved_config"] == {k: v for k, v in bundle["provenance"]["config"].items() if k != "teacher_path"}
    assert detail["resolved_config"]["epochs"] == bundle["provenance"]["config"]["epochs"] is not None
    assert row["resolved_config"] is None  # the list leaves it out
    # each stage's seconds, in the order they ran, from the worker's claim to the job's end
    stages = detail["stage_seconds"]
    assert list(stages)[:6] == ["starting", "data", "teacher", "distill", "select", "students"], stages
    assert list(stages)[-1] == "done" and all(seconds >= 0 for seconds in stages.values())
    took = (dt.datetime.fromisoformat(detail["finished"]) - dt.datetime.fromisoformat(detail["started"]))
    assert sum(stages.values()) == pytest.approx(took.total_seconds(), abs=1e-3)
    assert stages["teacher"] > 0 and stages["distill"] > 0
    # the stored summary keeps the parts of the run's wall time that the run-time estimate is calibrated on
    from awd_studio.jobstate.config import get_settings
    from awd_studio.jobstate.db import Job, get_sessionmaker

    with get_sessionmaker(get_settings().sqlalchemy_url)() as session:
        stored = session.get(Job, job["id"]).summary
        expected = session.get(Job, job["id"]).stage_expected
    # what the worker sized the progress bar with, kept for the time left (models.pipeline.progress.time_left)
    assert set(expected) == {"teacher", "distill", "select", "students"} and all(v >= 0 for v in expected.values())
    assert expected["distill"] > 0
    assert stored["prepare_seconds"] == pytest.approx(bundle["timings"]["prepare"])
    assert stored["finalize_seconds"] == pytest.approx(bundle["timings"]["finalize"])

    # A dataset that jobs used: 409 naming them; with_jobs=true deletes it with them and their files.
    refused = client.delete(f"/api/datasets/{dataset['id']}")
    assert refused.status_code == 409 and job["id"] in refused.json()["detail"]
    assert "with_jobs=true" in refused.json()["detail"]
    assert client.get(f"/api/datasets/{dataset['id']}").status_code == 200
    assert client.delete(f"/api/datasets/{dataset['id']}", params={"with_jobs": "true"}).status_code == 204
    assert client.get(f"/api/datasets/{dataset['id']}").status_code == 404
    assert client.get(f"/api/jobs/{job['id']}").status_code == 404
    assert not (data_dir / "jobs" / job["id"]).exists()


def test_summary_is_filled_once_for_jobs_that_finished_without_one(client, settings, data_dir):
    from awd_studio.jobstate import crud
    from awd_studio.jobstate.db import Job, get_sessionmaker

    with get_sessionmaker(settings.sqlalchemy_url)() as session:
        job = crud.create_job(session, dataset_id=None, teacher_id=None,
                              config={"teacher": "lstm", "lambdas": [1e-3, 1e-2], "gammas": [0.1]})
        result = data_dir / "jobs" / job.id / "attempt-1" / "result"
        result.mkdir(parents=True)
        bundle = {"verdict": {"metric": "r2"}, "teacher": {"name": "lstm", "test": {"r2": 0.5, "rmse": 1.0}},
                  "models": {"awd": {"test": {"r2": 0.75, "rmse": 0.5}}}, "selection": {"choice": "awd"},
                  "lambdas": [1e-3, 1e-2], "gammas": [0.0, 0.1]}
        (result / "result.json").write_text(json.dumps(bundle))
        row = session.get(Job, job.id)
        row.state, row.attempt, row.result_dir = "succeeded", 1, str(result.relative_to(data_dir))
        session.commit()
    body = client.get(f"/api/jobs/{job.id}").json()
    assert body["summary"] == {"metric": "r2", "awd_test": 0.75, "delivered_test": 0.75, "initial": None,
                               "teacher_test": 0.5, "teacher": "lstm", "choice": "awd", "awd_test_r2": 0.75,
                               "delivered_test_r2": 0.75, "teacher_test_r2": 0.5}
    assert body["grid"] == [2, 2] and body["dataset_name"] is None and body["teacher_name"] == "lstm"
    (result / "result.json").unlink()  # read once: the stored summary answers from now on
    assert client.get(f"/api/jobs/{job.id}").json()["summary"]["awd_test"] == 0.75
    assert client.delete(f"/api/jobs/{job.id}").status_code == 204


def test_a_database_at_revision_0001_gains_the_summary_column(tmp_path):
    """The summary column is Alembic revision 0002 (and the share links' name 0003): a database of the first
    migrated release gets both on start."""
    from alembic import command

    from awd_studio.jobstate.migrate import alembic_config, current_revision, head_revision, upgrade_database

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
    assert "summary" not in {c["name"] for c in inspect(engine).get_columns("jobs")}
    assert current_revision(url) == "0001"
    assert upgrade_database(url) == head_revision() == "0007"
    columns = {c["name"] for c in inspect(engine).get_columns("jobs")}
    assert {"summary", "stage_marks", "stage_expected"} <= columns
    assert "label" in {c["name"] for c in inspect(engine).get_columns("shares")}
