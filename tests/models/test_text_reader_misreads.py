"""Lab-style delimited text that was read wrong without a word: thousands separators taken for decimal marks, a
text target dropped for the last time point, decimal commas in quotes, an instrument's notes above the header."""

import codecs

import numpy as np
import pytest

from awd_studio.models.data import load_dataset
from awd_studio.models.validation import InputError

THOUSANDS_FIX = "remove the thousands separators (in Excel: Format Cells → Number without 'Use 1000 separator')"


def _refused(path, *words):
    with pytest.raises(InputError) as info:
        load_dataset(path)
    for w in words:
        assert w in str(info.value), str(info.value)
    return info.value


def _lifetimes(n=12, length=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(100, 5000, size=(n, length)), rng.uniform(1, 9, size=n)


# ------------------------------------------------------------------------------------- thousands separators
def test_european_excel_dot_thousands_beside_decimal_commas_is_refused(tmp_path):
    """``3.419`` (3419 with Excel's "Use 1000 separator") beside ``308`` and a ``y`` of ``3,5425`` was read as
    3.419: every value of 1000 or more divided by 1000, the others kept."""
    X, y = _lifetimes()
    def cell(v):
        return f"{v // 1000}.{v % 1000:03d}" if v >= 1000 else str(v)
    rows = [";".join(["track"] + [f"t{i}" for i in range(10)] + ["y"])]
    rows += [";".join([f"trk{k}"] + [cell(v) for v in X[k]] + [f"{y[k]:.4f}".replace(".", ",")])
             for k in range(len(X))]
    (tmp_path / "eu.csv").write_text("\n".join(rows))
    err = _refused(tmp_path / "eu.csv", "writes decimals with a comma", "thousands separator", THOUSANDS_FIX,
                   "line 2, column")
    assert "holds '" in err.problem and "“t" in err.problem


def test_european_decimal_points_and_thousands_both_are_refused(tmp_path):
    rows = ["t0;t1;t2;t3;t4;t5;t6;t7;y"] + ["1.234,5;2;3;4;5;6;7;8;0,5"] * 4
    (tmp_path / "both.csv").write_text("\n".join(rows))
    _refused(tmp_path / "both.csv", "written with thousands separators", "'1.234,5'", THOUSANDS_FIX)


@pytest.mark.parametrize("utf16", [False, True])
def test_us_excel_comma_thousands_in_a_tab_export_is_refused(tmp_path, utf16):
    """US Excel's tab (or "Unicode Text") export with ``#,##0``: ``3,419`` beside ``308`` was read as 3.419."""
    X, y = _lifetimes()
    rows = ["\t".join([f"t{i}" for i in range(10)] + ["y"])]
    rows += ["\t".join([f"{v:,}" for v in X[k]] + [f"{int(y[k] * 1000):,}"]) for k in range(len(X))]
    text = "\r\n".join(rows)
    path = tmp_path / "us.txt"
    if utf16:
        path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    else:
        path.write_text(text)
    _refused(path, "stands before exactly three digits", "no other number tells which", THOUSANDS_FIX, "line 2")


def test_decimal_commas_that_read_right_still_do(tmp_path):
    """The cases a comma reads right as a decimal mark: ``0,377``, ``3,5``, ``1,5E-03`` with ``;`` or a tab, and
    ``3,419`` when another number shows the comma is the decimal mark."""
    rows = ["t0;t1;t2;t3;t4;t5;t6;t7;y", "0,377;3,5;1,5E-03;3,419;12;1;2;3;2,25", "0,1;0,2;0,3;0,4;0,5;1;2;3;1,0"]
    rows += ["1;2;3;4;5;6;7;8;9"] * 8
    read = [0.377, 3.5, 1.5e-3, 3.419, 12.0, 1.0, 2.0, 3.0]
    (tmp_path / "semi.csv").write_text("\n".join(rows))
    ds = load_dataset(tmp_path / "semi.csv")
    np.testing.assert_allclose(ds.X[0], read)
    np.testing.assert_allclose(ds.y[:2], [2.25, 1.0])
    (tmp_path / "tab.txt").write_text("\n".join(r.replace(";", "\t") for r in rows))
    np.testing.assert_allclose(load_dataset(tmp_path / "tab.txt").X[0], read)
    # points as decimals beside 3.419 (no decimal comma anywhere): a decimal, as before
    (tmp_path / "points.csv").write_text("\n".join(["t0;t1;t2;t3;t4;t5;t6;t7;y", "3.419;0.5;1;2;3;4;5;6;7",
                                                     *["1;2;3;4;5;6;7;8;9"] * 10]))
    assert load_dataset(tmp_path / "points.csv").X[0, 0] == pytest.approx(3.419)


def test_quoted_comma_thousands_in_a_comma_csv_say_so(tmp_path):
    """``"1,921.30"`` was refused with advice about missing values."""
    rows = [",".join([f"t{i}" for i in range(8)] + ["y"])]
    rows += [",".join(['"1,921.30"', "308.5", "12", "13", "14", "15", "16", "17", "1"]) for _ in range(4)]
    (tmp_path / "us.csv").write_text("\n".join(rows))
    err = _refused(tmp_path / "us.csv", "thousands separators", "'1,921.30'", "line 2, column 1 “t0”", THOUSANDS_FIX)
    assert "missing" not in str(err)


def test_quoted_decimal_commas_in_a_comma_csv_are_named(tmp_path):
    """``"0,377"`` in a comma-separated file was "has a single column"."""
    rows = [",".join([f"t{i}" for i in range(8)] + ["y"])]
    rows += [",".join(f'"0,{k}{i}7"' for i in range(9)) for k in range(4)]
    (tmp_path / "quoted.csv").write_text("\n".join(rows))
    err = _refused(tmp_path / "quoted.csv", "with a decimal comma in a comma-separated file", "'0,007'",
                   "separate the columns with semicolons")
    assert "single column" not in str(err)


# ------------------------------------------------------------------------------------- a target of text
@pytest.mark.parametrize("labels, advice", [
    (["yes", "no"], "code yes/no as 1/0"),
    (["productive", "abortive"], "code productive/abortive as 1/0"),
    (["35.4%", "2.5%"], "remove the % sign"),
    (["3.54 s", "12.1 s"], "put the unit in the header (“productive (s)”)"),
])
def test_a_text_target_after_the_time_points_is_refused_not_dropped(tmp_path, labels, advice):
    """``t0 … t19, productive`` with yes/no: the label was left out as an identifier and t19 became the target."""
    rng = np.random.default_rng(1)
    rows = [",".join(["track"] + [f"t{i}" for i in range(20)] + ["productive"])]
    rows += [",".join([f"trk{k}"] + [f"{v:.3f}" for v in rng.normal(size=20)] + [labels[k % 2]]) for k in range(12)]
    (tmp_path / "label.csv").write_text("\n".join(rows))
    err = _refused(tmp_path / "label.csv", "the column “productive” after the time points holds text",
                   f"({labels[0]!r}, {labels[1]!r})", "“t19”, taken as the target", advice)
    assert err.field == "file"


def test_a_text_column_after_numbered_columns_that_are_no_time_axis_is_still_left_out(tmp_path):
    """Without a time axis the last numeric column is the target as before, the text column an identifier."""
    rng = np.random.default_rng(2)
    names = [f"feature_{c}" for c in "abcdefghi"]
    rows = [",".join(names + ["note"])]
    rows += [",".join([f"{v:.3f}" for v in rng.normal(size=9)] + ["ok"]) for _ in range(12)]
    (tmp_path / "notes.csv").write_text("\n".join(rows))
    ds = load_dataset(tmp_path / "notes.csv")
    assert ds.meta["ignored_columns"] == ["note"] and ds.meta["target_is_last_column"]


def test_a_target_column_of_true_false_says_to_code_it(tmp_path):
    rows = [",".join([f"t{i}" for i in range(10)] + ["y"])]
    rows += [",".join([str(k + i) for i in range(10)] + [["TRUE", "FALSE"][k % 2]]) for k in range(12)]
    (tmp_path / "bool.csv").write_text("\n".join(rows))
    _refused(tmp_path / "bool.csv", "the target column 'y' holds text ('TRUE', 'FALSE')", "code TRUE/FALSE as 1/0")


# ------------------------------------------------------------------------------------- numbers with a sign
def test_percent_cells_in_a_comma_csv_are_named(tmp_path):
    """Every cell a percentage: "has a single column" (or "holds no numbers") named none of them."""
    rows = [",".join([f"t{i}" for i in range(8)] + ["y"])]
    rows += [",".join(f"{k + i}.5%" for i in range(9)) for k in range(12)]
    (tmp_path / "percent.csv").write_text("\n".join(rows))
    err = _refused(tmp_path / "percent.csv", "not numbers but numbers with a % sign", "line 2, column 1 “t0” holds "
                   "'0.5%'", "remove the % sign")
    assert "single column" not in str(err)
    rows = [",".join(["track"] + [f"t{i}" for i in range(8)] + ["y"])]
    rows += [",".join([str(k + 1)] + [f"{k + i}.5%" for i in range(9)]) for k in range(12)]  # a numbered track
    (tmp_path / "numbered.csv").write_text("\n".join(rows))
    _refused(tmp_path / "numbered.csv", "not numbers but numbers with a % sign", "“t0” holds '0.5%'")


# ------------------------------------------------------------------------------------- an instrument's notes
@pytest.mark.parametrize("separator", [",", "\t"])
def test_metadata_lines_above_the_header_are_named_as_such(tmp_path, separator):
    """``Experiment: …``, ``Date: …`` above the header: "line 5 has 21 columns, line 1 has 1; give every series the
    same length"."""
    notes = ["Experiment: CME lifetimes", "Date: 2024-03-01", "Instrument: TIRF-2", ""]
    rows = [separator.join([f"t{i}" for i in range(20)] + ["y"])]
    rows += [separator.join(str(k + i) for i in range(21)) for k in range(12)]
    (tmp_path / "notes.txt").write_text("\n".join(notes + rows))
    err = _refused(tmp_path / "notes.txt", "line 5 has 21 columns but the 3 lines above it at most 1",
                   "instrument's notes", "line 1 holds 'Experiment: CME lifetimes'",
                   "delete those lines, or start each with '#'")
    assert "same length" not in str(err)
    (tmp_path / "commented.txt").write_text("\n".join("# " + n for n in notes[:3]) + "\n" + "\n".join(rows))
    assert load_dataset(tmp_path / "commented.txt").X.shape == (12, 20)  # the advice works



def test_metadata_lines_above_a_semicolon_table_name_only_the_notes(tmp_path):
    """Notes without a semicolon above a ``;`` table with decimal commas made the comma the separator, and the
    header one more "note"."""
    rows = ["Experiment: CME", "Date: 2024-03-01", ";".join([f"t{i}" for i in range(20)] + ["y"])]
    rows += [";".join(f"{k + i},5" for i in range(21)) for k in range(12)]
    (tmp_path / "notes.csv").write_text("\n".join(rows))
    err = _refused(tmp_path / "notes.csv", "line 3 has 21 columns but the 2 lines above it at most 1",
                   "line 2 holds 'Date: 2024-03-01'")
    assert "line 3 holds" not in str(err)
    (tmp_path / "commented.csv").write_text("\n".join(["# " + r for r in rows[:2]] + rows[2:]))
    assert load_dataset(tmp_path / "commented.csv").X[0, 0] == pytest.approx(0.5)

# ------------------------------------------------------------------------------------- summary rows
def test_summary_rows_below_the_series_are_refused(tmp_path):
    """``Mean``, ``SD`` rows below the tracks were read as two more series."""
    rng = np.random.default_rng(4)
    rows = [",".join(["track"] + [f"t{i}" for i in range(10)] + ["y"])]
    rows += [",".join([f"trk{k}"] + [f"{v:.3f}" for v in rng.normal(size=11)]) for k in range(12)]
    rows += [",".join([name] + [f"{v:.3f}" for v in rng.normal(size=11)]) for name in ("Mean", "SD", "SEM:")]
    (tmp_path / "summary.csv").write_text("\n".join(rows))
    _refused(tmp_path / "summary.csv", "3 rows look like the spreadsheet's summary, not series: line 14 (Mean), "
             "line 15 (SD), line 16 (SEM:)", "delete those rows")


# ------------------------------------------------------------------------- one series per column (52B)
def _per_column(path, header, n_series=41, length=200, time=None, y_row=False, seed=3):
    """A table of ``n_series`` series, one per column, one time point per row (``time``: a first column of times)."""
    X = np.random.default_rng(seed).normal(size=(n_series, length)).round(4)
    lines = [",".join(header)]
    for t in range(length):
        lines.append(",".join(([f"{time(t):g}"] if time else []) + [str(v) for v in X[:, t]]))
    if y_row:
        lines.append(",".join(["y"] + [f"{v:.3f}" for v in np.linspace(0, 1, n_series)]))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("first, time, said", [
    ("t", lambda t: t, "its first column, “t”, increases down the rows (0 … 199), as a time axis does"),
    ("Time (s)", lambda t: t / 10, "its first column, “Time (s)”, increases down the rows (0 … 19.9)"),
    (None, None, "its columns are named as series (“cell0” … “cell39”), not time points")])
def test_a_table_of_one_series_per_column_is_refused_with_how_to_transpose(tmp_path, first, time, said):
    """``t, cell0 … cell40`` with 200 rows was read as 200 series of 40 values, the last cell's trace the target;
    with ``Time (s)`` first, the times were the target."""
    cells = [f"cell{k}" for k in range(41)]
    path = _per_column(tmp_path / "per_column.csv", ([first] if first else []) + cells, time=time)
    err = _refused(path, said, "each of its 200 rows looks like one time point and each of its 41 columns of "
                   "numbers one series", "transpose the table so that each row is one series",
                   "add a column named y holding each series' target")
    assert err.field == "file"
    if first:
        assert f"df.set_index('{first}').T" in err.fix, err


def test_imagej_means_and_a_row_of_targets_are_refused_as_one_series_per_column(tmp_path):
    """ImageJ's Multi Measure writes `` ,Mean1,Mean2,…`` with the frame numbers first; a row ``y`` of targets under
    such a table was refused as "a cell that is not a number: … holds 'y'"."""
    path = _per_column(tmp_path / "imagej.csv", [" "] + [f"Mean{k + 1}" for k in range(12)], n_series=12, length=60,
                       time=lambda t: t + 1)
    _refused(path, "its columns are named as series (“Mean1” … “Mean11”)", "df.T")
    path = _per_column(tmp_path / "y_row.csv", ["t"] + [f"GFP_{k}" for k in "abcdefghij"], n_series=10, length=60,
                       time=lambda t: t, y_row=True)
    _refused(path, "line 62 is a row named “y”: the targets are written in a row, one per column",
             "the row “y” becoming the column y")


def test_series_per_row_with_times_first_or_a_target_named_are_still_read(tmp_path):
    """Not refused: a header naming a target column, and time points named t0 … t39 after a first column of times."""
    cells = [f"cell{k}" for k in range(40)]
    path = _per_column(tmp_path / "named.csv", ["t", *cells[:-1], "y"], n_series=40, time=lambda t: t)
    assert load_dataset(path).sample_shape == (39,)  # the user says each row is a series: read so
    rng = np.random.default_rng(4)
    rows = ["time," + ",".join(f"t{i}" for i in range(40)) + ",amp"]  # each event's time, in order
    rows += [f"{k * 0.5}," + ",".join(f"{v:.3f}" for v in rng.normal(size=40)) + f",{rng.uniform():.3f}"
             for k in range(30)]
    (tmp_path / "onsets.csv").write_text("\n".join(rows) + "\n")
    ds = load_dataset(tmp_path / "onsets.csv")
    assert ds.sample_shape == (40,) and ds.target_names == ["time", "amp"]


# --------------------------------------------------------------- a cell's number that is not a run (52B)
@pytest.mark.parametrize("name, numbers", [
    ("cell", [3 + k * k for k in range(30)]),  # named so, in order with gaps (cells left out after a check)
    ("Cell #", list(np.random.default_rng(5).permutation(np.arange(1000, 1030)))),  # named so, in any order
    ("ROI", [k // 2 for k in range(30)]),  # each region twice
    ("label", [10 + 3 * k for k in range(30)]),  # another name: distinct, in order
])
def test_a_numeric_cell_number_that_is_not_a_run_is_an_identifier(tmp_path, name, numbers):
    """``cell`` = 3, 4, 7, 12, … before ``t0 … t39`` and ``y`` was a second target, ``cell`` beside ``amp`` the first
    one (the configure page's default): each series' number is an identifier, left out and named."""
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(30, 40)).round(4), rng.uniform(size=30).round(3)
    rows = [",".join([name] + [f"t{i}" for i in range(40)] + ["y"])]
    rows += [",".join([str(numbers[k])] + [str(v) for v in X[k]] + [str(y[k])]) for k in range(30)]
    (tmp_path / "cells.csv").write_text("\n".join(rows) + "\n")
    ds = load_dataset(tmp_path / "cells.csv")
    assert ds.sample_shape == (40,) and ds.target_names == ["y"] and ds.y.shape == (30,)
    np.testing.assert_allclose(ds.X, X)
    np.testing.assert_allclose(ds.y, y)
    assert ds.meta["ignored_columns"] == [name] and ds.meta["numbered_columns"] == [name]


def test_a_target_of_whole_numbers_in_no_order_stays_a_target(tmp_path):
    """Distinct whole numbers in no order under a name that is no series' (a lifetime in frames) may be a target:
    taken as one beside y, as before; so are a few numbers in order (doses), and y_cell keeps a cell's number."""
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(30, 40)).round(4), rng.uniform(size=30).round(3)
    for name, numbers, targets in (("lifetime", rng.permutation(np.arange(5, 95, 3)), ["y", "lifetime"]),
                                   ("y_cell", np.arange(3, 33) * 2, ["y_cell", "y"])):
        rows = [",".join([name] + [f"t{i}" for i in range(40)] + ["y"])]
        rows += [",".join([str(numbers[k])] + [str(v) for v in X[k]] + [str(y[k])]) for k in range(30)]
        (tmp_path / "kept.csv").write_text("\n".join(rows) + "\n")
        ds = load_dataset(tmp_path / "kept.csv")
        assert ds.target_names == targets and "numbered_columns" not in ds.meta, (name, ds.meta)
    rows = ["dose," + ",".join(f"t{i}" for i in range(40))]
    rows += [f"{d}," + ",".join(f"{v:.3f}" for v in rng.normal(size=40)) for d in (1, 2, 5, 10, 20, 50, 100)]
    (tmp_path / "doses.csv").write_text("\n".join(rows) + "\n")
    ds = load_dataset(tmp_path / "doses.csv", min_samples=1)
    assert "numbered_columns" not in ds.meta and "dose" in (ds.target_names or []), ds.meta
