"""The run-time estimate learns this server's speed: the cost model scaled by how long its finished jobs took."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from awd_studio.jobstate import crud
from awd_studio.jobstate.db import Job, get_sessionmaker
from awd_studio.jobstate.jobconfig import stored_options
from awd_studio.models.options import PipelineConfig

from .conftest import example_npz, npz_bytes

BODY = {"teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0, 0.1], "epochs": 20}


@pytest.fixture()
def own_server(make_client, tmp_path):
    """``(client_with(**settings), make_session)``: apps on a database and data directory of their own (no other
    test's finished jobs)."""
    url = f"sqlite:///{tmp_path / 'awd.sqlite3'}"

    def client_with(**overrides):
        return make_client(data_dir=tmp_path, database_url=url, **overrides)

    return client_with, get_sessionmaker(url)


def _upload(client, content: bytes, name: str) -> dict:
    response = client.post("/api/datasets", files={"file": (name, content, "application/octet-stream")})
    assert response.status_code in (200, 201), response.text
    return response.json()


def _finished_job(make_session, dataset_id: str, config: dict, seconds: float, state: str = "succeeded",
                  summary: dict | None = None) -> None:
    """A job row as a worker leaves it: claimed, then finished ``seconds`` later (with its result's ``summary``)."""
    with make_session() as session:
        job = crud.create_job(session, dataset_id=dataset_id, teacher_id=None, config=config)
        started = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)
        row = session.get(Job, job.id)
        row.state, row.started, row.finished = state, started, started + dt.timedelta(seconds=seconds)
        row.summary = summary
        session.commit()


def test_the_estimate_follows_how_long_this_servers_jobs_took(own_server):
    client_with, make_session = own_server
    client = client_with()
    series = _upload(client, example_npz(), "series.npz")
    rng = np.random.default_rng(0)
    maps = _upload(client, npz_bytes(X=rng.normal(size=(40, 16, 16)), y=rng.normal(size=40)), "maps.npz")
    body = {"dataset_id": series["id"], **BODY}

    first = client.post("/api/jobs/estimate", json=body).json()
    assert first["calibration_jobs"] == 0 and first["calibration_factor"] == 1.0
    assert first["seconds"] == pytest.approx(first["model_seconds"])
    model = first["model_seconds"]

    config = stored_options(PipelineConfig.from_dict(BODY))  # as a job row stores them
    _finished_job(make_session, series["id"], config, 2.0 * model)
    _finished_job(make_session, series["id"], config, 3.0 * model)
    two = client.post("/api/jobs/estimate", json=body).json()
    assert two["calibration_jobs"] == 0  # too few jobs to trust
    _finished_job(make_session, series["id"], config, 1.5 * model)
    _finished_job(make_session, series["id"], config, 50.0 * model, state="failed")  # only succeeded jobs count
    _finished_job(make_session, maps["id"], {**config, "teacher": "cnn"}, 40.0 * model)  # other data kind

    scaled = client.post("/api/jobs/estimate", json=body).json()
    assert scaled["calibration_jobs"] == 3
    assert scaled["calibration_factor"] == pytest.approx(2.0)  # median of 2, 3 and 1.5
    assert scaled["model_seconds"] == pytest.approx(model)
    assert scaled["seconds"] == pytest.approx(2.0 * model)
    # the split by stage is scaled alike and sums to the estimate
    assert set(scaled["stages"]) == {"teacher", "distill", "select", "students"}
    assert sum(scaled["stages"].values()) == pytest.approx(scaled["seconds"])
    assert scaled["stages"] == pytest.approx({k: 2.0 * v for k, v in first["stages"].items()})

    # the time limit reads the calibrated figure, and the refusal says where the factor came from
    limited = client_with(job_time_limit=max(10, int(1.5 * model)))
    assert limited.post("/api/jobs/estimate", json=body).json()["within_limit"] is False
    refused = limited.post("/api/jobs", json=body)
    assert refused.status_code == 422
    assert "scaled by 2 from this server's latest 3 finished jobs" in refused.json()["detail"]


