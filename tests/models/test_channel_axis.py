"""Series saved with a channel axis, as PyTorch users save them: ``(n, 1, L)`` (and Keras's ``(n, L, 1)``) are n
series of length L, the channel axis of size 1 dropped and said in ``meta["channel_axis"]``, for ``X`` and
``X_test`` alike and before their NaN are read (so ``pad_ends`` takes them); single-channel maps ``(n, 1, H, W)``
likewise; several channels are refused, naming what to pass; a file's ``kind`` decides series from maps."""

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io

from awd_studio.frontend.figures.style import channel_axis_words, read_as_maps_words
from awd_studio.models.data import load_dataset
from awd_studio.models.data.readers.inputs import load_inputs
from awd_studio.models.validation import InputError

N, M, L = 40, 12, 32


def _series(seed: int = 2):
    rng = np.random.default_rng(seed)
    X, X_test = rng.normal(size=(N, L)), rng.normal(size=(M, L))
    return X, X[:, :3].sum(axis=1), X_test, X_test[:, :3].sum(axis=1)


def _refusal(path, **options) -> InputError:
    with pytest.raises(InputError) as info:
        load_dataset(path, **options)
    return info.value


def test_single_channel_series_are_series_with_a_note(tmp_path):
    X, y, X_test, y_test = _series()
    np.savez(tmp_path / "torch.npz", X=X[:, None, :], y=y, X_test=X_test[:, None, :], y_test=y_test)
    ds = load_dataset(tmp_path / "torch.npz")
    assert ds.kind == "timeseries" and ds.sample_shape == (L,) and (ds.n, ds.n_test) == (N, M)
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.X_test, X_test)
    assert ds.meta["channel_axis"] == {"X": [N, 1, L], "X_test": [M, 1, L]}
    assert channel_axis_words(ds.meta["channel_axis"]) == (
        f"X was stored as ({N}, 1, {L}) and X_test as ({M}, 1, {L}): the channel axis of size 1 was dropped, each "
        f"sample read as a series of {L} values.")
    np.savez(tmp_path / "keras.npz", X=X[:, :, None], y=y)  # Keras's (n, L, 1)
    ds = load_dataset(tmp_path / "keras.npz")
    assert ds.sample_shape == (L,) and ds.meta["channel_axis"] == {"X": [N, L, 1]}
    np.savez(tmp_path / "plain.npz", X=X, y=y)  # no channel axis: no note
    assert "channel_axis" not in load_dataset(tmp_path / "plain.npz").meta


def test_single_channel_series_take_pad_ends_and_drop_incomplete(tmp_path):
    X, y, X_test, y_test = _series()
    X[3, 25:], X_test[4, 28:] = np.nan, np.nan
    np.savez(tmp_path / "ended.npz", X=X[:, None, :], y=y, X_test=X_test[:, None, :], y_test=y_test)
    refused = _refusal(tmp_path / "ended.npz")
    assert refused.remedies == ("drop_incomplete", "pad_ends") and "1 of 40 samples end early" in refused.problem
    filled = load_dataset(tmp_path / "ended.npz", pad_ends=True)
    np.testing.assert_array_equal(filled.X, np.nan_to_num(X, nan=0.0))
    assert filled.meta["padded_rows"]["rows"] == ["sample 4", "test sample 5"]
    assert filled.meta["channel_axis"] == {"X": [N, 1, L], "X_test": [M, 1, L]}
    dropped = load_dataset(tmp_path / "ended.npz", drop_incomplete=True)
    assert (dropped.n, dropped.n_test) == (N - 1, M - 1)


def test_single_channel_maps_are_maps_with_a_note(tmp_path):
    rng = np.random.default_rng(4)
    maps = rng.normal(size=(N, 16, 16))
    y = maps.mean(axis=(1, 2))
    np.savez(tmp_path / "maps.npz", X=maps[:, None], y=y)
    ds = load_dataset(tmp_path / "maps.npz")
    assert ds.kind == "image" and ds.sample_shape == (16, 16) and ds.meta["channel_axis"] == {"X": [N, 1, 16, 16]}
    assert "a map of 16 × 16 pixels" in channel_axis_words(ds.meta["channel_axis"])
    np.savez(tmp_path / "maps_last.npz", X=maps[..., None], y=y)
    assert load_dataset(tmp_path / "maps_last.npz").sample_shape == (16, 16)
    np.savez(tmp_path / "plain_maps.npz", X=maps, y=y)  # (n, H, W): maps, as before, no note
    ds = load_dataset(tmp_path / "plain_maps.npz")
    assert ds.kind == "image" and "channel_axis" not in ds.meta


