"""A job's progress bar: the stages' spans, fixed or sized by the run-time estimate of each stage."""

import math

import numpy as np
import pytest

from awd_studio.models.pipeline.progress import STAGE_SPANS, TIMED_STAGES, job_fraction, stage_spans, time_left

ORDER = ("data", *TIMED_STAGES, "done")


def _contiguous(spans):
    edges = [spans[stage] for stage in ORDER]
    return edges[0][0] == 0.0 and edges[-1][1] == 1.0 and all(
        a[1] == pytest.approx(b[0]) and a[0] <= a[1] for a, b in zip(edges, edges[1:]))


def test_the_fixed_spans_cover_the_bar_in_order():
    assert _contiguous(STAGE_SPANS)
    assert STAGE_SPANS["scattering"] == STAGE_SPANS["students"]


def test_spans_follow_the_seconds_of_each_stage():
    spans = stage_spans({"teacher": 60.0, "distill": 20.0, "select": 10.0, "students": 10.0})
    assert _contiguous(spans)
    width = {stage: spans[stage][1] - spans[stage][0] for stage in TIMED_STAGES}
    inner = STAGE_SPANS["done"][0] - STAGE_SPANS["data"][1]
    assert width == pytest.approx({"teacher": 0.6 * inner, "distill": 0.2 * inner, "select": 0.1 * inner,
                                   "students": 0.1 * inner}, abs=1e-6)
    assert spans["data"] == STAGE_SPANS["data"] and spans["done"] == STAGE_SPANS["done"]
    assert spans["scattering"] == spans["students"]


def test_a_stage_without_seconds_takes_no_room():
    """An uploaded teacher is not trained: its job's bar skips the teacher stage."""
    spans = stage_spans({"distill": 30.0, "select": 5.0, "students": 5.0})
    assert spans["teacher"][0] == spans["teacher"][1] == STAGE_SPANS["data"][1]
    assert _contiguous(spans)
    assert job_fraction("teacher", 0.5, spans) == STAGE_SPANS["data"][1]


@pytest.mark.parametrize("seconds", [{}, {"teacher": 0.0}, {"teacher": math.nan, "distill": 1.0},
                                     {"teacher": math.inf}, {"distill": -5.0}])
def test_unusable_seconds_keep_the_fixed_spans(seconds):
    assert stage_spans(seconds) == STAGE_SPANS


def test_job_fraction_reads_the_spans_it_is_given():
    spans = stage_spans({"teacher": 1.0, "distill": 1.0, "select": 1.0, "students": 1.0})
    assert job_fraction("distill", 0.0, spans) == pytest.approx(spans["distill"][0])
    assert job_fraction("distill", 2.0, spans) == pytest.approx(spans["distill"][1])  # clipped to the stage
    assert job_fraction("distill", 0.5) == pytest.approx(0.575)  # default: the fixed spans
    assert job_fraction("unknown", 0.5, spans) is None
    stages = [(stage, f) for stage in ORDER for f in (0.0, 0.5, 1.0)]
    done = [job_fraction(stage, f, spans) for stage, f in stages]
    assert all(b >= a for a, b in zip(done, done[1:]))


# -- time left -------------------------------------------------------------------------------------------------------

EXPECTED = {"teacher": 10.0, "distill": 20.0, "select": 3.0, "students": 2.0}


def _timeline(paces, expected=EXPECTED, data_seconds=1.0, step=0.05):
    """A job whose timed stages take ``paces[stage]`` times their expected seconds, sampled every ``step`` of each
    stage: ``(stage, fraction, elapsed by stage, true seconds left, seconds since the claim)``."""
    spans = stage_spans(expected)
    taken = {stage: expected[stage] * paces[stage] for stage in TIMED_STAGES}
    for k, stage in enumerate(TIMED_STAGES):
        before = {"data": data_seconds, **{s: taken[s] for s in TIMED_STAGES[:k]}}
        lo, hi = spans[stage]
        for g in np.arange(step, 1.0, step):
            elapsed = {**before, stage: g * taken[stage]}
            left = (1 - g) * taken[stage] + sum(taken[s] for s in TIMED_STAGES[k + 1:])
            yield stage, lo + g * (hi - lo), elapsed, left, sum(elapsed.values())


