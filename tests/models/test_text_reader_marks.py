"""Missing values and row indices as labs' spreadsheets write them in delimited text: a lone ``-`` or ``?`` in a
cell (refused as text, or, in a headerless file's first row, taking that row for the header), Excel's error values
(``#DIV/0!`` first in a line skipped as a comment, a column of ``#REF!`` left out as an identifier), and a headerless
file's first column 0, 1, 2, … (pandas' index, read as every series' first time point)."""

import numpy as np
import pytest

from awd_studio.models.data import load_dataset
from awd_studio.models.validation import InputError

FORMULA_FIX = "fix the formula in the spreadsheet and export again, or, if those values are missing, clear the cells"


def _refused(path, *words, **options):
    with pytest.raises(InputError) as info:
        load_dataset(path, **options)
    for w in words:
        assert w in str(info.value), str(info.value)
    return info.value


def _traces(n=12, length=10, seed=0):
    """``n`` traces of ``length`` values, some negative, and their targets."""
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0.0, 2.0, size=(n, length)), 3), np.round(rng.uniform(1, 9, size=n), 3)


def _write(path, X, y, header=True, ids=False, separator=",", cells=None):
    """``X`` and ``y`` as a table at ``path``, one row per trace; ``cells``: {(row, column): text} written instead
    of the value (column ``length`` is the target)."""
    cells = cells or {}
    rows = [[*(["track"] if ids else []), *[f"t{i}" for i in range(X.shape[1])], "y"]] if header else []
    for k, (x, t) in enumerate(zip(X, y)):
        values = [cells.get((k, j), str(v)) for j, v in enumerate([*x, t])]
        rows.append([*([f"trk{k}"] if ids else []), *values])
    path.write_text("\n".join(separator.join(r) for r in rows) + "\n")
    return path


# ------------------------------------------------------------------------------------------ - and ? as missing
@pytest.mark.parametrize("mark", ["-", "?", " - "])
def test_a_lone_dash_or_question_mark_is_a_missing_value(tmp_path, mark):
    """``-`` and ``?`` after a trace's last value were "cells that are not numbers", which no option let through:
    they are missing values now, filled with ``pad_ends``, left out with ``drop_incomplete``."""
    X, y = _traces()
    path = _write(tmp_path / "ended.csv", X, y, ids=True, cells={(3, 8): mark, (3, 9): mark})
    err = _refused(path, "2 missing values (blank, NaN or NA): line 5 (trk3), column 10 “t8” holds", "pad_ends=true")
    assert "pad_ends" in err.remedies
    ds = load_dataset(path, pad_ends=True)
    np.testing.assert_allclose(ds.X[3], [*X[3, :8], 0.0, 0.0])
    np.testing.assert_allclose(np.delete(ds.X, 3, axis=0), np.delete(X, 3, axis=0))
    assert ds.meta["padded_rows"]["rows"] == ["line 5 (trk3)"]
    ds = load_dataset(path, drop_incomplete=True)
    assert ds.n == 11 and ds.meta["dropped_rows"]["rows"] == ["line 5 (trk3)"]


def test_a_dash_inside_a_trace_is_a_gap_not_an_ended_trace(tmp_path):
    X, y = _traces()
    path = _write(tmp_path / "gap.csv", X, y, cells={(2, 4): "-"})
    err = _refused(path, "a missing value (blank, NaN or NA): line 4, column 5 “t4” holds '-'")
    assert err.remedies == ("drop_incomplete",)  # filling the ends cannot help a gap
    _refused(path, "a gap before its last value: line 4 at column “t4”", pad_ends=True)


def test_negative_numbers_beside_dashes_stay_numbers(tmp_path):
    """A dash is a minus sign only before digits: ``-5``, ``-0.5``, ``-1e-3`` are numbers; ``- 5`` is neither a
    number nor a missing value."""
    X, y = _traces()
    X[0, :3] = [-5.0, -0.5, -1e-3]
    path = _write(tmp_path / "neg.csv", X, y, cells={(0, 9): "-"})
    ds = load_dataset(path, pad_ends=True)
    np.testing.assert_allclose(ds.X[0], [*X[0, :9], 0.0])
    assert (ds.X < 0).any() and ds.meta["padded_rows"]["count"] == 1
    spaced = _write(tmp_path / "spaced.csv", X, y, cells={(0, 1): "- 5"})
    _refused(spaced, "a cell that is not a number: line 2, column 2 “t1” holds '- 5'", pad_ends=True)


