"""A headerless CSV/TSV whose first row has a blank cell among its numbers (``1.0,,3.0,…``): that row is data, its
blank a missing value, as one written ``NA``, ``-`` or ``?`` (``pad_ends`` fills it at a trace's end,
``drop_incomplete`` leaves the row out, and without either the file is refused naming the cell). It was taken for
the header: the row's series lost, and the column under the blank left out as an unnamed identifier (a blank target
cell made the last time point the target). A blank first cell above a column of whole numbers stays the empty name
pandas' ``to_csv()`` writes above its index."""

import numpy as np
import pytest

from awd_studio.models.data import load_dataset
from awd_studio.models.data.readers.inputs import load_inputs
from awd_studio.models.validation import InputError

N, L = 12, 10


def _traces(seed=0):
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0.0, 2.0, size=(N, L)), 3), np.round(rng.uniform(1, 9, size=N), 3)


def _write(path, X, y, blank=(), separator=","):
    """``X`` and ``y`` without a header, one row per trace; ``blank``: the columns of the first row left empty
    (column ``L`` is the target)."""
    lines = []
    for k, row in enumerate(np.c_[X, y]):
        lines.append(separator.join("" if k == 0 and j in blank else str(v) for j, v in enumerate(row)))
    path.write_text("\n".join(lines) + "\n")
    return path


def _refused(path, **options) -> InputError:
    with pytest.raises(InputError) as info:
        load_dataset(path, **options)
    return info.value


@pytest.mark.parametrize("separator, suffix", [(",", ".csv"), ("\t", ".tsv"), (";", ".csv")])
def test_a_blank_at_the_end_of_the_first_trace_is_filled_by_pad_ends(tmp_path, separator, suffix):
    X, y = _traces()
    path = _write(tmp_path / f"ended{suffix}", X, y, blank=(L - 1,), separator=separator)
    ds = load_dataset(path, pad_ends=True)
    assert ds.n == N and ds.meta["no_header"] and ds.meta["target_is_last_column"]
    assert "ignored_columns" not in ds.meta
    np.testing.assert_allclose(ds.X[0], [*X[0, :-1], 0.0])
    np.testing.assert_allclose(ds.X[1:], X[1:])
    np.testing.assert_allclose(ds.y, y)
    assert ds.meta["padded_rows"]["rows"] == ["line 1"]


def test_a_blank_inside_the_first_trace_is_a_gap_refused_or_left_out(tmp_path):
    """``1.0,,3.0,…``: refused naming the cell, as ``1.0,NA,3.0`` is; ``drop_incomplete`` leaves the row out."""
    X, y = _traces()
    path = _write(tmp_path / "gap.csv", X, y, blank=(1,))
    err = _refused(path)
    assert err.field == "file" and "a blank cell: line 1, column 2 holds nothing" in err.problem, err
    assert err.remedies == ("drop_incomplete",)
    assert "a gap before its last value: line 1 at position 2" in str(_refused(path, pad_ends=True))
    ds = load_dataset(path, drop_incomplete=True)
    assert ds.n == N - 1 and ds.meta["no_header"] and ds.meta["dropped_rows"]["rows"] == ["line 1"]
    np.testing.assert_allclose(ds.X, X[1:])
    np.testing.assert_allclose(ds.y, y[1:])


@pytest.mark.parametrize("column", [0, 1, L - 1, L])
def test_a_blank_reads_as_na_in_the_same_place(tmp_path, column):
    """A blank cell and ``NA`` in the same cell of the first row give the same dataset, or the same refusal."""
    X, y = _traces()
    blank = _write(tmp_path / "blank.csv", X, y, blank=(column,))
    marked = tmp_path / "na.csv"
    lines = blank.read_text().splitlines()
    cells = lines[0].split(",")
    cells[column] = "NA"
    marked.write_text("\n".join([",".join(cells), *lines[1:]]) + "\n")
    for options in ({}, {"pad_ends": True}, {"drop_incomplete": True}, {"pad_ends": True, "drop_incomplete": True}):
        try:
            want = load_dataset(marked, **options)
        except InputError as exc:
            assert _refused(blank, **options).remedies == exc.remedies, options
            continue
        got = load_dataset(blank, **options)
        np.testing.assert_array_equal(got.X, want.X)
        np.testing.assert_array_equal(got.y, want.y)
        assert got.meta["no_header"] and "ignored_columns" not in got.meta, options


def test_a_blank_target_in_the_first_row_is_no_longer_a_lost_column(tmp_path):
    """The blank target made the header's last name empty: the target column was left out as an identifier and the
    last time point taken as the target."""
    X, y = _traces()
    path = _write(tmp_path / "target.csv", X, y, blank=(L,))
    err = _refused(path)
    assert "column 11 holds nothing" in err.problem, err
    ds = load_dataset(path, drop_incomplete=True)
    assert ds.X.shape == (N - 1, L) and ds.meta["no_header"]
    np.testing.assert_allclose(ds.y, y[1:])


def test_prediction_reads_the_blank_first_row_as_data(tmp_path):
    X, y = _traces()
    inputs = load_inputs(_write(tmp_path / "new.csv", X, y, blank=(L - 1,)), sample_shape=(L,), pad_ends=True)
    assert inputs.X.shape == (N, L)
    np.testing.assert_allclose(inputs.X[0], [*X[0, :-1], 0.0])


@pytest.mark.parametrize("index", [range(N), range(5, 5 + 3 * N, 3)])
def test_pandas_index_under_a_blank_first_cell_keeps_the_header(tmp_path, index):
    """``DataFrame.to_csv()`` of unnamed columns writes ``,0,1,2,…`` above its index (0, 1, 2, …, or other whole
    numbers once rows were filtered out): still a header, its index column left out."""
    X, y = _traces()
    rows = [",".join(["", *map(str, range(L + 1))])]
    rows += [",".join([str(i), *map(str, [*x, t])]) for i, x, t in zip(index, X, y)]
    (tmp_path / "pandas.csv").write_text("\n".join(rows) + "\n")
    ds = load_dataset(tmp_path / "pandas.csv")
    assert "no_header" not in ds.meta and ds.meta["ignored_columns"] == ["column 1"]
    np.testing.assert_allclose(ds.X, X)
    np.testing.assert_allclose(ds.y, y)


def test_a_blank_first_cell_over_measured_values_is_a_missing_first_value(tmp_path):
    """Over values that are not an index (decimals), a blank first cell is the first trace's missing first value."""
    X, y = _traces()
    path = _write(tmp_path / "first.csv", X, y, blank=(0,))
    assert "a blank cell: line 1, column 1 holds nothing" in str(_refused(path))
    ds = load_dataset(path, drop_incomplete=True)
    assert ds.n == N - 1 and ds.meta["no_header"]
    np.testing.assert_allclose(ds.X, X[1:])
