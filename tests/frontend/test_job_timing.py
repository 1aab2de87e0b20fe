"""The job page's times (frontend.job_timing): each stage's duration, and the whole run's."""

from __future__ import annotations

from awd_studio.frontend.job_timing import stage_rows, took_words


def test_stage_rows_and_the_whole_runs_time():
    job = {"state": "succeeded", "stage": "done", "started": "2026-01-01T10:00:00+00:00",
           "finished": "2026-01-01T10:00:47.2+00:00",
           "stage_seconds": {"starting": 0.2, "data": 1.0, "teacher": 20.0, "distill": 21.0, "select": 2.0,
                             "students": 3.0, "done": 0.0}}
    rows = stage_rows(job)
    assert [r["stage"] for r in rows] == ["data", "teacher", "distill", "select", "students"]
    assert [r["seconds"] for r in rows] == [1.2, 20.0, 21.0, 2.0, 3.0] and {r["state"] for r in rows} == {"done"}
    assert took_words(job) == "Took 47 s"
    assert took_words({**job, "state": "failed"}) == "Failed after 47 s"
    assert took_words({**job, "state": "running"}) is None
    assert stage_rows({**job, "stage_seconds": None}) == []  # a job run before stage times were kept
    running = stage_rows({"state": "running", "stage": "teacher", "stage_seconds": {"starting": 0.1, "teacher": 3}})
    assert [(r["stage"], r["state"]) for r in running] == [("data", "done"), ("teacher", "running"),
                                                           ("distill", "to come"), ("select", "to come"),
                                                           ("students", "to come")]
    cancelled = stage_rows({"state": "cancelled", "stage": "cancelled",
                            "stage_seconds": {"starting": 0.1, "data": 1, "teacher": 3}})
    assert [r["state"] for r in cancelled] == ["done", "ended here"]
