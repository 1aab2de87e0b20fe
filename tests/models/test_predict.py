"""The student is part of the result: its parameters in the bundle, `awd predict`, the pywt export, the snippet."""

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import pywt
import torch

from awd_studio.backend.routes.results import run_file_name
from awd_studio.cli import main
from awd_studio.frontend.use_in_python import RESULT_FOLDER, predict_command, python_snippet
from awd_studio.models import pipeline
from awd_studio.models.data import Dataset, make_example, save_npz
from awd_studio.models.pipeline.predict import load_student, predict_from_bundle, recommended_model
from awd_studio.models.pipeline.trust import trust_notes
from awd_studio.models.pipeline.wavelet_export import wavelet_from_result
from awd_studio.models.pipeline.workdir import read_npz
from awd_studio.models.validation import InputError

torch.set_num_threads(1)

# the largest-coefficient student named (on this synthetic data "auto" would read fixed positions; both are deployed
# by the same code, tests/models/test_pipeline.py covers the other)
SERIES = {"teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0, 1e-2], "epochs": 2, "teacher_epochs": 5,
          "levels": 3, "cv_folds": 3, "series_features": "largest"}
MAPS = {"teacher": "cnn", "lambdas": [0.01], "gammas": [0.0], "epochs": 1, "teacher_epochs": 1, "levels": 2,
        "cv_folds": 3, "wave": "db2"}
AWD = Path(sys.executable).parent / "awd"  # the installed console script


def _run(tmp_path_factory, name, dataset, config):
    root = tmp_path_factory.mktemp(name)
    save_npz(dataset, root / "data.npz")
    bundle = pipeline.run(root / "data.npz", config, root / "out")
    split = read_npz(root / "out" / "work" / "split.npz")
    return bundle, root / "out", split


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    return _run(tmp_path_factory, "series", make_example("synthetic", n=240, seed=0), SERIES)


@pytest.fixture(scope="module")
def series_zero(tmp_path_factory):
    """The series job in zero mode, where some coefficients read almost only the padding (left out since
    2026-12-06; in periodization, the "series" job's mode here, none is)."""
    return _run(tmp_path_factory, "series_zero", make_example("synthetic", n=240, seed=0), {**SERIES, "mode": "zero"})


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    return _run(tmp_path_factory, "maps", make_example("lensing", n=120, seed=0), MAPS)


@pytest.fixture(scope="module")
def maps_kernels(tmp_path_factory):
    """The maps job with the paper's map student: the four sub-filter responses."""
    return _run(tmp_path_factory, "maps_kernels", make_example("lensing", n=120, seed=0),
                {**MAPS, "peak_response": "kernels"})


@pytest.fixture(scope="module")
def maps_signed(tmp_path_factory):
    """The maps job whose map students bin the LL response over [-b, b] (peak_range="signed")."""
    return _run(tmp_path_factory, "maps_signed", make_example("lensing", n=120, seed=0),
                {**MAPS, "peak_range": "signed"})


def _random_cosmologies(n, seed=0):
    """``n`` (Omega_m, sigma_8) pairs drawn at random: targets of many values, so the map student is a ridge."""
    rng = np.random.default_rng(seed)
    return list(zip(rng.uniform(0.2, 0.4, n).tolist(), rng.uniform(0.6, 1.0, n).tolist()))


@pytest.fixture(scope="module")
def maps_ridge(tmp_path_factory):
    """A maps job on 48 cosmologies drawn at random (5 maps each): its map students are ridge models."""
    from awd_studio.models.data.simulate_lensing import simulate_lensing

    return _run(tmp_path_factory, "maps_ridge", simulate_lensing(n=240, seed=0, cosmologies=_random_cosmologies(48)),
                MAPS)


@pytest.mark.parametrize("which", ["series", "series_zero", "maps", "maps_kernels", "maps_signed", "maps_ridge"])
def test_every_student_predicts_the_pipelines_test_predictions_from_the_bundle_alone(which, request):
    bundle, out, split = request.getfixturevalue(which)
    jsonschema.validate(json.loads((out / "result.json").read_text()), json.loads(pipeline.SCHEMA_PATH.read_text()))
    stored = read_npz(out / "arrays.npz")
    assert set(bundle["students"]) == set(bundle["models"])
    for name in bundle["students"]:
        pred = predict_from_bundle(out, split["X_test"], name)
        np.testing.assert_allclose(pred, stored[f"y_pred_{name}"], rtol=0, atol=1e-10, err_msg=name)
        assert bundle["models"][name]["n_params"] > 0, name  # the fixed-filter baselines have fitted numbers too
    with np.load(out / "arrays.npz", allow_pickle=False) as npz:  # plain arrays, no objects
        assert all(npz[k].dtype != object for k in npz.files)


def test_a_students_target_column_indexes_its_own_output_not_the_datasets_y(tmp_path_factory, maps):
    """Review 39B: a job on the dataset's column 1 (y_amp) has students whose target_column is 0; the schema says
    what it is (the column of the student's output) and where the dataset's column is (provenance.config.target)."""
    described = json.loads(pipeline.SCHEMA_PATH.read_text())["properties"]["students"]["additionalProperties"]
    words = described["properties"]["target_column"]["description"]
    assert "not a column of the dataset's y" in words and "provenance.config.target" in words
    data = make_example("synthetic", n=240, seed=0)
    rng = np.random.default_rng(39)
    two = Dataset(X=data.X, y=np.column_stack([rng.normal(size=data.n), data.y]), X_test=data.X_test,
                  y_test=np.column_stack([rng.normal(size=len(data.X_test)), data.y_test]), kind="timeseries",
                  target_names=["other", "y_amp"], name="two")
    bundle, out, split = _run(tmp_path_factory, "column1", two, {**SERIES, "target": 1})
    assert bundle["provenance"]["config"]["target"] == 1 and bundle["data"]["target_name"] == "y_amp"
    assert {record["target_column"] for record in bundle["students"].values()} == {0}  # series: fitted to y_amp alone
    np.testing.assert_allclose(split["y_test"], data.y_test)  # the job's y is the dataset's column 1
    np.testing.assert_allclose(predict_from_bundle(out, split["X_test"], "awd"), read_npz(out / "arrays.npz")[
        "y_pred_awd"], rtol=0, atol=1e-10)
    # a map student fitted to every column (Omega_m, sigma_8): its prediction is the job's column of its class rows
    bundle, out, split = maps
    from awd_studio.models.pipeline.student_params import predict_with_record

    record, arrays, _ = load_student(out, "awd")
    rows = predict_with_record(record, arrays, split["X_test"], all_columns=True)
    assert rows.shape[1] == 2 and record["target_column"] == bundle["provenance"]["config"]["target"]
    np.testing.assert_array_equal(rows[:, record["target_column"]], predict_from_bundle(out, split["X_test"], "awd"))


def test_series_student_names_band_rank_and_weight(series):
    bundle, out, _ = series
    record, arrays, _ = load_student(out)
    params = record["parameters"]
    assert record["kind"] == "series_topk_linear" and params["k"] == 6 and params["levels"] == 3
    assert [f["band"] for f in params["features"][::6]] == ["cA3", "cD3", "cD2", "cD1"]
    assert params["features"][7]["label"] == "2nd largest of cD3"
    np.testing.assert_array_equal([f["weight"] for f in params["features"]], arrays["coef"])
    assert params["input_scaling"] == {k: bundle["wavelet"]["input_scaling"][k] for k in ("offset", "scale")}
    example = bundle["explain"]["examples"][0]["bands"][1]
    assert len(example["kept"]) == 6 and len(example["weighted"]) == len(example["coeffs"])


