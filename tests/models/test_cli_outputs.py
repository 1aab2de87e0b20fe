"""An ``--out`` the command could not write is refused before any work, in one line; a path the system refuses
later still ends the command with one line, not a traceback."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from awd_studio import writable
from awd_studio.cli import main


@pytest.fixture
def series(tmp_path):
    data = tmp_path / "syn.npz"
    assert main(["example", "synthetic", "--out", str(data), "--n", "120"]) == 0
    return data


def test_distill_under_a_file_is_refused_through_the_console_script_before_the_job(tmp_path, series):
    """The installed ``awd``, as a user types it: a traceback from the data preparation's mkdir before."""
    (tmp_path / "afile").write_text("notes\n")
    awd = Path(sys.executable).with_name("awd")
    run = subprocess.run([str(awd), "distill", str(series), "--out", str(tmp_path / "afile" / "res")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "Estimated run time" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        f"awd distill: error: --out: {tmp_path / 'afile'} is a file, so nothing can be written under it; pass a "
        "folder's path"]
    assert (tmp_path / "afile").read_text() == "notes\n"


@pytest.mark.parametrize("command", ["example", "tile", "predict", "reproduce", "distill", "explain"])
def test_every_command_that_writes_refuses_an_out_under_a_file(tmp_path, capsys, series, command):
    (tmp_path / "afile").write_text("x")
    result = tmp_path / "result"
    result.mkdir()
    (result / "result.json").write_text("{}")
    maps = tmp_path / "maps.npz"
    np.savez(maps, X=np.zeros((2, 64, 64)), y=np.zeros(2))
    out_file, out_folder = str(tmp_path / "afile" / "o.npz"), str(tmp_path / "afile" / "o")
    args = {"example": ["example", "synthetic", "--out", out_file],
            "tile": ["tile", str(maps), "--size", "32", "--out", out_file],
            "predict": ["predict", str(result), str(series), "--out", out_file],
            "reproduce": ["reproduce", "synthetic", "--quick", "--out", out_folder],
            "distill": ["distill", str(series), "--out", out_folder],
            "explain": ["explain", str(result), "--example", "0", "--out", out_folder]}[command]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"awd {command}: error: --out: {tmp_path / 'afile'} is a file" in err
    assert len(err.strip().splitlines()) == 1


def test_distill_into_a_file_names_it(tmp_path, capsys, series):
    (tmp_path / "afile").write_text("x")
    assert main(["distill", str(series), "--out", str(tmp_path / "afile")]) == 2
    assert f"--out: {tmp_path / 'afile'} is a file; pass a folder's path" in capsys.readouterr().err


def test_a_place_that_cannot_be_written_is_named(tmp_path, capsys, series, monkeypatch):
    """As root every folder reads as writable, but a read-only mount does not (access(2) says EROFS); the check
    asks the system the same way, here told that ``tmp_path`` is read-only."""
    real_access = writable.os.access
    monkeypatch.setattr(writable.os, "access",
                        lambda path, mode: False if Path(path) == tmp_path else real_access(path, mode))
    assert main(["distill", str(series), "--out", str(tmp_path / "new" / "res")]) == 2
    err = capsys.readouterr().err
    assert f"--out: cannot write in {tmp_path.resolve()} (read-only, or not yours)" in err
    assert not (tmp_path / "new").exists()


def test_a_path_refused_after_the_checks_ends_in_one_line_and_keeps_the_users_file(tmp_path, capsys, series):
    """The folder exists and is writable, but a file named ``work`` sits where the job keeps its scratch: the
    system's refusal, with the path, is the one line; the file is left as it was."""
    out = tmp_path / "res"
    out.mkdir()
    (out / "work").write_text("mine")
    assert main(["distill", str(series), "--out", str(out), "--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"awd distill: error: {out / 'work'}: File exists" in err
    assert (out / "work").read_text() == "mine"


def test_writable_accepts_a_new_path_under_a_writable_folder(tmp_path):
    writable.check_writable(tmp_path / "a" / "b", folder=True)
    writable.check_writable(tmp_path / "a" / "b.npz", folder=False)
    writable.check_writable("relative.npz", folder=False)
    assert not (tmp_path / "a").exists()  # a check creates nothing


def test_writables_docstring_examples_run():
    import doctest

    assert doctest.testmod(writable, optionflags=doctest.ELLIPSIS).failed == 0
