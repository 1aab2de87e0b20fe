"""Hypothesis fuzzing of every file reader (``models.data.load_dataset``).

Random bytes, truncations and byte flips of valid files, extreme shapes, every dtype, NaN/Inf, object and
string arrays, nested archives, zip bombs and lying headers, in each supported format. Each input must end
in a :class:`models.validation.InputError` (or a valid dataset) -- never another exception, a hang (an alarm
interrupts a read after ``HANG_SECONDS``) or memory beyond a small multiple of the decode budget (peak of
tracemalloc per input, and the process's peak RSS over the whole run).
"""

from __future__ import annotations

import io
import resource
import signal
import struct
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awd_studio.models.data import load_dataset
from awd_studio.models.validation import InputError
from tests.reliability.conftest import record

pytestmark = [pytest.mark.filterwarnings("ignore")]  # the fuzz inputs make the writers and readers warn

BUDGET = 4 * 2**20  # max_bytes given to the readers
MEMORY_CAP = 6 * BUDGET + 16 * 2**20  # peak Python/NumPy allocation allowed for one read
HANG_SECONDS = 30
CI_EXAMPLES = 25
SOAK_EXAMPLES = 250
EXTENSIONS = (".npz", ".npy", ".csv", ".fits", ".h5", ".mat")
STATS = {"inputs": 0, "rejected": 0, "accepted": 0, "max_seconds": 0.0, "max_peak_mib": 0.0, "by_format": {},
         "slowest": None}


# ------------------------------------------------------------------------------------------- file builders
def npz_bytes(compress: bool = False, **arrays) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def npy_bytes(arr) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, arr, allow_pickle=True)  # the attacker's side may write object arrays
    return buffer.getvalue()


def csv_bytes(X, y) -> bytes:
    X = np.asarray(X).reshape(len(X), -1)
    lines = [",".join([f"x{i}" for i in range(X.shape[1])] + ["y"])]
    lines += [",".join(map(repr, list(map(float, row)) + [float(t)])) for row, t in zip(X, np.ravel(y))]
    return ("\n".join(lines) + "\n").encode()


def fits_bytes(X, y) -> bytes:
    from astropy.io import fits

    X = np.asarray(X)
    if X.ndim != 3:
        X = X.reshape(len(X), 1, -1)
    hdus = [fits.PrimaryHDU(X), fits.BinTableHDU.from_columns([fits.Column(name="y", format="D", array=np.ravel(y)[:len(X)])])]
    buffer = io.BytesIO()
    fits.HDUList(hdus).writeto(buffer)
    return buffer.getvalue()


def h5_bytes(**arrays) -> bytes:
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=value)
    return buffer.getvalue()


def mat_bytes(**arrays) -> bytes:
    import scipy.io

    buffer = io.BytesIO()
    scipy.io.savemat(buffer, arrays, do_compression=True)
    return buffer.getvalue()


def valid_bytes(ext: str, n: int = 24, length: int = 16, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, length))
    y = X[:, 0]
    if ext == ".npz":
        return npz_bytes(X=X, y=y)
    if ext == ".npy":
        return npy_bytes(X)
    if ext == ".csv":
        return csv_bytes(X, y)
    if ext == ".fits":
        return fits_bytes(rng.normal(size=(n, 8, 8)), y)
    if ext == ".h5":
        return h5_bytes(X=X, y=y)
    return mat_bytes(X=X, y=y)


VALID = {ext: valid_bytes(ext) for ext in EXTENSIONS}


# ------------------------------------------------------------------------------------------- the harness
class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def read(content: bytes, ext: str, *, siblings: dict[str, bytes] | None = None):
    """Write ``content`` to a fresh file and read it under the alarm and tracemalloc; returns the outcome."""
    with tempfile.TemporaryDirectory(prefix="awd-fuzz-") as tmp:
        path = Path(tmp) / f"data{ext}"
        path.write_bytes(content)
        for name, data in (siblings or {}).items():
            (Path(tmp) / name).write_bytes(data)
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(HANG_SECONDS)
        tracemalloc.start()
        start = time.perf_counter()
        outcome = None
        try:
            dataset = load_dataset(path, max_bytes=BUDGET)
            outcome = "accepted"
            assert np.isfinite(dataset.X).all() and np.isfinite(dataset.y).all()
        except InputError as exc:
            outcome = "rejected"
            assert exc.field and str(exc), "an InputError without a field or a message"
        except _Hang:
            pytest.fail(f"reading a {ext} file of {len(content)} bytes did not finish in {HANG_SECONDS} s")
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
            seconds = time.perf_counter() - start
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert peak <= MEMORY_CAP, f"reading {ext} ({len(content)} bytes) allocated {peak / 2**20:.0f} MiB"
        STATS["inputs"] += 1
        STATS[outcome] += 1
        first_of_format = ext not in STATS["by_format"]  # its reader's libraries are imported on this read
        STATS["by_format"][ext] = STATS["by_format"].get(ext, 0) + 1
        if seconds > STATS["max_seconds"]:  # which input it was (2026-12-07: 4.9 s, and no record of which)
            STATS["slowest"] = {"format": ext, "bytes": len(content), "outcome": outcome,
                                "first_of_its_format": first_of_format, "seconds": round(seconds, 3)}
        STATS["max_seconds"] = max(STATS["max_seconds"], round(seconds, 3))
        STATS["max_peak_mib"] = max(STATS["max_peak_mib"], round(peak / 2**20, 2))
        return outcome


