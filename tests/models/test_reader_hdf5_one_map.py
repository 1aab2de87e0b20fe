"""One map saved in an HDF5 file as a 2-D ``X`` (H, W), beside its parameters: refused saying what was found (one
map of H × W read as H series), why that cannot be used, and how to store maps, in the words the npz, npy and MATLAB
readers use (:func:`~models.data.readers.npy.refuse_one_map_without_sample_axis`). It was told only "y: has 2 rows
but X has 128 samples"."""

import h5py
import numpy as np
import pytest

from awd_studio.models.data import load_dataset
from awd_studio.models.validation import InputError

SIDE = 128


def _refusal(path) -> InputError:
    with pytest.raises(InputError) as info:
        load_dataset(path)
    return info.value


def _one_map(path, where="", side=SIDE, y=(0.3, 0.8)):
    with h5py.File(path, "w") as f:
        group = f.create_group(where) if where else f
        group["X"] = np.random.default_rng(0).normal(size=(side, side))
        group["y"] = np.array(y)
    return path


@pytest.mark.parametrize("where", ["", "data"])
def test_one_2d_map_in_hdf5_says_how_to_store_maps(tmp_path, where):
    err = _refusal(_one_map(tmp_path / "map.h5", where))
    assert err.field == "y"
    assert err.problem.startswith(f"has 2 values but X, shape ({SIDE}, {SIDE}), has {SIDE} rows (a 2-D X is read as "
                                  f"{SIDE} series, one per row: it looks like one {SIDE} × {SIDE} map saved without "
                                  "its sample axis)"), err
    assert f"save maps as X shaped (n, {SIDE}, {SIDE}) (one map: X[None], shaped (1, {SIDE}, {SIDE}))" in err.fix
    assert "two maps or more" in err.fix and "awd tile" in err.fix, err


def test_hdf5_and_npz_refuse_one_map_in_the_same_words(tmp_path):
    X, y = np.random.default_rng(0).normal(size=(SIDE, SIDE)), np.array([0.3, 0.8])
    np.savez(tmp_path / "map.npz", X=X, y=y)
    with h5py.File(tmp_path / "map.h5", "w") as f:
        f["X"], f["y"] = X, y
    assert str(_refusal(tmp_path / "map.h5")) == str(_refusal(tmp_path / "map.npz"))


def test_series_in_hdf5_with_a_wrong_target_count_get_no_map_hint(tmp_path):
    """Series (n, L) whose y is one short: the plain mismatch, no word of maps (not nearly square)."""
    with h5py.File(tmp_path / "series.h5", "w") as f:
        f["X"], f["y"] = np.zeros((20, 300)), np.zeros(19)
    err = _refusal(tmp_path / "series.h5")
    assert "map" not in str(err) and "has 19 rows but X has 20 samples" in str(err), err


def test_maps_stored_as_a_stack_still_read(tmp_path):
    maps = np.random.default_rng(1).normal(size=(12, 64, 64))
    with h5py.File(tmp_path / "maps.h5", "w") as f:
        f["X"], f["y"] = maps, maps.mean(axis=(1, 2))
    ds = load_dataset(tmp_path / "maps.h5")
    assert ds.kind == "image" and ds.X.shape == (12, 64, 64)


def test_one_map_in_a_matlab_73_file_too(tmp_path):
    """MATLAB v7.3 files are HDF5, read by the same reader (column-major, so stored transposed): the same refusal as
    a v5 ``.mat`` holding the map."""
    import scipy.io

    X, y = np.random.default_rng(0).normal(size=(SIDE, SIDE)), np.array([0.3, 0.8])
    mat73 = tmp_path / "map73.mat"
    with h5py.File(mat73, "w", userblock_size=512) as f:
        f["X"], f["y"] = X.T, y.reshape(1, -1)
    with open(mat73, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 .".ljust(128))
    scipy.io.savemat(tmp_path / "map5.mat", {"X": X, "y": y.reshape(-1, 1)})
    err = _refusal(mat73)
    assert err.problem.startswith(f"has 2 values but X, shape ({SIDE}, {SIDE})"), err
    assert str(err) == str(_refusal(tmp_path / "map5.mat"))
