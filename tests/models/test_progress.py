"""A job's progress bar: the stages' spans, fixed or sized by the run-time estimate of each stage."""

import math

import pytest

from awd_studio.models.pipeline.progress import STAGE_SPANS, TIMED_STAGES, job_fraction, stage_spans

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