def test_each_stage_follows_how_long_that_part_of_this_servers_jobs_took(own_server):
    """Finished jobs whose teacher took three times the cost model's seconds and whose distillation took twice:
    the estimate scales each stage by its own factor, and the progress bar's split follows."""
    client_with, make_session = own_server
    client = client_with()
    series = _upload(client, example_npz(), "series.npz")
    body = {"dataset_id": series["id"], **BODY}
    model = client.post("/api/jobs/estimate", json=body).json()["stages"]
    prepare, finalize = 3.0 * model["teacher"], model["select"] + model["students"]
    config = stored_options(PipelineConfig.from_dict(BODY))
    for _ in range(3):
        _finished_job(make_session, series["id"], config, prepare + 2.0 * model["distill"] + finalize,
                      summary={"prepare_seconds": prepare, "finalize_seconds": finalize})
    scaled = client.post("/api/jobs/estimate", json=body).json()
    # (the stored claim and finish times keep microseconds: the distillation's part is rounded to them)
    assert scaled["stage_factors"] == pytest.approx({"teacher": 3.0, "distill": 2.0, "select": 1.0, "students": 1.0},
                                                    rel=1e-4)
    assert scaled["stages"] == pytest.approx({"teacher": prepare, "distill": 2.0 * model["distill"],
                                              "select": model["select"], "students": model["students"]}, rel=1e-4)
    assert scaled["seconds"] == pytest.approx(prepare + 2.0 * model["distill"] + finalize, rel=1e-4)
    assert scaled["calibration_factor"] == pytest.approx(scaled["seconds"] / scaled["model_seconds"])
    assert scaled["calibration_jobs"] == 3

def test_jobs_of_about_the_same_size_calibrate_an_estimate(own_server):
    """Review 17: after many 3-epoch jobs (their fixed costs three to four times their estimate), a 2000-epoch job
    was estimated at 94.7 s and took 22-27 s. Jobs the cost model put within SIMILAR_SIZE of the new one's
    estimate calibrate it when there are enough; otherwise all of them do."""
    from awd_studio.jobstate.estimates import SIMILAR_SIZE

    client_with, make_session = own_server
    client = client_with()
    series = _upload(client, example_npz(), "series.npz")
    small = {**BODY, "epochs": 2}
    large = {**BODY, "epochs": 2000, "lambdas": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], "gammas": [0.0, 0.01, 0.1, 1.0]}
    model = {name: client.post("/api/jobs/estimate", json={"dataset_id": series["id"], **body}).json()["model_seconds"]
             for name, body in (("small", small), ("large", large))}
    assert model["large"] > SIMILAR_SIZE * model["small"]  # far apart
    for _ in range(3):  # short jobs took four times their estimate: their fixed costs
        _finished_job(make_session, series["id"], stored_options(PipelineConfig.from_dict(small)), 4.0 * model["small"])
    alone = client.post("/api/jobs/estimate", json={"dataset_id": series["id"], **large}).json()
    assert alone["calibration_factor"] == pytest.approx(4.0)  # no job of its size yet: all of them
    for _ in range(3):  # long jobs took what the cost model said
        _finished_job(make_session, series["id"], stored_options(PipelineConfig.from_dict(large)), model["large"])
    for name, body in (("large", large), ("small", small)):
        got = client.post("/api/jobs/estimate", json={"dataset_id": series["id"], **body}).json()
        assert got["calibration_factor"] == pytest.approx(1.0 if name == "large" else 4.0, rel=1e-3), (name, got)


def test_a_jobs_progress_bar_gives_each_stage_its_share_of_the_estimate(client, dataset):
    """The worker sizes the stages of a job's progress bar by the cost model's seconds for that job (the figures
    the configure page's estimate sums), so the ETA computed from the fraction done follows where the time goes."""
    from awd_studio.jobstate.config import get_settings
    from awd_studio.models.pipeline.progress import STAGE_SPANS, stage_spans
    from awd_studio.worker.runner import JobRun

    make_session = get_sessionmaker(get_settings().sqlalchemy_url)
    spans = {}
    for teacher in ("lstm", "mlp"):
        body = {**BODY, "teacher": teacher}
        estimate = client.post("/api/jobs/estimate", json={"dataset_id": dataset["id"], **body}).json()
        with make_session() as session:
            job = crud.create_job(session, dataset_id=dataset["id"], teacher_id=None,
                                  config=stored_options(PipelineConfig.from_dict(body)))
        spans[teacher] = JobRun(job.id, 1, "test@localhost").spans
        expected = stage_spans(estimate["stages"])  # the estimate's calibration scales every stage alike
        assert set(spans[teacher]) == set(expected)
        assert all(spans[teacher][k] == pytest.approx(expected[k], abs=1e-5) for k in expected)
        assert spans[teacher]["data"] == STAGE_SPANS["data"] and spans[teacher]["done"] == STAGE_SPANS["done"]
        edges = [spans[teacher][stage] for stage in ("data", "teacher", "distill", "select", "students", "done")]
        assert all(a[1] == pytest.approx(b[0]) for a, b in zip(edges, edges[1:]))  # contiguous, in order
    # the LSTM costs more to train than the MLP: its job gives the teacher more of the bar
    width = {t: spans[t]["teacher"][1] - spans[t]["teacher"][0] for t in spans}
    assert width["lstm"] > width["mlp"] > 0
    # a job that cannot be read keeps the fixed spans
    assert JobRun("00000000-0000-4000-8000-000000000000", 1, "test@localhost").spans == STAGE_SPANS


