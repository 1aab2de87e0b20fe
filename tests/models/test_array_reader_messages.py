"""Array readers (FITS, MATLAB, npy, npz): what a lab-style file is read as, and the words of its refusal."""

import numpy as np
import pytest
from astropy.io import fits

from awd_studio.models.data import load_dataset
from awd_studio.models.validation import InputError


def _maps(n=24, size=16, seed=0):
    return np.random.default_rng(seed).normal(size=(n, size, size))


def _refusal(path, **kw) -> str:
    with pytest.raises(InputError) as info:
        load_dataset(path, **kw)
    return str(info.value)


# ------------------------------------------------------------------------------------------------ FITS identifiers
@pytest.mark.parametrize("name, fmt, values, by_content", [
    ("SEED", "K", np.arange(1000, 1024), False), ("MAP_ID", "J", np.arange(24), False),
    ("SEED", "K", np.random.default_rng(3).integers(0, 2**40, 24), False),
    ("REALISATION", "J", np.random.default_rng(3).permutation(24) + 1, True)])
def test_fits_identifier_column_is_not_a_target(tmp_path, name, fmt, values, by_content):
    """A seed or map number beside the parameters is left out of the targets and said so (it was target 0)."""
    maps = _maps()
    om, s8 = np.linspace(0.2, 0.4, 24), np.linspace(0.7, 0.9, 24)
    table = fits.BinTableHDU.from_columns([fits.Column(name, fmt, array=values), fits.Column("OMEGA_M", "D", array=om),
                                           fits.Column("SIGMA_8", "D", array=s8)])
    fits.HDUList([fits.PrimaryHDU(maps), table]).writeto(tmp_path / "suite.fits")
    ds = load_dataset(tmp_path / "suite.fits")
    assert ds.target_names == ["OMEGA_M", "SIGMA_8"]
    np.testing.assert_allclose(ds.y[:, 0], om)
    assert ds.meta["ignored_columns"] == [name]
    assert ds.meta.get("numbered_columns", []) == ([name] if by_content else [])


def test_fits_numbering_column_named_as_a_target_stays_a_target(tmp_path):
    table = fits.BinTableHDU.from_columns([fits.Column("y_index", "K", array=np.arange(24)),
                                           fits.Column("OMEGA_M", "D", array=np.linspace(0.2, 0.4, 24))])
    fits.HDUList([fits.PrimaryHDU(_maps()), table]).writeto(tmp_path / "kept.fits")
    ds = load_dataset(tmp_path / "kept.fits")
    assert ds.target_names == ["y_index", "OMEGA_M"]
    assert "ignored_columns" not in ds.meta


def test_fits_table_of_identifiers_alone_is_refused_by_name(tmp_path):
    table = fits.BinTableHDU.from_columns([fits.Column("MAP_ID", "J", array=np.arange(24))])
    fits.HDUList([fits.PrimaryHDU(_maps()), table]).writeto(tmp_path / "ids.fits")
    words = _refusal(tmp_path / "ids.fits")
    assert "only identifier columns ['MAP_ID']" in words and "y_<name>" in words


# ------------------------------------------------------------------------------------------------ MATLAB names
def test_matlab_without_x_and_y_names_its_variables(tmp_path):
    """``savemat(f, {"traces": X, "labels": y})`` was told the file "holds nothing"."""
    import scipy.io

    rng = np.random.default_rng(0)
    scipy.io.savemat(tmp_path / "lab.mat", {"traces": rng.normal(size=(20, 30)), "labels": rng.normal(size=20)})
    words = _refusal(tmp_path / "lab.mat")
    assert "which holds 'labels', 'traces'" in words and "nothing" not in words
    scipy.io.savemat(tmp_path / "half.mat", {"X": rng.normal(size=(20, 30)), "labels": rng.normal(size=20)})
    words = _refusal(tmp_path / "half.mat")
    assert words.startswith("y") and "'X', 'labels'" in words


# ------------------------------------------------------------------------------------------------ npy header
def test_tiny_npy_declaring_a_huge_shape_is_called_truncated_not_too_big(tmp_path):
    """A 928-byte file whose header declares (10000000, 100000) is damaged, not a dataset to shrink."""
    np.save(tmp_path / "d_X.npy", np.zeros((10, 10)))
    np.save(tmp_path / "d_y.npy", np.zeros(10))
    raw = (tmp_path / "d_X.npy").read_bytes()
    header_end = raw.index(b"\n") + 1
    header = raw[:header_end].replace(b"(10, 10)", b"(10000000, 100000)")
    header = header[:-1].rstrip(b" ") + b" " * (header_end - len(header[:-1].rstrip(b" ")) - 1) + b"\n"
    assert len(header) == header_end
    (tmp_path / "d_X.npy").write_bytes(header + raw[header_end:])
    words = _refusal(tmp_path / "d_X.npy")
    assert "truncated or damaged" in words and "(10000000, 100000)" in words and "800 data bytes" in words
    assert "fewer samples" not in words and "MiB" not in words