def _settings(n: int):
    return settings(max_examples=n, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


# ------------------------------------------------------------------------------------------- strategies
extensions = st.sampled_from(EXTENSIONS)
dtypes = st.sampled_from(["f8", "f4", "f2", "i1", "i8", "u8", "?", "c16", "U3", "S4", "M8[s]", "m8[s]", "V8",
                          [("a", "f8"), ("b", "i4")]])
shapes = st.one_of(
    st.tuples(st.integers(0, 40)),
    st.tuples(st.integers(0, 40), st.integers(0, 40)),
    st.tuples(st.integers(0, 6), st.integers(0, 12), st.integers(0, 12)),
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    st.sampled_from([(1, 1), (1, 200_000), (200_000, 1), (3, 1, 100_000)]),
)
specials = st.sampled_from([0.0, np.nan, np.inf, -np.inf, 1e308, -1e-308, 5e-324])


@st.composite
def arrays(draw):
    """Arrays of any shape and dtype, sometimes salted with NaN/Inf."""
    dtype = np.dtype(draw(dtypes))
    shape = draw(shapes)
    arr = np.zeros(shape, dtype=dtype)
    if dtype.kind in "fc" and arr.size and draw(st.booleans()):
        flat = arr.reshape(-1)
        flat[draw(st.integers(0, flat.size - 1))] = draw(specials)
    return arr


@st.composite
def npz_payloads(draw):
    """npz archives: X/y of any shape, dtype, object arrays, nested archives, junk members."""
    members = {}
    for key in draw(st.lists(st.sampled_from(["X", "y", "X_test", "y_test", "x_train", "meta_json", "name",
                                              "kind", "target_names", "junk"]), max_size=5, unique=True)):
        choice = draw(st.integers(0, 5))
        if choice == 0:
            members[key] = np.array([[1.0, 2.0], [3.0]], dtype=object)
        elif choice == 1:
            members[key] = np.array(draw(st.text(max_size=20)))
        else:
            members[key] = draw(arrays())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, value in members.items():
            zf.writestr(f"{key}.npy", npy_bytes(value))
        if draw(st.booleans()):
            zf.writestr("inner.npz", VALID[".npz"])  # nested archive
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------- the tests
def _random_bytes(ext, data):
    return read(data, ext)


def _truncated(ext, fraction):
    content = VALID[ext]
    return read(content[: int(len(content) * fraction)], ext)


def _flipped(ext, positions, values):
    content = bytearray(VALID[ext])
    for pos, value in zip(positions, values):
        content[pos % len(content)] = value
    return read(bytes(content), ext)


def _fuzz_all(n: int) -> None:
    @_settings(n)
    @given(ext=extensions, data=st.binary(max_size=4096))
    def random_bytes(ext, data):
        _random_bytes(ext, data)

    @_settings(n)
    @given(ext=extensions, fraction=st.floats(0.0, 0.999))
    def truncations(ext, fraction):
        _truncated(ext, fraction)

    @_settings(n)
    @given(ext=extensions, positions=st.lists(st.integers(0, 10**6), min_size=1, max_size=8),
           values=st.lists(st.integers(0, 255), min_size=8, max_size=8))
    def byte_flips(ext, positions, values):
        _flipped(ext, positions, values)

    @_settings(n)
    @given(payload=npz_payloads())
    def npz_structures(payload):
        read(payload, ".npz")

    @_settings(n)
    @given(X=arrays(), y=arrays(), fmt=st.sampled_from([".h5", ".mat", ".csv", ".fits", ".npy"]))
    def shapes_and_dtypes(X, y, fmt):
        try:
            if fmt == ".h5":
                content = h5_bytes(X=X, y=y)
            elif fmt == ".mat":
                content = mat_bytes(X=X, y=y)
            elif fmt == ".csv":
                content = csv_bytes(X, y) if X.ndim and len(X) and X.dtype.kind in "biuf" and y.size >= len(X) else b"a,b\n1,2\n"
            elif fmt == ".fits":
                content = fits_bytes(X, y) if X.dtype.kind in "biuf" and X.size and y.dtype.kind in "biuf" else VALID[".fits"][:100]
            else:
                read(npy_bytes(X), ".npy", siblings={"data_y.npy": npy_bytes(y)})
                return
        except (ValueError, TypeError, NotImplementedError, OverflowError, KeyError):
            return  # the writing library refused the combination: nothing to read
        read(content, fmt)

    for test in (random_bytes, truncations, byte_flips, npz_structures, shapes_and_dtypes):
        test()


def _zip_bombs() -> None:
    """Archives whose decoded size is far above the budget, honest or lying about it."""
    # honest: 256 MiB of zeros, declared in the zip directory and the npy header
    buffer = io.BytesIO()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**15, 2**10)})
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("X.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            block = bytes(2**20)
            for _ in range(256):
                member.write(block)
        zf.writestr("y.npy", npy_bytes(np.zeros(2**15)))
    honest = buffer.getvalue()
    assert len(honest) < 2 * 2**20
    assert read(honest, ".npz") == "rejected"
    # lying: the central directory claims small sizes; the npy header claims a small array
    small_header = io.BytesIO()
    np.lib.format.write_array_header_1_0(small_header, {"descr": "<f8", "fortran_order": False, "shape": (16, 4)})
    liar = io.BytesIO()
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("X.npy", small_header.getvalue() + bytes(64 * 2**20))
        zf.writestr("y.npy", npy_bytes(np.zeros(16)))
    content = bytearray(liar.getvalue())
    at = content.rfind(b"PK\x01\x02", 0, content.rfind(b"y.npy"))  # central entry of X.npy
    struct.pack_into("<I", content, at + 24, 600)  # uncompressed size: 600 bytes
    assert read(bytes(content), ".npz") in ("rejected", "accepted")
    # a lying npy header inside: a huge shape over a few bytes of data
    huge = io.BytesIO()
    np.lib.format.write_array_header_1_0(huge, {"descr": "<f8", "fortran_order": False, "shape": (10**9, 10**3)})
    assert read(npz_bytes(X=np.zeros(3), y=np.zeros(3)).replace(b"PK", b"PK", 1), ".npz") == "rejected"
    assert read(huge.getvalue() + bytes(64), ".npy", siblings={"data_y.npy": npy_bytes(np.zeros(3))}) == "rejected"
    # an HDF5 dataset that compresses 256 MiB of zeros into a few KiB
    import h5py

    h5 = io.BytesIO()
    with h5py.File(h5, "w") as f:
        f.create_dataset("X", shape=(2**15, 2**10), dtype="f8", chunks=(256, 1024), compression="gzip")
        f.create_dataset("y", data=np.zeros(2**15))
    assert read(h5.getvalue(), ".h5") == "rejected"
    # a compressed MATLAB file of 256 MiB of zeros
    assert read(mat_bytes(X=np.zeros((2**12, 2**13)), y=np.zeros(2**12)), ".mat") == "rejected"


def _check_rss(baseline_kib: int) -> float:
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_kib) / 1024
    assert grown < 64 * BUDGET / 2**20 + 1024, f"peak RSS grew by {grown:.0f} MiB while fuzzing"
    return grown