def test_the_stage_line_names_the_epoch_the_loss_chart_shows(client, dataset):
    """Review 7: "cnn epoch 4/50" stood under a teacher chart at epoch 5: the progress writes are throttled to two a
    second, and the one after an epoch's loss point was dropped. A loss point now lets the next line through."""
    from awd_studio.jobstate.config import get_settings
    from awd_studio.worker.runner import JobRun

    make_session = get_sessionmaker(get_settings().sqlalchemy_url)
    with make_session() as session:
        job = crud.create_job(session, dataset_id=dataset["id"], teacher_id=None,
                              config=stored_options(PipelineConfig.from_dict(BODY)))
        attempt = crud.claim_job(session, job_id=job.id, worker="test@localhost")
    run = JobRun(job.id, attempt, "test@localhost")
    run.progress("teacher", 0.1, "cnn epoch 1/50")
    run.progress("teacher", 0.12, "between epochs")  # within half a second: throttled
    run.on_teacher_epoch(2, {"train": 1.0, "val": 1.1})
    run.progress("teacher", 0.14, "cnn epoch 2/50")
    with make_session() as session:
        assert session.get(Job, job.id).message == "cnn epoch 2/50"


def test_the_estimate_says_when_the_workers_machine_is_busy(own_server, monkeypatch):
    """Review 28A: "about 18 s", and 56 s beside other work. With awd serve's own workers (AWD_LOCAL_WORKERS=1)
    the estimate reads the machine's load; a remote worker's machine is not this one, so it says nothing there."""
    from awd_studio.backend.routes import jobs

    client_with, _ = own_server
    client = client_with()
    body = {"dataset_id": _upload(client, example_npz(), "series.npz")["id"], **BODY}
    monkeypatch.setattr(jobs.os, "getloadavg", lambda: (2.0 * jobs.available_cores() + 0.5, 1.0, 1.0))
    monkeypatch.delenv(jobs.LOCAL_WORKERS_ENV, raising=False)
    assert client.post("/api/jobs/estimate", json=body).json()["busy_machine"] is None  # remote workers
    monkeypatch.setenv(jobs.LOCAL_WORKERS_ENV, "1")
    busy = client.post("/api/jobs/estimate", json=body).json()["busy_machine"]
    assert busy.startswith("This machine is busy with other work (load ") and "several times" in busy
    monkeypatch.setattr(jobs.os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    assert client.post("/api/jobs/estimate", json=body).json()["busy_machine"] is None


def test_a_job_that_just_ended_is_not_other_work(own_server):
    """The 1-minute load average holds a job's threads for a while after it ends: the estimate counts them as the
    server's own (right after a job, the machine read as busy with other work)."""
    from awd_studio.backend.routes.jobs import own_jobs_load

    client_with, make_session = own_server
    series = _upload(client_with(), example_npz(), "series.npz")
    _finished_job(make_session, series["id"], {}, seconds=120.0)  # 10:00:00 to 10:02:00
    end = dt.datetime(2026, 12, 1, 10, 2, tzinfo=dt.timezone.utc)
    with make_session() as session:
        just_after = own_jobs_load(session, 2, now=end + dt.timedelta(seconds=30))
        assert just_after == pytest.approx(2 * np.exp(-0.5) * (1 - np.exp(-2.0)))  # about 1.05 of 2 threads
        assert own_jobs_load(session, 2, now=end + dt.timedelta(minutes=10)) == 0.0  # long gone
        assert own_jobs_load(session, 2, now=end) > just_after
