"""The scattering student in a job (option ``student: scattering``): one definition of the option, the bundle
section and its schema, the scores beside AWD's; default jobs do not fit it. Tiny data, two epochs."""

import json
import shutil
import subprocess
import sys

import jsonschema
import numpy as np
import pytest
import torch

from awd_studio.backend.schemas import JobCreate
from awd_studio.cli import build_parser
from awd_studio.frontend.use_in_python import RESULT_FOLDER, python_snippet
from awd_studio.models import pipeline
from awd_studio.models.data import Dataset, make_example, save_npz
from awd_studio.models.estimate import estimate_job, scattering_seconds
from awd_studio.models.filters import lowpass_filter
from awd_studio.models.options import PipelineConfig, describe
from awd_studio.models.pipeline.predict import load_student, predict_file, predict_from_bundle
from awd_studio.models.pipeline.scattering_student import fit_scattering_student
from awd_studio.models.pipeline.student_params import predict_with_record
from awd_studio.models.validation import InputError

torch.set_num_threads(1)

TINY = {"teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0, 1e-2], "epochs": 2, "teacher_epochs": 5,
        "levels": 3, "cv_folds": 3, "student": "scattering", "scattering_epochs": 2}


def test_the_option_is_defined_once_and_reaches_the_cli_the_api_and_the_options_endpoint():
    options = describe()["options"]
    assert options["student"]["default"] == "awd" and options["student"]["choices"] == ["awd", "scattering"]
    assert options["scattering_epochs"]["default"] == 10 and options["scattering_epochs"]["le"] == 200
    assert {"student", "scattering_epochs"} <= set(JobCreate.model_fields)
    args = build_parser().parse_args(["distill", "data.npz", "--out", "o", "--student", "scattering",
                                      "--scattering-epochs", "3"])
    assert (args.student, args.scattering_epochs) == ("scattering", 3)
    with pytest.raises(ValueError, match="^student: 'tree' is not one of its choices; pass one of 'awd' or "
                                         "'scattering'"):
        PipelineConfig.from_dict({"student": "tree"})
    with pytest.raises(ValueError, match="^scattering_epochs:"):
        PipelineConfig.from_dict({"scattering_epochs": 0})


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    data = tmp_path_factory.mktemp("data") / "synthetic.npz"
    save_npz(make_example("synthetic", n=240, seed=0), data)
    out = tmp_path_factory.mktemp("run")
    return pipeline.run(data, TINY, out), out


def test_the_bundle_carries_the_scattering_student_beside_awd_and_follows_the_schema(job):
    result, out = job
    on_disk = json.loads((out / "result.json").read_text())
    jsonschema.validate(on_disk, json.loads(pipeline.SCHEMA_PATH.read_text()))
    assert set(on_disk["models"]) >= {"awd", "awd_no_interp", "baseline_wavelet", "scattering"}
    section = on_disk["scattering"]
    assert section["bank"] == "dwt" and section["settings"]["J"] == 3 and section["settings"]["max_order"] == 2
    # the DWT bank starts from the wavelet the selection kept (the initial one when cross-validation kept it) and
    # stays exactly orthonormal (lattice)
    kept = "init_h" if on_disk["selection"]["choice"] == "initial" else "h"
    np.testing.assert_allclose(section["filters_init"]["h"], on_disk["wavelet"][kept], atol=1e-6)
    h = np.asarray(section["filters"]["h"])
    assert abs(h @ h - 1) < 1e-6 and abs(h.sum() - np.sqrt(2)) < 1e-6
    assert len(section["paths_all"]) == 7 and set(section["paths_kept"]) <= set(section["paths_all"])
    curve = section["panel"]["curve"]
    assert curve["n_paths"][0] == 7 and curve["chosen_n_paths"] == len(section["paths_kept"])
    kept = [n["id"] for n in section["panel"]["tree"]["nodes"] if n["kept"]]
    assert kept == section["paths_kept"]
    scores = on_disk["models"]["scattering"]
    assert scores["n_params"] == section["n_filter_parameters"] + section["n_head_parameters"]
    assert np.isfinite(scores["test"]["r2"]) and scores["predict_seconds_per_sample"] > 0
    assert "scattering" in result["summary"]
    # a student without skill in its own cross-validation is said to have none (it scored test R² 0.008 in silence)
    k = curve["chosen"]
    no_skill = curve["score"][k] <= curve["score_se"][k]
    assert ("scattering_no_skill" in [n["key"] for n in on_disk["trust"]["notes"]]) == no_skill
    with np.load(out / "arrays.npz", allow_pickle=False) as arrays:
        assert arrays["y_pred_scattering"].shape == arrays["y_test"].shape


