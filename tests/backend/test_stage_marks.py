"""When each stage of a job's attempt began (``jobs.stage_marks``), as the worker's progress writes mark them, and
the seconds per stage ``GET /api/jobs/{id}`` answers from them (the job page lists them)."""

from __future__ import annotations

import pytest

from awd_studio.jobstate import crud
from awd_studio.jobstate.db import Job, get_sessionmaker


@pytest.mark.usefixtures("no_worker")
def test_stage_changes_are_marked_once_per_change_and_a_new_attempt_starts_afresh(client, settings, dataset):
    job_id = client.post("/api/jobs", json={"dataset_id": dataset["id"], "teacher": "mlp", "epochs": 1}).json()["id"]
    assert client.get(f"/api/jobs/{job_id}").json()["stage_seconds"] is None  # queued: nothing yet
    with get_sessionmaker(settings.sqlalchemy_url)() as session:
        attempt = crud.claim_job(session, job_id=job_id, worker="marks-test@nowhere")
        for stage, first in [("data", True), ("teacher", True), ("teacher", False), ("distill", True),
                             ("distill", True)]:  # a second chunk of the grid reports distill as its first stage
            assert crud.set_progress(session, job_id=job_id, attempt=attempt, stage=stage, fraction=0.1,
                                     new_stage=first)
        session.expire_all()
        job = session.get(Job, job_id)
        assert [stage for stage, _ in job.stage_marks] == ["starting", "data", "teacher", "distill"]
        assert job.stage_marks[0][1] == job.started.isoformat()  # the claim's time starts the first stage
        answer = client.get(f"/api/jobs/{job_id}").json()
        assert list(answer["stage_seconds"]) == ["starting", "data", "teacher", "distill"]
        assert all(seconds >= 0 for seconds in answer["stage_seconds"].values())
        # its worker lost: back in the queue without the lost attempt's marks; the next claim starts them again
        assert crud.requeue_job(session, job=job, reason="test", max_attempts=5) == "queued"
        session.expire_all()
        assert session.get(Job, job_id).stage_marks is None
        assert client.get(f"/api/jobs/{job_id}").json()["stage_seconds"] is None
        crud.claim_job(session, job_id=job_id, worker="marks-test@nowhere")
        session.expire_all()
        assert [stage for stage, _ in session.get(Job, job_id).stage_marks] == ["starting"]
    assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 200
    ended = client.get(f"/api/jobs/{job_id}").json()
    assert list(ended["stage_seconds"]) == ["starting"]  # until the cancel: it ran no further