@pytest.mark.parametrize("mark", ["-", "?", "NA"])
def test_a_missing_value_in_a_headerless_first_row_keeps_the_row(tmp_path, mark):
    """Without a header, a first row holding ``-`` (or ``NA``) among its numbers was taken for the header: its
    series lost, the others named by its numbers."""
    X, y = _traces()
    path = _write(tmp_path / "nohead.csv", X, y, header=False, cells={(0, 9): mark})
    ds = load_dataset(path, pad_ends=True)
    assert ds.n == 12 and ds.meta["no_header"]
    np.testing.assert_allclose(ds.X[0], [*X[0, :9], 0.0])
    np.testing.assert_allclose(ds.y, y)


def test_semicolon_and_tab_files_with_dashes_keep_their_separator_rules(tmp_path):
    """Decimal commas beside ``-`` read right; thousands separators beside ``-`` are still refused."""
    X, y = _traces()
    comma = {(k, j): str(v).replace(".", ",") for k, row in enumerate(np.c_[X, y]) for j, v in enumerate(row)}
    comma[(5, 9)] = "-"
    ds = load_dataset(_write(tmp_path / "eu.csv", X, y, separator=";", cells=comma), pad_ends=True)
    np.testing.assert_allclose(ds.X[5], [*X[5, :9], 0.0])
    np.testing.assert_allclose(np.delete(ds.X, 5, axis=0), np.delete(X, 5, axis=0))
    thousands = {(k, 0): f"{1000 + k:,}" for k in range(12)} | {(5, 9): "-"}
    _refused(_write(tmp_path / "us.txt", X, y, separator="\t", cells=thousands),
             "stands before exactly three digits", "'1,000'", pad_ends=True)
    quoted = {(0, 0): '"1,921.30"', (5, 9): "-"}
    _refused(_write(tmp_path / "quoted.csv", X, y, cells=quoted), "thousands separators", "'1,921.30'",
             pad_ends=True)


# ------------------------------------------------------------------------------- Excel's error values: refused
@pytest.mark.parametrize("mark, meaning", [("#DIV/0!", "a division by zero"), ("#VALUE!", "the wrong type"),
                                           ("#REF!", "a deleted cell"), ("#NUM!", "out of range"),
                                           ("#NAME?", "misspelled"), ("Err:502", "Err:502: LibreOffice's error code")])
def test_a_formula_error_is_refused_naming_the_cells_with_any_option(tmp_path, mark, meaning):
    """A failed formula is no missing value: refused naming the cells and saying what failed, even with the options
    that fill or leave out missing values (the cells it feeds may be wrong too)."""
    X, y = _traces()
    path = _write(tmp_path / "excel.csv", X, y, ids=True, cells={(2, 9): mark, (7, 3): mark.lower()})
    for options in ({}, {"pad_ends": True}, {"drop_incomplete": True}, {"pad_ends": True, "drop_incomplete": True}):
        err = _refused(path, "2 cells hold a spreadsheet's error value, written when a formula failed", meaning,
                       f"line 4, column 11 “t9” holds '{mark}'", f"line 9, column 5 “t3” holds '{mark.lower()}'",
                       FORMULA_FIX, **options)
        assert err.remedies == ()


def test_a_formula_error_first_in_a_line_is_refused_not_skipped_as_a_comment(tmp_path):
    """``#DIV/0!`` in a row's first cell made the line a comment: the trace skipped without a word."""
    X, y = _traces()
    path = _write(tmp_path / "first.csv", X, y, header=False, cells={(4, 0): "#DIV/0!"})
    _refused(path, "1 cell holds a spreadsheet's error value", "line 5, column 1 holds '#DIV/0!'")
    comments = tmp_path / "comments.csv"
    comments.write_text("# exported from Excel\n#DIV/0! below means a zero baseline\n" + path.read_text())
    _refused(comments, "line 7, column 1 holds '#DIV/0!'")  # the comments skipped, the row not


