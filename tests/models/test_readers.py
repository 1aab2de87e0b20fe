"""models.data readers: each format read back exactly, and each broken or unsafe file refused clearly."""

import codecs
import io
import json
import pickle
import re
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io
from astropy.io import fits

from awd_studio.models.data import Dataset, detect_format, load_dataset, load_maps, save_npz, split_dataset, summarize
from awd_studio.models.data.dataset import _x_stats
from awd_studio.models.validation import DEFAULT_MAX_ELEMENTS, InputError

# ../shared/ sits beside the repository (in CI too)
REAL_FITS = Path(__file__).resolve().parents[3] / "shared" / "data" / "lenstools" / "unmasked.fit"


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    return rng.standard_normal((20, 16)), rng.standard_normal(20)


def _err(path, match, field=None, **kw):
    with pytest.raises(InputError, match=match) as info:
        load_dataset(path, **kw)
    if field is not None:
        assert info.value.field == field
    return info.value


# ------------------------------------------------------------------------------------------------ npz
def test_npz_round_trip_with_metadata(tmp_path, arrays):
    X, y = arrays
    ds = Dataset(X, np.c_[y, 2 * y], X[:5], np.c_[y[:5], y[:5]], name="demo", meta={"a": [1, 2], "b": "x"},
                 target_names=["m", "s"])
    path = save_npz(ds, tmp_path / "sub" / "demo")
    assert path.name == "demo.npz" and not list(path.parent.glob(".tmp-*"))
    back = load_dataset(path)
    np.testing.assert_array_equal(back.X, ds.X)
    np.testing.assert_array_equal(back.y, ds.y)
    np.testing.assert_array_equal(back.X_test, ds.X_test)
    np.testing.assert_array_equal(back.y_test, ds.y_test)
    assert (back.name, back.kind, back.meta, back.target_names) == ("demo", "timeseries", ds.meta, ["m", "s"])


def test_npz_bytes_depend_on_the_data_alone(tmp_path, arrays):
    """The same dataset saved twice, a while apart, gives the same bytes (its SHA-256 then identifies it); both
    modes load back with numpy's own reader, pickles refused."""
    import time

    X, y = arrays
    ds = Dataset(X, y, name="same")
    first = {compress: save_npz(ds, tmp_path / f"first-{compress}", compress=compress).read_bytes()
             for compress in (False, True)}
    time.sleep(2.1)  # the zip format stores times to 2 s
    for compress in (False, True):
        assert save_npz(ds, tmp_path / f"second-{compress}", compress=compress).read_bytes() == first[compress]
        with np.load(tmp_path / f"second-{compress}.npz", allow_pickle=False) as loaded:
            np.testing.assert_array_equal(loaded["X"], X)
    assert save_npz(Dataset(X, 2 * y, name="same"), tmp_path / "other").read_bytes() != first[False]


def test_written_files_are_readable_as_any_file_the_user_makes(tmp_path):
    """save_npz and the atomic writes (result.json, arrays.npz) go through mkstemp, which makes files readable by
    their owner alone: they get 0666 less the umask, as open() gives, like the figures beside them. The umask is
    read once, when the module is imported (setting it to read it is not thread-safe): a fresh process with umask
    022 writes them."""
    import subprocess
    import sys

    probe = ("import os, stat, sys\n"
             "os.umask(0o022)\n"
             "import numpy as np\n"
             "from awd_studio.models.data import Dataset, save_npz\n"
             "from awd_studio.models.files import atomic_write_bytes\n"
             "out = sys.argv[1]\n"
             "X = np.random.default_rng(0).normal(size=(20, 16))\n"
             "written = [save_npz(Dataset(X, X[:, 0]), out + '/d'), atomic_write_bytes(out + '/result.json', b'{}')]\n"
             "open(out + '/plain.txt', 'w').close()\n"
             "print(*[oct(stat.S_IMODE(os.stat(p).st_mode)) for p in [*written, out + '/plain.txt']])\n")
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [oct(0o644)] * 3


def test_plain_npz_and_aliases(tmp_path, arrays):
    X, y = arrays
    np.savez(tmp_path / "a.npz", X=X, y=y)
    ds = load_dataset(tmp_path / "a.npz")
    assert ds.name == "a" and ds.X_test is None and ds.target_names == ["y"]
    np.savez_compressed(tmp_path / "b.npz", X_train=X.astype(np.float32), y_train=y)
    assert load_dataset(tmp_path / "b.npz", name="B").X.dtype == np.float32


def test_npz_missing_keys(tmp_path, arrays):
    X, y = arrays
    np.savez(tmp_path / "noy.npz", X=X)
    _err(tmp_path / "noy.npz", "'y'", field="y")
    np.savez(tmp_path / "nox.npz", signals=X, y=y)
    _err(tmp_path / "nox.npz", "signals", field="X")


@pytest.mark.parametrize("meta_json, what", [("[1, 2]", "list"), ('"3.28 arcmin"', "string"), ("3.28", "number")])
def test_npz_meta_json_that_is_no_object_is_refused_clearly(tmp_path, arrays, meta_json, what):
    """Review 42D: a meta_json holding a JSON list or string was read with a Python error (for training) or crashed
    (for prediction: AttributeError); both readers name the field and what it holds."""
    from awd_studio.models.data.readers.inputs import load_inputs

    X, y = arrays
    np.savez(tmp_path / "m.npz", X=X, y=y, meta_json=np.array(meta_json))
    for read in (load_dataset, load_inputs):
        with pytest.raises(InputError, match=f"meta_json: holds a JSON {what}, not an object"):
            read(tmp_path / "m.npz")
    np.savez(tmp_path / "none.npz", X=X, y=y, meta_json=np.array("null"))  # null: no metadata, as before
    assert load_dataset(tmp_path / "none.npz").meta == {}


