"""Cell biologist's review: variable-length traces stored as an array file (npz, HDF5, MATLAB), each trace's frames
after its last one NaN (the common export of tracking tools), were refused with no remedy, and ``pad_ends`` /
``drop_incomplete`` were ignored for them; the same data as a CSV with blank trailing cells had both. Array files now
take the options through the text reader's own helpers, with the same refusal remedies and records."""

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io

from awd_studio.models.data import load_dataset
from awd_studio.models.data.readers.inputs import load_inputs
from awd_studio.models.data.readers.text import DROP_INCOMPLETE_HINT, PAD_AND_DROP
from awd_studio.models.validation import InputError

N, L = 60, 24


def _traces(seed: int = 3):
    """Series of which every third ended early (trailing NaN, 2 to 6 frames), and their targets."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, L))
    y = X[:, :4].sum(axis=1)
    ended = {}
    for i in range(0, N, 3):
        ended[i] = L - 2 - i % 5
        X[i, ended[i]:] = np.nan
    return X, y, ended


def _csv(path: Path, X, y) -> Path:
    """The same data as a CSV, its NaN blank cells (what the CSV reader is known to take)."""
    rows = [",".join([f"t{j}" for j in range(X.shape[1])] + ["y"])]
    rows += [",".join(["" if np.isnan(v) else repr(float(v)) for v in x] + [repr(float(t))]) for x, t in zip(X, y)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _refusal(path, **options) -> InputError:
    with pytest.raises(InputError) as info:
        load_dataset(path, **options)
    return info.value


def test_an_npz_of_ended_traces_is_refused_with_the_remedies_of_the_same_csv(tmp_path):
    X, y, ended = _traces()
    np.savez(tmp_path / "ended.npz", X=X, y=y)
    refused = _refusal(tmp_path / "ended.npz")
    csv_refused = _refusal(_csv(tmp_path / "ended.csv", X, y))
    assert refused.remedies == csv_refused.remedies == ("drop_incomplete", "pad_ends")
    assert refused.field == "X"
    assert f"{len(ended)} of {N} samples end early: their last values are NaN, as traces that ended do" \
        in refused.problem, refused.problem
    assert DROP_INCOMPLETE_HINT in refused.fix  # what pad_ends does, in the CSV refusal's words


def test_pad_ends_fills_an_npz_s_ended_traces_with_zeros_as_for_a_csv(tmp_path):
    X, y, ended = _traces()
    np.savez(tmp_path / "ended.npz", X=X, y=y)
    ds = load_dataset(tmp_path / "ended.npz", pad_ends=True)
    assert ds.n == N
    np.testing.assert_array_equal(ds.X, np.nan_to_num(X, nan=0.0))
    np.testing.assert_array_equal(ds.y, y)
    padded = ds.meta["padded_rows"]
    assert padded == {"count": len(ended), "of": N, "shortest": min(ended.values()), "length": L,
                      "rows": [f"sample {i + 1}" for i in sorted(ended)]}
    # the CSV of the same data reads the same values, and counts the same traces
    from_csv = load_dataset(_csv(tmp_path / "ended.csv", X, y), pad_ends=True)
    np.testing.assert_allclose(from_csv.X, ds.X)
    assert {k: v for k, v in from_csv.meta["padded_rows"].items() if k != "rows"} == \
        {k: v for k, v in padded.items() if k != "rows"}
    # float32 traces stay float32
    np.savez(tmp_path / "f32.npz", X=X.astype(np.float32), y=y)
    assert load_dataset(tmp_path / "f32.npz", pad_ends=True).X.dtype == np.float32
    _infinite_values_and_nan_in_maps_stay_refused(tmp_path)  # what the options do not take


def test_drop_incomplete_leaves_out_an_npz_s_samples_with_nan_and_names_them(tmp_path):
    X, y, ended = _traces()
    y[1] = np.nan  # a missing target leaves its sample out too, as a CSV's blank target cell
    np.savez(tmp_path / "ended.npz", X=X, y=y)
    ds = load_dataset(tmp_path / "ended.npz", drop_incomplete=True)
    out = sorted([*ended, 1])
    kept = [i for i in range(N) if i not in out]
    assert ds.n == len(kept)
    np.testing.assert_array_equal(ds.X, X[kept])
    np.testing.assert_array_equal(ds.y, y[kept])
    assert ds.meta["dropped_rows"] == {"count": len(out), "rows": [f"sample {i + 1}" for i in out][:20], "of": N}
    assert "padded_rows" not in ds.meta


def test_both_options_fill_the_ended_traces_and_leave_out_a_gap_and_a_missing_target(tmp_path):
    X, y, ended = _traces()
    X[7, 5] = np.nan  # a gap inside a trace: filling the ends cannot complete it
    X[10, :] = np.nan  # a sample without any value
    y[4] = np.nan  # no target
    np.savez(tmp_path / "plate.npz", X=X, y=y)
    refused = _refusal(tmp_path / "plate.npz")
    assert refused.remedies == ("drop_incomplete", PAD_AND_DROP)
    assert "sample 8" in refused.problem and "sample 11" in refused.problem and "sample 5" in refused.problem
    assert _refusal(_csv(tmp_path / "plate.csv", X, y)).remedies == refused.remedies  # as the CSV's
    gap = _refusal(tmp_path / "plate.npz", pad_ends=True)  # the gap, or the missing target, is still refused
    assert gap.remedies == ("drop_incomplete", PAD_AND_DROP), gap
    ds = load_dataset(tmp_path / "plate.npz", pad_ends=True, drop_incomplete=True)
    out = [4, 7, 10]
    kept = [i for i in range(N) if i not in out]
    assert ds.meta["dropped_rows"] == {"count": 3, "rows": ["sample 5", "sample 8", "sample 11"], "of": N}
    np.testing.assert_array_equal(ds.X, np.nan_to_num(X[kept], nan=0.0))
    np.testing.assert_array_equal(ds.y, y[kept])
    filled = [i for i in sorted(ended) if i not in out]
    assert ds.meta["padded_rows"]["count"] == len(filled)
    assert ds.meta["padded_rows"]["rows"] == [f"sample {i + 1}" for i in filled]


def test_pad_ends_alone_refuses_a_missing_target_naming_the_sample(tmp_path):
    X, y, _ = _traces()
    y[2] = np.nan
    np.savez(tmp_path / "no_target.npz", X=X, y=y)
    refused = _refusal(tmp_path / "no_target.npz", pad_ends=True)
    assert refused.field == "y" and "1 sample without a target: sample 3" in refused.problem, refused
    assert refused.remedies == ("drop_incomplete", PAD_AND_DROP)


def _infinite_values_and_nan_in_maps_stay_refused(tmp_path):
    X, y, _ = _traces()
    X[5, 0] = np.inf
    np.savez(tmp_path / "inf.npz", X=X, y=y)
    for options in ({}, {"pad_ends": True}, {"drop_incomplete": True, "pad_ends": True}):
        refused = _refusal(tmp_path / "inf.npz", **options)
        assert "1 infinite values" in refused.problem and refused.remedies == (), refused
    maps = np.random.default_rng(0).normal(size=(12, 16, 16))
    maps[3, 2:, :] = np.nan
    np.savez(tmp_path / "maps.npz", X=maps, y=np.arange(12.0))
    for options in ({}, {"pad_ends": True}, {"drop_incomplete": True}):
        refused = _refusal(tmp_path / "maps.npz", **options)
        assert "NaN" in refused.problem and "masked region" in refused.fix and refused.remedies == ()


def test_hdf5_and_matlab_series_take_pad_ends(tmp_path):
    X, y, ended = _traces()
    with h5py.File(tmp_path / "ended.h5", "w") as f:
        f["X"], f["y"] = X, y
    scipy.io.savemat(tmp_path / "ended.mat", {"X": X, "y": y.reshape(-1, 1)})
    mat73 = tmp_path / "ended73.mat"
    with h5py.File(mat73, "w", userblock_size=512) as f:  # MATLAB v7.3: column-major, so stored transposed
        f["X"], f["y"] = X.T, y.reshape(1, -1)
    with open(mat73, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 .".ljust(128))
    for name in ("ended.h5", "ended.mat", "ended73.mat"):
        refused = _refusal(tmp_path / name)
        assert refused.remedies == ("drop_incomplete", "pad_ends"), name
        ds = load_dataset(tmp_path / name, pad_ends=True)
        np.testing.assert_array_equal(ds.X, np.nan_to_num(X, nan=0.0), err_msg=name)
        assert ds.meta["padded_rows"]["count"] == len(ended), name
        assert ds.meta["source_format"] in ("hdf5", "mat", "mat73"), name
        dropped = load_dataset(tmp_path / name, drop_incomplete=True)
        assert dropped.n == N - len(ended) and dropped.meta["dropped_rows"]["rows"][0] == "sample 1", name


def test_the_prediction_reader_fills_and_leaves_out_an_npz_s_samples(tmp_path):
    X, y, ended = _traces()
    X[7, 5] = np.nan  # a gap
    np.savez(tmp_path / "new.npz", X=X[:, :-1], y=y)  # a movie whose longest trace is one frame shorter
    with pytest.raises(InputError) as info:  # neither option: refused, leaving the samples out offered
        load_inputs(tmp_path / "new.npz", sample_shape=(L - 1,))
    assert info.value.remedies == ("drop_incomplete",) and "samples end early" in info.value.problem, info.value
    with pytest.raises(InputError) as info:  # pad_ends alone: the gap is refused, leaving it out offered
        load_inputs(tmp_path / "new.npz", sample_shape=(L,), pad_ends=True)
    assert "sample 8" in str(info.value) and info.value.remedies == ("drop_incomplete",)
    got = load_inputs(tmp_path / "new.npz", sample_shape=(L,), pad_ends=True, drop_incomplete=True)
    kept = [i for i in range(N) if i != 7]
    assert got.X.shape == (N - 1, L) and got.rows == kept
    assert got.dropped == {"count": 1, "rows": ["sample 8"], "of": N}
    assert got.padded["count"] == N - 1 and got.padded["length"] == L  # every trace one frame short of L
    np.testing.assert_array_equal(got.X[:, :-1], np.nan_to_num(X[kept, :-1], nan=0.0))
    np.testing.assert_array_equal(got.y, y[kept])
    # drop_incomplete alone: every sample with NaN in its series left out, named
    alone = load_inputs(tmp_path / "new.npz", sample_shape=(L - 1,), drop_incomplete=True)
    out = sorted([*ended, 7])
    assert alone.rows == [i for i in range(N) if i not in out]
    assert alone.dropped["rows"] == [f"sample {i + 1}" for i in out][:20]


def test_awd_distill_pad_ends_takes_an_npz_of_ended_traces(tmp_path):
    """Through the installed ``awd`` script, with the smallest settings of the CSV's test (test_cli)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(90, 32))
    y = X[:, 4:8].sum(axis=1)
    X[3, 29:], X[40, 24:] = np.nan, np.nan
    data = tmp_path / "movie.npz"
    np.savez(data, X=X, y=y)
    awd = Path(sys.executable).parent / "awd"
    args = [str(awd), "distill", str(data), "--out", str(tmp_path / "r"), "--teacher", "mlp", "--lambdas", "0.001",
            "--gammas", "0", "--epochs", "1", "--levels", "2", "--teacher-epochs", "2", "--start-search", "0",
            "--random-search", "0"]
    refused = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "awd distill --drop-incomplete or --pad-ends" in refused.stderr, refused.stderr
    done = subprocess.run([*args, "--pad-ends"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Filled the ends of 2 of 90 traces with zeros (the shortest had 24 of 32 values)" in done.stderr
    bundle = json.loads((tmp_path / "r" / "result.json").read_text())
    assert bundle["data"]["n_train"] + bundle["data"]["n_test"] == 90
    assert bundle["data"]["padded_rows"]["rows"] == ["sample 4", "sample 41"]
    # a new movie exported the same way is predicted, its ends filled as the training traces' were; with a gap,
    # drop_incomplete leaves that sample out and each prediction keeps its index in X
    from awd_studio.models.pipeline.predict import predict_file

    answer = predict_file(tmp_path / "r", data)
    assert len(answer["y_pred"]) == 90 and any("Filled the ends of 2 of 90 traces" in w for w in answer["warnings"])
    X[10, 3] = np.nan
    np.savez(tmp_path / "gap.npz", X=X, y=y)
    answer = predict_file(tmp_path / "r", tmp_path / "gap.npz", drop_incomplete=True)
    assert len(answer["y_pred"]) == 89 and answer["rows"] == [i for i in range(90) if i != 10]
    assert answer["dropped_rows"] == {"count": 1, "rows": ["sample 11"], "of": 90, "row_numbers": [10]}
    # named by the predictions' row (the sample's index in X), never "sample 11" beside predictions counted from 0
    said = next(w for w in answer["warnings"] if w.startswith("Left out"))
    assert said.startswith("Left out 1 of 90 rows with missing values, as asked: row 10. ") and "sample" in said
    assert "index in X, from 0" in said and "CSV" not in said and "sample 11" not in said, said
