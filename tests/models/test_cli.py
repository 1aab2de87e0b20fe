"""The `awd` command: examples, distillation and clear one-line errors."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from awd_studio.cli import main


def test_example_writes_a_readable_file(tmp_path, capsys):
    out = tmp_path / "syn.npz"
    assert main(["example", "synthetic", "--out", str(out), "--n", "120"]) == 0
    assert out.is_file()
    assert "wrote" in capsys.readouterr().out


def test_example_help_describes_each_example_as_the_api_does(capsys):
    """The help said the CME target was the "recruitment peak", the API "the auxilin signal", the home page "the
    auxilin peak": the simulator's target is the mean auxilin amplitude. One table, models.data.EXAMPLE_INFO."""
    from awd_studio.models.data.examples import EXAMPLE_INFO

    with pytest.raises(SystemExit):
        main(["example", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, info in EXAMPLE_INFO.items():
        assert f"{name}: {info.description}" in text
    assert "recruitment peak" not in text and "mean auxilin amplitude" in text


def test_predict_help_lists_every_student_of_the_registry(capsys):
    from awd_studio.models.pipeline.model_registry import MODELS

    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(m.key in text for m in MODELS if m.kind != "teacher")


def test_the_lensing_example_can_carry_shape_noise_and_smoothing(tmp_path, capsys):
    """Review 32A: the simulator's shape noise and smoothing were not reachable from the command line."""
    import numpy as np

    from awd_studio.models.data import load_dataset

    args = ["example", "lensing", "--n", "40", "--seed", "3"]
    assert main([*args, "--out", str(tmp_path / "plain.npz")]) == 0
    assert main([*args, "--out", str(tmp_path / "noisy.npz"), "--galaxy-density", "30"]) == 0
    smoothed = ["--galaxy-density", "30", "--smoothing-arcmin", "2"]
    assert main([*args, "--out", str(tmp_path / "smooth.npz"), *smoothed]) == 0
    plain, noisy, smooth = (load_dataset(tmp_path / f"{k}.npz") for k in ("plain", "noisy", "smooth"))
    # per-pixel noise SD 0.28 / sqrt(30 x 3.28²) = 0.0156 (the noiseless maps' neighbours differ by less), and a
    # smoothing over a pixel and more takes most of it away again
    def roughness(data):
        return float(np.std(np.diff(data.X, axis=-1)))

    assert roughness(noisy) > roughness(plain) + 0.01 and roughness(smooth) < 0.5 * roughness(noisy)
    # the same fields, in the same order, under the noise (review 33A: the noise's draws changed every map)
    expected = 0.28 / np.sqrt(30 * (3.5 * 60 / 64) ** 2)
    assert float(np.std(noisy.X - plain.X)) == pytest.approx(expected, rel=0.03)
    assert noisy.meta["galaxy_density_per_arcmin2"] == 30 and smooth.meta["smoothing_arcmin"] == 2
    capsys.readouterr()
    assert main(["example", "cme", "--out", str(tmp_path / "c.npz"), "--galaxy-density", "30"]) == 2
    assert "applies to the lensing example only" in capsys.readouterr().err


def test_tile_cuts_large_maps_and_distill_names_the_way(tmp_path, capsys):
    import numpy as np

    from awd_studio.models.data import load_dataset

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "suite.npz", X=rng.normal(size=(6, 64, 64)), y=np.repeat([0.25, 0.3, 0.35], 2))
    assert main(["distill", str(tmp_path / "suite.npz"), "--out", str(tmp_path / "r")]) == 2
    assert "awd tile" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    assert main(["tile", str(tmp_path / "suite.npz"), "--size", "32", "--out", str(tmp_path / "tiles.npz")]) == 0
    # two maps of each of three cosmologies: one of each is held out, so the test split sees all three
    assert "12 training tiles from 3 maps and 12 test tiles from 3 held-out maps," in capsys.readouterr().out
    tiled = load_dataset(tmp_path / "tiles.npz")
    assert (tiled.n, tiled.n_test, tiled.sample_shape) == (12, 12, (32, 32))
    assert sorted(set(tiled.y_test.tolist())) == [0.25, 0.3, 0.35]
    assert main(["tile", str(tmp_path / "suite.npz"), "--size", "65", "--out", str(tmp_path / "x.npz")]) == 2
    assert "16 to 64" in capsys.readouterr().err


def test_distill_prints_a_summary_and_writes_the_bundle(tmp_path, capsys):
    data = tmp_path / "syn.npz"
    main(["example", "synthetic", "--out", str(data), "--n", "150"])
    code = main(["distill", str(data), "--out", str(tmp_path / "r"), "--teacher", "mlp", "--lambdas", "0.001",
                 "--gammas", "0,0.01", "--epochs", "1", "--levels", "3"])
    assert code == 0
    captured = capsys.readouterr()
    out = captured.out
    assert re.search(r"best grid point( \(not delivered[^)]*\))? lambda", out)
    assert "teacher (mlp)" in out and "db5" in out
    # the synthetic data were made with db5: how far the wavelet ended from it (review 32B: only the page said)
    # (its start db5 itself, or the start search's wavelet and how far that was: review 51D)
    assert re.search(r"known wavelet db5: the best AWD point ended [0-9.e-]+ from it(, its start db5 itself|; its "
                     r"fit began at the start search's wavelet, [0-9.e-]+ from it \(db5 0\), and the descent "
                     r"(brought it closer|moved it no closer|moved it farther))", out), out
    # the estimate the progress bar's stages are sized by, printed before the bar
    assert "Estimated run time on this machine: about" in captured.err and "Of which" in captured.err
    # captured, not a terminal: a line per stage and tenth, not a bar's carriage-return redraws on one line
    progress = [line for line in captured.err.splitlines() if re.match(r"^\s*\d+\.\d %  \w+: ", line)]
    assert 3 <= len(progress) <= 40 and "\r" not in captured.err, captured.err[-500:]
    # each with the time left, stage by stage as the web app's (models.pipeline.progress.time_left)
    assert all(re.search(r" \((about [0-9].*|under 1 s) left\)$", line) for line in progress), progress
    bundle = json.loads((tmp_path / "r" / "result.json").read_text())
    assert bundle["schema"] == "awd-result/1"
    assert bundle["verdict"]["text"] in out
    # review 22: a second run into the same folder silently replaced the first; now refused before any work
    first = (tmp_path / "r" / "result.json").read_bytes()
    again = ["distill", str(data), "--out", str(tmp_path / "r"), "--teacher", "mlp", "--lambdas", "0.01",
             "--gammas", "0", "--epochs", "1", "--levels", "2"]
    assert main(again) == 2
    said = capsys.readouterr()
    assert re.search(r"already holds a result \(result.json of \d{4}-\d\d-\d\d \d\d:\d\d\); choose another folder, "
                     r"or pass --force to replace it", said.err), said.err
    assert "Estimated run time" not in said.err and (tmp_path / "r" / "result.json").read_bytes() == first
    (tmp_path / "r" / "explanation-0").mkdir()  # awd explain's folder: it explains the model being replaced
    assert main([*again, "--force"]) == 0
    assert json.loads((tmp_path / "r" / "result.json").read_text())["wavelet"]["levels"] == 2
    assert not (tmp_path / "r" / "explanation-0").exists()



def test_distill_can_leave_out_the_rows_with_missing_values(tmp_path, capsys):
    """Review 13: the refusal of a CSV with blank cells named an upload field, and awd distill had no such option.
    With --drop-incomplete the rows go, named on the terminal, and the traces' own times label the result."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(90, 32))
    y = X[:, 4:8].sum(axis=1)
    lines = ["track_id," + ",".join(f"t={i}s" for i in range(32)) + ",auxilin_peak"]
    lines += [f"trk{i}," + ",".join(f"{v:.5f}" for v in X[i]) + f",{y[i]:.5f}" for i in range(90)]
    for i in (3, 40):  # traces that ended early
        cells = lines[i + 1].split(",")
        lines[i + 1] = ",".join(cells[:-4] + ["", "", ""] + cells[-1:])
    data = tmp_path / "ended.csv"
    data.write_text("\n".join(lines) + "\n")
    args = ["distill", str(data), "--out", str(tmp_path / "r"), "--teacher", "mlp", "--lambdas", "0.001",
            "--gammas", "0", "--epochs", "1", "--levels", "2", "--teacher-epochs", "2"]
    assert main(args) == 2
    said = capsys.readouterr().err
    assert "6 blank cells, in 2 rows" in said and "awd distill --drop-incomplete" in said
    assert not (tmp_path / "r").exists()
    assert main([*args, "--drop-incomplete"]) == 0
    said = capsys.readouterr().err
    assert "Left out 2 rows with missing values: line 5 (trk3), line 42 (trk40)" in said, said
    bundle = json.loads((tmp_path / "r" / "result.json").read_text())
    assert bundle["data"]["n_train"] + bundle["data"]["n_test"] == 88
    assert bundle["data"]["sample_axis"]["label"] == "t (s)" and bundle["data"]["target_name"] == "auxilin_peak"
    # the result says which series it left out (review 14: only the terminal did)
    assert bundle["data"]["dropped_rows"] == {"count": 2, "rows": ["line 5 (trk3)", "line 42 (trk40)"], "of": 90}
    # or every trace kept, their ends filled with zeros (review 18)
    assert main([*args, "--out", str(tmp_path / "p"), "--pad-ends"]) == 0
    said = capsys.readouterr().err
    assert "Filled the ends of 2 of 90 traces with zeros (the shortest had 29 of 32 values)" in said, said
    bundle = json.loads((tmp_path / "p" / "result.json").read_text())
    assert bundle["data"]["n_train"] + bundle["data"]["n_test"] == 90
    assert bundle["data"]["padded_rows"]["rows"] == ["line 5 (trk3)", "line 42 (trk40)"]
    # review 29B: the result says what the fill can teach, and a new movie exported the same way is predicted,
    # its ends filled as the training traces' were; one whose longest trace is shorter too
    assert "padded_traces" in {note["key"] for note in bundle["trust"]["notes"]}
    from awd_studio.models.pipeline.predict import predict_file

    answer = predict_file(tmp_path / "p", data)
    assert len(answer["y_pred"]) == 90 and any("Filled the ends of 2 of 90 traces" in w for w in answer["warnings"])
    header, *rows = data.read_text().splitlines()
    target = header.split(",").index("auxilin_peak")
    cells = [[c for j, c in enumerate(line.split(",")) if j != target] for line in [header, *rows]]
    shorter = tmp_path / "shorter.csv"  # the last time point dropped: every trace of this movie ended early
    shorter.write_text("\n".join(",".join(c[:-1]) for c in cells) + "\n")
    answer = predict_file(tmp_path / "p", shorter)
    assert len(answer["y_pred"]) == 90 and any("Filled the ends of 90 of 90 traces" in w for w in answer["warnings"])
    # review 42B: every trace filled, against 2 of 90 in training: shorter windows, perhaps, and said so
    every = [w for w in answer["warnings"] if w.startswith("every trace of this file was filled")]
    assert len(every) == 1 and "against 2 of the 90 traces the result was" in every[0], answer["warnings"]
    assert not any(w.startswith("every trace") for w in predict_file(tmp_path / "p", data)["warnings"])

def test_distill_fills_the_ended_traces_and_leaves_out_the_other_rows(tmp_path):
    """Cell biologist's review: traces that ended early beside a few rows with a gap or no target could not be used
    without editing the file. Through the installed ``awd`` script: the refusal names both options together, and
    ``--pad-ends --drop-incomplete`` fills the ended traces, leaves out the other rows and says both."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(90, 32))
    y = X[:, 4:8].sum(axis=1)
    cells = [["track_id"] + [f"t={i}s" for i in range(32)] + ["auxilin_peak"]]
    cells += [[f"trk{i}"] + [f"{v:.5f}" for v in X[i]] + [f"{y[i]:.5f}"] for i in range(90)]
    cells[4][30:33], cells[41][25:33] = [""] * 3, ["NaN"] * 8  # ended early
    cells[10][6] = ""  # a gap inside a trace
    cells[60][33] = ""  # no target
    data = tmp_path / "plate.csv"
    data.write_text("\n".join(",".join(row) for row in cells) + "\n")
    awd = Path(sys.executable).parent / "awd"  # the console script installed beside this interpreter
    args = [str(awd), "distill", str(data), "--out", str(tmp_path / "r"), "--teacher", "mlp", "--lambdas", "0.001",
            "--gammas", "0", "--epochs", "1", "--levels", "2", "--teacher-epochs", "2", "--start-search", "0",
            "--random-search", "0"]
    refused = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "awd distill --pad-ends --drop-incomplete" in refused.stderr, refused.stderr
    done = subprocess.run([*args, "--pad-ends", "--drop-incomplete"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Left out 2 rows with missing values: line 11 (trk9), line 61 (trk59)" in done.stderr, done.stderr
    assert "Filled the ends of 2 of 88 traces with zeros (the shortest had 24 of 32 values)" in done.stderr
    bundle = json.loads((tmp_path / "r" / "result.json").read_text())
    assert bundle["data"]["n_train"] + bundle["data"]["n_test"] == 88
    assert bundle["data"]["dropped_rows"] == {"count": 2, "rows": ["line 11 (trk9)", "line 61 (trk59)"], "of": 90}
    assert bundle["data"]["padded_rows"]["rows"] == ["line 5 (trk3)", "line 42 (trk40)"]


def test_distill_on_a_terminal_draws_a_bar_with_the_time_left_stage_by_stage(tmp_path):
    """On a terminal the progress is a redrawn bar; its time left is the stage-by-stage one
    (models.pipeline.progress.time_left), not tqdm's, which took every stage at the pace so far."""
    import fcntl
    import pty
    import struct
    import termios

    data = tmp_path / "syn.npz"
    assert main(["example", "synthetic", "--out", str(data), "--n", "150"]) == 0
    awd = Path(sys.executable).parent / "awd"  # the console script installed beside this interpreter
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))  # a terminal's size: tqdm fits it
    run = subprocess.Popen([str(awd), "distill", str(data), "--out", str(tmp_path / "r"), "--teacher", "mlp",
                            "--lambdas", "0.001", "--gammas", "0", "--epochs", "2", "--levels", "2",
                            "--teacher-epochs", "2", "--start-search", "0", "--random-search", "0"],
                           stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert run.wait(timeout=300) == 0, seen.decode(errors="replace")[-2000:]
    text = seen.decode(errors="replace")
    assert "\r" in text  # a bar redrawn in place
    assert re.search(r"distill: +[0-9]+%\|[^|\r]*\| [0-9:]+, about [0-9][^|\r]* left, [a-z]", text), text[-2000:]
    assert re.search(r"done: 100%\|[^|\r]*\| [0-9:]+, under 1 s left, result bundle written", text), text[-2000:]


def test_distill_reaches_the_synthetic_experiment(tmp_path, capsys):
    """init noise and the paper's synthetic grid from the command line; the bundle knows the true wavelet."""
    data = tmp_path / "syn.npz"
    main(["example", "synthetic", "--out", str(data), "--n", "150"])
    code = main(["distill", str(data), "--out", str(tmp_path / "r"), "--teacher", "mlp", "--grid", "synthetic",
                 "--epochs", "1", "--levels", "3", "--init-noise", "0.3", "--cv-repeats", "1"])
    assert code == 0
    bundle = json.loads((tmp_path / "r" / "result.json").read_text())
    config = bundle["provenance"]["config"]
    assert config["init_noise"] == 0.3 and config["grid_preset"] == "synthetic"
    assert len(bundle["lambdas"]) == 5 and len(bundle["gammas"]) == 21
    assert bundle["wavelet"]["true_wavelet"] == "db5" and bundle["wavelet"]["distance_to_truth"] > 0
    assert not (tmp_path / "r" / "work").exists()  # review 8: a 22 MB scratch folder stayed beside the result


@pytest.mark.parametrize("args, message", [
    (["distill", "{missing}", "--out", "{out}"], "error"),
    (["distill", "{bad}", "--out", "{out}"], "error"),
    (["distill", "{data}", "--out", "{out}", "--wave", "bior2.2"], "wave"),
    (["distill", "{constant}", "--out", "{out}"], "nothing to predict"),
    (["distill", "{constant_test}", "--out", "{out}"], "y_test: is 0.5 for every sample"),
])
def test_bad_input_gives_one_clear_line(tmp_path, capsys, args, message):
    data = tmp_path / "syn.npz"
    main(["example", "synthetic", "--out", str(data), "--n", "120"])
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "constant.npz", X=rng.normal(size=(120, 32)), y=np.ones(120))
    # a fixed test split whose target is one value: no test score exists, said before the run
    np.savez(tmp_path / "constant_test.npz", X=rng.normal(size=(120, 32)), y=rng.normal(size=120),
             X_test=rng.normal(size=(30, 32)), y_test=np.full(30, 0.5))
    paths = {"missing": tmp_path / "nope.npz", "bad": bad, "data": data, "out": tmp_path / "o",
             "constant": tmp_path / "constant.npz", "constant_test": tmp_path / "constant_test.npz"}
    code = main([a.format(**paths) for a in args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    if args[1] == "{missing}":  # a wrong path: said at once, no progress bar, no output folder left behind
        assert "is not a file" in err and str(paths["missing"]) in err and "%|" not in err
    if args[1] in ("{constant}", "{constant_test}"):  # said before any run-time estimate
        assert "Estimated run time" not in err
    # a file or an option refused once the run has started leaves no folder behind either (work/ stayed)
    assert not paths["out"].exists()


def test_a_failed_run_into_an_existing_folder_removes_only_its_work_folder(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n4,five,6\n")
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["distill", str(bad), "--out", str(out)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"] and (out / "notes.txt").read_text() == "mine"


def test_distill_help_says_what_each_default_is(capsys):
    """No option's default reads "None" (the help's header promises the value shown)."""
    with pytest.raises(SystemExit):
        main(["distill", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines at the terminal's width
    assert "default: None" not in out and "the architecture's own limit, stopping earlier" in out
    # review 8: "(default: default)", "(default: none, as described)", and lists whose separator was not said
    assert "(default: default)" not in out and "none, as described" not in out
    assert "comma-separated, e.g. 1e-3,5e-3" in out and "(default: auto, which takes eq8)" in out
    with pytest.raises(SystemExit):
        main(["explain", "--help"])
    assert "``" not in capsys.readouterr().out  # no raw reStructuredText


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "awd.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "awd-studio" in out.stdout


def test_distill_takes_the_target_column_by_its_name(tmp_path, capsys):
    """Review 28A: ``--target sigma_8`` was refused ("invalid int value") though the file names its columns."""
    from awd_studio.cli import _target_column

    data = tmp_path / "maps.npz"
    assert main(["example", "lensing", "--out", str(data), "--n", "40"]) == 0
    assert _target_column("sigma_8", data) == 1 and _target_column(0, data) == 0
    capsys.readouterr()
    assert main(["distill", str(data), "--out", str(tmp_path / "r"), "--target", "s8"]) == 2
    err = capsys.readouterr().err
    assert "'s8' is not a target column of maps.npz (its columns: Omega_m, sigma_8)" in err
    assert not (tmp_path / "r").exists()


def test_an_example_is_not_written_under_another_formats_name(tmp_path, capsys):
    """Review 29B: ``awd example cme --out cme.csv`` wrote cme.csv.npz."""
    assert main(["example", "cme", "--out", str(tmp_path / "cme.csv"), "--n", "40"]) == 2
    assert "ends in .csv, but the examples are written as .npz" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_commands_writing_one_file_refuse_to_write_over_one(tmp_path, capsys):
    """Review 39B: ``awd predict --out`` replaced the data file it read and the result's own arrays.npz, and ``awd
    example --out`` an existing file, without a word. An existing --out needs --force; the data file and the
    result folder are never written, --force or not; each refusal is one line naming the file, before any work."""
    data = tmp_path / "small.npz"
    assert main(["example", "synthetic", "--out", str(data), "--n", "120"]) == 0
    kept = data.read_bytes()
    result = tmp_path / "results" / "A"  # nothing in it is read before the refusals
    result.mkdir(parents=True)
    (result / "arrays.npz").write_bytes(b"the result's arrays")
    (tmp_path / "old.csv").write_text("mine")
    (tmp_path / "folder.npz").mkdir()
    (tmp_path / "old.csv.npz").write_text("mine too")
    predict = ["predict", str(result), str(data), "--out"]
    refusals = [
        ([*predict, str(data)], "is the data file this command reads"),
        ([*predict, str(data), "--force"], "is the data file this command reads"),
        ([*predict, str(tmp_path / "results" / ".." / "small.npz"), "--force"], "is the data file"),
        ([*predict, str(result / "arrays.npz"), "--force"], f"is inside the result folder {result}"),
        ([*predict, str(result / "preds.csv")], "is inside the result folder"),
        ([*predict, str(tmp_path / "old.csv")], "old.csv already exists; choose another file name, or pass --force"),
        ([*predict, str(tmp_path / "results")], "use .npz or .csv"),
        (["example", "cme", "--out", str(data), "--n", "40"], "small.npz already exists"),
        (["example", "cme", "--out", str(tmp_path / "small"), "--n", "40"], "small.npz already exists"),
        (["example", "cme", "--out", str(tmp_path / "folder.npz"), "--force"], "folder.npz is a folder"),
        (["tile", str(data), "--size", "16", "--out", str(data), "--force"], "is the data file this command reads"),
        (["tile", str(data), "--size", "16", "--out", str(tmp_path / "old.csv")], "old.csv.npz already exists"),
    ]
    for args, message in refusals:
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, (args, err)
    assert data.read_bytes() == kept and (result / "arrays.npz").read_bytes() == b"the result's arrays"
    assert sorted(p.name for p in result.iterdir()) == ["arrays.npz"]
    assert (tmp_path / "old.csv").read_text() == "mine"
    assert main(["example", "cme", "--out", str(data), "--n", "40", "--force"]) == 0
    assert data.read_bytes() != kept


def test_the_clis_docstring_examples_run():
    import doctest

    from awd_studio import cli

    assert doctest.testmod(cli, optionflags=doctest.ELLIPSIS).failed == 0


@pytest.mark.parametrize("args, message", [
    (["distill", "d.npz", "--out", "o", "--lambdas", "-1,abc"], "--lambdas: expected comma-separated numbers, "
                                                                "got '-1,abc'"),
    (["distill", "d.npz", "--out", "o", "--gammas", "-.5,x"], "--gammas: expected comma-separated numbers"),
    (["reproduce", "synthetic", "--out", "o", "--seeds", "-1,x"], "--seeds: expected comma-separated integers"),
])
def test_a_list_starting_with_a_minus_is_read_as_the_lists_value(tmp_path, capsys, args, message):
    """Review 39B: ``--lambdas -1,abc`` read "expected one argument" (argparse took the value for an option)."""
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 2 and message in capsys.readouterr().err
