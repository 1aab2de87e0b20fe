"""The installed ``awd`` script as a reviewer scripting it met it (review 44): provenance of a file read with
``--drop-incomplete``, help texts, options refused before any work, ``--teacher`` errors, a closed pipe, the summary
table, Ctrl-C and the folders a failed run leaves."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
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
    if option[0] == "--teacher":  # the command's own words, not the web API's (GET /api/options: ...)
        assert "(cnn and resnet18 train on maps only)" in refused.stderr and "/api/" not in refused.stderr


def test_a_teacher_neither_trained_here_nor_a_file_is_named_so(tmp_path):
    """Review 44: "teacher: 'transformer'; pass one of 'auto', 'mlp', ..." had no verb and did not say that a
    weights file is taken too."""
    refused = awd("distill", series_with_a_gap(tmp_path / "d.npz"), "--out", tmp_path / "r", "--teacher",
                  "transformer")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert ("teacher: 'transformer' is neither an architecture trained here (auto, mlp, lstm, cnn or resnet18) nor an "
            "existing weights file (.safetensors, .pt, .pth or .pt2)") in refused.stderr, refused.stderr
    assert not (tmp_path / "r").exists()


def test_a_teacher_that_looks_like_a_path_is_told_what_is_wrong_with_it(tmp_path, monkeypatch):
    """A path without an extension was read as an architecture's name; a missing file, a folder and an extension no
    weights file has are each said, with what to pass."""
    from awd_studio.cli import teacher_options

    monkeypatch.chdir(tmp_path)
    (tmp_path / "weights").write_bytes(b"not read")
    (tmp_path / "net.onnx").write_bytes(b"not read")
    (tmp_path / "net.pt").write_bytes(b"not read here")
    (tmp_path / "nets").mkdir()
    said = {}
    for value in ("weights", "net.onnx", "nets", "nets/mine.pt", "gone.onnx"):
        with pytest.raises(ValueError) as refused:
            teacher_options(value)
        said[value] = str(refused.value)
    assert said["weights"].startswith("teacher: weights has no extension, but a weights file ends in .safetensors, "
                                      ".pt, .pth or .pt2")
    assert said["net.onnx"].startswith("teacher: net.onnx ends in .onnx, but a weights file ends in")
    assert said["nets"].startswith("teacher: nets is a folder; pass a weights file in it")
    assert said["nets/mine.pt"].startswith("teacher: no file at nets/mine.pt; pass the path of a weights file")
    assert said["gone.onnx"].startswith("teacher: no file at gone.onnx (and .onnx is not a weights file's extension)")
    assert all("an architecture trained here (auto, mlp, lstm, cnn or resnet18)" in words for words in said.values())
    assert teacher_options("net.pt", "mlp") == {"teacher_path": "net.pt", "teacher": "mlp"}
    assert teacher_options(" CNN ") == {"teacher": "cnn"}
    with pytest.raises(ValueError, match="^teacher_arch: names the architecture of a weights file"):
        teacher_options("lstm", "mlp")  # it was ignored without a word


def test_the_api_keeps_its_own_words_for_a_teacher_of_the_other_kind():
    """The note of resolve_config's refusal is its caller's: the API's names GET /api/options by default."""
    from awd_studio.models.options import PipelineConfig
    from awd_studio.models.pipeline.config import resolve_config

    config = PipelineConfig.from_dict({"teacher": "lstm"})
    with pytest.raises(ValueError, match=r"\(GET /api/options: teacher_architectures_by_kind\)$"):
        resolve_config(config, "image", (64, 64), 100)
    with pytest.raises(ValueError, match=r"pass auto or one of cnn, resnet18, mlp \(lstm trains on series only\)$"):
        resolve_config(config, "image", (64, 64), 100, teacher_note="lstm trains on series only")


