"""The series student of a result as a table (``student.csv``): what each term reads and its weight.

The results page shows the same table; the file is for a paper's supplement or a spreadsheet. One row per
feature of the recommended student (:func:`models.pipeline.predict.recommended_model`), then its intercept.
"""

from __future__ import annotations

import csv
import io

from awd_studio.models.pipeline.predict import recommended_model

__all__ = ["student_table_csv"]

#: The table's columns (``position``: the kept coefficient's index in its band, for a student reading fixed
#: positions; ``influence``: |weight| times the feature's training SD, its typical effect on the prediction).
COLUMNS = ("term", "model", "band", "level", "rank", "position", "weight", "training_sd", "influence", "reads")


def student_table_csv(bundle: dict) -> str | None:
    """The recommended series student's terms as CSV (:data:`COLUMNS`), or None for a result without one
    (maps, older bundles).

    Examples
    --------
    >>> bundle = {"selection": {"choice": "awd"}, "students": {"awd": {"kind": "series_topk_linear", "parameters": {
    ...     "intercept": 0.5, "features": [{"band": "cA3", "level": 3, "rank": 1, "weight": -2.0, "sd": 0.25,
    ...                                     "label": "1st largest of cA3"}]}}}}
    >>> print(student_table_csv(bundle), end="")
    term,model,band,level,rank,position,weight,training_sd,influence,reads
    1,awd,cA3,3,1,,-2.0,0.25,0.5,1st largest of cA3
    intercept,awd,,,,,0.5,,,
    """
    model = recommended_model(bundle or {})
    record = ((bundle or {}).get("students") or {}).get(model) or {}
    params = record.get("parameters") or {}
    if record.get("kind") != "series_topk_linear" or not params.get("features"):
        return None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i, f in enumerate(params["features"], start=1):
        sd = f.get("sd")
        influence = abs(float(f["weight"])) * float(sd) if sd is not None else ""
        writer.writerow([i, model, f.get("band", ""), f.get("level", ""), f.get("rank", ""), f.get("position", ""),
                         repr(float(f["weight"])), "" if sd is None else repr(float(sd)),
                         influence if influence == "" else repr(influence), f.get("label", "")])
    writer.writerow(["intercept", model, "", "", "", "", repr(float(params.get("intercept", 0.0))), "", "", ""])
    return out.getvalue()
