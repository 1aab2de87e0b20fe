"""The job page's times (frontend.job_timing): the time left never rises within a stage, each stage's duration, and
the whole run's. Review: while the students were fitted the time left rose second after second (the server's
estimate extrapolates the elapsed time by a fraction done that barely moved)."""

from __future__ import annotations

from awd_studio.frontend.durations import format_seconds
from awd_studio.frontend.job_timing import OVER_ESTIMATE, shown_time_left, stage_rows, took_words


def _server_estimate(elapsed: float, fraction: float) -> float:
    """What ``GET /api/jobs/{id}`` answers as ``eta_seconds`` (backend.routes.jobs.job_public)."""
    return elapsed * (1.0 - fraction) / fraction


def _seconds(text: str) -> float:
    minutes, _, rest = text.partition(" min ")
    return 60 * float(minutes) + float(rest.split()[0]) if rest else float(text.split()[0])


def test_the_time_left_never_rises_while_the_students_are_fitted():
    # a 60 s job reaches the students at 95 %; they report little progress, for 12 s
    memory, shown = None, []
    for second in range(60, 72):
        fraction = 0.95 + 0.0005 * (second - 60)
        estimate = _server_estimate(second, fraction)
        text, memory = shown_time_left(estimate, "students", now=float(second), previous=memory)
        shown.append(text)
    rising = [_server_estimate(s, 0.95 + 0.0005 * (s - 60)) for s in range(60, 72)]
    assert rising[-1] > rising[0]  # the server's figure rose
    numbers = [_seconds(t) for t in shown if t != OVER_ESTIMATE]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] == _seconds(format_seconds(rising[0]))
    # its countdown ran out while the students were still fitted: said in words from then on, not as a figure
    over = shown.index(OVER_ESTIMATE)
    assert over == len(numbers) and set(shown[over:]) == {OVER_ESTIMATE}


def test_a_new_stage_brings_a_new_estimate_and_a_lower_estimate_is_shown_at_once():
    text, memory = shown_time_left(40.0, "distill", now=0.0)
    assert text == "40 s"
    assert shown_time_left(10.0, "distill", now=5.0, previous=memory)[0] == "10 s"  # lower: at once
    text, memory = shown_time_left(45.0, "distill", now=5.0, previous=memory)
    assert text == "35 s"  # higher within the stage: the countdown
    text, memory = shown_time_left(50.0, "select", now=6.0, previous=memory)
    assert text == "50 s"  # the next stage's estimate, higher, is its own
    # no estimate for a while (a silent worker): nothing shown, the countdown kept for when it comes back
    text, kept = shown_time_left(None, "select", now=7.0, previous=memory)
    assert text is None and kept == memory
    assert shown_time_left(48.0, "select", now=16.0, previous=kept)[0] == "40 s"
    # the scattering student and the bundle's writing continue the students' countdown
    _, memory = shown_time_left(20.0, "students", now=0.0)
    assert shown_time_left(24.0, "scattering", now=5.0, previous=memory)[0] == "15 s"


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


def test_a_stage_whose_first_estimate_was_far_too_low_is_revised_not_counted_down_to_nothing():
    """Review 33B: the CME example's distillation began with a low figure; held as a ceiling it counted down to
    "2 s", then "longer than estimated", while the server said 66-73 s."""
    _, memory = shown_time_left(55.0, "distill", now=0.0)
    text, memory = shown_time_left(73.0, "distill", now=1.0, previous=memory)  # 54 s counted down: 19 s above
    assert text == "1 min 13 s (revised)"
    text, memory = shown_time_left(78.0, "distill", now=11.0, previous=memory)  # 63 s left by the clock, 78 close
    assert text == "1 min 03 s"
    # close to the countdown's end, the server a few seconds above: said in words, no figure that jumps back up
    _, memory = shown_time_left(4.0, "students", now=0.0)
    assert shown_time_left(9.0, "students", now=6.0, previous=memory)[0] == OVER_ESTIMATE
