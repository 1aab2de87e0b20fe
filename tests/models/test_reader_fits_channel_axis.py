"""A FITS cube of single-channel maps, ``(n, 1, H, W)`` as PyTorch stores image batches: read as ``n`` maps of
``H × W``, its channel axis of size 1 dropped and said in ``meta["channel_axis"]``, as the npz, npy, HDF5 and MATLAB
readers read such an array (:mod:`~models.data.readers.channels`). It was refused: "FITS HDU 'PRIMARY' has 4
dimensions"."""

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from awd_studio.frontend.figures.style import channel_axis_words, squeezed_axes_words
from awd_studio.models.data import load_dataset, load_maps
from awd_studio.models.data.readers.inputs import load_inputs
from awd_studio.models.validation import InputError

# ../shared/ sits beside the repository (in CI too)
REAL_FITS = Path(__file__).resolve().parents[3] / "shared" / "data" / "lenstools" / "unmasked.fit"

N, SIDE = 12, 16


def _maps(n=N, side=SIDE, seed=0):
    return np.random.default_rng(seed).standard_normal((n, side, side))


def _table(n=N, name="OMEGA_M"):
    return fits.BinTableHDU.from_columns([fits.Column(name, "D", array=np.linspace(0.2, 0.4, n))])


def _refusal(read, path) -> InputError:
    with pytest.raises(InputError) as info:
        read(path)
    return info.value


@pytest.mark.parametrize("layout", ["(n, 1, H, W)", "(n, H, W, 1)"])
def test_a_cube_of_single_channel_maps_is_read_as_maps_with_a_note(tmp_path, layout):
    maps = _maps()
    cube = maps[:, None] if layout == "(n, 1, H, W)" else maps[..., None]
    fits.HDUList([fits.PrimaryHDU(cube.astype(">f8")), _table()]).writeto(tmp_path / "cube4.fits")
    ds = load_dataset(tmp_path / "cube4.fits")
    assert ds.kind == "image" and ds.X.shape == (N, SIDE, SIDE) and ds.X.dtype.isnative
    np.testing.assert_array_equal(ds.X, maps)
    np.testing.assert_allclose(ds.y, np.linspace(0.2, 0.4, N))
    assert ds.target_names == ["OMEGA_M"]
    assert ds.meta["channel_axis"] == {"X": list(cube.shape)}
    assert channel_axis_words(ds.meta["channel_axis"]) == (
        f"X was stored as ({', '.join(map(str, cube.shape))}): the channel axis of size 1 was dropped, each sample "
        f"read as a map of {SIDE} × {SIDE} pixels.")


def test_the_same_note_as_an_npz_of_single_channel_maps(tmp_path):
    """One rule for every format: the FITS cube reads as the npz holding the same array."""
    maps = _maps()
    fits.HDUList([fits.PrimaryHDU(maps[:, None]), _table()]).writeto(tmp_path / "cube4.fits")
    np.savez(tmp_path / "cube4.npz", X=maps[:, None], y=np.linspace(0.2, 0.4, N))
    from_fits, from_npz = load_dataset(tmp_path / "cube4.fits"), load_dataset(tmp_path / "cube4.npz")
    np.testing.assert_array_equal(from_fits.X, from_npz.X)
    assert from_fits.meta["channel_axis"] == from_npz.meta["channel_axis"]


def test_a_plain_cube_has_no_note(tmp_path):
    fits.HDUList([fits.PrimaryHDU(_maps()), _table()]).writeto(tmp_path / "cube3.fits")
    assert "channel_axis" not in load_dataset(tmp_path / "cube3.fits").meta


def test_load_maps_and_prediction_read_the_cube_too(tmp_path):
    maps = _maps()
    fits.PrimaryHDU(maps[:, None].astype(">f4")).writeto(tmp_path / "new.fits")  # no targets: maps to predict
    got = load_maps(tmp_path / "new.fits")
    assert got.shape == (N, SIDE, SIDE) and got.dtype == np.float32 and got.dtype.isnative
    np.testing.assert_array_equal(got, maps.astype(np.float32))
    inputs = load_inputs(tmp_path / "new.fits", sample_shape=(SIDE, SIDE))
    assert inputs.X.shape == (N, SIDE, SIDE) and inputs.y is None