def test_every_reader_fails_cleanly_on_bad_input():
    before = dict(STATS, by_format=dict(STATS["by_format"]))
    _zip_bombs()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _fuzz_all(CI_EXAMPLES)
    assert STATS["rejected"] > STATS["accepted"]
    record("reader_fuzz_ci", inputs=STATS["inputs"] - before["inputs"], max_seconds=STATS["max_seconds"],
           slowest=STATS["slowest"], max_peak_mib=STATS["max_peak_mib"], rss_growth_mib=round(_check_rss(baseline), 1))


@pytest.mark.soak
def test_every_reader_fails_cleanly_on_bad_input_soak():
    start = STATS["inputs"]
    _zip_bombs()  # building the bombs takes memory on the test's side: measure RSS after them
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _fuzz_all(SOAK_EXAMPLES)
    record("reader_fuzz", examples_per_strategy=SOAK_EXAMPLES, inputs=STATS["inputs"] - start,
           rejected=STATS["rejected"], accepted=STATS["accepted"], by_format=STATS["by_format"],
           max_seconds_per_input=STATS["max_seconds"], slowest_input=STATS["slowest"],
           max_tracemalloc_peak_mib=STATS["max_peak_mib"],
           budget_mib=BUDGET / 2**20, rss_growth_mib=round(_check_rss(baseline), 1))
