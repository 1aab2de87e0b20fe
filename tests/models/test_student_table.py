"""``student.csv``: the recommended series student's terms in the results page's order, with the frames each
fixed-position term reads."""

import csv
import io

from awd_studio.models.pipeline.student_table import student_table_csv


def _bundle(**data) -> dict:
    """A fixed-position student of three terms, listed out of the page's order (by |weight| × SD), whose
    coefficient cA2[0] reads the end of a 36-sample series (as the reviewer's transform did)."""
    features = [{"band": "cA2", "level": 2, "rank": 1, "position": 0, "weight": 0.5, "sd": 1.0, "label": "cA2[0]"},
                {"band": "cD2", "level": 2, "rank": 1, "position": 1, "weight": -4.0, "sd": 1.0, "label": "cD2[1]"},
                {"band": "cD1", "level": 1, "rank": 1, "position": 2, "weight": 1.0, "sd": 2.0, "label": "cD1[2]"}]
    return {"selection": {"choice": "awd"}, "data": {"kind": "timeseries", "shape": [36], **data},
            "students": {"awd": {"kind": "series_topk_linear", "parameters": {"intercept": 0.1,
                                                                              "features": features}}},
            "explain": {"wavelet": "awd", "centres": {"cA2": [32.4, 3.0], "cD2": [-0.2, 2.6],
                                                      "cD1": [0.5, 2.5, 4.6]}}}


def _rows(bundle: dict) -> list[dict]:
    return list(csv.DictReader(io.StringIO(student_table_csv(bundle))))


def test_the_terms_are_in_the_pages_order_with_the_frames_they_read():
    """Review 38: student.csv listed the terms in the fitted order and by their position in the band ("cA2[0]",
    read as the start of the trace where it reads frames 31-34); the page ranks them by |weight| × SD."""
    rows = _rows(_bundle())
    assert [(r["term"], r["reads"]) for r in rows[:3]] == [("1", "cD2[1]"), ("2", "cD1[2]"), ("3", "cA2[0]")]
    assert [(r["reads_from"], r["reads_to"], r["reads_unit"]) for r in rows[:3]] == [
        ("1", "4", "frame"), ("4", "5", "frame"), ("31", "34", "frame")]
    assert rows[-1]["term"] == "intercept" and rows[-1]["weight"] == "0.1"


def test_the_frames_read_are_in_the_files_own_times():
    axis = {"values": [2.0 * i for i in range(36)], "label": "t (s)"}
    cA2 = _rows(_bundle(sample_axis=axis))[2]
    assert (cA2["reads_from"], cA2["reads_to"], cA2["reads_unit"]) == ("62.0", "68.0", "t (s)")


def test_no_frames_without_the_centres_of_the_students_wavelet():
    bundle = _bundle()
    bundle["explain"]["wavelet"] = "initial"  # the explanations are of another wavelet
    assert {r["reads_from"] for r in _rows(bundle)} == {""}
    del bundle["explain"]
    assert {r["reads_from"] for r in _rows(bundle)} == {""}