def test_the_largest_student_reads_its_candidates_in_the_bundle_the_explanation_and_the_examples(series_zero):
    """Since 2026-12-06 the largest-coefficient student never reads the coefficients with under 1 % of their filter
    on the series (MIN_IN_SERIES); the record lists them (left_out), its terms all read the series, the examples'
    kept coefficients are among the others, and the explanation module gives the stored predictions."""
    from awd_studio.models.pipeline.explain_inputs import load_explain_context
    from awd_studio.models.pipeline.student_params import left_out_positions
    from awd_studio.models.pipeline.students import MIN_IN_SERIES, series_candidates
    from awd_studio.models.pipeline.workdir import load_prepared

    bundle, out, split = series_zero
    _, config, _, _ = load_prepared(out / "work")
    assert config.mode == "zero" and bundle["provenance"]["config"]["series_features"] == "largest"
    for name, h in (("awd", bundle["grid"][bundle["selected"]["index"]]["h"]), ("baseline_wavelet", None)):
        params = bundle["students"][name]["parameters"]
        if h is None:
            h = pywt.Wavelet(bundle["wavelet"]["init"]).rec_lo
        left_out = left_out_positions(series_candidates(np.asarray(h), split["X_test"].shape[1], config))
        assert params["left_out"] == left_out and any(left_out), name
        assert all(f["in_series"] >= MIN_IN_SERIES for f in params["features"] if f["in_series"] > 0), name
        assert f"never reading the {sum(map(len, left_out))} coefficients" in bundle["students"][name]["definition"]
    shown = {"awd": "awd", "initial": "baseline_wavelet"}[bundle["explain"]["wavelet"]]
    left_out = bundle["students"][shown]["parameters"]["left_out"]
    for example in bundle["explain"]["examples"]:
        assert all(not set(band["kept"]) & set(out_b) for band, out_b in zip(example["bands"], left_out))
    ctx = load_explain_context(out)
    module, column = ctx.student()
    stored = read_npz(out / "arrays.npz")["y_pred_awd"]
    with torch.no_grad():
        ours = module(torch.as_tensor(ctx.X_test, dtype=torch.float32))[:, column].numpy()
    np.testing.assert_allclose(ours, stored, rtol=1e-4, atol=1e-4 * np.abs(stored).max())


def test_a_stored_largest_student_predicts_from_its_record_with_or_without_left_out():
    """A record with left_out predicts from the other coefficients, as the fitted student and the deployed predictor
    do; a record without it (a bundle written before 2026-12-06, whose student read every coefficient) predicts as
    that student did."""
    from awd_studio.models.pipeline.config import PipelineConfig
    from awd_studio.models.pipeline.student_params import predict_with_record, series_record
    from awd_studio.models.pipeline.students import MIN_IN_SERIES, coefficients, in_series_shares, series_student
    from awd_studio.models.predictors import SeriesPredictor

    rng = np.random.default_rng(6)
    t = np.arange(40)
    X = 3.0 + (rng.uniform(0.5, 2.0, (300, 1)) * np.exp(-0.5 * ((t - rng.uniform(5, 35, (300, 1))) / 3.0) ** 2)
               + 0.05 * rng.normal(size=(300, 40)))
    y = X.max(axis=1) + 0.05 * rng.normal(size=300)
    scaling = {"offset": 3.0, "scale": 0.5}
    h = np.asarray(pywt.Wavelet("db5").rec_lo)
    config = PipelineConfig.from_dict({"levels": 4, "mode": "zero", "series_features": "largest"})
    bands = coefficients((X - 3.0) / 0.5, h, config)
    now = series_student(config, h, 40).fit(bands, y)
    before = series_student(config).fit(bands, y)  # no candidates: every coefficient
    for model in (now, before):
        shares = in_series_shares(X, h, config, 6, bands=bands, candidates=model.candidates)
        record, arrays = series_record("awd", model, h=h, levels=4, mode="zero", length=40, scaling=scaling,
                                       in_series=shares, training_features=model._features(bands),
                                       min_in_series=MIN_IN_SERIES)
        record = json.loads(json.dumps(record))  # as result.json stores it
        assert ("left_out" in record["parameters"]) == (model is now)
        if model is now:  # cA4 has 5 candidates: its 6th rank is padding, a zero feature without a weight
            padding = record["parameters"]["features"][5]
            assert padding["label"] == "cA4 (padding)" and "in_series" not in padding and abs(padding["weight"]) < 1e-12
            assert record["n_params"] == 5 + 4 * 6 + 1
        expected = model.predict(bands)
        np.testing.assert_allclose(predict_with_record(record, arrays, X), expected, rtol=0, atol=1e-10)
        deployed = SeriesPredictor.from_filter(model, h, 40, 4, "zero", x_offset=3.0, x_scale=0.5)
        np.testing.assert_allclose(deployed.predict(X), expected, rtol=0, atol=1e-10)
    assert record["parameters"]["features"][5]["label"] == "6th largest of cA4 (mostly beyond the series' ends)"
    assert not np.allclose(now.predict(bands), before.predict(bands))  # the two students differ


@pytest.mark.parametrize("which, channels", [("maps_kernels", ["LL", "LH", "HL", "HH"]),
                                             ("maps", ["LL", "detail magnitude"])])
def test_maps_student_carries_templates_covariance_and_bins(which, channels, request):
    bundle, out, _ = request.getfixturevalue(which)
    record, arrays, _ = load_student(out)
    params = record["parameters"]
    assert params["channels"] == channels and len(params["bin_edges"]) == params["bins"] + 1
    if params["method"] == "chi2":
        n_classes, n_features = arrays["templates"].shape
        assert n_features == len(channels) * params["bins"]
        assert arrays["covariance"].shape == (n_features, n_features)
        example = bundle["explain"]["examples"][0]
        assert len(example["chi2"]) == n_classes and example["nearest"] == int(np.argmin(example["chi2"]))
    compression = bundle["models"]["awd"]["compression_factor"]
    assert 0 < compression <= 1  # unit-free: no longer 0 on maps in convergence units


def test_maps_magnitude_student_records_its_channels_and_scales(maps):
    """The default peak_response="magnitude": the wavelet students read two channels, each divided by its training
    scale, and the bundle says so; the fixed baselines are untouched."""
    bundle, out, _ = maps
    assert bundle["provenance"]["config"]["peak_response"] == "magnitude"
    for name in ("awd", "awd_no_interp", "baseline_wavelet"):
        record, arrays, _ = load_student(out, name)
        params = record["parameters"]
        assert params["response"] == "magnitude" and params["channels"] == ["LL", "detail magnitude"]
        assert len(params["channel_scale"]) == 2 and all(v > 0 for v in params["channel_scale"])
        assert arrays["kernels"].shape == (4, 3, 3) and "detail magnitude" in record["definition"]
    assert load_student(out, "roberts_cross")[0]["parameters"]["response"] == "roberts"
    example = bundle["explain"]["examples"][0]
    assert np.asarray(example["responses"]).shape == (len(example["peaks"]), 2)
    assert len(example["histogram"]) == 2 * load_student(out)[0]["parameters"]["bins"]


def test_maps_signed_range_is_recorded_per_channel(maps, maps_signed):
    """peak_range="signed": the wavelet students' LL channel spans [-b, b] and leaves out (almost) none of its
    responses, where the paper's range left out a share; the Laplace baseline, never below 0 at a peak, keeps
    [0, b]; the definition on the page names each channel's range."""
    bundle, out, _ = maps_signed
    assert bundle["provenance"]["config"]["peak_range"] == "signed"
    for name in ("awd", "baseline_wavelet"):
        params = load_student(out, name)[0]["parameters"]
        (ll_low, ll_high), (low, high) = params["channel_ranges"]
        assert ll_low == -ll_high and low == 0.0 and high == ll_high == params["bin_range"][1]
        assert params["outside_range"]["below"][0] < 0.01
        plain = load_student(maps[1], name)[0]["parameters"]
        assert plain["channel_ranges"] == [plain["bin_range"]] * 2 and plain["outside_range"]["below"][0] > 0.05
    record = load_student(out, "awd")[0]
    assert f"[{-ll_high:.4g}, {ll_high:.4g}] (LL), [0, {ll_high:.4g}] (detail magnitude)" in record["definition"]
    laplace = load_student(out, "laplace")[0]["parameters"]
    assert laplace["channel_ranges"] == [laplace["bin_range"]] and laplace["bin_range"][0] == 0.0