@pytest.mark.parametrize("layout, shape, one", [("(n, C, L)", (N, 3, L), "X[:, 0]"),
                                                 ("(n, L, C)", (N, L, 2), "X[..., 0]")])
def test_series_of_several_channels_are_refused_with_what_to_pass(tmp_path, layout, shape, one):
    X, y, _, _ = _series()
    np.savez(tmp_path / "multi.npz", X=np.zeros(shape), y=y)
    refused = _refusal(tmp_path / "multi.npz")
    assert refused.field == "X"
    assert f"series of {min(shape[1:])} channels {layout}, and multichannel series are not supported" in \
        refused.problem, refused
    assert f"pass one channel, {one} (shape ({N}, {L}))" in refused.fix and "mean" in refused.fix, refused


def test_a_test_split_of_several_channels_is_refused_naming_it(tmp_path):
    X, y, X_test, y_test = _series()
    np.savez(tmp_path / "multi_test.npz", X=X, y=y, X_test=np.stack([X_test] * 3, axis=1), y_test=y_test)
    refused = _refusal(tmp_path / "multi_test.npz")
    assert refused.field == "X_test" and "X_test[:, 0]" in refused.fix, refused


def test_the_files_kind_decides_series_from_maps(tmp_path):
    X, y, _, _ = _series()
    # 12 channels of series are refused when the file says series; without a kind they are maps 12 px high
    leads = np.random.default_rng(1).normal(size=(N, 12, 64))
    np.savez(tmp_path / "ecg.npz", X=leads, y=y, kind="timeseries")
    assert "series of 12 channels (n, C, L)" in _refusal(tmp_path / "ecg.npz").problem
    np.savez(tmp_path / "stack.npz", X=leads, y=y)
    assert load_dataset(tmp_path / "stack.npz").kind == "image"
    # (n, 1, L) in a file of maps: not maps 1 pixel high, and the message says which kind reads them
    np.savez(tmp_path / "says_maps.npz", X=X[:, None, :], y=y, kind="image")
    refused = _refusal(tmp_path / "says_maps.npz")
    assert refused.field == "X" and f"single-channel series, but the file's kind says maps (as maps they would " \
        f"be 1 × {L} pixels)" in refused.problem and "kind='timeseries'" in refused.fix, refused
    np.savez(tmp_path / "says_series.npz", X=np.zeros((N, 1, 16, 16)), y=y, kind="timeseries")
    refused = _refusal(tmp_path / "says_series.npz")
    assert "single-channel maps, but the file's kind says series" in refused.problem, refused
    np.savez(tmp_path / "agrees.npz", X=X[:, None, :], y=y, kind="timeseries")
    assert load_dataset(tmp_path / "agrees.npz").sample_shape == (L,)


def test_npy_hdf5_and_matlab_files_drop_the_channel_axis(tmp_path):
    X, y, X_test, y_test = _series()
    np.save(tmp_path / "cells.npy", X[:, None, :])
    np.save(tmp_path / "cells_y.npy", y)
    with h5py.File(tmp_path / "cells.h5", "w") as f:
        f["X"], f["y"], f["X_test"], f["y_test"] = X[:, None, :], y, X_test[:, None, :], y_test
    scipy.io.savemat(tmp_path / "cells.mat", {"X": X[:, None, :], "y": y.reshape(-1, 1)})
    for name in ("cells.npy", "cells.h5", "cells.mat"):
        ds = load_dataset(tmp_path / name)
        np.testing.assert_array_equal(ds.X, X, err_msg=name)
        assert ds.meta["channel_axis"]["X"] == [N, 1, L], name
    assert load_dataset(tmp_path / "cells.h5").meta["channel_axis"]["X_test"] == [M, 1, L]


def test_the_prediction_reader_drops_the_channel_axis(tmp_path):
    X, y, _, _ = _series()
    X[2, 30:] = np.nan
    np.savez(tmp_path / "new.npz", X=X[:, None, :])
    got = load_inputs(tmp_path / "new.npz", sample_shape=(L,), pad_ends=True)
    assert got.X.shape == (N, L) and got.padded["rows"] == ["sample 3"]
    np.savez(tmp_path / "multi.npz", X=np.zeros((N, 2, L)))
    with pytest.raises(InputError, match="multichannel series are not supported"):
        load_inputs(tmp_path / "multi.npz", sample_shape=(L,))