# ------------------------------------------------------------------------------------------------ one map
@pytest.mark.parametrize("suffix", [".npz", ".mat"])
def test_one_2d_map_with_its_parameters_says_how_to_store_one_map(tmp_path, suffix):
    """X=(2048, 2048) with y of 2 values was told "y: has 2 rows but X has 2048 samples", no more."""
    import scipy.io

    X, y = np.random.default_rng(0).normal(size=(256, 256)), np.array([0.3, 0.8])
    if suffix == ".npz":
        np.savez(tmp_path / f"map{suffix}", X=X, y=y)
    else:
        scipy.io.savemat(tmp_path / f"map{suffix}", {"X": X, "y": y})
    words = _refusal(tmp_path / f"map{suffix}")
    assert words.startswith("y: has 2 values but X, shape (256, 256), has 256 rows")
    assert "X[None], shaped (1, 256, 256)" in words and "two maps or more" in words and "awd tile" in words


def test_series_with_a_wrong_target_count_get_no_map_hint(tmp_path):
    np.savez(tmp_path / "s.npz", X=np.zeros((20, 300)), y=np.zeros(19))
    assert "map" not in _refusal(tmp_path / "s.npz")


def test_one_map_is_not_offered_tiling_without_saying_it_needs_two(tmp_path):
    """One 2048² map was offered tiles, and tiling then refused it ("needs at least two maps")."""
    np.savez(tmp_path / "one.npz", X=np.random.default_rng(0).normal(size=(1, 128, 128)), y=np.array([[0.3, 0.8]]))
    words = _refusal(tmp_path / "one.npz")
    assert "needs at least two maps" in words and "add more maps" in words
    np.savez(tmp_path / "two.npz", X=np.random.default_rng(0).normal(size=(2, 128, 128)), y=np.array([0.3, 0.8]))
    words = _refusal(tmp_path / "two.npz")
    assert "or cut these maps into tiles" in words and "needs at least two" not in words


# ------------------------------------------------------------------------------------------------ FITS map HDUs
def _table(n):
    return fits.BinTableHDU.from_columns([fits.Column("OMEGA_M", "D", array=np.linspace(0.2, 0.4, n))], name="PARAMS")


def test_fits_extra_image_hdu_names_the_hdus_read_as_maps(tmp_path):
    """A MASK image beside the KAPPA cube was told only "y: has 24 rows but X has 25 samples"."""
    kappa = fits.PrimaryHDU(_maps())
    kappa.header["EXTNAME"] = "KAPPA"
    mask = fits.ImageHDU(np.ones((16, 16)), name="MASK")
    fits.HDUList([kappa, mask, _table(24)]).writeto(tmp_path / "masked.fits")
    words = _refusal(tmp_path / "masked.fits")
    assert "the FITS table has 24 rows but the file holds 25 maps" in words
    assert "HDU 0 'KAPPA' (a cube of 24 maps, shape (24, 16, 16)), HDU 1 'MASK' (1 map)" in words
    assert "a mask, noise or weight image goes in a file of its own" in words


def test_fits_cube_stored_maps_last_says_which_axis(tmp_path):
    """A cube stored (H, W, n) read as H maps: the last axis matches the table, which is said."""
    cube = np.moveaxis(_maps(n=24, size=32), 0, -1)  # (32, 32, 24)
    fits.HDUList([fits.PrimaryHDU(cube), _table(24)]).writeto(tmp_path / "last.fits")
    words = _refusal(tmp_path / "last.fits")
    assert "has 24 rows but the file holds 32 maps" in words
    assert "holds its 24 maps along its last axis" in words and "numpy.moveaxis(cube, -1, 0)" in words


# ------------------------------------------------------------------------------------------------ renamed spreadsheet
def _workbook(path, entries):
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries.items():
            archive.writestr(name, text)


@pytest.mark.parametrize("file_name", ["traces.csv", "traces.npz", "upload"])
def test_xlsx_renamed_is_called_a_workbook_with_the_csv_advice(tmp_path, file_name):
    """An .xlsx renamed to .csv was told "its content is npz" (both are zip files)."""
    from awd_studio.models.data import detect_format

    _workbook(tmp_path / file_name, {"[Content_Types].xml": "<Types/>", "_rels/.rels": "<Relationships/>",
                                     "xl/workbook.xml": "<workbook/>", "xl/worksheets/sheet1.xml": "<worksheet/>"})
    with pytest.raises(InputError) as info:
        detect_format(tmp_path / file_name)
    words = str(info.value)
    assert "is an Excel workbook (.xlsx)" in words and "its content is" not in words
    assert "CSV UTF-8" in words


def test_ods_renamed_is_called_a_spreadsheet(tmp_path):
    _workbook(tmp_path / "traces.csv", {"mimetype": "application/vnd.oasis.opendocument.spreadsheet",
                                        "content.xml": "<office:document-content/>"})
    words = _refusal(tmp_path / "traces.csv")
    assert "OpenDocument spreadsheet (.ods) named '.csv'" in words and "Text CSV" in words


def test_an_npz_is_still_an_npz(tmp_path):
    np.savez(tmp_path / "ok.npz", X=np.zeros((12, 20)), y=np.arange(12.0))
    assert load_dataset(tmp_path / "ok.npz").n == 12