@pytest.mark.skipif(not REAL_FITS.exists(), reason="shared lenstools map not present")
def test_a_real_big_endian_map_stored_with_a_channel_axis(tmp_path):
    """LensTools' 512 × 512 convergence map (big-endian float64), saved as a (1, 1, 512, 512) cube."""
    raw = fits.getdata(REAL_FITS)
    fits.PrimaryHDU(raw[None, None]).writeto(tmp_path / "one4.fits")
    assert fits.getdata(tmp_path / "one4.fits").shape == (1, 1, 512, 512)
    maps = load_maps(tmp_path / "one4.fits")
    assert maps.shape == (1, 512, 512) and maps.dtype.isnative
    np.testing.assert_array_equal(maps[0], raw)


def test_several_channels_are_still_refused_naming_the_shape(tmp_path):
    fits.HDUList([fits.PrimaryHDU(np.zeros((N, 3, SIDE, SIDE))), _table()]).writeto(tmp_path / "rgb.fits")
    err = _refusal(load_dataset, tmp_path / "rgb.fits")
    assert err.field == "X"
    assert f"has 4 dimensions, shape ({N}, 3, {SIDE}, {SIDE}) (several channels?" in err.problem, err
    assert "one 3-D cube (n, H, W)" in err.fix and "(n, 1, H, W) is read as (n, H, W)" in err.fix, err


def test_a_table_unlike_the_cube_names_it_as_a_cube_of_maps(tmp_path):
    """The count of maps in a refusal counts those of the single-channel cube, not "1 map"."""
    fits.HDUList([fits.PrimaryHDU(_maps()[:, None]), _table(N - 2)]).writeto(tmp_path / "short.fits")
    err = _refusal(load_dataset, tmp_path / "short.fits")
    assert f"the FITS table has {N - 2} rows but the file holds {N} maps" in err.problem, err
    assert f"(a cube of {N} maps, shape ({N}, 1, {SIDE}, {SIDE}))" in err.problem, err


@pytest.mark.parametrize("stored", [(1, N, SIDE, SIDE), (N, 1, 1, SIDE, SIDE), (1, 1, N, SIDE, SIDE)])
def test_degenerate_axes_of_size_1_are_dropped_and_said(tmp_path, stored):
    """Review 52B: astropy writes a radio or lensing map with its degenerate Stokes and frequency axes, (1, n, H, W)
    or (n, 1, 1, H, W); it was refused ("has 4 dimensions ... several channels?")."""
    maps = _maps()
    fits.HDUList([fits.PrimaryHDU(maps.reshape(stored).astype(">f4")), _table()]).writeto(tmp_path / "radio.fits")
    ds = load_dataset(tmp_path / "radio.fits")
    assert ds.kind == "image" and ds.X.shape == (N, SIDE, SIDE) and ds.X.dtype.isnative
    np.testing.assert_array_equal(ds.X, maps.astype(np.float32))  # every map kept, in order
    assert ds.meta["squeezed_axes"] == {"X": list(stored)} and "channel_axis" not in ds.meta
    assert squeezed_axes_words(ds.meta["squeezed_axes"]) == (
        f"X was stored as ({', '.join(map(str, stored))}): its axes of size 1 were dropped, each map read as "
        f"{SIDE} × {SIDE} pixels.")
    assert load_maps(tmp_path / "radio.fits").shape == (N, SIDE, SIDE)


def test_one_map_with_three_degenerate_axes_is_one_map(tmp_path):
    maps = _maps(n=1)
    fits.PrimaryHDU(maps.reshape(1, 1, 1, SIDE, SIDE)).writeto(tmp_path / "one5.fits")
    np.testing.assert_array_equal(load_maps(tmp_path / "one5.fits"), maps)


def test_an_axis_longer_than_1_besides_the_maps_is_still_refused(tmp_path):
    """(2, 3, 1, H, W): its axis of size 1 dropped, two axes longer than 1 remain before the maps' two."""
    fits.HDUList([fits.PrimaryHDU(np.zeros((2, 3, 1, SIDE, SIDE))), _table(6)]).writeto(tmp_path / "two.fits")
    err = _refusal(load_dataset, tmp_path / "two.fits")
    assert err.field == "X", err
    assert (f"has 4 dimensions once its axes of size 1 were dropped (stored as (2, 3, 1, {SIDE}, {SIDE})), shape "
            f"(2, 3, {SIDE}, {SIDE})") in err.problem, err
    assert f"only the maps' axis may be longer than 1 besides a map's own two ({SIDE} × {SIDE} pixels)" \
        in err.problem, err
    assert "axes of size 1 before the maps' two" in err.fix, err