def _errors(paces, fixed=False):
    """Mean |log(estimated / true)| of the time left over a job's timeline: stage by stage, or (``fixed``) the
    elapsed time extrapolated by the fraction done."""
    errors = []
    for stage, fraction, elapsed, left, since in _timeline(paces):
        guess = since * (1 - fraction) / fraction if fixed else time_left(stage, fraction, EXPECTED, elapsed)
        errors.append(abs(math.log(guess / left)))
    return float(np.mean(errors))


def test_a_job_on_time_has_exactly_its_expected_seconds_left():
    for stage, fraction, elapsed, left, _ in _timeline(dict.fromkeys(TIMED_STAGES, 1.0)):
        assert time_left(stage, fraction, EXPECTED, elapsed) == pytest.approx(left, rel=1e-9)


def test_before_the_first_timed_stage_the_time_left_is_the_whole_estimate():
    assert time_left("starting", 0.0, EXPECTED, {"starting": 0.4}) == pytest.approx(35.0)
    assert time_left("data", 0.01, EXPECTED, {"starting": 0.4, "data": 3.0}) == pytest.approx(35.0)


def test_a_slow_teacher_alone_does_not_multiply_the_stages_after_it():
    """Review 50B: after a teacher three times slower than expected, the time left tripled: every stage to come
    took the teacher's pace. The distillation, on time, now soon reads about its own seconds."""
    spans = stage_spans(EXPECTED)
    start = time_left("distill", spans["distill"][0], EXPECTED, {"data": 1.0, "teacher": 30.0})
    assert 25.0 < start < 65.0  # 25 s left; extrapolating the elapsed time said 71 s
    mid = time_left("distill", sum(spans["distill"]) / 2, EXPECTED, {"data": 1.0, "teacher": 30.0, "distill": 10.0})
    assert mid == pytest.approx(15.0, rel=0.35)  # the extrapolation: 30 s
    paces = {"teacher": 3.0, "distill": 1.0, "select": 1.0, "students": 1.0}
    assert _errors(paces) < 0.5 * _errors(paces, fixed=True)


def test_a_whole_job_slow_is_followed_within_each_stage():
    """On a loaded host every stage runs slow: the stage running now follows its own pace, and the stages to come
    take the pace so far."""
    spans = stage_spans(EXPECTED)
    late = time_left("distill", spans["distill"][0] + 0.9 * (spans["distill"][1] - spans["distill"][0]), EXPECTED,
                     {"data": 1.0, "teacher": 30.0, "distill": 54.0})
    assert late == pytest.approx(6.0 + 15.0, rel=0.25)


#: Jobs whose stages (teacher, distill, select, students) take these multiples of their expected seconds.
PACES = {"all 3x": (3.0, 3.0, 3.0, 3.0), "all 2x": (2.0, 2.0, 2.0, 2.0), "all 0.5x": (0.5, 0.5, 0.5, 0.5),
         "teacher 3x": (3.0, 1.0, 1.0, 1.0), "distill 3x": (1.0, 3.0, 1.0, 1.0), "teacher 0.5x": (0.5, 1.0, 1.0, 1.0),
         "teacher 3x, rest 2x": (3.0, 2.0, 2.0, 2.0), "select 4x": (1.0, 1.0, 4.0, 1.0)}


@pytest.mark.parametrize("case", list(PACES))
def test_the_time_left_follows_a_job_better_than_the_extrapolation(case):
    """The weights (ESTIMATE_WEIGHT, OWN_PACE_WEIGHT) were chosen on these jobs: over each job's timeline, the time
    left stage by stage is closer to the truth (mean |log ratio|) than the elapsed time extrapolated by the fraction
    done, whether the whole job or one stage is off its estimate."""
    paces = dict(zip(TIMED_STAGES, PACES[case]))
    assert _errors(paces) < _errors(paces, fixed=True)


def test_a_teacher_not_trained_and_the_students_stages_fold():
    """Uploaded weights: the teacher's stage is expected to take 0 s and says nothing of the pace; the scattering
    student and the bundle's writing count in the students' stage."""
    expected = {**EXPECTED, "teacher": 0.0}
    spans = stage_spans(expected)
    assert time_left("distill", spans["distill"][0], expected, {"data": 1.0, "teacher": 2.0}) == pytest.approx(25.0)
    done = time_left("done", 0.995, expected, {"teacher": 2.0, "distill": 20.0, "select": 3.0, "students": 1.0,
                                               "scattering": 0.5, "done": 0.5})
    assert done == pytest.approx(0.0, abs=1e-9)