def test_awd_predict_console_script_equals_the_pipeline(series, tmp_path):
    bundle, out, split = series
    data = tmp_path / "new.npz"
    save_npz(Dataset(X=split["X_test"], y=split["y_test"], kind="timeseries", name="new"), data)
    preds = tmp_path / "preds.npz"
    done = subprocess.run([str(AWD), "predict", str(out), str(data), "--out", str(preds)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "R2" in done.stdout
    with np.load(preds, allow_pickle=False) as got:
        np.testing.assert_allclose(got["y_pred"], read_npz(out / "arrays.npz")["y_pred_awd"], rtol=0, atol=1e-10)
    csv_out = tmp_path / "preds.csv"
    assert subprocess.run([str(AWD), "predict", str(out), str(data), "--out", str(csv_out)],
                          capture_output=True, timeout=120).returncode == 0
    assert csv_out.read_text().splitlines()[0] == "split,row,y_pred,y_true"
    bad = subprocess.run([str(AWD), "predict", str(out), str(data), "--model", "nope"], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and "model" in bad.stderr and "awd_no_interp" in bad.stderr
    xlsx = subprocess.run([str(AWD), "predict", str(out), str(data), "--out", str(tmp_path / "preds.xlsx")],
                          capture_output=True, text=True, timeout=120)
    assert xlsx.returncode == 2 and "use .npz or .csv" in xlsx.stderr
    assert "R2" not in xlsx.stdout  # refused before predicting (review 31A: after the scores were printed)


def test_awd_predict_replaces_an_existing_out_file_only_with_force(series, tmp_path, capsys):
    """Review 39B: ``--out`` replaced any file without a word; an existing one now needs --force."""
    _, out, split = series
    data = tmp_path / "new.npz"
    save_npz(Dataset(X=split["X_test"], y=split["y_test"], kind="timeseries", name="new"), data)
    preds = tmp_path / "preds.csv"
    preds.write_text("an earlier analysis")
    assert main(["predict", str(out), str(data), "--out", str(preds)]) == 2
    said = capsys.readouterr()
    assert "preds.csv already exists; choose another file name, or pass --force to replace it" in said.err
    assert "R2" not in said.out and preds.read_text() == "an earlier analysis"  # refused before the work
    assert main(["predict", str(out), str(data), "--out", str(preds), "--force"]) == 0
    assert preds.read_text().startswith("split,row,y_pred,y_true")


def test_a_damaged_result_is_one_line_naming_the_file_the_student_and_the_fix(series, tmp_path, capsys):
    """Review 39B: an arrays.npz lacking a student's arrays ended ``awd predict`` in a KeyError's traceback."""
    _, out, split = series
    data = tmp_path / "new.npz"
    save_npz(Dataset(X=split["X_test"], y=split["y_test"], kind="timeseries", name="new"), data)
    damaged = tmp_path / "A"
    shutil.copytree(out, damaged)
    kept = {k: v for k, v in read_npz(out / "arrays.npz").items() if not k.startswith("student__baseline_wavelet__")}
    np.savez(damaged / "arrays.npz", **kept)
    assert main(["predict", str(damaged), str(data), "--model", "baseline_wavelet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"awd predict: error: result: arrays.npz in {damaged} lacks the arrays of student "
                          "baseline_wavelet (student__baseline_wavelet__"), err
    assert "download the result again" in err and "/api/results/<job id>/archive" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert len(predict_from_bundle(damaged, split["X_test"], "awd")) == len(split["X_test"])  # the others still
    (damaged / "arrays.npz").write_bytes((out / "arrays.npz").read_bytes()[:5000])  # cut short
    with pytest.raises(InputError, match=r"arrays.npz in .* cannot be read \(BadZipFile: .*download the result again"):
        load_student(damaged, "awd")
    (damaged / "result.json").write_text('{"students": ')
    with pytest.raises(InputError, match=r"result.json in .* is damaged .*download the result again"):
        load_student(damaged, "awd")
    # review 44: a saved error answer, or another program's result.json, was told it was written before results
    # carried their students; it is named as no result, with what a result.json holds
    for saved, said in (('{"detail": "not found"}', 'it holds only detail ("not found"), as an error answer of the'),
                        ('{"schema": 1}', 'its schema is 1, not "awd-result/1", and it lacks data, teacher')):
        (damaged / "result.json").write_text(saved)
        assert main(["predict", str(damaged), str(data)]) == 2
        err = capsys.readouterr().err
        assert f"result: result.json in {damaged} is not an AWD Studio result: {said}" in err, err
        assert '"schema": "awd-result/1"' in err and "written before" not in err and "download the result again" in err
    old = json.loads((out / "result.json").read_text())
    del old["students"]  # a result of AWD Studio from before results carried their students: said so still
    (damaged / "result.json").write_text(json.dumps(old))
    with pytest.raises(InputError, match="was written before results carried their students"):
        load_student(damaged, "awd")


def test_a_map_student_gives_every_parameter_of_its_class_row(maps, tmp_path):
    """Review 28A: the map student's class is a whole (Omega_m, sigma_8) row; Predict gave one column and the
    file's sigma_8 was ignored without a word."""
    from awd_studio.models.pipeline.predict import predict_file, predictions_csv, predictions_npz

    bundle, out, split = maps
    np.save(tmp_path / "maps.npy", split["X_test"][:6])
    answer = predict_file(out, tmp_path / "maps.npy")
    assert answer["target_names"] == ["Omega_m", "sigma_8"] and np.shape(answer["y_pred_rows"]) == (6, 2)
    np.testing.assert_allclose(np.asarray(answer["y_pred_rows"])[:, 0], answer["y_pred"])  # the reported column
    assert predictions_csv(answer).splitlines()[0] == "split,row,y_pred,y_pred_Omega_m,y_pred_sigma_8"
    with np.load(io.BytesIO(predictions_npz(answer)), allow_pickle=False) as npz:
        assert npz["y_pred_rows"].shape == (6, 2) and list(npz["target_names"]) == ["Omega_m", "sigma_8"]


def test_a_files_target_columns_are_matched_by_name(maps, tmp_path):
    """Review 31A: a file whose columns were (other, auxilin) was scored on "other", the training file's position
    of the target, under the name "auxilin", without a word. A named column is taken by its name."""
    from awd_studio.models.data.readers.inputs import load_inputs
    from awd_studio.models.pipeline.predict import predict_file

    bundle, out, split = maps
    X, y = split["X_test"][:8], np.asarray(split["y_test_all"])[:8]  # columns Omega_m, sigma_8
    np.savez(tmp_path / "swapped.npz", X=X, y=y[:, ::-1], target_names=np.array(["sigma_8", "Omega_m"]))
    answer = predict_file(out, tmp_path / "swapped.npz")
    assert answer["target"] == "Omega_m"
    np.testing.assert_array_equal(answer["y_true"], y[:, 0])  # the Omega_m column, wherever it stands
    np.savez(tmp_path / "others.npz", X=X, y=y, target_names=np.array(["h", "w0"]))
    with pytest.raises(InputError, match="none of them is Omega_m"):
        predict_file(out, tmp_path / "others.npz")
    np.savez(tmp_path / "unnamed.npz", X=X, y=y[:, ::-1])  # no names: by position, as before
    np.testing.assert_array_equal(predict_file(out, tmp_path / "unnamed.npz")["y_true"], y[:, 1])
    # a CSV's headers name its target columns (y_<name>)
    header = ",".join([f"t{i}" for i in range(8)] + ["y_other", "y_auxilin"])
    np.savetxt(tmp_path / "two.csv", np.arange(30.0).reshape(3, 10), delimiter=",", header=header, comments="")
    assert load_inputs(tmp_path / "two.csv", sample_shape=(8,)).target_names == ["y_other", "y_auxilin"]


def test_a_float32_files_targets_are_written_as_given(series, tmp_path):
    """Review 28A: a float32 file's 0.3 came back as 0.30000001192092896 in the CSV and the answer."""
    from awd_studio.models.pipeline.predict import predict_file, predictions_csv

    _, out, split = series
    y = np.full(len(split["X_test"]), 0.3, dtype=np.float32)
    y[::2] = 0.7
    np.savez(tmp_path / "f32.npz", X=split["X_test"].astype(np.float32), y=y)
    answer = predict_file(out, tmp_path / "f32.npz")
    assert set(np.asarray(answer["y_true"]).tolist()) == {0.3, 0.7}
    assert {line.split(",")[-1] for line in predictions_csv(answer).splitlines()[1:]} == {"0.3", "0.7"}


def test_learned_wavelet_works_in_pywavelets(series):
    bundle, out, split = series
    wavelet = wavelet_from_result(out)
    np.testing.assert_allclose(wavelet.rec_lo, bundle["wavelet"]["h"])
    record, arrays, _ = load_student(out)
    from awd_studio.models.pipeline.student_params import series_coefficients

    ours = series_coefficients(record, arrays, split["X_test"][:3])
    scale = record["parameters"]["input_scaling"]
    x = (split["X_test"][:3] - scale["offset"]) / scale["scale"]
    theirs = pywt.wavedec(x, wavelet, level=3, mode=bundle["wavelet"]["mode"], axis=-1)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, atol=1e-9)


@pytest.mark.parametrize("which, choice", [("series", "awd"), ("maps", "awd"), ("series", "initial")])
def test_the_pages_python_snippet_runs(which, choice, request, tmp_path, monkeypatch):
    """The snippet reproduces the stored predictions of the model cross-validation chose."""
    bundle, out, _ = request.getfixturevalue(which)
    bundle = {**bundle, "selection": {**(bundle.get("selection") or {}), "choice": choice}}
    assert ('model="baseline_wavelet")' in python_snippet(bundle)) == (choice == "initial")
    folder = tmp_path / RESULT_FOLDER
    folder.mkdir()
    # under the names the page's links and the API download them as (review 11: the snippet looked for
    # result.json and arrays.npz and failed with FileNotFoundError)
    for name in ("result.json", "arrays.npz"):
        shutil.copy(out / name, folder / run_file_name("8ec62e30-0000-4000-8000-000000000000", name))
    done = subprocess.run([sys.executable, "-c", python_snippet(bundle)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Level value" not in done.stderr  # PyWavelets' warning about the job's level is expected: not shown
    difference = float(done.stdout.split("stored test predictions:")[1].split()[0])
    assert difference <= 1e-10
    # its coefficients are those the students' weights apply to: of the series scaled as they read it (review 22);
    # test_learned_wavelet_works_in_pywavelets holds that transform equal to the student's
    scaling = bundle["wavelet"]["input_scaling"]
    scaled = f"x = (X[0] - {float(scaling['offset'])!r}) / {float(scaling['scale'])!r}"
    assert (scaled in python_snippet(bundle)) == (which == "series"), python_snippet(bundle)
    # the terminal command the page gives predicts with the snippet's model (it left --model out: the AWD student)
    with np.load(folder / "awd-8ec62e30-arrays.npz", allow_pickle=False) as arrays:
        X, stored = arrays["X_examples"], arrays[f"y_pred_{'baseline_wavelet' if choice == 'initial' else 'awd'}"]
    np.savez(tmp_path / "NEW_DATA.npz", X=X)
    command = predict_command(bundle).replace("predictions.csv", "predictions.npz").split()
    monkeypatch.chdir(tmp_path)  # the command's paths are relative, as the page gives them
    assert command[0] == "awd" and main(command[1:]) == 0
    with np.load(tmp_path / "predictions.npz", allow_pickle=False) as predicted:
        np.testing.assert_allclose(np.ravel(predicted["y_pred"]), np.ravel(stored[:len(X)]), atol=1e-10)


def test_trust_notes_say_what_the_issue_saw():
    def bundle(teacher, awd, baselines=None, diff=None):
        models = {"awd": {"test": {"r2": awd}}, **{k: {"test": {"r2": v}} for k, v in (baselines or {}).items()}}
        out = {"teacher": {"name": "t", "test": {"r2": teacher}}, "models": models, "wavelet": {"init": "db5"}}
        if diff:
            out["verdict"] = {"test_difference": dict(zip(("estimate", "low", "high"), diff), metric="r2", level=0.95)}
        return out

    weak = trust_notes(bundle(-0.016, 0.3))
    assert weak[0]["key"] == "weak_teacher" and "-0.016" in weak[0]["text"]
    assert [n["key"] for n in trust_notes(bundle(0.511, 0.955))] == ["awd_beats_teacher"]
    maps = trust_notes(bundle(0.6, 0.544, {"peak_heights": 0.835}))
    assert "baseline_beats_awd" in [n["key"] for n in maps]
    assert "0.835" in next(n["text"] for n in maps if n["key"] == "baseline_beats_awd")
    assert trust_notes(bundle(0.9, 0.9, diff=(0.03, 0.01, 0.05)))[-1]["key"] == "distillation_helped"
    assert trust_notes(bundle(0.9, 0.9, diff=(0.0, -0.01, 0.02)))[-1]["key"] == "distillation_no_gain"
    assert trust_notes(bundle(0.9, 0.9, diff=(-0.03, -0.05, -0.01)))[-1]["key"] == "distillation_hurt"
    # with the verdict sentence (which states the same interval) the notes do not say it twice
    said = bundle(0.88, 0.85, {"baseline_wavelet": 0.88, "laplace": 0.87}, diff=(-0.03, -0.05, -0.01))
    said["verdict"]["text"] = "AWD is worse than db5 on the test set (...): use db5 (cross-validation kept it)."
    assert [n["key"] for n in trust_notes(said)] == []
    said["models"]["laplace"]["test"]["r2"] = 0.95
    assert [n["key"] for n in trust_notes(said)] == ["teacher_below_baseline", "baseline_beats_awd"]
    # the delivered AWD point has γ = 0: its wavelet owes nothing to the teacher, and the notes say so first
    plain = bundle(0.9, 0.9)
    plain["selected"] = {"lambda": 0.005, "gamma": 0.0}
    assert trust_notes(plain)[0]["key"] == "selected_without_teacher"
    assert "without the teacher's attributions" in trust_notes(plain)[0]["text"]
    plain["selection"] = {"choice": "initial"}  # the initial wavelet is delivered: the γ = 0 point is not
    assert "selected_without_teacher" not in [n["key"] for n in trust_notes(plain)]
    # review 42B: but its row is still "AWD" in the scores: an info note says it owes nothing to the network
    reference = [n for n in trust_notes(plain) if n["key"] == "reference_point_without_teacher"]
    assert len(reference) == 1 and reference[0]["level"] == "info" and "no distillation" in reference[0]["text"]
    plain["selection"], plain["selected"]["gamma"] = {"choice": "awd"}, 0.01
    assert "selected_without_teacher" not in [n["key"] for n in trust_notes(plain)]
    plain["selection"] = {"choice": "initial"}  # γ > 0: the reference point used the teacher
    assert "reference_point_without_teacher" not in [n["key"] for n in trust_notes(plain)]
    # teacher="auto" trained several architectures: a note names the one kept and every validation MSE
    chosen = bundle(0.9, 0.9)
    chosen["teacher"].update(name="mlp", validation_mse={"lstm": 0.0984, "mlp": 0.00494})
    note = trust_notes(chosen)[-1]
    assert note["key"] == "teacher_chosen" and "the mlp" in note["text"] and "0.00494" in note["text"]
    assert "the lstm 0.0984" in note["text"] and "stopped" not in note["text"]
    chosen["teacher"]["stopped_behind"] = {"lstm": 30}  # stopped far behind the MLP (train_best_teacher)
    assert "the lstm 0.0984, stopped after 30 epochs, more than ten times behind" in trust_notes(chosen)[-1]["text"]
    del chosen["teacher"]["stopped_behind"]
    chosen["teacher"]["validation_mse"] = {"mlp": 0.00494}  # one architecture: nothing was chosen
    assert "teacher_chosen" not in [n["key"] for n in trust_notes(chosen)]
    # series_features="auto" chose what the series student reads
    chosen["selection"] = {"series_features": {"chosen": "largest",
                                               "initial_cv_r2": {"largest": 0.521, "positions": 0.463}}}
    note = trust_notes(chosen)[-1]
    assert note["key"] == "series_features_chosen" and "largest coefficients" in note["text"]
    assert "(R² 0.521)" in note["text"] and "fixed positions of each band (0.463)" in note["text"]
    assert note["level"] == "info"
    # a gap within cross-validation's noise is said to be one (two seeds of one dataset chose differently)
    chosen["selection"]["series_features"].update(initial_cv_r2={"largest": 0.432, "positions": 0.429},
                                                  difference_se=0.011)
    note = trust_notes(chosen)[-1]
    assert note["level"] == "warning" and "within cross-validation's noise (standard error 0.011)" in note["text"]


@pytest.mark.parametrize("which, name, out_name", [("series", "new.csv", "preds.csv"),
                                                   ("maps", "new.npy", "preds.npz")])
def test_awd_predict_on_new_data_without_targets(which, name, out_name, request, tmp_path):
    """A CSV of series with no target column, an .npy of maps with no _y.npy: predictions only, said so."""
    _, out, split = request.getfixturevalue(which)
    X = split["X_test"]
    if name.endswith(".csv"):
        (tmp_path / name).write_text("\n".join(",".join(repr(float(v)) for v in row) for row in X) + "\n")
    else:
        np.save(tmp_path / name, X)
    done = subprocess.run([str(AWD), "predict", str(out), str(tmp_path / name), "--out", str(tmp_path / out_name)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    looked = " (no new_y.npy beside new.npy)" if name.endswith(".npy") else ""  # review 44: the file looked for
    assert f"predicted {len(X)} rows; the file has no targets{looked}: predictions only, no scores" in done.stdout
    assert "R2" not in done.stdout
    # without --model: the model the result recommends, named when it is the initial wavelet's
    recommended = recommended_model(json.loads((out / "result.json").read_text()))
    assert ("Cross-validation kept the initial wavelet" in done.stdout) == (recommended == "baseline_wavelet")
    expected = read_npz(out / "arrays.npz")[f"y_pred_{recommended}"]
    if out_name.endswith(".csv"):
        lines = (tmp_path / out_name).read_text().splitlines()
        assert lines[0] == "split,row,y_pred" and len(lines) == len(X) + 1
        got = np.array([float(line.split(",")[2]) for line in lines[1:]])
    else:
        with np.load(tmp_path / out_name, allow_pickle=False) as npz:
            # no y_true; the map student's whole class rows beside the reported column (review 28A)
            assert sorted(npz.files) == ["target_names", "y_pred", "y_pred_rows"]
            got = npz["y_pred"]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)
    assert "Pass --out" not in done.stdout and f"wrote {tmp_path / out_name}" in done.stdout
    # review 42B: without --out the predictions were made and thrown away; the first ones are printed now
    shown = subprocess.run([str(AWD), "predict", str(out), str(tmp_path / name)], capture_output=True, text=True,
                           timeout=120)
    assert shown.returncode == 0, shown.stderr
    first = ", ".join(f"{i}: {v:.4g}" for i, v in enumerate(expected[:10]))
    assert f"First 10 of {len(X)} predictions (row: value): {first} …" in shown.stdout, shown.stdout
    assert "Pass --out preds.csv (or .npz) to keep them all." in shown.stdout


def test_larger_maps_than_trained_on_are_predicted_tile_by_tile_saying_what_is_assumed(maps, tmp_path):
    """Review 14: a 512² map against a result of 64² maps was told only the shape it needs; then told to distil on
    64 px tiles, which the training maps already were (review 25A). It is cut into maps of the training size, each
    predicted, and the sentence names the pixel scale it assumes."""
    from awd_studio.models.pipeline.predict import predict_file, predict_from_bundle

    _, out, split = maps
    side = split["X_test"].shape[1]
    four = split["X_test"][:4]
    large = np.block([[four[0], four[1]], [four[2], four[3]]])[None]  # one map of four test maps
    np.save(tmp_path / "large.npy", large)
    np.save(tmp_path / "small.npy", np.zeros((1, side // 2, side // 2)))
    answer = predict_file(out, tmp_path / "large.npy")
    assert answer["tiling"].startswith(f"each {2 * side} x {2 * side} map was cut into 4 tiles of {side} x {side}, "
                                       "the size of the whole maps the result was trained on")
    assert "pixel scale" in answer["tiling"]
    assert "dropped" not in answer["tiling"]  # the sides are whole numbers of tiles: no pixel was left out
    # review 28A: the mean of its tiles' classes is not "one of those values", and the note says so
    assert any("A map cut into tiles gets the mean of its tiles' classes" in w
               for w in answer["warnings"])
    each = np.ravel(predict_from_bundle(out, four))
    np.testing.assert_allclose(answer["y_pred_tiles"][0], each, rtol=1e-12)
    assert answer["y_pred"][0] == pytest.approx(each.mean())
    # the reported column of the class rows is y_pred to the bit (review 39A: they differed in the last digit)
    column = load_student(out)[0]["target_column"]
    assert np.array_equal(answer["y_pred_rows"][:, column], answer["y_pred"])
    with pytest.raises(InputError) as smaller:  # a smaller map has no such way
        predict_file(out, tmp_path / "small.npy")
    assert "tiles" not in str(smaller.value)


def test_the_tiling_sentence_counts_the_edge_pixels_dropped_only_when_there_are_some(maps, tmp_path):
    """Audit: every tiled map was said to have lost its edge pixels, also a 128 px map cut into 64 px tiles. The
    sentence now says so only when a side is not a whole number of tiles, and how many pixels of each side."""
    from awd_studio.models.pipeline.predict import predict_file, tiling_words

    _, out, split = maps
    side = split["X_test"].shape[1]
    four = split["X_test"][:4]
    large = np.block([[four[0], four[1]], [four[2], four[3]]])
    ragged = np.pad(large, ((0, 3), (0, 1)))[None]  # 3 rows more at the bottom, 1 column more at the right
    np.save(tmp_path / "ragged.npy", ragged)
    answer = predict_file(out, tmp_path / "ragged.npy")
    assert answer["tiling"].startswith(f"each {2 * side + 3} x {2 * side + 1} map was cut into 4 tiles of {side} x "
                                       f"{side} (edge pixels beyond whole tiles dropped: 1 column at the right, 3 "
                                       "rows at the bottom), the size of the whole maps")
    np.save(tmp_path / "whole.npy", large[None])
    assert answer["y_pred"] == pytest.approx(predict_file(out, tmp_path / "whole.npy")["y_pred"])  # the same tiles
    assert "dropped" not in tiling_words(128, 128, 64, whole=False)
    assert tiling_words(128, 130, 64, whole=True).count("2 columns at the right") == 1
    assert "at the bottom" not in tiling_words(128, 130, 64, whole=True)


def test_a_file_of_narrowly_spread_targets_is_told_that_its_r2_says_little(series, tmp_path):
    """Review 25A: "R² -6.12, RMSE 0.06671" on ten maps whose Ω_m spanned 0.28 to 0.33, with nothing said."""
    from awd_studio.models.pipeline.predict import predict_file

    bundle, out, split = series
    y = split["y_test"]
    middle = np.argsort(np.abs(y - np.median(y)))[:20]  # the 20 targets nearest the median
    narrow, wide = tmp_path / "narrow.npz", tmp_path / "wide.npz"
    save_npz(Dataset(X=split["X_test"][middle], y=y[middle], kind="timeseries", name="narrow"), narrow)
    save_npz(Dataset(X=split["X_test"], y=y, kind="timeseries", name="wide"), wide)
    said = [w for w in predict_file(out, narrow)["warnings"] if "says little" in w]
    assert len(said) == 1 and said[0].startswith("the file's targets: these targets' SD is")
    assert f"({bundle['data']['test_target_sd']:.3g})" in said[0]
    assert not any("says little" in w for w in predict_file(out, wide)["warnings"])


def test_predicting_on_the_training_file_says_the_scores_are_in_sample(series, tmp_path):
    """Review 19: "On the file (2936 rows): R² 0.5582" read as a score on new data; it was the training file."""
    from awd_studio.models.files import sha256_file
    from awd_studio.models.pipeline.predict import TRAINING_FILE_MIXED_WARNING, TRAINING_FILE_WARNING, predict_file

    bundle, out, split = series
    trained_on = out.parent / "data.npz"  # the file the job read (its sha256 is the bundle's), with an X_test
    warnings = predict_file(out, trained_on)["warnings"]
    assert TRAINING_FILE_WARNING in warnings and TRAINING_FILE_MIXED_WARNING not in warnings
    new = tmp_path / "new.npz"
    save_npz(Dataset(X=split["X_test"], y=split["y_test"], kind="timeseries", name="new"), new)
    assert not {TRAINING_FILE_WARNING, TRAINING_FILE_MIXED_WARNING} & set(predict_file(out, new)["warnings"])
    # review 39B: a training file without a test split of its own holds the job's test rows in its X too
    whole = tmp_path / "whole.npz"
    save_npz(Dataset(X=np.concatenate([split["X_train"], split["X_test"]]), kind="timeseries", name="whole",
                     y=np.concatenate([split["y_train"], split["y_test"]])), whole)
    mixed = tmp_path / "mixed"
    shutil.copytree(out, mixed)
    result = json.loads((mixed / "result.json").read_text())
    result["data"]["sha256"] = sha256_file(whole)  # as if the job had read this file
    (mixed / "result.json").write_text(json.dumps(result))
    warnings = predict_file(mixed, whole)["warnings"]
    assert TRAINING_FILE_MIXED_WARNING in warnings and TRAINING_FILE_WARNING not in warnings
    assert "its X holds the rows the job trained on and the test rows it held out" in TRAINING_FILE_MIXED_WARNING


def test_training_rows_in_a_new_file_are_named(series, maps, tmp_path):
    """Review 43A: a CSV of 200 rows copied from the training split got "On the file: R² 0.58" and no word. The rows
    that are training samples are named (a CSV's by line, as float64 text), the test rows are not; maps too."""
    from awd_studio.models.pipeline.predict import predict_file

    _, out, split = series
    X = np.concatenate([split["X_train"][:3], split["X_test"][:4]])
    y = np.concatenate([split["y_train"][:3], split["y_test"][:4]])
    lines = [",".join([f"t{i}" for i in range(X.shape[1])] + ["y"])]
    lines += [",".join(repr(float(v)) for v in row) + f",{float(t)!r}" for row, t in zip(X, y)]
    (tmp_path / "copied.csv").write_text("\n".join(lines) + "\n")
    said = [w for w in predict_file(out, tmp_path / "copied.csv")["warnings"] if "trained on" in w]
    assert said == ["3 of the file's 7 rows are samples this result was trained on (the same values): row 0 "
                    "(line 2), row 1 (line 3), row 2 (line 4). Their scores are not test scores: the model has seen "
                    "them. The result's own test scores are on its results page and in its result.json (its summary; "
                    "models.<name>.test)."], said
    new = tmp_path / "test_rows.npz"
    save_npz(Dataset(X=split["X_test"], y=split["y_test"], kind="timeseries", name="new"), new)
    assert not any("trained on (the same" in w for w in predict_file(out, new)["warnings"])
    _, map_out, map_split = maps
    mixed = tmp_path / "maps.npz"  # two training maps among test maps, as float32
    save_npz(Dataset(X=np.concatenate([map_split["X_test"][:8], map_split["X_train"][5:7]]).astype(np.float32),
                     y=np.concatenate([map_split["y_test"][:8], map_split["y_train"][5:7]]), kind="image",
                     name="maps"), mixed)
    said = [w for w in predict_file(map_out, mixed)["warnings"] if "trained on" in w]
    assert said and said[0].startswith("2 of the file's 10 maps are maps this result was trained on (the same "
                                       "values): map 8, map 9."), said


def test_predicting_by_default_with_awd_that_the_test_set_found_worse_says_so(series, tmp_path):
    """Review 26A: the verdict said "use db5" while `awd predict` used AWD, cross-validation's choice, in silence."""
    import json
    import shutil

    from awd_studio.models.pipeline.predict import predict_file

    bundle, out, split = series
    worse = tmp_path / "worse"
    shutil.copytree(out, worse)
    saved = json.loads((worse / "result.json").read_text())
    saved["selection"]["choice"] = "awd"
    saved["verdict"].update(metric="r2", test_difference={**saved["verdict"]["test_difference"], "estimate": -0.1,
                                                           "low": -0.2, "high": -0.03})
    (worse / "result.json").write_text(json.dumps(saved))
    new = tmp_path / "new.npz"
    save_npz(Dataset(X=split["X_test"], y=split["y_test"], kind="timeseries", name="new"), new)
    told = [w for w in predict_file(worse, new)["warnings"] if "significantly worse" in w]
    assert len(told) == 1 and "baseline_wavelet" in told[0]
    # review 44: the verdict advises the initial wavelet's student, the default stays the delivered model: both said,
    # and the option for every interface
    assert told[0].startswith("predicting with AWD's student, the model this result delivers (cross-validation chose "
                              "it)") and "the verdict advises" in told[0], told[0]
    assert "--model baseline_wavelet (model=baseline_wavelet in the API" in told[0], told[0]
    assert not any("significantly worse" in w for w in predict_file(worse, new, "awd")["warnings"])  # asked for
    assert not any("significantly worse" in w for w in predict_file(out, new)["warnings"])


def test_maps_of_another_pixel_size_than_trained_on_are_warned_of_by_size(maps, tmp_path):
    """Review (cosmologist): a FITS map whose header gives 0.406′ a pixel, predicted with a result trained on 3.28′
    pixels, gave numbers with only a generic warning. Both sizes are named when they differ by over 10 %."""
    from astropy.io import fits

    from awd_studio.models.pipeline.predict import predict_file

    bundle, out, split = maps
    trained = bundle["data"]["pixel_arcmin"]
    side = split["X_test"].shape[1]
    big = np.block([[split["X_test"][0], split["X_test"][1]], [split["X_test"][2], split["X_test"][3]]])
    header = fits.Header({"ANGLE": 2 * side * 0.40594921875 / 60})  # 0.406′ pixels, 2 x 2 training-sized tiles
    fits.PrimaryHDU(big[None].astype(np.float32), header=header).writeto(tmp_path / "fine.fits")
    warned = [w for w in predict_file(out, tmp_path / "fine.fits")["warnings"] if "pixels of" in w]
    assert len(warned) == 1 and "pixels of 0.406′" in warned[0] and f"pixels of {trained:.3g}′" in warned[0]
    # the same pixel as the training maps (an npz whose meta says so), or a file that gives none: no such warning
    save_npz(Dataset(split["X_test"][:2], np.zeros(2), min_samples=1, meta={"pixel_arcmin": trained * 1.05}),
             tmp_path / "same.npz")
    np.savez(tmp_path / "unsaid.npz", X=split["X_test"][:2])
    for name in ("same.npz", "unsaid.npz"):
        assert not any("pixels of" in w for w in predict_file(out, tmp_path / name)["warnings"])


def test_maps_of_a_stated_pixel_size_on_a_result_that_records_none_say_the_pixels_cannot_be_checked(maps, tmp_path):
    """Review: a result distilled from an npz made as the README described recorded no pixel size, and a FITS map
    of 0.406′ pixels (ANGLE in its header) was predicted in silence after 3.28′ training maps. The prediction now
    names the new maps' pixel size and says the result cannot check it; a file that gives none still says nothing."""
    from astropy.io import fits

    from awd_studio.models.pipeline.predict import predict_file

    _, out, split = maps
    older = tmp_path / "older"
    shutil.copytree(out, older)
    saved = json.loads((older / "result.json").read_text())
    saved["data"]["pixel_arcmin"] = None  # as a result trained on an npz without meta_json records it
    (older / "result.json").write_text(json.dumps(saved))
    side = split["X_test"].shape[1]
    header = fits.Header({"ANGLE": side * 0.40594921875 / 60})  # 0.406′ pixels, as the reviewer's 512 px map
    fits.PrimaryHDU(split["X_test"][0][None].astype(">f8"), header=header).writeto(tmp_path / "fine.fits")
    warnings = predict_file(older, tmp_path / "fine.fits")["warnings"]
    said = [w for w in warnings if "pixel size" in w]
    assert len(said) == 1, warnings
    assert said[0].startswith("The maps have 0.406′ pixels (the file says so), but the result does not record its "
                              "training maps' pixel size") and "cannot check that they match" in said[0]
    assert not any("pixels of" in w for w in warnings)  # no comparison with a size it does not have
    np.savez(tmp_path / "unsaid.npz", X=split["X_test"][:2])
    assert not any("pixel size" in w for w in predict_file(older, tmp_path / "unsaid.npz")["warnings"])
    # the result that records its pixel size compares the two instead (the test above): no such sentence
    assert not any("does not record" in w for w in predict_file(out, tmp_path / "fine.fits")["warnings"])


def test_maps_that_look_like_no_class_of_a_chi2_student_are_warned_of(maps, tmp_path):
    """Review 38A: maps with more shape noise than the noiseless training maps were all given one class without a
    word (their SD 1.47 times the training maps', within the scale check's factor of 3). The chi² student keeps how
    far its training maps lie from their nearest template; maps beyond that more often than chance are named."""
    from awd_studio.models.pipeline.predict import predict_file
    from awd_studio.models.pipeline.student_params import map_nearest_chi2

    bundle, out, split = maps
    record, arrays, _ = load_student(out)
    assert record["parameters"]["method"] == "chi2" and record["parameters"]["nearest_chi2_q99"] > 0
    clean = make_example("lensing", n=200, seed=7)
    noisy = make_example("lensing", n=200, seed=7, galaxy_density=20)
    assert 1.3 < noisy.X.std() / clean.X.std() < 3  # not caught by the scale check
    for name, data, warned in (("clean", clean, False), ("noisy", noisy, True)):
        np.savez(tmp_path / f"{name}.npz", X=data.X)
        said = [w for w in predict_file(out, tmp_path / f"{name}.npz")["warnings"] if "class template" in w]
        assert bool(said) is warned, (name, said)
    far = map_nearest_chi2(record, arrays, noisy.X) > record["parameters"]["nearest_chi2_q99"]
    assert said[0].startswith(f"X: {far.sum()} of {len(noisy.X)} maps are farther from every class template")


def test_maps_unlike_a_ridge_students_training_maps_are_warned_of(maps_ridge, tmp_path):
    """Review 41 (still weak): a ridge map student had no check like the chi² student's, and its linear model
    extrapolates in silence on maps unlike its training maps. It keeps how far its training maps lie from their
    mean histogram (held out); maps beyond that more often than chance are named, noiseless ones of the same
    cosmologies are not."""
    from awd_studio.models.data.simulate_lensing import simulate_lensing
    from awd_studio.models.pipeline.predict import predict_file
    from awd_studio.models.pipeline.student_params import map_mean_chi2

    bundle, out, split = maps_ridge
    record, arrays, _ = load_student(out)
    assert record["parameters"]["method"] == "ridge" and record["parameters"]["mean_chi2_q99"] > 0
    assert "classes" not in arrays and arrays["training_precision"].shape == (len(arrays["feature_mean"]),) * 2
    clean = simulate_lensing(n=200, seed=7, cosmologies=_random_cosmologies(48))
    noisy = simulate_lensing(n=200, seed=7, cosmologies=_random_cosmologies(48), galaxy_density=20)
    for name, data, warned in (("clean", clean, False), ("noisy", noisy, True)):
        np.savez(tmp_path / f"{name}.npz", X=data.X)
        said = [w for w in predict_file(out, tmp_path / f"{name}.npz")["warnings"] if "training maps' mean" in w]
        assert bool(said) is warned, (name, said)
    far = map_mean_chi2(record, arrays, noisy.X) > record["parameters"]["mean_chi2_q99"]
    assert said[0].startswith(f"X: the peak histograms of {far.sum()} of {len(noisy.X)} maps are farther from the "
                              "training maps' mean"), said[0]
    assert "class template" not in " ".join(predict_file(out, tmp_path / "noisy.npz")["warnings"])


@pytest.mark.parametrize("which", ["maps", "maps_signed", "maps_ridge"])
def test_a_map_students_definition_names_the_peaks_its_bins_leave_out(which, request):
    """Review 42B: 39 % of a student's LL responses lay below its bins and only the results page said so; the
    definition, which the terminal and result.json carry, names every channel that leaves out 1 % or more."""
    from awd_studio.frontend.results_student import OUTSIDE_SENTENCE

    bundle, _, _ = request.getfixturevalue(which)
    for name, record in bundle["students"].items():
        params = record["parameters"]
        if record["kind"] != "peak_count" or "outside_range" not in params:
            continue
        shares = {(channel, side): params["outside_range"][side][k] for k, channel in enumerate(params["channels"])
                  for side in ("below", "above")}
        for (channel, side), share in shares.items():
            if share >= 0.01:
                assert f"{100 * share:.1f} % {side}" in record["definition"], (name, channel, record["definition"])
        # the results page cuts the sentence at its start (it says the same in the student's summary)
        assert (OUTSIDE_SENTENCE in record["definition"]) == any(v >= 0.01 for v in shares.values()), name


def test_a_ridge_map_student_gives_every_parameter(maps_ridge, tmp_path):
    """Review 42B: the ridge map student is fitted on every target column, but only the reported one came out; a
    cosmologist had to distil again with --target sigma_8. Each column is given, as a chi² student's class rows."""
    from awd_studio.models.pipeline.predict import predict_file, predictions_csv

    bundle, out, split = maps_ridge
    record, arrays, _ = load_student(out)
    assert record["parameters"]["method"] == "ridge" and arrays["ridge_coef"].shape[0] == 2
    np.savez(tmp_path / "new.npz", X=split["X_test"])
    answer = predict_file(out, tmp_path / "new.npz")
    assert answer["target_names"] == ["Omega_m", "sigma_8"]
    assert np.shape(answer["y_pred_rows"]) == (len(split["X_test"]), 2)
    np.testing.assert_allclose(answer["y_pred_rows"][:, 0], answer["y_pred"], rtol=0, atol=1e-12)
    assert predictions_csv(answer).splitlines()[0] == "split,row,y_pred,y_pred_Omega_m,y_pred_sigma_8"


def test_predictions_and_targets_beyond_the_training_range_are_named(series, maps_ridge, tmp_path):
    """Review 42B: a ridge map student trained on Omega_m 0.20-0.40 predicted 0.49-0.65 on noisy maps (R² -19.6)
    and nothing named the values. The bundle keeps the training targets' range; predictions, and a file's
    targets, beyond it by more than a tenth of its width are counted; data like the training data are not."""
    from awd_studio.models.data.simulate_lensing import simulate_lensing
    from awd_studio.models.pipeline.predict import predict_file

    bundle, out, split = series
    low, high = bundle["data"]["train_target_range"]
    assert (low, high) == (float(split["y_train"].min()), float(split["y_train"].max()))
    said = lambda answer: [w for w in answer["warnings"] if "training targets' range" in w]  # noqa: E731
    save_npz(Dataset(X=split["X_test"], y=split["y_test"], kind="timeseries", name="same"), tmp_path / "same.npz")
    assert not said(predict_file(out, tmp_path / "same.npz"))
    shifted = split["y_test"] + 3 * (high - low)  # targets the model never saw
    save_npz(Dataset(X=split["X_test"], y=shifted, kind="timeseries", name="shifted"), tmp_path / "shifted.npz")
    told = said(predict_file(out, tmp_path / "shifted.npz"))
    assert len(told) == 1 and told[0].startswith(f"the file's targets: {len(shifted)} of {len(shifted)} targets lie "
                                                 f"outside the training targets' range [{low:.4g}, {high:.4g}]"), told
    bundle, out, split = maps_ridge  # noisy maps: the ridge map student's predictions run past the range
    noisy = simulate_lensing(n=200, seed=7, cosmologies=_random_cosmologies(48), galaxy_density=20)
    np.savez(tmp_path / "noisy.npz", X=noisy.X)
    answer = predict_file(out, tmp_path / "noisy.npz")
    low, high = bundle["data"]["train_target_range"]
    pred, margin = answer["y_pred"], 0.1 * (high - low)
    assert np.any((pred < low - margin) | (pred > high + margin))
    outside = int(np.sum((pred < low) | (pred > high)))
    assert said(answer)[0].startswith(f"X: {outside} of {len(noisy.X)} predictions lie outside"), said(answer)


def test_maps_made_with_other_noise_than_the_training_maps_are_warned_of(maps, tmp_path):
    """Review 39A: maps with shape noise (30 galaxies per arcmin², 1′ smoothing) predicted by a result distilled on
    noiseless maps scored R² -0.93 against 0.82, and the file's own record of its noise was not read."""
    from awd_studio.models.pipeline.predict import predict_file

    bundle, out, _ = maps
    assert bundle["data"]["map_noise"] == {"galaxy_density_per_arcmin2": None, "smoothing_arcmin": 0.0}
    save_npz(make_example("lensing", n=40, seed=9, galaxy_density=30, smoothing_arcmin=1), tmp_path / "noisy.npz")
    save_npz(make_example("lensing", n=40, seed=9), tmp_path / "clean.npz")
    noisy = [w for w in predict_file(out, tmp_path / "noisy.npz")["warnings"] if "training maps with" in w]
    assert len(noisy) == 1 and noisy[0].startswith(
        "these maps were made with shape noise of 30 galaxies per arcmin² and 1′ smoothing, the training maps with "
        "no shape noise, no smoothing")
    assert not any("training maps with" in w for w in predict_file(out, tmp_path / "clean.npz")["warnings"])


def test_the_default_wavelet_is_the_recommended_students(series, tmp_path):
    """Review 40B: ``wavelet_from_result(dir)`` gave the learned filter while ``predict_from_bundle(dir, X)`` predicted
    with the initial wavelet's student, cross-validation having kept it: both defaults now follow the result."""
    bundle, out, _ = series
    kept = tmp_path / "kept"
    shutil.copytree(out, kept)
    on_disk = json.loads((kept / "result.json").read_text())
    on_disk["selection"] = {**(on_disk.get("selection") or {}), "choice": "initial"}
    (kept / "result.json").write_text(json.dumps(on_disk))
    assert load_student(kept)[0] is not None and recommended_model(on_disk) == "baseline_wavelet"
    np.testing.assert_allclose(wavelet_from_result(kept).rec_lo, bundle["wavelet"]["init_h"])
    np.testing.assert_allclose(wavelet_from_result(kept, "learned").rec_lo, bundle["wavelet"]["h"])
    np.testing.assert_allclose(wavelet_from_result(kept, "selected").rec_lo, bundle["wavelet"]["h"])  # older name
    np.testing.assert_allclose(wavelet_from_result(out).rec_lo, bundle["wavelet"]["h"])  # the AWD student's
    with pytest.raises(InputError, match="recommended"):
        wavelet_from_result(kept, True)


def _traces_one_without_target_one_with_a_gap(split, path):
    """A CSV of five test traces (track_id, t0 …, y): trk0, trk1 and trk4 complete, trk2 lacking only its target (a
    blank cell), trk3 with a gap inside its trace; the traces kept, by their row in the file."""
    X, y = split["X_test"][:5], split["y_test"][:5]
    cells = [["track_id"] + [f"t{i}" for i in range(X.shape[1])] + ["y"]]
    cells += [[f"trk{i}"] + [repr(float(v)) for v in x] + [repr(float(t))] for i, (x, t) in enumerate(zip(X, y))]
    cells[3][-1] = ""  # trk2 (line 4): no target
    cells[4][1 + 7] = ""  # trk3 (line 5): a gap
    path.write_text("\n".join(",".join(c) for c in cells) + "\n")
    return path, [0, 1, 2, 4]


def test_a_trace_lacking_only_its_target_is_predicted_and_not_scored(series, tmp_path):
    """With drop_incomplete a trace that has its every value but no target was left out like a trace with a gap;
    it is predicted now, its y_true NaN (an empty CSV cell), and the scores are those of the rows with a target,
    said in words. A file whose every target cell is blank has no scores, as one without a target column."""
    from awd_studio.models.metrics import r2_score, rmse
    from awd_studio.models.pipeline.predict import predict_file, predictions_csv

    _, out, split = series
    data, kept = _traces_one_without_target_one_with_a_gap(split, tmp_path / "new.csv")
    answer = predict_file(out, data, drop_incomplete=True)
    assert answer["rows"] == kept and answer["ids"] == [f"trk{i}" for i in kept]
    assert answer["dropped_rows"] == {"count": 1, "rows": ["line 5 (trk3)"], "of": 5, "row_numbers": [3]}
    np.testing.assert_allclose(answer["y_pred"], predict_from_bundle(out, split["X_test"][kept]), rtol=0, atol=1e-10)
    assert np.isnan(answer["y_true"][2]) and np.isfinite(np.delete(answer["y_true"], 2)).all()
    assert answer["unscored_rows"] == {"count": 1, "rows": ["line 4 (trk2)"], "of": 4, "row_numbers": [2]}
    assert ("Scored on 3 of 4 rows; 1 has no target (a blank target cell), so it was predicted but not scored: "
            "row 2 (line 4, trk2).") in answer["warnings"], answer["warnings"]
    scored = [0, 1, 3]  # of the predictions: trk0, trk1, trk4
    y_true, y_pred = split["y_test"][[0, 1, 4]], np.asarray(answer["y_pred"])[scored]
    score = answer["scores"]["X"]
    assert score["n"] == 3 and score["of"] == 4 and answer["has_targets"]
    assert score["r2"] == pytest.approx(r2_score(y_true, y_pred), abs=1e-12)
    assert score["rmse"] == pytest.approx(rmse(y_true, y_pred), abs=1e-12)
    lines = predictions_csv(answer).splitlines()
    assert lines[0] == "split,row,track_id,y_pred,y_true" and "nan" not in "\n".join(lines).lower()
    assert [line.split(",")[1:3] for line in lines[1:]] == [[str(r), f"trk{r}"] for r in kept]
    assert lines[3].endswith(",") and lines[3].split(",")[-1] == "" and all(line.split(",")[-1] for line in lines[4:])

    blank = tmp_path / "blank.csv"  # every target cell blank: predictions only
    header, *rows = data.read_text().splitlines()
    blank.write_text("\n".join([header] + [row[:row.rindex(",") + 1] for row in rows]) + "\n")
    answer = predict_file(out, blank, drop_incomplete=True)
    assert answer["scores"] == {} and not answer["has_targets"] and "y_true" not in answer
    assert answer["note"] == "the file has no targets: predictions only, no scores" and answer["rows"] == kept
    assert predictions_csv(answer).splitlines()[0] == "split,row,track_id,y_pred"


def test_awd_predict_drop_incomplete_keeps_a_trace_without_its_target(series, tmp_path):
    """Through the installed console script: the trace lacking only its target is predicted, its y_true cell in
    --out empty, the terminal says on how many rows the scores are; the trace with a gap is left out and named."""
    _, out, split = series
    data, kept = _traces_one_without_target_one_with_a_gap(split, tmp_path / "new.csv")
    preds = tmp_path / "f.csv"
    done = subprocess.run([str(AWD), "predict", str(out), str(data), "--drop-incomplete", "--out", str(preds)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r" on X \(3 of 4 rows, the others without a target\): R2 -?[0-9.]+, RMSE", done.stdout), \
        done.stdout
    assert ("Scored on 3 of 4 rows; 1 has no target (a blank target cell), so it was predicted but not scored: "
            "row 2 (line 4, trk2).") in done.stderr, done.stderr
    assert ("Left out 1 of 5 rows with missing values, as asked: row 3 (line 5, trk3). The others were predicted, "
            "each keeping its row in the file: the predictions' row column counts the CSV's data rows from 0 after the "
            "header") in done.stderr, done.stderr
    header, *lines = preds.read_text().splitlines()
    assert header == "split,row,track_id,y_pred,y_true" and "nan" not in preds.read_text().lower()
    cells = [line.split(",") for line in lines]
    assert [c[1] for c in cells] == [str(r) for r in kept] and [c[2] for c in cells] == [f"trk{r}" for r in kept]
    assert [c[4] == "" for c in cells] == [False, False, True, False]
    np.testing.assert_allclose([float(c[3]) for c in cells], predict_from_bundle(out, split["X_test"][kept]),
                               rtol=0, atol=1e-10)
    np.testing.assert_allclose([float(cells[i][4]) for i in (0, 1, 3)], split["y_test"][[0, 1, 4]], rtol=0,
                               atol=1e-12)


def test_rows_left_out_unscored_and_seen_are_named_by_the_predictions_row(series, tmp_path):
    """Review 44: one prediction named its rows in three ways ("sample 4" counted from 1, "line 6" of the file,
    and the predictions' row from 0), and told an .npz's user of "the CSV's row". Every row a warning names starts
    with its number in the predictions' row column, and the sentence says what that column counts for the format."""
    from awd_studio.models.pipeline.predict import predict_file, predictions_csv

    _, out, split = series
    X = np.concatenate([split["X_test"][:6], split["X_train"][:2]])
    X[3, 5] = np.nan  # numpy row 3: "sample 4" to the reader
    y = np.concatenate([split["y_test"][:6], split["y_train"][:2]])
    np.savez(tmp_path / "p_nan.npz", X=X, y=y)
    answer = predict_file(out, tmp_path / "p_nan.npz", drop_incomplete=True)
    rows = [int(line.split(",")[1]) for line in predictions_csv(answer).splitlines()[1:]]
    assert rows == answer["rows"] == [0, 1, 2, 4, 5, 6, 7]
    assert answer["dropped_rows"] == {"count": 1, "rows": ["sample 4"], "of": 8, "row_numbers": [3]}
    left, seen = (next(w for w in answer["warnings"] if key in w) for key in ("Left out", "trained on (the same"))
    assert left.startswith("Left out 1 of 8 rows with missing values, as asked: row 3. ") and "CSV" not in left, left
    assert "the file's samples by their index in X, from 0" in left, left
    assert "(the same values): row 6, row 7. " in seen and "sample 7" not in seen, seen
    y[1] = np.nan  # an array's sample without its target: predicted, not scored, named by its row too
    np.savez(tmp_path / "p_nan.npz", X=X, y=y)
    answer = predict_file(out, tmp_path / "p_nan.npz", drop_incomplete=True)
    assert answer["unscored_rows"] == {"count": 1, "rows": ["sample 2"], "of": 7, "row_numbers": [1]}
    assert ("Scored on 6 of 7 rows; 1 has no target (NaN in y), so it was predicted but not scored: row 1."
            in answer["warnings"]), answer["warnings"]
    y[1] = 0.5

    lines = [",".join(["track"] + [f"t{i}" for i in range(X.shape[1])] + ["y"])]
    lines += [",".join([f"trk{i}"] + ["" if np.isnan(v) else repr(float(v)) for v in row] + [repr(float(t))])
              for i, (row, t) in enumerate(zip(X, y))]
    (tmp_path / "p_nan.csv").write_text("\n".join(lines) + "\n")
    answer = predict_file(out, tmp_path / "p_nan.csv", drop_incomplete=True)
    left, seen = (next(w for w in answer["warnings"] if key in w) for key in ("Left out", "trained on (the same"))
    assert "as asked: row 3 (line 5, trk3). " in left and "the CSV's data rows from 0 after the header" in left, left
    assert "(the same values): row 6 (line 8, trk6), row 7 (line 9, trk7). " in seen, seen