def test_a_column_of_formula_errors_is_refused_not_left_out(tmp_path):
    """A column of ``#REF!`` held no number, so it was left out as an identifier: the series one time point short."""
    X, y = _traces()
    path = _write(tmp_path / "ref.csv", X, y, cells={(k, 2): "#REF!" for k in range(12)})
    _refused(path, "12 cells hold a spreadsheet's error value", "#REF!: a reference to a deleted cell",
             "line 2, column 3 “t2” holds '#REF!'", "(and 7 more)")


def test_na_first_in_a_line_is_a_missing_value_not_a_comment(tmp_path):
    """``#N/A`` (what Excel's NA() writes) first in a line was a comment: the row skipped. It is a missing value:
    a gap at the trace's start, which leaves the row out with ``drop_incomplete``."""
    X, y = _traces()
    path = _write(tmp_path / "na.csv", X, y, header=False, cells={(4, 0): "#N/A"})
    _refused(path, "a missing value (blank, NaN or NA): line 5, column 1 holds '#N/A'")
    ds = load_dataset(path, drop_incomplete=True)
    assert ds.n == 11 and ds.meta["dropped_rows"]["rows"] == ["line 5"]
    np.testing.assert_allclose(ds.X, np.delete(X, 4, axis=0))


# ------------------------------------------------------------------------- a headerless file's index column
@pytest.mark.parametrize("start", [0, 1])
def test_a_headerless_index_column_is_left_out_and_said(tmp_path, start):
    """pandas' ``to_csv(header=False)`` writes the index first: it was read as every series' first time point."""
    X, y = _traces()
    path = tmp_path / "indexed.csv"
    path.write_text("".join(f"{k + start}," + ",".join(map(str, [*x, t])) + "\n" for k, (x, t) in enumerate(zip(X, y))))
    ds = load_dataset(path)
    np.testing.assert_allclose(ds.X, X)
    np.testing.assert_allclose(ds.y, y)
    assert ds.meta["ignored_columns"] == ["column 1"] and ds.meta["numbered_columns"] == ["column 1"]
    assert ds.meta["no_header"] and ds.meta["target_is_last_column"]


@pytest.mark.parametrize("first", [
    [0] * 12,                                             # a series starting at 0 in every row
    [3] * 12,                                             # constant
    [2, 0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11],               # 0 … n-1 shuffled
    list(range(11, -1, -1)),                              # n-1 … 0
    list(range(2, 14)),                                   # a run from 2
    [f"{k}.0" for k in range(12)],                        # 0 … n-1 written as decimals: a series' values
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12],               # almost a run
])
def test_a_headerless_first_column_that_is_no_exact_index_stays_a_time_point(tmp_path, first):
    X, y = _traces()
    path = tmp_path / "series.csv"
    path.write_text("".join(f"{f}," + ",".join(map(str, [*x, t])) + "\n" for f, x, t in zip(first, X, y)))
    ds = load_dataset(path)
    np.testing.assert_allclose(ds.X, np.c_[[float(f) for f in first], X])
    assert "ignored_columns" not in ds.meta and "numbered_columns" not in ds.meta


def test_only_the_first_headerless_column_and_a_header_keeps_the_old_rule(tmp_path):
    """A run in the second column of a headerless file stays a time point; with a header naming the time points,
    a first column 0 … n-1 named ``t0`` is one too."""
    X, y = _traces()
    X[:, 1] = np.arange(12)
    (tmp_path / "second.csv").write_text("".join(",".join(map(str, [*x, t])) + "\n" for x, t in zip(X, y)))
    np.testing.assert_allclose(load_dataset(tmp_path / "second.csv").X, X)
    X[:, 0] = np.arange(12)
    cells = {(k, 0): str(k) for k in range(12)}
    ds = load_dataset(_write(tmp_path / "named.csv", X, y, cells=cells))
    np.testing.assert_allclose(ds.X, X)
    assert "numbered_columns" not in ds.meta