def test_the_scattering_student_predicts_new_data_from_the_stored_numbers(job, tmp_path):
    """Its filter and head are written down (arrays.npz, result.json) and give back its test predictions."""
    _, out = job
    record, arrays, _ = load_student(out, "scattering")
    assert record["kind"] == "dwt_scattering_ridge" and record["parameters"]["input_scaling"] is not None
    bundle = json.loads((out / "result.json").read_text())  # one count of its parameters, wherever it is shown
    assert record["n_params"] == bundle["models"]["scattering"]["n_params"]
    assert "standardise" in record["definition"] and len(arrays["h"]) == len(arrays["h_init"]) == 10
    with np.load(out / "arrays.npz", allow_pickle=False) as npz:
        stored = npz["y_pred_scattering"]
    split = np.load(out / "work" / "split.npz")
    np.testing.assert_allclose(predict_from_bundle(out, split["X_test"], model="scattering"), stored,
                               rtol=1e-6, atol=1e-6)
    save_npz(Dataset(split["X_test"], split["y_test"], min_samples=1), tmp_path / "new.npz")
    found = predict_file(out, tmp_path / "new.npz", model="scattering")
    assert found["model"] == "scattering" and found["scores"]["X"]["n"] == len(stored)
    with pytest.raises(InputError, match="shaped"):
        predict_from_bundle(out, split["X_test"][:, :20], model="scattering")


def test_the_results_pages_python_snippet_predicts_with_the_scattering_student(job, tmp_path):
    """The "Use in Python" snippet of a job with the scattering student runs it too and gets its stored
    predictions back."""
    result, out = job
    bundle = json.loads((out / "result.json").read_text())
    snippet = python_snippet(bundle)
    assert 'model="scattering"' in snippet and 'model="scattering"' not in python_snippet({**bundle, "students": {}})
    folder = tmp_path / RESULT_FOLDER
    folder.mkdir()
    for name in ("result.json", "arrays.npz"):
        shutil.copy(out / name, folder / name)
    done = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.split("its largest difference from its stored test predictions:")[1].split()[0]) < 1e-6


def test_a_default_job_has_no_scattering_section(tmp_path):
    data = tmp_path / "synthetic.npz"
    save_npz(make_example("synthetic", n=120, seed=0), data)
    result = pipeline.run(data, {**TINY, "student": "awd", "teacher_epochs": 1, "gammas": [0.0]}, tmp_path / "o")
    assert "scattering" not in result and "scattering" not in result["models"]


def test_maps_student_averages_positions_and_describes_2d_filters():
    d = make_example("lensing", n=60, seed=0)
    config = PipelineConfig.from_dict({"levels": 2, "cv_folds": 3, "cv_repeats": 1, "scattering_epochs": 1})
    scaling = {"offset": 0.0, "scale": 1.0}
    scores, section, y_pred, (record, arrays) = fit_scattering_student(
        "image", d.X, d.y[:, 0], d.X_test, d.y_test[:, 0], scaling, config, lowpass_filter("db2"))
    assert section.settings["pooling"] == "mean" and section.panel["ndim"] == 2
    assert len(section.paths_all) == 1 + 6 + 9  # S0, 3 orientations x 2 levels, then level 1 -> level 2
    assert y_pred.shape == (len(d.X_test),) and np.isfinite(scores["test"]["rmse"])
    assert all(len(f["space"]) == len(f["space"][0]) for f in section.panel["filters"])
    # maps are read raw; the record rebuilds the same predictions
    assert record["parameters"]["input_scaling"] is None and record["parameters"]["pooling"] == "mean"
    np.testing.assert_allclose(predict_with_record(record, arrays, d.X_test), y_pred, rtol=1e-6, atol=1e-8)


def test_the_estimate_counts_the_scattering_student_only_when_it_is_on():
    base = estimate_job(PipelineConfig.from_dict({}), "image", (64, 64), 960)["seconds"]
    on = estimate_job(PipelineConfig.from_dict({"student": "scattering", "scattering_epochs": 5}), "image",
                      (64, 64), 960)["seconds"]
    assert on - base == pytest.approx(scattering_seconds("image", (64, 64), 960, 5)) and on > base