def test_npz_truncated(tmp_path, arrays):
    X, y = arrays
    np.savez(tmp_path / "full.npz", X=X, y=y)
    data = (tmp_path / "full.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    _err(tmp_path / "cut.npz", "truncated", field="file")


def test_npz_object_array_never_unpickled(tmp_path, arrays):
    X, y = arrays
    ragged = np.empty(20, dtype=object)
    for i in range(20):
        ragged[i] = np.zeros(i + 1)
    np.savez(tmp_path / "obj.npz", X=ragged, y=y)
    _err(tmp_path / "obj.npz", "object array", field="X")
    # review 8: an extra member the reader never uses is named as such, with the right fix
    np.savez(tmp_path / "meta.npz", X=X, y=y, meta=np.array({"a": 1}, dtype=object))
    with pytest.raises(InputError) as err:
        load_dataset(tmp_path / "meta.npz")
    assert err.value.field == "meta" and "does not use it (it reads X, X_test, y, y_test)" in str(err.value)
    assert "save the file without it" in str(err.value)


def test_pickle_posing_as_npz(tmp_path, arrays):
    X, y = arrays
    (tmp_path / "evil.npz").write_bytes(pickle.dumps({"X": X, "y": y}))
    _err(tmp_path / "evil.npz", "pickle", field="file")


def test_zip_bomb_refused_before_decoding(tmp_path):
    big = np.zeros((2000, 1000))  # 16 MB of zeros deflates to ~16 KB
    np.savez_compressed(tmp_path / "bomb.npz", X=big, y=np.zeros(2000))
    assert (tmp_path / "bomb.npz").stat().st_size < 100_000
    _err(tmp_path / "bomb.npz", "above the limit", field="file", max_bytes=1_000_000)
    assert load_dataset(tmp_path / "bomb.npz", max_bytes=20_000_000).X.shape == (2000, 1000)


def test_npz_declaring_too_many_values_is_refused_before_decoding(tmp_path):
    """A small compressed archive whose X decodes within the byte budget but holds more values than any dataset
    may: refused from its header, before a byte is decoded (review 24A: decoded first, 2-3 GB in the web process)."""
    n_values = DEFAULT_MAX_ELEMENTS + 1000
    with zipfile.ZipFile(tmp_path / "many.npz", "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("X.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "|i1", "fortran_order": False,
                                                          "shape": (n_values // 1000, 1000)})
            zeros = bytes(2**24)
            for start in range(0, n_values, len(zeros)):
                member.write(zeros[:min(len(zeros), n_values - start)])
        buf = io.BytesIO()
        np.save(buf, np.zeros(n_values // 1000))
        zf.writestr("y.npy", buf.getvalue())
    assert (tmp_path / "many.npz").stat().st_size < 2_000_000
    error = _err(tmp_path / "many.npz", f"has {n_values} values, more than the limit of {DEFAULT_MAX_ELEMENTS}",
                 field="X", max_bytes=2**30)
    assert "fewer or smaller samples" in str(error)


def test_npz_lying_npy_header(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    with zipfile.ZipFile(tmp_path / "liar.npz", "w") as zf:
        zf.writestr("X.npy", header.getvalue() + b"\0" * 64)
        buf = io.BytesIO()
        np.save(buf, np.zeros(10))
        zf.writestr("y.npy", buf.getvalue())
    _err(tmp_path / "liar.npz", "declares", field="X")


def test_npz_not_arrays(tmp_path):
    with zipfile.ZipFile(tmp_path / "docs.npz", "w") as zf:
        zf.writestr("readme.txt", "hello")
    _err(tmp_path / "docs.npz", "not an .npy")


@pytest.mark.parametrize(
    "X, y, match, field",
    [
        (np.full((20, 16), np.nan), np.zeros(20), "NaN", "X"),
        (np.zeros((20, 16)), np.r_[np.inf, np.zeros(19)], "infinite", "y"),
        (np.zeros(20), np.zeros(20), "has 1 dimension, shape", "X"),
        (np.zeros((20, 16)), np.zeros(19), "19 rows but X has 20", "y"),
        (np.zeros((20, 16), complex), np.zeros(20), "complex", "X"),
        (np.zeros((3, 16)), np.zeros(3), "fewer than the minimum", "X"),
    ],
)
def test_npz_invalid_content(tmp_path, X, y, match, field):
    np.savez(tmp_path / "bad.npz", X=X, y=y)
    _err(tmp_path / "bad.npz", match, field=field)


def test_test_split_mismatch(tmp_path, arrays):
    X, y = arrays
    np.savez(tmp_path / "t.npz", X=X, y=y, X_test=X[:, :8], y_test=y)
    _err(tmp_path / "t.npz", "same shape", field="X_test")
    np.savez(tmp_path / "u.npz", X=X, y=y, X_test=X)
    _err(tmp_path / "u.npz", "partner", field="y_test")


def test_big_endian_npz(tmp_path, arrays):
    X, y = arrays
    np.savez(tmp_path / "be.npz", X=X.astype(">f8"), y=y.astype(">f4"))
    ds = load_dataset(tmp_path / "be.npz")
    assert ds.X.dtype.isnative and ds.y.dtype.isnative
    np.testing.assert_array_equal(ds.X, X)


# ------------------------------------------------------------------------------------------------ generic
def test_empty_missing_unknown_and_mislabelled(tmp_path, arrays):
    (tmp_path / "empty.npz").write_bytes(b"")
    _err(tmp_path / "empty.npz", "empty", field="file")
    _err(tmp_path / "nope.npz", "does not exist")
    (tmp_path / "notes.docx").write_text("hello")
    _err(tmp_path / "notes.docx", "unknown format")
    (tmp_path / "traces.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 40)  # a zip, as an .npz is
    assert "File → Save As → CSV UTF-8" in _err(tmp_path / "traces.xlsx", "is a spreadsheet").fix
    (tmp_path / "garbage.h5").write_bytes(b"\x01\x02" * 100)
    _err(tmp_path / "garbage.h5", "not a valid hdf5")
    X, y = arrays
    np.savez(tmp_path / "real.npz", X=X, y=y)
    (tmp_path / "wrong.h5").write_bytes((tmp_path / "real.npz").read_bytes())
    _err(tmp_path / "wrong.h5", "content is npz")
    (tmp_path / "c.csv.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"\0" * 20)
    _err(tmp_path / "c.csv.gz", "gzip")


def test_unknown_extension_with_known_magic(tmp_path, arrays):
    X, y = arrays
    np.savez(tmp_path / "upload.npz", X=X, y=y)
    (tmp_path / "upload.bin").write_bytes((tmp_path / "upload.npz").read_bytes())
    assert detect_format(tmp_path / "upload.bin") == "npz"
    assert load_dataset(tmp_path / "upload.bin").n == 20


# ------------------------------------------------------------------------------------------------ npy
def test_npy_pair_and_lone_npy(tmp_path, arrays):
    X, y = arrays
    np.save(tmp_path / "d_X.npy", X)
    _err(tmp_path / "d_X.npy", "d_y.npy", field="y")
    np.save(tmp_path / "d_y.npy", y)
    np.save(tmp_path / "d_X_test.npy", X[:4])
    np.save(tmp_path / "d_y_test.npy", y[:4])
    ds = load_dataset(tmp_path / "d_X.npy")
    np.testing.assert_array_equal(ds.y, y)
    assert ds.n_test == 4
    np.save(tmp_path / "e.npy", X)
    np.save(tmp_path / "e_y.npy", y)
    assert load_dataset(tmp_path / "e.npy").n == 20


def test_npy_object_and_truncated(tmp_path, arrays):
    X, y = arrays
    np.save(tmp_path / "o.npy", np.array([[1], [1, 2]], dtype=object), allow_pickle=True)
    np.save(tmp_path / "o_y.npy", y[:2])
    _err(tmp_path / "o.npy", "object", field="X")
    np.save(tmp_path / "t.npy", X)
    np.save(tmp_path / "t_y.npy", y)
    data = (tmp_path / "t.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(data[:-100])
    _err(tmp_path / "t.npy", "truncated")


# ------------------------------------------------------------------------------------------------ csv
def test_csv_with_header_target_column(tmp_path, arrays):
    X, y = arrays
    cols = [f"t{i}" for i in range(16)]
    lines = [",".join(["target"] + cols)] + [",".join(str(float(v)) for v in [y[i], *X[i]]) for i in range(20)]
    (tmp_path / "h.csv").write_text("\n".join(lines) + "\n")
    ds = load_dataset(tmp_path / "h.csv")
    np.testing.assert_allclose(ds.X, X)
    np.testing.assert_allclose(ds.y, y)
    assert "ignored_columns" not in ds.meta


def test_csv_without_header_last_column_and_multi_target(tmp_path, arrays):
    X, y = arrays
    np.savetxt(tmp_path / "n.csv", np.c_[X, y], delimiter=",")
    ds = load_dataset(tmp_path / "n.csv")
    np.testing.assert_allclose(ds.y, y)
    assert ds.X.shape == (20, 16) and ds.meta["target_is_last_column"]  # said in the preview
    assert ds.meta["no_header"]  # review 40: the preview says the columns were numbered, not "none is named y"
    header = ",".join([f"v{i}" for i in range(16)] + ["y_a", "y_b"])
    np.savetxt(tmp_path / "m.csv", np.c_[X, y, -y], delimiter=",", header=header, comments="")
    ds = load_dataset(tmp_path / "m.csv")
    assert "no_header" not in ds.meta
    assert ds.y.shape == (20, 2) and ds.target_names == ["y_a", "y_b"]
    np.savetxt(tmp_path / "w.tsv", np.c_[X, y], delimiter="\t")
    assert load_dataset(tmp_path / "w.tsv").X.shape == (20, 16)



def test_csv_columns_off_the_time_axis_are_targets_not_samples(tmp_path, arrays):
    """Review 13: ``track_id,t0…t15,productive,auxilin_peak`` read the 0/1 label as sample 17 of every trace (the
    last column the target), and the teacher learned from it. Columns whose names break the series' time axis are
    targets, in file order after any named ones; a file without that axis keeps the last-column rule."""
    X, y = arrays
    label = (y > np.median(y)).astype(float)
    header = ",".join(["track_id"] + [f"t{i}" for i in range(16)] + ["productive", "auxilin_peak"])
    rows = [",".join([f"trk{i}"] + [repr(float(v)) for v in [*X[i], label[i], y[i]]]) for i in range(20)]
    (tmp_path / "sheet.csv").write_text("\n".join([header, *rows]) + "\n")
    ds = load_dataset(tmp_path / "sheet.csv")
    np.testing.assert_allclose(ds.X, X)
    np.testing.assert_allclose(ds.y, np.c_[label, y])
    assert ds.target_names == ["productive", "auxilin_peak"] and ds.meta["targets_off_axis"] == ds.target_names
    assert "target_is_last_column" not in ds.meta and ds.meta["sample_axis"]["values"][-1] == 15.0
    # a named target first, and the stray column a second one
    header_y = ",".join(["y"] + [f"t{i}" for i in range(16)] + ["auxilin_peak"])
    np.savetxt(tmp_path / "named.csv", np.c_[label, X, y], delimiter=",", header=header_y, comments="")
    ds = load_dataset(tmp_path / "named.csv")
    assert ds.X.shape == (20, 16) and ds.target_names == ["y", "auxilin_peak"]
    assert ds.meta["targets_off_axis"] == ["auxilin_peak"]
    # one column past the axis: the target, as the last-column rule had it, but said for its name
    header_one = ",".join([f"t{i}" for i in range(16)] + ["lifetime"])
    np.savetxt(tmp_path / "one.csv", np.c_[X, y], delimiter=",", header=header_one, comments="")
    ds = load_dataset(tmp_path / "one.csv")
    np.testing.assert_allclose(ds.y, y)
    assert ds.meta["targets_off_axis"] == ["lifetime"] and "target_is_last_column" not in ds.meta
    # names that are no axis (a, b, …): the last column, as before
    header_free = ",".join([f"c{chr(97 + i)}" for i in range(16)] + ["out"])
    np.savetxt(tmp_path / "free.csv", np.c_[X, y], delimiter=",", header=header_free, comments="")
    ds = load_dataset(tmp_path / "free.csv")
    assert ds.X.shape == (20, 16) and ds.meta["target_is_last_column"] and "targets_off_axis" not in ds.meta

def test_csv_identifier_columns_are_left_out_and_named(tmp_path, arrays):
    """A text ID column (with or without a header), an empty-named pandas index and ``*_id`` are not samples."""
    X, y = arrays
    header = ",".join(["track"] + [f"t{i}" for i in range(16)] + ["y"])
    rows = [",".join([f"cell_{i}"] + [str(v) for v in X[i]] + [str(y[i])]) for i in range(20)]
    (tmp_path / "named.csv").write_text("\n".join([header] + rows))
    ds = load_dataset(tmp_path / "named.csv")
    np.testing.assert_allclose(ds.X, X)
    np.testing.assert_allclose(ds.y, y)
    assert ds.meta["ignored_columns"] == ["track"]
    (tmp_path / "bare.csv").write_text("\n".join(rows))  # no header: the first row is data, not a header
    ds = load_dataset(tmp_path / "bare.csv")
    assert ds.n == 20 and ds.meta["ignored_columns"] == ["column 1"]
    np.testing.assert_allclose(ds.X, X)
    pandas_like = [",".join([""] + [str(i) for i in range(16)] + ["y"])]  # DataFrame.to_csv() writes its index
    pandas_like += [",".join([str(i)] + [str(v) for v in X[i]] + [str(y[i])]) for i in range(20)]
    (tmp_path / "pandas.csv").write_text("\n".join(pandas_like))
    ds = load_dataset(tmp_path / "pandas.csv")
    np.testing.assert_allclose(ds.X, X)
    assert ds.meta["ignored_columns"] == ["column 1"]
    semi = [";".join(["cell_id"] + [f"t{i}" for i in range(16)] + ["y"])]
    semi += [";".join([str(i)] + [str(v) for v in X[i]] + [str(y[i])]) for i in range(20)]
    (tmp_path / "semi.csv").write_text("\n".join(semi))
    ds = load_dataset(tmp_path / "semi.csv")
    np.testing.assert_allclose(ds.X, X)
    assert ds.meta["ignored_columns"] == ["cell_id"]
    text_target = [",".join(["id"] + [f"t{i}" for i in range(16)] + ["y"])]
    text_target += [",".join([f"a{i}"] + [str(v) for v in X[i]] + [f"label{i}"]) for i in range(20)]
    (tmp_path / "text_target.csv").write_text("\n".join(text_target))
    _err(tmp_path / "text_target.csv", "the target column 'y' holds text")


def test_a_column_numbering_the_rows_is_an_identifier_not_a_target(tmp_path, arrays):
    """Review 40: ``Track;Frame 0;…;Frame 15;Auxilin (a.u.)`` with Track = 1…20 made Track target column 0 (off the
    time axis), while a column named ``track_id`` was left out. A numbering of the rows, sorted or 1..n / 0..n-1 in
    any order, before the series, is left out and named; named a target (y, y_<name>) it stays one, and no time point
    nor a target after the traces is caught."""
    X, y = arrays
    frames = [f"Frame {i}" for i in range(16)]
    order = np.random.default_rng(1).permutation(20)

    def write(name, first, numbers, values=X):
        rows = [";".join([str(numbers[i])] + [f"{v:.9f}".replace(".", ",") for v in [*values[i], y[i]]])
                for i in range(20)]
        (tmp_path / name).write_text("\n".join([";".join([first, *frames, "Auxilin (a.u.)"])] + rows))
        return load_dataset(tmp_path / name)

    for numbers in (range(1, 21), range(101, 121), order, order + 1):  # sorted, or shuffled from 0 or 1
        ds = write("track.csv", "Track", list(numbers))
        assert ds.sample_shape == (16,) and ds.target_names == ["Auxilin (a.u.)"]  # the only target
        np.testing.assert_allclose(ds.y, y, atol=1e-8)
        assert ds.meta["ignored_columns"] == ["Track"] and ds.meta["numbered_columns"] == ["Track"]
    ds = write("kept.csv", "y_track", list(range(1, 21)))  # named a target: the user's way to keep it
    assert ds.target_names == ["y_track", "Auxilin (a.u.)"] and "numbered_columns" not in ds.meta
    ds = write("shuffled.csv", "Lifetime", list(order + 101))  # a shuffled run from 101 is not a numbering
    assert ds.target_names == ["Lifetime", "Auxilin (a.u.)"] and "numbered_columns" not in ds.meta
    ds = write("named.csv", "Track", list(order + 101))  # but a column named Track holds the tracks' numbers (52B)
    assert ds.target_names == ["Auxilin (a.u.)"] and ds.meta["numbered_columns"] == ["Track"]
    counts = np.arange(20)[:, None] + np.arange(16)[None, :]  # whole-number series: each time point a run
    ds = write("counts.csv", "Track", list(range(1, 21)), counts)
    np.testing.assert_allclose(ds.X, counts) and ds.meta["numbered_columns"] == ["Track"]
    header = ",".join([f"t{i}" for i in range(16)] + ["y"])  # a target that happens to be 0..n-1 is named y
    rows = [",".join([str(v) for v in X[i]] + [str(order[i])]) for i in range(20)]
    (tmp_path / "rank.csv").write_text("\n".join([header] + rows))
    ds = load_dataset(tmp_path / "rank.csv")
    np.testing.assert_allclose(ds.y, order) and "ignored_columns" not in ds.meta
    header = ",".join([f"t{i}" for i in range(16)] + ["peak_rank"])  # after the traces, unnamed: still the target
    rows = [",".join([str(v) for v in X[i]] + [str(i)]) for i in range(20)]
    (tmp_path / "after.csv").write_text("\n".join([header] + rows))
    ds = load_dataset(tmp_path / "after.csv")
    assert ds.target_names == ["peak_rank"] and "ignored_columns" not in ds.meta


def test_semicolons_with_decimal_commas_and_a_channel_axis_and_other_array_names(tmp_path, arrays):
    X, y = arrays
    rows = [";".join(f"{v:.9f}".replace(".", ",") for v in [*X[i], y[i]]) for i in range(20)]
    (tmp_path / "eu.csv").write_text("\n".join([";".join([f"t{i}" for i in range(16)] + ["y"])] + rows))
    ds = load_dataset(tmp_path / "eu.csv")  # was: "row 2 has 34 columns, the first row has 17"
    np.testing.assert_allclose(ds.X, X, atol=1e-8)
    np.testing.assert_allclose(ds.y, y, atol=1e-8)
    np.savez(tmp_path / "channel.npz", X=X[:, None, :], y=y)  # PyTorch's (n, 1, L)
    assert load_dataset(tmp_path / "channel.npz").sample_shape == (16,)
    np.savez(tmp_path / "names.npz", data=X, labels=y)
    err = _err(tmp_path / "names.npz", "which holds 'data', 'labels'", field="X")  # was "found: nothing"
    assert "X_train" in str(err)


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".tsv"])
def test_tabs_with_decimal_commas_as_excel_exports_them(tmp_path, arrays, suffix):
    """Review 11: Excel's "Text (Tab delimited)" in a locale whose decimal mark is the comma read as one column
    ("line 2 has 42 columns, line 1 has 1") or as "no numbers below its first row" (.tsv)."""
    X, y = arrays
    rows = ["\t".join([f"trk{i}"] + [f"{v:.9f}".replace(".", ",") for v in [*X[i], y[i]]]) for i in range(20)]
    path = tmp_path / f"tab_comma{suffix}"
    path.write_text("\n".join(["\t".join(["track_id"] + [f"t{i}s" for i in range(16)] + ["y"])] + rows))
    ds = load_dataset(path)
    np.testing.assert_allclose(ds.X, X, atol=1e-8)
    np.testing.assert_allclose(ds.y, y, atol=1e-8)
    assert ds.meta["ignored_columns"] == ["track_id"]
    # the columns' names carry the times: the figures label the axis with them
    assert ds.meta["sample_axis"] == {"values": [float(i) for i in range(16)], "label": "t (s)"}


def test_a_table_with_one_series_per_column_is_told_to_transpose(tmp_path):
    """Review 11: a spreadsheet's usual layout (a column per trace, a row per time point, the target in a last
    row named by its first cell) got only "line 42, column 1 holds 'auxilin_peak'"."""
    rng = np.random.default_rng(3)
    values = rng.normal(size=(41, 300))
    rows = [";".join(["time_s"] + [f"trace{i}" for i in range(300)])]
    rows += [";".join([str(2 * t)] + [f"{v:.4f}".replace(".", ",") for v in values[t]]) for t in range(40)]
    rows.append(";".join(["auxilin_peak"] + [f"{v:.4f}".replace(".", ",") for v in values[40]]))
    (tmp_path / "transposed.csv").write_text("\n".join(rows))
    _err(tmp_path / "transposed.csv", "line 42, column 1 “time_s” holds 'auxilin_peak'; this looks like one series "
                                      "per column")


def test_a_windows_1252_csv_is_read(tmp_path, arrays):
    """Review 11: Excel's plain "CSV" on Windows (a header with µ in Windows-1252) was called "damaged, truncated
    or mislabelled"; a file that is neither UTF-8 nor Windows-1252 text says how to save it."""
    X, y = arrays
    rows = [";".join(f"{v:.9f}".replace(".", ",") for v in [*X[i], y[i]]) for i in range(20)]
    header = ";".join([f"t{i}" for i in range(16)] + ["Auxilin max (µM)"])
    (tmp_path / "cp1252.csv").write_bytes("\r\n".join([header] + rows).encode("cp1252"))
    ds = load_dataset(tmp_path / "cp1252.csv")
    np.testing.assert_allclose(ds.X, X, atol=1e-8)
    assert ds.target_names == ["Auxilin max (µM)"]  # the header's µ as written
    (tmp_path / "undefined.csv").write_bytes(b"t0,t1,y\n1,2,\x81\n")  # 0x81: undefined in Windows-1252
    _err(tmp_path / "undefined.csv", "neither UTF-8 nor Windows-1252")


@pytest.mark.parametrize("codec, bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)])
def test_a_utf16_text_export_is_read(tmp_path, arrays, codec, bom):
    """Review 39B: Excel's "Unicode Text" export (UTF-16 little-endian after a byte-order mark, tab-separated, CRLF)
    was refused as "damaged, truncated or mislabelled"; it reads as the same table in UTF-8 does."""
    X, y = arrays
    header = "\t".join([f"t{i}" for i in range(16)] + ["Auxilin max (µM)"])
    text = "\r\n".join([header] + ["\t".join(f"{v:.9f}" for v in [*X[i], y[i]]) for i in range(20)]) + "\r\n"
    (tmp_path / "unicode.txt").write_bytes(bom + text.encode(codec))
    (tmp_path / "plain.txt").write_bytes(text.encode("utf-8"))
    ds, plain = load_dataset(tmp_path / "unicode.txt"), load_dataset(tmp_path / "plain.txt")
    np.testing.assert_array_equal(ds.X, plain.X)
    np.testing.assert_array_equal(ds.y, plain.y)
    np.testing.assert_allclose(ds.X, X, atol=1e-8)
    assert ds.target_names == ["Auxilin max (µM)"]  # the header's µ as written, without the mark
    (tmp_path / "cut.txt").write_bytes(bom + text.encode(codec)[:-1])  # cut inside its last character
    _err(tmp_path / "cut.txt", "starts as UTF-16 text but byte")
    (tmp_path / "utf32.txt").write_bytes(codecs.BOM_UTF32_LE + text.encode("utf-32-le"))  # not promised: refused
    _err(tmp_path / "utf32.txt", "is not a valid csv file")



def test_nan_cells_and_short_rows_are_missing_values(tmp_path, arrays):
    """Review 14: "NaN" parsed as a number and reached the job ("X: contains 1 NaN … sample 5", numbered after the
    rows dropped); rows written short (csv.writer of ragged lists) could not be left out, and a file cut short
    read as "line 431 has 7 columns"."""
    X, y = arrays
    header = ",".join(["track_id"] + [f"t{i}" for i in range(16)] + ["y"])
    rows = [f"trk{i}," + ",".join(repr(float(v)) for v in [*X[i], y[i]]) for i in range(20)]
    cells = rows[4].split(",")
    cells[5], rows[6] = "NaN", rows[6].replace(rows[6].split(",")[3], "NA", 1)
    rows[4] = ",".join(cells)
    (tmp_path / "na.csv").write_text("\n".join([header, *rows]) + "\n")
    _err(tmp_path / "na.csv", "2 missing values \\(blank, NaN or NA\\), in 2 rows: line 6 \\(trk4\\), column 6 “t4” "
                              "holds 'NaN'")
    kept = load_dataset(tmp_path / "na.csv", drop_incomplete=True)
    assert kept.n + (kept.n_test or 0) == 18 and np.isfinite(kept.X).all()
    assert kept.meta["dropped_rows"]["rows"] == ["line 6 (trk4)", "line 8 (trk6)"]
    short = [header, *rows[:4], ",".join(rows[4].split(",")[:10]), *rows[5:]]
    (tmp_path / "short.csv").write_text("\n".join(short) + "\n")
    _err(tmp_path / "short.csv", "line 6 has 10 columns, line 1 has 18; give every series the same length; or "
                                 "leave out the rows with missing values")
    kept = load_dataset(tmp_path / "short.csv", drop_incomplete=True)
    assert "line 6 (trk4)" in kept.meta["dropped_rows"]["rows"]
    # review 38: a short row lacking its target was offered filling the ends, which then failed; with the target
    # first, the cells a short row lacks are its trace's end, and filling them is offered and works
    with pytest.raises(InputError) as lacks_target:
        load_dataset(tmp_path / "short.csv")
    assert lacks_target.value.remedies == ("drop_incomplete",)
    y_first = [",".join(["y"] + [f"t{i}" for i in range(16)])]
    y_first += [",".join(repr(float(v)) for v in [y[i], *X[i]]) for i in range(20)]
    y_first[5] = ",".join(y_first[5].split(",")[:12])
    (tmp_path / "y_first.csv").write_text("\n".join(y_first) + "\n")
    with pytest.raises(InputError, match="line 6 has 12 columns, line 1 has 17") as ended:
        load_dataset(tmp_path / "y_first.csv")
    assert ended.value.remedies == ("drop_incomplete", "pad_ends")
    assert load_dataset(tmp_path / "y_first.csv", pad_ends=True).meta["padded_rows"]["rows"] == ["line 6"]
    (tmp_path / "cut.csv").write_text("\n".join([header, *rows[:19], rows[19][:30]]))
    _err(tmp_path / "cut.csv", "it is the last line, so the file may have been cut short")


def test_traces_that_ended_early_are_filled_with_zeros_when_asked(tmp_path, arrays):
    """Review 18: NaN-padded traces of different lengths could only be left out (382 of 400 went). With pad_ends
    each trace's missing values after its last value are zeros; a gap inside a trace, a trace without values or a
    missing target is still refused, naming the rows."""
    X, y = arrays
    header = ",".join(["track_id"] + [f"t{i}" for i in range(16)] + ["y"])

    def write(name, ends):
        rows = []
        for i in range(20):
            cells = [repr(float(v)) for v in X[i]]
            for k in range(ends.get(i, 16), 16):
                cells[k] = ("NaN", "", "NA")[k % 3]  # every way a spreadsheet writes a missing value
            rows.append(f"trk{i}," + ",".join(cells) + f",{float(y[i])!r}")
        (tmp_path / name).write_text("\n".join([header, *rows]) + "\n")
        return tmp_path / name

    path = write("ended.csv", {2: 9, 7: 14})
    _err(path, "missing values \\(blank, NaN or NA\\)")  # without the option, refused as before
    ds = load_dataset(path, pad_ends=True)
    X_all = np.concatenate([ds.X, ds.X_test]) if ds.X_test is not None else ds.X
    assert X_all.shape == (20, 16) and np.isfinite(X_all).all()
    expected = X.copy()[:20]
    expected[2, 9:], expected[7, 14:] = 0.0, 0.0
    np.testing.assert_allclose(np.sort(X_all, axis=0), np.sort(expected, axis=0))
    assert ds.meta["padded_rows"] == {"count": 2, "of": 20, "shortest": 9, "length": 16,
                                      "rows": ["line 4 (trk2)", "line 9 (trk7)"]}
    gap = path.read_text().replace(repr(float(X[5, 3])), "", 1)
    (tmp_path / "gap.csv").write_text(gap)
    # the gap named by its column's header, as the reader names the blank cell without the option (review 21)
    with pytest.raises(InputError, match="1 row with a gap before its last value: line 7 \\(trk5\\) at column “t3”"):
        load_dataset(tmp_path / "gap.csv", pad_ends=True)
    no_target = path.read_text().replace("," + repr(float(y[11])) + "\n", ",\n", 1)
    (tmp_path / "no_target.csv").write_text(no_target)
    with pytest.raises(InputError, match="1 row without a target: line 13 \\(trk11\\)"):
        load_dataset(tmp_path / "no_target.csv", pad_ends=True)
    with pytest.raises(InputError, match="1 row without any value: line 5 \\(trk3\\)"):
        load_dataset(write("empty.csv", {3: 0}), pad_ends=True)
    # the gap's refusal offers filling the ends and leaving that row out, as other rows merely ended early
    with pytest.raises(InputError) as gapped:
        load_dataset(tmp_path / "gap.csv", pad_ends=True)
    assert gapped.value.remedies == ("drop_incomplete", "pad_ends+drop_incomplete")
    assert "pad_ends=true with drop_incomplete=true" in str(gapped.value)


def test_ended_traces_filled_and_other_rows_left_out_together(tmp_path, arrays):
    """Cell biologist's review: a file with traces that ended early and a few rows with a gap or a missing target could
    be used only after editing it by hand (pad_ends refused the gaps, drop_incomplete threw away every ended trace,
    and the two were refused together). Together they fill the ended traces and leave out the other rows, the dataset
    saying both, the kept rows in the file's order."""
    X, y = arrays
    header = ",".join(["track_id"] + [f"t{i}" for i in range(16)] + ["y"])
    cells = [[f"trk{i}"] + [repr(float(v)) for v in X[i]] + [repr(float(y[i]))] for i in range(20)]
    cells[2][1 + 9:17] = [""] * 7  # ended early after 9 values
    cells[7][1 + 14:17] = ["NaN", "NA"]  # after 14
    cells[5][1 + 3] = ""  # a gap inside a trace
    cells[11][17] = ""  # a missing target
    cells[13][1:17] = [""] * 16  # a row without any value
    cells[15][1 + 2] = "n.d."  # text
    cells[16][1 + 12:18] = [""] * 5  # ended early and without its target
    path = tmp_path / "both.csv"
    path.write_text("\n".join([header, *(",".join(c) for c in cells)]) + "\n")

    refused = _err(path, "missing values|not numbers")
    assert refused.remedies == ("drop_incomplete", "pad_ends+drop_incomplete")
    assert "pad_ends=true with drop_incomplete=true" in str(refused) and "awd distill --pad-ends --drop-incomplete" \
        in str(refused)
    assert ": line 7 (trk5), column 5 “t3” holds nothing; line 13" in str(refused)  # the rows to leave out first
    with pytest.raises(InputError) as padded_alone:  # text is refused by the reader before the ends are filled
        load_dataset(path, pad_ends=True)
    assert padded_alone.value.remedies == ("drop_incomplete", "pad_ends+drop_incomplete")

    ds = load_dataset(path, pad_ends=True, drop_incomplete=True)
    left_out = [5, 11, 13, 15, 16]
    assert ds.meta["dropped_rows"] == {"count": 5, "of": 20,
                                       "rows": [f"line {i + 2} (trk{i})" for i in left_out]}
    assert ds.meta["padded_rows"] == {"count": 2, "of": 15, "shortest": 9, "length": 16,
                                      "rows": ["line 4 (trk2)", "line 9 (trk7)"]}
    kept = [i for i in range(20) if i not in left_out]
    expected = X[kept].copy()
    expected[kept.index(2), 9:], expected[kept.index(7), 14:] = 0.0, 0.0
    X_all = np.concatenate([ds.X, ds.X_test]) if ds.X_test is not None else ds.X
    y_all = np.concatenate([ds.y, ds.y_test]) if ds.y_test is not None else ds.y
    np.testing.assert_array_equal(X_all, expected)  # the file's order, the ends filled
    np.testing.assert_array_equal(y_all, y[kept])
    # the ends alone (nothing else missing): the combination is the filling, and the refusal does not offer it
    ended = path.read_text().splitlines()
    for i in sorted(left_out, reverse=True):
        del ended[i + 1]
    (tmp_path / "ended.csv").write_text("\n".join(ended) + "\n")
    assert _err(tmp_path / "ended.csv", "missing values").remedies == ("drop_incomplete", "pad_ends")
    assert load_dataset(tmp_path / "ended.csv", pad_ends=True, drop_incomplete=True).meta.get("dropped_rows") is None


def test_a_file_of_which_the_combination_keeps_no_row_is_refused(tmp_path, arrays):
    """With pad_ends and drop_incomplete together, a file whose every row has a gap, a missing target or no value is
    refused, saying that no row is left and naming them (not "too few samples" after the fact)."""
    X, y = arrays
    rows = [",".join(["track_id"] + [f"t{i}" for i in range(16)] + ["y"])]
    for i in range(8):
        cells = [f"trk{i}"] + [repr(float(v)) for v in X[i]] + [repr(float(y[i]))]
        cells[1 + i % 5] = ""  # a gap in every row
        rows.append(",".join(cells))
    (tmp_path / "gaps.csv").write_text("\n".join(rows) + "\n")
    refused = _err(tmp_path / "gaps.csv", "no row is left: every one of the 8 rows has a missing value that is not "
                                          "the end of its trace", pad_ends=True, drop_incomplete=True)
    assert "line 2 (trk0), line 3 (trk1)" in str(refused) and refused.remedies == ()
    # without the ends to fill, leaving the rows out is not offered the combination
    assert _err(tmp_path / "gaps.csv", "missing values").remedies == ("drop_incomplete",)

def test_csv_errors(tmp_path, arrays):
    X, y = arrays
    rows = [",".join(map(str, r)) for r in np.c_[X, y]]
    rows[5] = rows[5].replace(rows[5].split(",")[2], "oops", 1)
    (tmp_path / "bad.csv").write_text("\n".join(rows))
    _err(tmp_path / "bad.csv", "a cell that is not a number: line 6, column 3 holds 'oops'")
    # review 7: three missing values took three uploads to find; every one is named (up to five, then a count)
    rows = [",".join(map(str, r)) for r in np.c_[X, y]]
    for i, j in ((5, 7), (8, 2), (12, 16)):
        cells = rows[i].split(",")
        cells[j] = ""
        rows[i] = ",".join(cells)
    (tmp_path / "gaps.csv").write_text("\n".join(rows))
    _err(tmp_path / "gaps.csv", "3 blank cells, in 3 rows: line 6, column 8 holds nothing; line 9, "
                                "column 3 holds nothing; line 13, column 17 holds nothing; use")
    # review 11: in a spreadsheet the cell is found by its column's name and its row's identifier, not by counting
    named = [",".join(["track_id"] + [f"t={2 * i}s" for i in range(16)] + ["y"])]
    named += [f"trk{i:04d}," + r for i, r in enumerate(rows)]
    (tmp_path / "named_gaps.csv").write_text("\n".join(named))
    _err(tmp_path / "named_gaps.csv", "3 blank cells, in 3 rows: line 7 \\(trk0005\\), column 9 "
                                      "“t=14s” holds nothing; line 10 \\(trk0008\\), column 4 “t=4s” holds nothing")
    rows = [",".join(["x"] + r.split(",")[1:]) if i < 8 else r for i, r in enumerate(rows)]
    (tmp_path / "many.csv").write_text("\n".join(rows))
    _err(tmp_path / "many.csv", r"\(and \d+ more\)")
    # prose saved as .csv was "row 2 has 1 columns, the first row has 2"
    (tmp_path / "prose.csv").write_text("hello world\nfoo\n")
    _err(tmp_path / "prose.csv", "holds no numbers below its first row")
    rows = [",".join(map(str, r)) for r in np.c_[X, y]]
    rows[3] = ",".join(rows[3].split(",")[:-2])
    (tmp_path / "ragged.csv").write_text("\n".join(rows))
    _err(tmp_path / "ragged.csv", "line 4 has 15 columns, line 1 has 17")
    # with a header line the numbers are still the file's lines (review 8: one message counted it, one did not)
    header = ",".join([f"t{j}" for j in range(X.shape[1])] + ["y"])
    (tmp_path / "ragged_h.csv").write_text("\n".join([header] + rows))
    _err(tmp_path / "ragged_h.csv", "line 5 has 15 columns, line 1 has 17")
    good = [",".join(map(str, r)) for r in np.c_[X, y]]
    good[5] = good[5].replace(good[5].split(",")[2], "NA", 1)
    (tmp_path / "na_h.csv").write_text("\n".join([header] + good))
    _err(tmp_path / "na_h.csv", "line 7, column 3 “t2” holds 'NA'")
    (tmp_path / "nan.csv").write_text("\n".join(",".join(map(str, r)) for r in np.c_[X, y]).replace(
        str(X[0, 0]), "nan", 1))
    _err(tmp_path / "nan.csv", "a missing value \\(blank, NaN or NA\\): line 1, column 1 holds 'nan'")  # review 14
    (tmp_path / "head.csv").write_text("a,b,y\n")
    _err(tmp_path / "head.csv", "no data rows")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x01" * 10)
    _err(tmp_path / "bin.csv", "not a valid csv")


# ------------------------------------------------------------------------------------------------ FITS
@pytest.mark.skipif(not REAL_FITS.exists(), reason="shared lenstools map not present")
def test_real_fits_map():
    maps = load_maps(REAL_FITS)
    assert maps.shape == (1, 512, 512) and maps.dtype == np.float64 and maps.dtype.isnative
    raw = fits.getdata(REAL_FITS)
    assert raw.dtype.byteorder == ">"
    np.testing.assert_array_equal(maps[0], raw)
    err = _err(REAL_FITS, "no targets", field="y")
    # one map: the message says what distillation needs (a browser user read only a Python function's name)
    assert "load_maps" in str(err) and "many maps, each with its parameters" in str(err)
    # and where the browser user can use such maps (review 20: only the CLI and the API were named)
    assert "“Predict new data” panel" in str(err)


def _maps(n=12, side=16, seed=0):
    return np.random.default_rng(seed).standard_normal((n, side, side))


def test_fits_hdus_with_bintable(tmp_path):
    maps = _maps()
    om, s8 = np.linspace(0.2, 0.4, 12), np.linspace(0.7, 0.9, 12)
    hdus = [fits.PrimaryHDU(maps[0])] + [fits.ImageHDU(m) for m in maps[1:]]
    table = fits.BinTableHDU.from_columns([fits.Column("OMEGA_M", "D", array=om),
                                           fits.Column("SIGMA_8", "D", array=s8),
                                           fits.Column("LABEL", "10A", array=["a"] * 12)])
    fits.HDUList(hdus + [table]).writeto(tmp_path / "m.fits")
    ds = load_dataset(tmp_path / "m.fits")
    assert ds.kind == "image" and ds.X.shape == (12, 16, 16) and ds.X.dtype.isnative
    assert ds.target_names == ["OMEGA_M", "SIGMA_8"]
    np.testing.assert_allclose(ds.y, np.c_[om, s8])
    np.testing.assert_allclose(ds.X, maps)


def test_fits_cube_and_header_targets(tmp_path):
    maps = _maps()
    table = fits.BinTableHDU.from_columns([fits.Column("y", "E", array=np.arange(12.0))])
    fits.HDUList([fits.PrimaryHDU(maps.astype(">f4")), table]).writeto(tmp_path / "cube.fit")
    ds = load_dataset(tmp_path / "cube.fit")
    assert ds.X.dtype == np.float32 and ds.X.dtype.isnative and ds.y.shape == (12,)
    primary = fits.PrimaryHDU()
    primary.header["TARGETS"] = "OMEGA_M"
    hdus = [primary]
    for i, m in enumerate(maps):
        h = fits.ImageHDU(m)
        h.header["OMEGA_M"] = 0.1 * i
        hdus.append(h)
    fits.HDUList(hdus).writeto(tmp_path / "keys.fits")
    ds = load_dataset(tmp_path / "keys.fits")
    np.testing.assert_allclose(ds.y, 0.1 * np.arange(12))


def test_fits_broken(tmp_path):
    fits.PrimaryHDU(_maps()).writeto(tmp_path / "ok.fits")
    data = (tmp_path / "ok.fits").read_bytes()
    (tmp_path / "cut.fits").write_bytes(data[:5000])
    with pytest.raises(InputError):
        load_maps(tmp_path / "cut.fits")
    bad = _maps()
    bad[2, 3, 4] = np.nan
    fits.PrimaryHDU(bad).writeto(tmp_path / "nan.fits")
    with pytest.raises(InputError, match="NaN"):
        load_maps(tmp_path / "nan.fits")
    np.savez(tmp_path / "x.npz", X=np.zeros((12, 8)), y=np.zeros(12))
    with pytest.raises(InputError, match="not FITS"):
        load_maps(tmp_path / "x.npz")


# ------------------------------------------------------------------------------------------------ HDF5 / MAT
def test_hdf5(tmp_path, arrays):
    X, y = arrays
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["X"] = X
        f["y"] = y
        f["X_test"] = X[:3]
        f["y_test"] = y[:3]
    ds = load_dataset(tmp_path / "d.h5")
    np.testing.assert_array_equal(ds.X, X)
    assert ds.n_test == 3
    with h5py.File(tmp_path / "s.hdf5", "w") as f:
        f["X"] = np.array([b"a"] * 20)
        f["y"] = y
    _err(tmp_path / "s.hdf5", "non-numeric", field="X")
    with h5py.File(tmp_path / "big.h5", "w") as f:
        f.create_dataset("X", shape=(10**5, 10**4), dtype="f8")  # 8 GB declared, nothing written
        f["y"] = np.zeros(10**5)
    _err(tmp_path / "big.h5", "above the limit")
    data = (tmp_path / "d.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[:3000])
    with pytest.raises(InputError):
        load_dataset(tmp_path / "cut.h5")


def test_hdf5_arrays_in_a_group(tmp_path, arrays):
    """X and y under one group (``/data/X``) are found; X in two groups, or at the root and in a group, is refused
    with the places."""
    X, y = arrays
    with h5py.File(tmp_path / "g.h5", "w") as f:
        f["attrs_only"] = np.arange(3)
        f["data/X"] = X
        f["data/y"] = y
    ds = load_dataset(tmp_path / "g.h5")
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, y)
    with h5py.File(tmp_path / "split.h5", "w") as f:  # X in a group, y at the root
        f["data/X"], f["y"] = X, y
    np.testing.assert_array_equal(load_dataset(tmp_path / "split.h5").y, y)
    with h5py.File(tmp_path / "two.h5", "w") as f:
        f["run1/X"], f["run1/y"] = X, y
        f["deep/run2/X"], f["deep/run2/y"] = X, y
    _err(tmp_path / "two.h5", "/deep/run2, /run1", field="X")
    with h5py.File(tmp_path / "root_and_group.h5", "w") as f:  # the root's X was used and /data ignored silently
        f["X"], f["y"] = X, y
        f["data/X"], f["data/y"] = X[:5], y[:5]
    _err(tmp_path / "root_and_group.h5", re.escape("several places (the root, /data)"), field="X")
    with h5py.File(tmp_path / "none.h5", "w") as f:
        f["data/signals"] = X
    _err(tmp_path / "none.h5", re.escape("root holds ['data']"), field="X")


def test_target_names_are_read_from_npz_and_hdf5(tmp_path, arrays):
    """Review 18: a cosmologist's two parameters showed as y0 and y1 everywhere; the names are read from a string
    array target_names (npz, HDF5 beside X and y, or an attribute of y), as README and Help now say."""
    X, _ = arrays
    y = np.c_[np.linspace(0.2, 0.4, 20), np.linspace(0.7, 0.9, 20)]
    names = ["Omega_m", "sigma_8"]
    np.savez(tmp_path / "maps.npz", X=X, y=y, target_names=np.array(names))
    assert load_dataset(tmp_path / "maps.npz").target_names == names
    with h5py.File(tmp_path / "beside.h5", "w") as f:
        f["data/X"], f["data/y"], f["data/target_names"] = X, y, np.array([n.encode() for n in names])
    assert load_dataset(tmp_path / "beside.h5").target_names == names
    with h5py.File(tmp_path / "attr.h5", "w") as f:
        f["X"], f["y"] = X, y
        f["y"].attrs["target_names"] = names
    assert load_dataset(tmp_path / "attr.h5").target_names == names
    with h5py.File(tmp_path / "short.h5", "w") as f:
        f["X"], f["y"], f["target_names"] = X, y, np.array([b"Omega_m"])
    _err(tmp_path / "short.h5", "has 1 names for 2 target columns", field="target_names")


def test_mat_v5(tmp_path, arrays):
    X, y = arrays
    scipy.io.savemat(tmp_path / "d.mat", {"X": X, "y": y.reshape(-1, 1)})
    ds = load_dataset(tmp_path / "d.mat")
    np.testing.assert_array_equal(ds.X, X)
    assert ds.y.shape == (20,)
    scipy.io.savemat(tmp_path / "row.mat", {"X": X, "y": y}, do_compression=True)  # y saved as 1 x n
    assert load_dataset(tmp_path / "row.mat").y.shape == (20,)
    cell = np.empty((20,), dtype=object)
    cell[:] = [np.zeros(3)] * 20
    scipy.io.savemat(tmp_path / "cell.mat", {"X": cell, "y": y})
    _err(tmp_path / "cell.mat", "not a numeric", field="X")
    scipy.io.savemat(tmp_path / "big.mat", {"X": np.zeros((2000, 1000)), "y": np.zeros(2000)},
                     do_compression=True)
    _err(tmp_path / "big.mat", "above the limit", max_bytes=1_000_000)


def test_mat_v73(tmp_path, arrays):
    X, y = arrays
    path = tmp_path / "d73.mat"
    with h5py.File(path, "w", userblock_size=512) as f:  # MATLAB v7.3 layout: column-major, so transposed
        f["X"] = X.T
        f["y"] = y.reshape(1, -1)
    with open(path, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 .".ljust(128))
    assert detect_format(path) == "mat73"
    ds = load_dataset(path)
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, y)


# ------------------------------------------------------------------------------------------------ summary / split
def test_summarize_is_json_able(arrays):
    X, y = arrays
    ds = Dataset(X, y, meta={"arr": np.arange(3), "f": np.float32(1.5)})
    s = summarize(ds)
    json.dumps(s)
    assert s["kind"] == "timeseries" and s["shape"] == [16] and s["n"] == 20 and s["n_test"] == 0
    t = s["targets"][0]
    assert t["min"] <= t["mean"] <= t["max"] and t["n_unique"] == 20
    assert sum(t["histogram"]["counts"]) == 20 and len(t["histogram"]["edges"]) == 21
    assert len(s["preview"]["X"]) == 3 and s["meta"]["arr"] == [0, 1, 2]
    # the samples shown span the targets: lowest, middle, highest (review 18: the first three were one cosmology)
    order = np.argsort(y)
    assert s["preview"]["y"] == [float(y[order[0]]), float(y[order[10]]), float(y[order[19]])]
    np.testing.assert_allclose(s["preview"]["X"][2], X[order[19]], atol=1e-6)
    classes = Dataset(X, np.repeat([[0.25, 0.8], [0.3, 0.7], [0.3, 0.9], [0.35, 0.8]], 5, axis=0))
    assert summarize(classes)["preview"]["y"] == [[0.25, 0.8], [0.3, 0.9], [0.35, 0.8]]
    maps = Dataset(_maps(12, 64), np.zeros((12, 2)))
    s = summarize(maps)
    # X's statistics are computed in chunks (X.std() held a copy of X): the same numbers as numpy's
    for data, stats in ((X, summarize(ds)["x_stats"]), (maps.X, s["x_stats"])):
        np.testing.assert_allclose([stats["mean"], stats["std"], stats["min"], stats["max"]],
                                   [data.mean(), data.std(), data.min(), data.max()], rtol=1e-12, atol=1e-15)
    several = _x_stats(maps.X, chunk_values=5000)  # 12 maps of 4096 pixels: one map a chunk
    np.testing.assert_allclose(several["std"], maps.X.std(), rtol=1e-12)
    assert np.array(s["preview"]["X"][0]).shape == (64, 64) and len(s["targets"]) == 2  # a 64 px map whole


def test_split_dataset(arrays):
    X, y = arrays
    ds = Dataset(X, y)
    a = split_dataset(ds, 0.25, seed=1)
    b = split_dataset(ds, 0.25, seed=1)
    assert a[0].shape == (15, 16) and a[2].shape == (5, 16)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert set(map(tuple, np.r_[a[0], a[2]])) == set(map(tuple, X))
    fixed = Dataset(X, y, X[:4], y[:4])
    assert split_dataset(fixed)[2].shape == (4, 16)
    grid = Dataset(np.zeros((40, 8)) + np.arange(40)[:, None], np.repeat([[0.2, 0.8], [0.3, 0.7]], 20, axis=0))
    _, ytr, _, yte = split_dataset(grid, 0.2)
    assert len(np.unique(yte, axis=0)) == 2 and len(yte) == 8
    with pytest.raises(InputError, match="test_fraction"):
        split_dataset(ds, 1.5)


# ------------------------------------------------------------------------------------------------ fuzz
def _good_files(d: Path, X, y):
    np.savez(d / "a.npz", X=X, y=y)
    np.savez_compressed(d / "b.npz", X=X, y=y)
    np.save(d / "c.npy", X)
    np.save(d / "c_y.npy", y)
    np.savetxt(d / "e.csv", np.c_[X, y], delimiter=",")
    with h5py.File(d / "f.h5", "w") as f:
        f["X"] = X
        f["y"] = y
    scipy.io.savemat(d / "g.mat", {"X": X, "y": y}, do_compression=True)
    maps = np.random.default_rng(1).standard_normal((20, 16, 16))
    table = fits.BinTableHDU.from_columns([fits.Column("y", "D", array=y)])
    fits.HDUList([fits.PrimaryHDU(maps), table]).writeto(d / "i.fits")
    return ["a.npz", "b.npz", "c.npy", "e.csv", "f.h5", "g.mat", "i.fits"]


def test_damaged_files_only_raise_input_error(tmp_path, arrays):
    """Truncated or bit-flipped files of every format load or raise InputError, never anything else."""
    X, y = arrays
    rng = np.random.default_rng(0)
    for name in _good_files(tmp_path, X, y):
        path = tmp_path / name
        data = path.read_bytes()
        assert load_dataset(path).n == 20
        cases = [data[:cut] for cut in np.unique(np.linspace(1, len(data) - 1, 12).astype(int))]
        for _ in range(20):
            damaged = bytearray(data)
            for i in rng.integers(0, len(data), rng.integers(1, 8)):
                damaged[i] = int(rng.integers(0, 256))
            cases.append(bytes(damaged))
        for case in cases:
            path.write_bytes(case)
            try:
                load_dataset(path)
            except InputError:
                pass
        path.write_bytes(data)


def test_a_long_table_of_measurements_is_told_to_put_one_series_per_row(tmp_path):
    """Review 8: cell,time,intensity (one row per measurement) gave "axis 1 has length 1"."""
    rows = ["cell,time,intensity"] + [f"{c},{t},{np.sin(t + c):.4f}" for c in range(50) for t in range(40)]
    (tmp_path / "long.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError) as err:
        load_dataset(tmp_path / "long.csv")
    text = str(err.value)
    # the cell's number is an identifier (52B: whole numbers under the name cell), left out of the series
    assert "has 1 series column(s) (time) beside the target" in text and "one series per row" in text
    assert "df.pivot(index='cell', columns='time', values='intensity')" in text


def test_a_file_of_maps_and_one_array_per_parameter_is_told_how_to_stack_them(tmp_path):
    """Review 28A: ``maps``, ``Omega_m`` and ``sigma_8`` were refused one missing key at a time, and neither message
    said how to give two parameters."""
    path = tmp_path / "kappa.npz"
    np.savez(path, maps=np.zeros((10, 8, 8)), Omega_m=np.ones(10), sigma_8=np.ones(10))
    with pytest.raises(InputError) as missing:
        load_dataset(path)
    said = str(missing.value)
    assert "signals under the name 'X'" in said and "targets under the name 'y'" in said
    assert "one column per parameter" in said and "target_names" in said
    np.savez(path, X=np.zeros((10, 8, 8)), Omega_m=np.ones(10), sigma_8=np.ones(10))
    with pytest.raises(InputError, match=r"y=np\.stack\(\[Omega_m, sigma_8\], axis=1\)"):
        load_dataset(path)
