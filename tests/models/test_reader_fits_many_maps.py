"""A FITS cube of many maps is refused without reading its header once per map.

The soak run's reader fuzz (2026-12-07) found a 1.6 MB FITS file that took 5.7 s to refuse: a cube of 200000 maps of
1 x 1 pixel beside a table of one row. The reader listed the cube once per map and read its header for each entry
(about 20 µs a read, more under tracemalloc), so a larger file of the kind would have taken minutes.
"""

from __future__ import annotations

import numpy as np
import pytest

from awd_studio.models.data import load_dataset
from awd_studio.models.data.readers import load_maps
from awd_studio.models.validation import InputError

fits = pytest.importorskip("astropy.io.fits")


def _write(path, cube, n_rows):
    table = fits.BinTableHDU.from_columns([fits.Column(name="y", format="D", array=np.zeros(n_rows))])
    fits.HDUList([fits.PrimaryHDU(cube), table]).writeto(path)
    return path


@pytest.fixture()
def header_reads(monkeypatch):
    """How many times astropy looks up a header keyword (counted, not changed)."""
    counts = {"reads": 0}
    original = fits.Header.__getitem__

    def counted(self, key):
        counts["reads"] += 1
        return original(self, key)

    monkeypatch.setattr(fits.Header, "__getitem__", counted)
    return counts


def test_a_cube_of_maps_smaller_than_the_minimum_is_refused_naming_their_size(tmp_path, header_reads):
    path = _write(tmp_path / "dots.fits", np.zeros((200_000, 1, 1)), n_rows=1)
    with pytest.raises(InputError, match=r"maps of 1 x 1 pixels \(shape \(200000, 1, 1\)\), smaller than the "
                                         r"minimum of 8 x 8") as err:
        load_dataset(path)
    assert err.value.field == "X" and "maps along its first axis" in str(err.value)
    assert header_reads["reads"] < 200  # not once per map
    with pytest.raises(InputError, match="smaller than the minimum"):
        load_maps(path)


def test_a_table_shorter_than_a_large_cube_is_refused_reading_the_cube_header_once(tmp_path, header_reads):
    path = _write(tmp_path / "cube.fits", np.zeros((5000, 8, 8), dtype=np.float32), n_rows=3)
    with pytest.raises(InputError, match=r"the FITS table has 3 rows but the file holds 5000 maps, read from HDU 0 "
                                         r"'PRIMARY' \(a cube of 5000 maps, shape \(5000, 8, 8\)\)"):
        load_dataset(path)
    assert header_reads["reads"] < 200


def test_header_targets_are_refused_for_a_cube_before_any_map_is_read_one_by_one(tmp_path, header_reads):
    primary = fits.PrimaryHDU(np.zeros((5000, 8, 8), dtype=np.float32))
    primary.header["TARGETS"] = "OMEGA_M"
    primary.header["OMEGA_M"] = 0.3
    fits.HDUList([primary]).writeto(tmp_path / "keys.fits")
    with pytest.raises(InputError, match="cannot label the maps of a 3-D cube one by one"):
        load_dataset(tmp_path / "keys.fits")
    assert header_reads["reads"] < 200


def test_maps_of_the_minimum_size_are_still_read(tmp_path):
    maps = np.random.default_rng(0).normal(size=(12, 8, 8))
    ds = load_dataset(_write(tmp_path / "small.fits", maps, n_rows=12))
    assert ds.X.shape == (12, 8, 8)
    np.testing.assert_allclose(ds.X, maps)
