"""Delimited text (``.csv``, ``.tsv``, ``.txt``): one row per series, the target column(s) named or last.

The delimiter is a tab for ``.tsv``, else a comma, else whatever the first 4 KiB use (tab, semicolon or
white space). A first row that is not all numbers is the header; target columns are named ``y``/``target``
or ``y_<name>``/``target_<name>``, and without them the last column is the target. Lines starting with ``#``
and blank lines are skipped; every other cell must be a number.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from awd_studio.models.data.dataset import Dataset
from awd_studio.models.data.readers._common import too_big
from awd_studio.models.validation import InputError

__all__ = ["load_csv", "read_table", "target_columns"]

_TARGET_NAMES = ("y", "target")


def _parse_float(text: str, row: int, col: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError("file", f"data row {row + 1}, column {col + 1} holds {text[:30]!r}, not a number",
                         "use numbers only (one header row is allowed; drop rows with missing values)") from None


def read_table(path: Path, budget: int) -> tuple[np.ndarray, list[str] | None]:
    """The numbers of a delimited text file, shape (rows, columns) float64, and its header (None without one)."""
    size = path.stat().st_size
    if size * 4 > budget:  # a float64 per ~2+ characters: a generous upper bound on the decoded size
        raise too_big(path.name, size * 4, budget)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("file", f"{path.name!r} is not UTF-8 text", "save the CSV as UTF-8") from None
    sample = text[:4096]
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    if delimiter == "," and sample.count(",") == 0:
        delimiter = "\t" if "\t" in sample else (";" if ";" in sample else None)
    if delimiter is None:
        rows = [line.split() for line in text.splitlines()]
    else:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    rows = [r for r in rows if any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if not rows:
        raise InputError("file", f"{path.name!r} has no data rows", "one row per series, a target column last")
    header = None
    try:
        [float(c) for c in rows[0]]
    except ValueError:
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    if not rows:
        raise InputError("file", f"{path.name!r} has a header but no data rows", "add one row per series")
    width = len(rows[0])
    for i, r in enumerate(rows):
        if len(r) != width:
            raise InputError("file", f"data row {i + 1} has {len(r)} columns, the first has {width}",
                             "give every series the same length")
    if header is not None and len(header) != width:
        raise InputError("file", f"header has {len(header)} names but rows have {width} columns",
                         "give one header name per column")
    data = np.array([[_parse_float(c, i, j) for j, c in enumerate(r)] for i, r in enumerate(rows)], dtype=np.float64)
    return data, header


def target_columns(header: list[str] | None) -> list[int]:
    """The columns a header names as targets (``y``, ``target``, ``y_<name>``, ``target_<name>``); [] if none."""
    if header is None:
        return []
    low = [h.lower() for h in header]
    return [j for j, h in enumerate(low) if h in _TARGET_NAMES or h.startswith(("y_", "target_"))]


def load_csv(path: Path, budget: int, name: str | None) -> Dataset:
    """A delimited text file as a Dataset (``budget``: decoded bytes allowed; ``name``: None for the stem)."""
    data, header = read_table(path, budget)
    width = data.shape[1]
    if width < 2:
        raise InputError("file", "has a single column", "put the series values and a target column in each row")
    target_cols, target_names = target_columns(header) or [width - 1], None
    if header is not None:
        target_names = [header[j] for j in target_cols]
    x_cols = [j for j in range(width) if j not in target_cols]
    y = data[:, target_cols]
    if y.shape[1] == 1:
        y = y[:, 0]
    if target_names is not None and len(target_names) == 1:
        target_names = None if target_names[0].lower() in _TARGET_NAMES else target_names
    return Dataset(data[:, x_cols], y, name=name or path.stem, target_names=target_names,
                   meta={"source_format": "csv", "target_columns": target_cols})

