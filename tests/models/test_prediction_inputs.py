"""``load_inputs``: every upload format without targets gives X (and y when present); datasets still need y."""

import pickle

import h5py
import numpy as np
import pytest
import scipy.io
from astropy.io import fits

from awd_studio.models.data import load_dataset
from awd_studio.models.data.readers.inputs import load_inputs
from awd_studio.models.validation import InputError

RNG = np.random.default_rng(0)
SERIES = RNG.normal(size=(12, 16))
MAPS = RNG.normal(size=(12, 8, 8))
TARGETS = np.arange(12.0)


def _csv(path, rows, header=None):
    lines = ([",".join(header)] if header else []) + [",".join(repr(float(v)) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _files_without_targets(tmp_path):
    np.savez(tmp_path / "only_x.npz", X=SERIES)
    np.save(tmp_path / "only_x.npy", SERIES)
    _csv(tmp_path / "only_x.csv", SERIES)
    with h5py.File(tmp_path / "only_x.h5", "w") as f:
        f["X"] = SERIES
    scipy.io.savemat(tmp_path / "only_x.mat", {"X": SERIES})
    return ["only_x.npz", "only_x.npy", "only_x.csv", "only_x.h5", "only_x.mat"]


def test_every_series_format_without_targets_gives_x_and_no_y(tmp_path):
    for name in _files_without_targets(tmp_path):
        got = load_inputs(tmp_path / name, sample_shape=(16,))
        np.testing.assert_array_equal(got.X, SERIES, err_msg=name)
        assert got.y is None and not got.has_targets, name
        if name.endswith(".csv"):  # a dataset's CSV keeps its rule: the last column is the target
            assert load_dataset(tmp_path / name).X.shape == (12, 15)
            continue
        with pytest.raises(InputError) as missing:  # distillation datasets still need their targets
            load_dataset(tmp_path / name)
        assert missing.value.field == "y", name
    fits.PrimaryHDU(MAPS).writeto(tmp_path / "maps.fits")
    got = load_inputs(tmp_path / "maps.fits", sample_shape=(8, 8))
    np.testing.assert_array_equal(got.X, MAPS)
    assert got.y is None
    with pytest.raises(InputError, match="no targets"):
        load_dataset(tmp_path / "maps.fits")


def test_targets_are_kept_when_present(tmp_path):
    _csv(tmp_path / "last.csv", np.column_stack([SERIES, TARGETS]))  # one column more than the series: y last
    _csv(tmp_path / "named.csv", np.column_stack([TARGETS, SERIES]), header=["y"] + [f"t{i}" for i in range(16)])
    np.save(tmp_path / "new.npy", SERIES)
    np.save(tmp_path / "new_y.npy", TARGETS)
    np.savez(tmp_path / "split.npz", X=SERIES, y=TARGETS, X_test=SERIES[:2])  # a test split without targets
    for name in ("last.csv", "named.csv", "new.npy", "split.npz"):
        got = load_inputs(tmp_path / name, sample_shape=(16,))
        np.testing.assert_array_equal(got.X, SERIES, err_msg=name)
        np.testing.assert_array_equal(got.y, TARGETS, err_msg=name)
    assert got.X_test.shape == (2, 16) and got.y_test is None and not got.has_targets


def test_identifier_columns_of_a_csv_are_not_read_as_samples(tmp_path):
    lines = ["cell," + ",".join(f"t{i}" for i in range(16))]
    lines += [f"cell_{i}," + ",".join(repr(float(v)) for v in row) for i, row in enumerate(SERIES)]
    (tmp_path / "ids.csv").write_text("\n".join(lines) + "\n")
    got = load_inputs(tmp_path / "ids.csv", sample_shape=(16,))
    np.testing.assert_array_equal(got.X, SERIES)
    assert got.y is None



def test_columns_off_the_time_axis_of_a_csv_are_targets(tmp_path):
    """The datasets' rule (review 13): new traces with the label columns after them give those as targets."""
    label = (TARGETS > 5).astype(float)
    path = _csv(tmp_path / "sheet.csv", np.c_[SERIES, label, TARGETS],
                [f"t{i}" for i in range(16)] + ["productive", "auxilin_peak"])
    got = load_inputs(path, sample_shape=(16,))
    np.testing.assert_array_equal(got.X, SERIES)
    np.testing.assert_array_equal(got.y, np.c_[label, TARGETS])


def test_blank_cells_to_predict_name_a_remedy_that_predicting_has(tmp_path):
    """Review 13: the refusal suggested drop_incomplete=true, which the predict route refused as an unknown field.
    The cell biologist's review: the predict route and awd predict now take it, so it is named, and works: the rows
    left out are named, and every prediction keeps its row in the file."""
    lines = [",".join(f"t{i}" for i in range(16))] + [",".join(repr(float(v)) for v in row) for row in SERIES]
    lines[3] = ",".join(lines[3].split(",")[:-2] + ["", ""])
    (tmp_path / "new.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="2 blank cells") as refused:
        load_inputs(tmp_path / "new.csv", sample_shape=(16,))
    assert "every time point" in str(refused.value) and refused.value.remedies == ("drop_incomplete",)
    assert "awd predict --drop-incomplete" in str(refused.value)
    got = load_inputs(tmp_path / "new.csv", sample_shape=(16,), drop_incomplete=True)
    assert got.dropped == {"count": 1, "rows": ["line 4"], "of": len(SERIES)}
    assert got.rows == [i for i in range(len(SERIES)) if i != 2]
    np.testing.assert_array_equal(got.X, np.delete(SERIES, 2, axis=0))


def test_new_traces_filled_and_rows_with_gaps_left_out_keep_their_rows(tmp_path):
    """For a result trained on filled traces, new traces that ended early are filled, and with drop_incomplete the
    rows with a gap inside a trace are left out, named; each prediction keeps its file row and identifier, never
    shifted. A row without a target is kept, its target NaN (it was left out before: it can be predicted)."""
    cells = [["track_id"] + [f"t{i}" for i in range(16)] + ["y"]]
    cells += [[f"trk{i}"] + [repr(float(v)) for v in x] + [repr(float(t))] for i, (x, t) in
              enumerate(zip(SERIES, TARGETS))]
    cells[2][1 + 11:17] = [""] * 5  # row 1 ended early
    cells[4][1 + 6] = ""  # row 3: a gap inside the trace
    cells[6][17] = "NaN"  # row 5: no target
    (tmp_path / "new.csv").write_text("\n".join(",".join(c) for c in cells) + "\n")
    with pytest.raises(InputError, match="gap before its last value") as refused:
        load_inputs(tmp_path / "new.csv", sample_shape=(16,), pad_ends=True)
    assert refused.value.remedies == ("drop_incomplete",)
    got = load_inputs(tmp_path / "new.csv", sample_shape=(16,), pad_ends=True, drop_incomplete=True)
    kept = [i for i in range(len(SERIES)) if i != 3]
    assert got.rows == kept and got.ids == [f"trk{i}" for i in kept]
    assert got.dropped == {"count": 1, "rows": ["line 5 (trk3)"], "of": len(SERIES)}
    assert got.padded["count"] == 1 and got.padded["rows"] == ["line 3 (trk1)"]
    expected = SERIES[kept].copy()
    expected[1, 11:] = 0.0
    np.testing.assert_array_equal(got.X, expected)
    np.testing.assert_array_equal(got.y, np.where(np.array(kept) == 5, np.nan, TARGETS[kept]))

def _three_complete_one_without_target_one_with_a_gap(path):
    """A CSV of five traces (track_id, t0 … t15, y): trk2 lacks only its target (a blank cell), trk3 has a gap."""
    cells = [["track_id"] + [f"t{i}" for i in range(16)] + ["y"]]
    cells += [[f"trk{i}"] + [repr(float(v)) for v in x] + [repr(float(t))] for i, (x, t) in
              enumerate(zip(SERIES[:5], TARGETS[:5]))]
    cells[3][17] = ""  # trk2: no target
    cells[4][1 + 6] = ""  # trk3: a gap inside its trace
    path.write_text("\n".join(",".join(c) for c in cells) + "\n")
    return path


@pytest.mark.parametrize("pad_ends", [False, True])
def test_a_row_lacking_only_its_target_is_kept_to_predict(tmp_path, pad_ends):
    """With drop_incomplete a trace with every value but no target is kept (its target NaN: predicted, not scored);
    the trace with a gap is still left out and named (it was left out too, like a gap, before)."""
    path = _three_complete_one_without_target_one_with_a_gap(tmp_path / "new.csv")
    got = load_inputs(path, sample_shape=(16,), pad_ends=pad_ends, drop_incomplete=True)
    assert got.rows == [0, 1, 2, 4] and got.ids == ["trk0", "trk1", "trk2", "trk4"]
    assert got.dropped == {"count": 1, "rows": ["line 5 (trk3)"], "of": 5}
    assert got.row_words == ["line 2 (trk0)", "line 3 (trk1)", "line 4 (trk2)", "line 6 (trk4)"]
    np.testing.assert_array_equal(got.X, SERIES[[0, 1, 2, 4]])
    np.testing.assert_array_equal(got.y, [TARGETS[0], TARGETS[1], np.nan, TARGETS[4]])
    assert got.has_targets and got.target_names == ["y"]
    # without drop_incomplete the blank target is still refused, naming the remedy and what it does to such a row
    with pytest.raises(InputError) as refused:
        load_inputs(path, sample_shape=(16,), pad_ends=pad_ends)
    assert refused.value.remedies == ("drop_incomplete",)
    (tmp_path / "target_only.csv").write_text(path.read_text().replace(",,", ",1.0,"))  # trk3's gap filled
    with pytest.raises(InputError, match="without a score") as refused:
        load_inputs(tmp_path / "target_only.csv", sample_shape=(16,), pad_ends=pad_ends)
    assert "--drop-incomplete" in str(refused.value)
    # a target that is text, not blank, is no missing target: its row is left out as before
    (tmp_path / "text.csv").write_text(path.read_text().replace("\ntrk2,", "\ntrk2,").replace(",\ntrk3", ",x\ntrk3"))
    got = load_inputs(tmp_path / "text.csv", sample_shape=(16,), pad_ends=pad_ends, drop_incomplete=True)
    assert got.rows == [0, 1, 4] and got.dropped["rows"] == ["line 4 (trk2)", "line 5 (trk3)"]


def test_an_array_files_nan_target_is_refused_unless_rows_may_go_unscored(tmp_path):
    """An npz's NaN target is refused without drop_incomplete; with it the sample is kept, to be predicted and not
    scored, as a CSV's row with a blank target cell."""
    y = np.where(TARGETS == 3, np.nan, TARGETS)
    np.savez(tmp_path / "nan.npz", X=SERIES, y=y)
    with pytest.raises(InputError, match="NaN"):
        load_inputs(tmp_path / "nan.npz", sample_shape=(16,))
    got = load_inputs(tmp_path / "nan.npz", sample_shape=(16,), drop_incomplete=True)
    assert got.X.shape == SERIES.shape and np.array_equal(np.isnan(got.y), np.isnan(y))
    assert got.dropped is None and got.row_words[int(np.flatnonzero(np.isnan(y))[0])].startswith("sample ")


@pytest.mark.parametrize("write, field, words", [
    (lambda p: np.savez(p / "f.npz", X=np.where(np.eye(12, 16) > 0, np.nan, SERIES)), "X", "NaN"),
    (lambda p: np.save(p / "f.npy", np.array([SERIES[0], "x"], dtype=object), allow_pickle=True), "X", "unpickled"),
    (lambda p: _csv(p / "f.csv", SERIES[:, :12]), "X", "length 16"),
    (lambda p: np.savez(p / "f.npz", X=SERIES, y=TARGETS[:3]), "y", "12 samples"),
])
def test_bad_inputs_name_the_field(tmp_path, write, field, words):
    write(tmp_path)
    path = next(tmp_path.iterdir())
    with pytest.raises(InputError, match=words) as bad:
        load_inputs(path, sample_shape=(16,))
    assert bad.value.field == field


def test_a_python_pickle_is_refused_by_its_magic_bytes(tmp_path):
    (tmp_path / "evil.npy").write_bytes(pickle.dumps({"X": SERIES}))
    with pytest.raises(InputError) as bad:
        load_inputs(tmp_path / "evil.npy")
    assert "pickle" in str(bad.value).lower()


def test_the_targets_of_an_npy_x_are_read_under_either_name_the_refusal_names_both(tmp_path):
    """Review 44: ``p_X_y.npy`` (``<name>_y.npy`` of ``p_X.npy``) beside ``p_X.npy`` was passed over in silence; the
    reader looked for ``p_y.npy`` only. Either is read now, ``p_y.npy`` first; a dataset without either names both, in
    no interface's words (the upload route adds its field ``y``)."""
    from awd_studio.models.data.readers.npy import NpyWithoutTargets

    np.save(tmp_path / "p_X.npy", SERIES)
    with pytest.raises(NpyWithoutTargets) as refused:
        load_dataset(tmp_path / "p_X.npy")
    assert "no p_y.npy or p_X_y.npy with the targets" in refused.value.problem, refused.value
    assert "save the targets as p_y.npy beside it" in refused.value.fix and "browser" not in str(refused.value)
    np.save(tmp_path / "p_X_y.npy", TARGETS)
    np.testing.assert_array_equal(load_inputs(tmp_path / "p_X.npy", sample_shape=(16,)).y, TARGETS)
    np.testing.assert_array_equal(load_dataset(tmp_path / "p_X.npy").y, TARGETS)
    np.save(tmp_path / "p_y.npy", TARGETS[::-1])  # the shared name's, as before, when both are there
    np.testing.assert_array_equal(load_inputs(tmp_path / "p_X.npy", sample_shape=(16,)).y, TARGETS[::-1])