def closed_early(*args) -> tuple[int, str]:
    """Run the installed ``awd`` with ``args`` into a pipe whose reader closes it at once (``| head -0``); its exit
    status and standard error."""
    process = subprocess.Popen([AWD, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # no reader left: the command's first write to it fails with EPIPE
    err = process.stderr.read()
    process.stderr.close()
    return process.wait(timeout=300), err


def test_a_reader_that_closes_the_pipe_ends_the_command_quietly(gap_result):
    """Review 44: ``awd predict ... | head -2`` ended with a BrokenPipeError traceback."""
    from awd_studio.cli import CLOSED_OUTPUT_STATUS

    data, result = gap_result
    for args in (["predict", result, data, "--drop-incomplete"], ["predict", "--help"]):
        status, err = closed_early(*args)
        assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err
        assert status == (CLOSED_OUTPUT_STATUS if args[1] != "--help" else 0)


def test_the_summary_table_is_as_wide_as_its_longest_name(gap_result):
    """Review 44: "teacher (uploaded (lstm))" pushed its row's numbers right of the columns' headings."""
    from awd_studio.models.pipeline.bundle import summary_text

    _data, result = gap_result
    bundle = json.loads((result / "result.json").read_text())
    bundle["teacher"]["name"] = "uploaded (lstm)"
    name = next(iter(bundle["models"]))
    bundle["models"][name].setdefault("cv", {})["r2"] = -4892.033  # 12 maps gave this: it ran into the RMSE SD
    lines = summary_text(bundle).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("model "))
    table = lines[start:start + 1 + 1 + len(bundle["models"])]
    assert table[1].startswith("teacher (uploaded (lstm))  ")
    assert len({len(line) for line in table}) == 1, "\n".join(table)
    r2_end = table[0].index("test R2") + len("test R2")  # each row's R² ends under its heading
    assert all(line[r2_end - 1] != " " and line[r2_end] == " " for line in table[1:]), "\n".join(table)
    row = next(line for line in table if line.startswith(name + " "))
    assert "-4892.033" in row.split() and row.index("-4892.033") + 9 == table[0].index("CV R2") + 5, "\n".join(table)


def interrupted_once_distilling(*args, at=" distill: ", sig=signal.SIGINT, env=None) -> tuple[int, str]:
    """Run the installed ``awd distill`` with ``args`` and press Ctrl-C (SIGINT, or send ``sig``) once it distils (at
    the first line of standard error holding ``at``); its exit status and the standard error that followed."""
    # Ctrl-C's default action in the child, as a terminal gives it: a test before this one in the same pytest worker
    # can leave SIGINT ignored, and an ignored signal is inherited (Python then never raises KeyboardInterrupt)
    process = subprocess.Popen([AWD, "distill", *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, env=env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in process.stderr:  # not a terminal: a line per stage
            if at in line:
                process.send_signal(sig)
                break
        after = process.stderr.read()
        process.stderr.close()
        return process.wait(timeout=120), after
    finally:
        if process.poll() is None:  # the signal was lost: do not leave the run behind
            process.kill()
            process.wait()


def interrupted(before_each, *args) -> tuple[int, str]:
    """:func:`interrupted_once_distilling` after ``before_each()`` puts the folders back."""
    before_each()
    return interrupted_once_distilling(*args)


def test_ctrl_c_says_it_was_interrupted_and_what_was_kept(gap_result, tmp_path):
    """Review 44: Ctrl-C during ``awd distill`` exited 130 without a word. The result being replaced (--force) is
    kept as it was and the run's work folder removed; a folder the run created goes whole."""
    data, result = gap_result
    kept = tmp_path / "kept"

    def fresh_copy():
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(result, kept)

    fresh_copy()
    before = {path.name: path.read_bytes() for path in kept.iterdir() if path.is_file()}
    # the distillation still runs when the signal comes, however late this test reads the line on a loaded machine
    # (2000 epochs of one grid point once ended before a starved test process sent it): 2000 epochs of 40 points
    slow = [*TINY, "--epochs", "2000", "--lambdas", ",".join(f"{k}e-4" for k in range(1, 11)),
            "--gammas", "0,0.001,0.01,0.1"]
    status, said = interrupted(fresh_copy, data, "--drop-incomplete", "--out", kept, "--force", *slow)
    assert status == 130 and "Traceback" not in said, said
    assert said.strip().splitlines()[-1] == (f"awd distill: interrupted; the result already in {kept} is as it was; "
                                             "this run's work folder is removed"), said
    assert {path.name: path.read_bytes() for path in kept.iterdir() if path.is_file()} == before
    assert not (kept / "work").exists()
    status, said = interrupted(lambda: shutil.rmtree(tmp_path / "new", ignore_errors=True), data, "--drop-incomplete",
                               "--out", tmp_path / "new" / "x1", *slow)
    assert status == 130 and said.strip().splitlines()[-1] == (
        f"awd distill: interrupted; nothing was kept: {tmp_path / 'new'}, which this run created, is removed"), said
    assert not (tmp_path / "new").exists()


def test_ctrl_c_during_the_grid_epochs_ends_with_130_not_an_abort(gap_result, tmp_path):
    """Ctrl-C during a series grid's epochs ended about every other run with "terminate called without an active
    exception" and SIGABRT instead of 130 while the grid trained in two parts on two threads (``fit_in_parts``,
    removed on 2026-12-07): the Ctrl-C landed in the waiting thread's ``Thread.join(timeout)``, which in Python 3.11
    then marks the running part as stopped, and the interpreter's exit killed it inside torch. The grid is one fit
    in the calling thread now; this holds the exit status."""
    data, _result = gap_result
    slow = [*TINY, "--epochs", "2000", "--lambdas", ",".join(f"{k}e-4" for k in range(1, 11)),
            "--gammas", "0,0.001,0.01,0.1"]
    for run in range(4):  # a few seconds each; with the parts, 2 of 4 runs of this test (3 rounds each) aborted
        out = tmp_path / f"r{run}"
        # an epoch's line: the grid trains
        status, said = interrupted_once_distilling(data, "--drop-incomplete", "--out", out, *slow,
                                                   at=" distill: epoch ")
        assert "terminate called" not in said and "Traceback" not in said, said
        assert status == 130, (status, said)
        assert said.strip().splitlines()[-1] == (
            f"awd distill: interrupted; nothing was kept: {out}, which this run created, is removed"), said
        assert not out.exists()


def test_a_failed_run_leaves_no_folder_it_created_above_its_out_folder(tmp_path):
    """Review 44: ``awd distill --out r/x1`` that failed removed x1 but left the empty r behind."""
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n4,five,6\n")  # refused once the job reads it
    failed = awd("distill", bad, "--out", tmp_path / "r" / "x1")
    assert failed.returncode == 2 and "Traceback" not in failed.stderr, failed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_ctrl_c_during_the_teacher_stops_the_teacher_free_process_too(tmp_path):
    """Beside a teacher trained on one thread the selection's teacher-free pieces run in a process of their own
    (models.pipeline.teacher_free), in a session of its own so that the terminal's Ctrl-C reaches only the job:
    interrupted while that process runs, the job exits 130 and stops it, and nothing is left."""
    made = awd("example", "cme", "--out", tmp_path / "cme.npz")
    assert made.returncode == 0, made.stderr
    out = tmp_path / "beside"
    pieces = ["pgrep", "-f", f"teacher_free import _child.* {out}"]
    # a terminal's Ctrl-C goes to its foreground process group: the job leads one here
    process = subprocess.Popen([AWD, "distill", str(tmp_path / "cme.npz"), "--out", str(out), "--teacher", "lstm"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not subprocess.run(pieces, capture_output=True, text=True).stdout.strip():
            assert process.poll() is None and time.monotonic() < deadline, "the pieces' process never started"
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGINT)
        said = process.stderr.read()
        status = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert status == 130 and "Traceback" not in said, (status, said)
    assert subprocess.run(pieces, capture_output=True, text=True).stdout.strip() == ""
    assert not out.exists()


def test_sigterm_stops_awd_distill_as_ctrl_c_does(gap_result, tmp_path):
    """A batch system's time limit (SLURM sends SIGTERM), ``timeout`` or ``kill``: the default action ended the
    process at once, leaving the folder the run created and its scratch folder behind. It now stops as on Ctrl-C,
    says so, removes them, and exits with 143."""
    data, _result = gap_result
    out, scratch = tmp_path / "new", tmp_path / "scratch"
    scratch.mkdir()
    slow = [*TINY, "--epochs", "2000", "--lambdas", ",".join(f"{k}e-4" for k in range(1, 11)),
            "--gammas", "0,0.001,0.01,0.1"]
    status, said = interrupted_once_distilling(data, "--drop-incomplete", "--out", out, *slow, at=" distill: epoch ",
                                               sig=signal.SIGTERM, env={**os.environ, "TMPDIR": str(scratch)})
    assert status == 143 and "Traceback" not in said, (status, said)
    assert said.strip().splitlines()[-1] == (
        f"awd distill: terminated; nothing was kept: {out}, which this run created, is removed"), said
    assert not out.exists() and list(scratch.iterdir()) == []