def test_awd_distill_reads_single_channel_series_and_says_so(tmp_path):
    """Through the installed ``awd`` script, with the smallest settings of test_array_pad_ends's: PyTorch's layout,
    a test trace that ended early filled by --pad-ends; three channels refused before any training."""
    rng = np.random.default_rng(13)
    X, X_test = rng.normal(size=(80, 1, 32)), rng.normal(size=(20, 1, 32))
    y, y_test = X[:, 0, 4:8].sum(axis=1), X_test[:, 0, 4:8].sum(axis=1)
    X_test[6, 0, 26:] = np.nan
    data = tmp_path / "torch.npz"
    np.savez(data, X=X, y=y, X_test=X_test, y_test=y_test)
    awd = Path(sys.executable).parent / "awd"
    args = [str(awd), "distill", str(data), "--out", str(tmp_path / "r"), "--teacher", "mlp", "--lambdas", "0.001",
            "--gammas", "0", "--epochs", "1", "--levels", "2", "--teacher-epochs", "2", "--start-search", "0",
            "--random-search", "0"]
    done = subprocess.run([*args, "--pad-ends"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "X was stored as (80, 1, 32) and X_test as (20, 1, 32): the channel axis of size 1 was dropped, each " \
           "sample read as a series of 32 values." in done.stderr, done.stderr
    assert "Filled the ends of 1 of 100 traces with zeros (the shortest had 26 of 32 values): test sample 7" \
        in done.stderr, done.stderr
    bundle = json.loads((tmp_path / "r" / "result.json").read_text())
    assert bundle["data"]["shape"] == [32] and (bundle["data"]["n_train"], bundle["data"]["n_test"]) == (80, 20)
    np.savez(tmp_path / "three.npz", X=np.repeat(X, 3, axis=1), y=y)
    three = [str(awd), "distill", str(tmp_path / "three.npz"), "--out", str(tmp_path / "r3"), *args[5:]]
    refused = subprocess.run(three, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "multichannel series are not supported" in refused.stderr, refused.stderr


@pytest.mark.parametrize("fmt", ["npz", "npy", "h5", "mat"])
def test_maps_that_may_be_channels_of_series_are_said(tmp_path, fmt):
    """Review 52B: (n, 12, 500), 12 leads of an ECG, became 40 maps of 12 × 500 pixels, said only by the badge
    "maps"; now the preview and awd distill say so, and what to pass for series (one channel)."""
    _, y, _, _ = _series()
    leads = np.random.default_rng(3).normal(size=(N, 12, 64))
    path = tmp_path / f"leads.{fmt}"
    if fmt == "npz":
        np.savez(path, X=leads, y=y)
    elif fmt == "npy":
        np.save(path, leads)
        np.save(tmp_path / "leads_y.npy", y)
    elif fmt == "h5":
        with h5py.File(path, "w") as f:
            f["X"], f["y"] = leads, y
    else:
        scipy.io.savemat(path, {"X": leads, "y": y.reshape(-1, 1)})
    ds = load_dataset(path)
    assert ds.kind == "image" and ds.X.shape == (N, 12, 64)
    np.testing.assert_array_equal(ds.X, leads)
    assert ds.meta["read_as_maps"] == {"X": [N, 12, 64]}
    said = read_as_maps_words(ds.meta["read_as_maps"])
    assert said.startswith(f"X, shape ({N}, 12, 64), was read as {N} maps of 12 × 64 pixels"), said
    assert "12 channels of a series of 64 time points" in said and f"X[:, 0] (shape ({N}, 64))" in said, said


def test_square_maps_and_a_stored_kind_are_not_said(tmp_path):
    _, y, _, _ = _series()
    np.savez(tmp_path / "square.npz", X=np.zeros((N, 16, 16)) + np.arange(16), y=y)
    assert "read_as_maps" not in load_dataset(tmp_path / "square.npz").meta
    np.savez(tmp_path / "said.npz", X=np.zeros((N, 12, 64)) + np.arange(64), y=y, kind="image")
    ds = load_dataset(tmp_path / "said.npz")
    assert ds.kind == "image" and "read_as_maps" not in ds.meta
    np.savez(tmp_path / "wide.npz", X=np.zeros((N, 1, 12, 64)) + np.arange(64), y=y)  # a channel axis: maps
    assert "read_as_maps" not in load_dataset(tmp_path / "wide.npz").meta
