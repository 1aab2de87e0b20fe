"""A queued job says where it stands in the queue (review 27B: its page said "queued" and nothing more, while three
jobs were ahead of it)."""

from __future__ import annotations

import datetime as dt

import pytest

from awd_studio.jobstate import crud
from awd_studio.jobstate.db import Job, get_sessionmaker

from .conftest import example_npz


def test_a_queued_job_counts_the_jobs_ahead_of_it_and_those_running(make_client, tmp_path):
    url = f"sqlite:///{tmp_path / 'awd.sqlite3'}"
    client = make_client(data_dir=tmp_path, database_url=url)
    upload = client.post("/api/datasets", files={"file": ("series.npz", example_npz(), "application/octet-stream")})
    dataset_id = upload.json()["id"]
    make_session = get_sessionmaker(url)
    start = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.timezone.utc)
    ids = []
    with make_session() as session:
        for k, state in enumerate(("running", "queued", "queued", "queued", "succeeded")):
            job = crud.create_job(session, dataset_id=dataset_id, teacher_id=None, config={})
            row = session.get(Job, job.id)
            row.state, row.created = state, start + dt.timedelta(seconds=k)
            session.commit()
            ids.append(job.id)
    third = client.get(f"/api/jobs/{ids[3]}").json()
    assert third["queued_ahead"] == 2 and third["running"] == 1
    first = client.get(f"/api/jobs/{ids[1]}").json()
    assert first["queued_ahead"] == 0 and first["running"] == 1
    for done in (ids[0], ids[4]):  # only a queued job carries them
        body = client.get(f"/api/jobs/{done}").json()
        assert body["queued_ahead"] is None and body["running"] is None


def test_the_estimate_counts_the_jobs_a_new_one_would_wait_for(make_client, tmp_path):
    """Review 27B: the configure page said "about 33 s" with three jobs ahead, which waited 172 s."""
    url = f"sqlite:///{tmp_path / 'awd.sqlite3'}"
    client = make_client(data_dir=tmp_path, database_url=url)
    upload = client.post("/api/datasets", files={"file": ("series.npz", example_npz(), "application/octet-stream")})
    body = {"dataset_id": upload.json()["id"], "teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0], "epochs": 2}
    first = client.post("/api/jobs/estimate", json=body).json()
    assert first["queued"] == 0 and first["running"] == 0
    with get_sessionmaker(url)() as session:
        for state in ("running", "queued", "queued"):
            job = crud.create_job(session, dataset_id=body["dataset_id"], teacher_id=None, config={})
            session.get(Job, job.id).state = state
            session.commit()
    guess = client.post("/api/jobs/estimate", json=body).json()
    assert guess["queued"] == 2 and guess["running"] == 1


def test_a_queued_job_says_how_long_the_running_job_has_left(make_client, tmp_path):
    """A queued job's page said what it waited for but not for how long: ``running_left_seconds`` is the least time
    left of the running jobs, extrapolated as their own ``eta_seconds`` are."""
    url = f"sqlite:///{tmp_path / 'awd.sqlite3'}"
    client = make_client(data_dir=tmp_path, database_url=url)
    upload = client.post("/api/datasets", files={"file": ("series.npz", example_npz(), "application/octet-stream")})
    dataset_id = upload.json()["id"]
    now = dt.datetime.now(dt.timezone.utc)
    ids = []
    with get_sessionmaker(url)() as session:
        for k, (state, fraction) in enumerate((("running", 0.25), ("running", 0.5), ("queued", 0.0))):
            job = crud.create_job(session, dataset_id=dataset_id, teacher_id=None, config={})
            row = session.get(Job, job.id)
            row.state, row.fraction, row.created = state, fraction, now + dt.timedelta(seconds=k)
            if state == "running":  # both started 60 s ago, heard from just now
                row.started, row.heartbeat = now - dt.timedelta(seconds=60), now
            session.commit()
            ids.append(job.id)
    running = [client.get(f"/api/jobs/{i}").json() for i in ids[:2]]
    queued = client.get(f"/api/jobs/{ids[2]}").json()
    assert queued["running"] == 2 and queued["queued_ahead"] == 0
    # 60 s for half the work: about 60 s left, the lesser of the two (the other, a quarter done: about 180 s)
    assert 55 < queued["running_left_seconds"] < 70
    assert queued["running_left_seconds"] == pytest.approx(min(r["eta_seconds"] for r in running), abs=5)
    assert running[0]["running_left_seconds"] is None  # only a queued job carries it
    with get_sessionmaker(url)() as session:  # a worker silent for long: its job's time left is unknown
        for i in ids[:2]:
            session.get(Job, i).heartbeat = now - dt.timedelta(hours=1)
        session.commit()
    assert client.get(f"/api/jobs/{ids[2]}").json()["running_left_seconds"] is None
