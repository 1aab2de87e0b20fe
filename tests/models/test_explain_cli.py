"""`awd explain` through the installed console script: PNG, an npz readable without pickle, one-line errors;
and the result's .explain/ folder (what it keeps, that the student module reproduces the student)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from awd_studio.cli import main

AWD = str(Path(sys.executable).parent / "awd")


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("explain-cli")
    main(["example", "synthetic", "--out", str(tmp / "syn.npz"), "--n", "150"])
    code = main(["distill", str(tmp / "syn.npz"), "--out", str(tmp / "r"), "--teacher", "mlp", "--lambdas", "0.001",
                 "--gammas", "0", "--epochs", "1", "--levels", "3", "--teacher-epochs", "30"])
    assert code == 0
    return tmp / "r"


def test_explain_writes_png_and_npz(result_dir, tmp_path):
    out = tmp_path / "e"
    done = subprocess.run([AWD, "explain", str(result_dir), "--example", "1", "--lam", "0.3", "--steps", "15",
                           "--wavelet", "sym4", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "teacher on test example 1" in done.stdout and "pixel-mask baseline" in done.stdout
    assert "% of the samples" in done.stdout  # a series' pixel mask keeps samples (a map's, pixels)
    # review 7: the under-noise prediction and the all-dropped yardstick were only in the PNG and the JSON
    assert re.search(r"with the rest replaced by noise the prediction is \S+ ± \S+; with every coefficient "
                     r"replaced by noise it moves by \S+ \(root mean square\)", done.stdout), done.stdout
    # piped: a line per tenth, not one line of carriage returns
    assert "\r" not in done.stderr and 2 <= done.stderr.count("%") <= 12, done.stderr
    png = (out / "explanation.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    with np.load(out / "arrays.npz", allow_pickle=False) as f:
        assert f["wavelet_x"].shape == (64,) and f["wavelet_cartoon"].shape == (64,)
        assert f["baseline_mask"].shape == (64,) and f["wavelet_mask"].min() >= 0 and f["wavelet_mask"].max() <= 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["request"]["lam"] == 0.3 and summary["explanation"]["settings"]["wavelet"] == "sym4"


def test_an_explanation_that_keeps_most_coefficients_says_so(result_dir, tmp_path):
    """Review 43A: a map's mask kept 93 % of the coefficients and the prediction moved by a sixth of the targets' SD,
    and only the numbers were shown. A tiny λ keeps nearly every coefficient: the terminal and summary.json say it is
    not sparse, and summary.json keeps the test targets' SD the reading is measured against."""
    out = tmp_path / "e"
    done = subprocess.run([AWD, "explain", str(result_dir), "--example", "1", "--lam", "0.0001", "--steps", "15",
                           "--no-baseline", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    kept = summary["explanation"]["kept_fraction"]
    assert kept > 0.5, kept
    sentence = f"The mask kept {100 * kept:.1f} % of the coefficients: not a sparse explanation."
    assert sentence in done.stdout and any(r.startswith(sentence) for r in summary["reading"])
    with np.load(result_dir / "arrays.npz", allow_pickle=False) as f:
        y_test = f["y_test"].reshape(len(f["y_test"]), -1)[:, 0]
    assert summary["target_sd"] == pytest.approx(float(np.std(y_test)))


@pytest.mark.parametrize("args, message", [
    (["--example", "999"], "example: 999 is out of range"),
    (["--example", "0", "--wavelet", "bior2.2"], "--wavelet: 'bior2.2' is biorthogonal, not orthogonal"),
    (["--example", "0", "--lam", "-1"], "--lam:"),
])
def test_bad_arguments_give_one_line(result_dir, capsys, args, message):
    assert main(["explain", str(result_dir), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_result_keeps_what_explanations_need(result_dir):
    import torch

    from awd_studio.models.pipeline.explain_inputs import load_explain_context

    assert not any(p.name.startswith("teacher") for p in result_dir.iterdir())  # only inside .explain
    ctx = load_explain_context(result_dir)
    assert ctx.kind == "timeseries" and ctx.X_test.shape[1] == 64 and ctx.has_student
    module, column = ctx.student()
    bundle = json.loads((result_dir / "result.json").read_text())
    with np.load(result_dir / "arrays.npz", allow_pickle=False) as f:
        y_pred = f["y_pred_awd"]
    with torch.no_grad():
        ours = module(torch.as_tensor(ctx.X_test, dtype=torch.float32))[:, column].numpy()
    np.testing.assert_allclose(ours, y_pred, rtol=1e-4, atol=1e-4 * np.abs(y_pred).max())
    assert bundle["data"]["n_test"] == ctx.n_test


def test_a_new_result_without_its_explain_inputs_is_not_called_old(result_dir, tmp_path, capsys):
    """Review 44: the archive's awd-result/ (no .explain/: the teacher's weights are not shared) was told it "was
    written before explanations kept their inputs; rerun the job". A fresh result's folder without them says where
    to explain it; only a result.json without students (written before) keeps the old-result words."""
    import shutil

    unpacked = tmp_path / "awd-result"
    shutil.copytree(result_dir, unpacked, ignore=shutil.ignore_patterns(".explain", "work", "explanation-*"))
    (unpacked / "use_in_python.py").write_text("# the archive's code\n")
    assert main(["explain", str(unpacked), "--example", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("result: this folder, unpacked from the result's archive, holds the result without its "
                        "explanation inputs (.explain/: the teacher's weights and the test split), which the archive "
                        "leaves out; explain it where the job ran: the results page's Explain panel, POST "
                        "/api/results/<job id>/explain, or `awd explain` on the folder `awd distill --out` wrote"), err
    assert "written before" not in err, err
    assert "the results page's Explain panel, POST /api/results/<job id>/explain, or `awd explain`" in err, err
    (unpacked / "use_in_python.py").unlink()  # a folder of the result's files, copied without .explain/
    assert main(["explain", str(unpacked), "--example", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "which the result's downloads and its archive leave out; explain it where the job ran" in err, err
    assert "rerun" not in err, err
    old = json.loads((unpacked / "result.json").read_text())
    del old["students"]  # a result from before results carried their students, and explanations their inputs
    (unpacked / "result.json").write_text(json.dumps(old))
    assert main(["explain", str(unpacked), "--example", "0"]) == 2
    assert "was written before explanations kept their inputs" in capsys.readouterr().err
