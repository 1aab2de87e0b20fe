"""The series student of a result as a table (``student.csv``): what each term reads and its weight.

The results page shows the same table; the file is for a paper's supplement or a spreadsheet. One row per
feature of the recommended student (:func:`models.pipeline.predict.recommended_model`), in the page's order (by
influence, |weight| × training SD: ``term`` 1 is the page's first row), then its intercept. A padding feature (a
band with fewer coefficients than the student's ``k``: a zero, always) is no term and is left out.
"""

from __future__ import annotations

import csv
import io
import math

from awd_studio.models.pipeline.predict import recommended_model
from awd_studio.models.pipeline.student_params import PADDING

__all__ = ["student_table_csv", "frames_read"]

#: The table's columns (``term``: the page's rank, most influential first; ``position``: the kept coefficient's index
#: in its band, for a student reading fixed positions, and ``reads_from``, ``reads_to`` the first and last samples
#: it reads (:func:`frames_read`) in ``reads_unit``: the file's sample axis when it names one, else frames from 0;
#: ``influence``: |weight| times the feature's training SD, its typical effect on the prediction).
COLUMNS = ("term", "model", "band", "level", "rank", "position", "reads_from", "reads_to", "reads_unit", "weight",
           "training_sd", "influence", "reads")


def frames_read(centre: float, level: int, length: int, wrap: bool = False) -> tuple[int, int] | None:
    """The first and last frames (sample indices) a coefficient reads: the ``2^level`` around its energy centroid
    (``explain.centres``, :func:`models.pipeline.explain_examples.coefficient_centres`), as the results page's
    scalogram and student table place them; cut at the series' ends, or in periodization (``wrap``) taken around
    them (then the first may follow the last); None when they lie wholly beyond the ends.

    Review 38: the table gave "cA2[5]", a position in the band, and cA2[0] reads the end of the trace.

    Examples
    --------
    >>> frames_read(32.4, 2, 40), frames_read(-0.3, 1, 40), frames_read(-9.0, 2, 40)
    ((31, 34), (0, 0), None)
    >>> frames_read(39.2, 2, 40, wrap=True)
    (38, 1)
    """
    step = 2 ** int(level)
    first = math.floor(float(centre) - (step - 1) / 2 + 0.5)
    last = first + step - 1
    if wrap:
        return first % length, last % length
    if last < 0 or first >= length:
        return None
    return max(first, 0), min(last, length - 1)


def _influence(feature: dict) -> float:
    """|weight| × training SD, as the page ranks the terms (an SD it lacks counts as 1)."""
    return abs(float(feature["weight"])) * float(feature.get("sd") or 1.0)


def _reads(bundle: dict, model: str, feature: dict) -> tuple:
    """``reads_from``, ``reads_to`` and ``reads_unit`` of a feature of ``model``'s student at a fixed position
    (:data:`COLUMNS`); blank for a top-k feature (its coefficient moves with the series), or when the bundle's
    ``explain.centres`` are not of that model's wavelet (``explain.wavelet``) or absent (written before)."""
    explain = bundle.get("explain") or {}
    if explain.get("wavelet", "awd") != ("initial" if model == "baseline_wavelet" else "awd"):
        return "", "", ""
    centres = (explain.get("centres") or {}).get(feature.get("band"))
    position, data = feature.get("position"), bundle.get("data") or {}
    length = int((data.get("shape") or [0])[0] or 0)
    if not isinstance(centres, list) or not isinstance(position, int) or position >= len(centres) or not length:
        return "", "", ""
    span = frames_read(centres[position], feature["level"], length,
                       (bundle.get("wavelet") or {}).get("mode") == "periodization")
    if span is None:
        return "", "", "beyond the ends"
    values = ((data.get("sample_axis") or {}).get("values")) or []
    if len(values) != length:
        return span[0], span[1], "frame"
    return repr(float(values[span[0]])), repr(float(values[span[1]])), data["sample_axis"].get("label", "")


def student_table_csv(bundle: dict) -> str | None:
    """The recommended series student's terms as CSV (:data:`COLUMNS`), most influential first, or None for a
    result without one (maps, older bundles).

    Examples
    --------
    >>> bundle = {"selection": {"choice": "awd"}, "students": {"awd": {"kind": "series_topk_linear", "parameters": {
    ...     "intercept": 0.5, "features": [{"band": "cA3", "level": 3, "rank": 1, "weight": -2.0, "sd": 0.25,
    ...                                     "label": "1st largest of cA3"}]}}}}
    >>> print(student_table_csv(bundle), end="")
    term,model,band,level,rank,position,reads_from,reads_to,reads_unit,weight,training_sd,influence,reads
    1,awd,cA3,3,1,,,,,-2.0,0.25,0.5,1st largest of cA3
    intercept,awd,,,,,,,,0.5,,,
    >>> bundle["students"]["awd"]["parameters"]["features"].append(
    ...     {"band": "cA3", "level": 3, "rank": 2, "weight": -3.6e-18, "sd": 1.0, "label": "cA3 (padding)"})
    >>> student_table_csv(bundle).count("padding")  # always zero: no term
    0
    """
    model = recommended_model(bundle or {})
    record = ((bundle or {}).get("students") or {}).get(model) or {}
    params = record.get("parameters") or {}
    if record.get("kind") != "series_topk_linear" or not params.get("features"):
        return None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    # stable: the page's order; a padding feature (a band shorter than k: always zero) is no term (review 42B: a
    # "cA4 (padding)" row with weight -3.6e-18 and training SD 1.0)
    ranked = sorted((f for f in params["features"] if not str(f.get("label", "")).endswith(PADDING)), key=_influence,
                    reverse=True)
    for i, f in enumerate(ranked, start=1):
        sd = f.get("sd")
        writer.writerow([i, model, f.get("band", ""), f.get("level", ""), f.get("rank", ""), f.get("position", ""),
                         *_reads(bundle, model, f), repr(float(f["weight"])), "" if sd is None else repr(float(sd)),
                         "" if sd is None else repr(_influence(f)), f.get("label", "")])
    writer.writerow(["intercept", model, *[""] * 7, repr(float(params.get("intercept", 0.0))), "", "", ""])
    return out.getvalue()
