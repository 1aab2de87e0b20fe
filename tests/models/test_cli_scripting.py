"""The installed ``awd`` script as a reviewer scripting it met it (review 44): provenance of a file read with
``--drop-incomplete``, help texts, options refused before any work, ``--teacher`` errors, a closed pipe, the summary
table, Ctrl-C and the folders a failed run leaves."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

#: The console script installed beside this interpreter.
AWD = str(Path(sys.executable).parent / "awd")
#: The smallest job: one grid point, an epoch, two teacher epochs, no searches (a few seconds).
TINY = ["--teacher", "mlp", "--lambdas", "0.001", "--gammas", "0", "--epochs", "1", "--levels", "2",
        "--teacher-epochs", "2", "--start-search", "0", "--random-search", "0"]


def awd(*args, timeout=300, **kwargs):
    """Run the installed ``awd`` with ``args``; its completed process (text output captured)."""
    return subprocess.run([AWD, *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs)


def series_with_a_gap(path: Path) -> Path:
    """An .npz of 120 series whose sixth has a missing value inside it (what ``--drop-incomplete`` leaves out)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 32))
    y = X[:, 3:6].sum(axis=1)
    X[5, 10] = np.nan
    np.savez(path, X=X, y=y)
    return path


@pytest.fixture(scope="module")
def gap_result(tmp_path_factory):
    """``(data file, result folder)``: the series with a gap distilled with ``--drop-incomplete``."""
    folder = tmp_path_factory.mktemp("gap")
    data = series_with_a_gap(folder / "nan_mid.npz")
    done = awd("distill", data, "--drop-incomplete", "--out", folder / "r", *TINY)
    assert done.returncode == 0, done.stderr
    return data, folder / "r"


def test_a_file_read_with_drop_incomplete_is_recorded_by_its_own_hash(gap_result):
    """The result recorded the SHA-256 of the temporary copy the rows were left out of, so ``awd predict`` on the
    very file did not say it was the training file."""
    from awd_studio.models.pipeline.predict import TRAINING_FILE_MIXED_WARNING

    data, result = gap_result
    recorded = json.loads((result / "result.json").read_text())["data"]
    assert recorded["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert recorded["dropped_rows"]["count"] == 1
    predicted = awd("predict", result, data, "--drop-incomplete")
    assert predicted.returncode == 0, predicted.stderr
    assert TRAINING_FILE_MIXED_WARNING in predicted.stderr, predicted.stderr


@pytest.mark.parametrize("command", ["distill", "predict"])
def test_the_help_of_drop_incomplete_names_the_array_files_it_reads(command):
    """The help said ``--drop-incomplete`` and ``--pad-ends`` applied to "a .csv/.tsv/.txt file"; they read the
    series of array files too (NaN in an .npz, .npy, HDF5 or MATLAB file)."""
    shown = awd(command, "--help")
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    flags = ["--drop-incomplete", "--pad-ends"] if command == "distill" else ["--drop-incomplete"]
    for flag in flags:
        help_text = text.split(f"{flag} ", 1)[1].split(" --", 1)[0]
        assert not help_text.startswith("a .csv/.tsv/.txt file")
        assert all(word in help_text for word in (".csv", "NaN", ".npz", ".npy", "HDF5", "MATLAB")), help_text


@pytest.mark.parametrize("option, message", [
    (["--teacher", "cnn"], "teacher: 'cnn' is not trained on timeseries data here"),
    (["--levels", "10"], "levels: 10 levels are too many for series of length 40"),
    (["--target", "2"], "target: the data has one target column"),
    (["--mode", "zero", "--levels", "6"], "6 levels are too many"),
])
def test_an_option_the_data_refuses_fails_before_the_estimate(tmp_path, option, message):
    """Review 44: the run-time estimate, the busy machine's warning and "0.0 % data" came before the error."""
    rng = np.random.default_rng(1)
    data = tmp_path / "series.npz"
    np.savez(data, X=rng.normal(size=(120, 40)), y=rng.normal(size=120))
    refused = awd("distill", data, "--out", tmp_path / "r", *option)
    assert refused.returncode == 2
    assert refused.stderr.startswith("awd distill: error: ") and message in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert not (tmp_path / "r").exists()
