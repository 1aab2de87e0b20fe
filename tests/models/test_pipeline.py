"""The whole job end to end on small data: the bundle contract, chunking, bad configs."""

import json
import math

import jsonschema
import numpy as np
import pytest
import torch

from models import pipeline
from models.data import make_example, save_npz

torch.set_num_threads(1)

TINY = {"teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0, 1e-2], "epochs": 2, "teacher_epochs": 5,
        "levels": 3, "cv_folds": 3}


def _finite_numbers(obj, path="$"):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _finite_numbers(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _finite_numbers(v, f"{path}[{i}]")
    elif isinstance(obj, float):
        yield path, math.isfinite(obj)


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "synthetic.npz"
    save_npz(make_example("synthetic", n=240, seed=0), path)
    return path


@pytest.fixture(scope="module")
def bundle(synthetic_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return pipeline.run(synthetic_file, TINY, out), out


def test_bundle_follows_the_schema_and_is_finite(bundle):
    result, out = bundle
    schema = json.loads(pipeline.SCHEMA_PATH.read_text())
    on_disk = json.loads((out / "result.json").read_text())
    jsonschema.validate(on_disk, schema)
    bad = [p for p, ok in _finite_numbers(on_disk) if not ok]
    assert not bad
    assert on_disk["data"]["kind"] == "timeseries"
    assert len(on_disk["grid"]) == 2
    assert set(on_disk["models"]) >= {"awd", "awd_no_interp", "baseline_wavelet"}
    for name in on_disk["files"]:
        assert (out / name).is_file(), name
    with np.load(out / "arrays.npz", allow_pickle=False) as arrays:
        assert arrays["filters"].shape == (2, 10)
    assert "selected lambda" in result["summary"]


def test_provenance_records_the_config(bundle):
    result, _ = bundle
    prov = result["provenance"]
    assert prov["config"]["epochs"] == 2 and prov["seed"] == 0 and prov["device"] == "cpu"
    assert prov["config"]["gammas"] == [0.0, 0.01]


def test_chunked_run_equals_the_single_run(synthetic_file, bundle, tmp_path):
    result, _ = bundle
    work = tmp_path / "work"
    progress = []
    pipeline.prepare(synthetic_file, TINY, work, progress=lambda *a: progress.append(a))
    pipeline.distill_chunk(work, [1])
    pipeline.distill_chunk(work, [0])
    chunked = pipeline.finalize(work, tmp_path / "out")
    for a, b in zip(result["grid"], chunked["grid"]):
        np.testing.assert_allclose(a["h"], b["h"], atol=1e-10)
    assert chunked["selected"] == result["selected"]
    assert {p[0] for p in progress} >= {"data", "teacher"}


def test_finalize_refuses_missing_chunks(synthetic_file, tmp_path):
    pipeline.prepare(synthetic_file, TINY, tmp_path)
    pipeline.distill_chunk(tmp_path, [0])
    with pytest.raises(RuntimeError, match="no fitted chunk"):
        pipeline.finalize(tmp_path, tmp_path / "out")


def test_cancellation_between_epochs(synthetic_file, tmp_path):
    with pytest.raises(pipeline.Cancelled):
        pipeline.run(synthetic_file, TINY, tmp_path, should_cancel=lambda: True)


@pytest.mark.parametrize("change, match", [
    ({"teacher": "transformer"}, "teacher"),
    ({"wave": "bior1.3"}, "wave"),
    ({"lambdas": []}, "lambdas"),
    ({"gammas": [float("nan")]}, "gammas"),
    ({"epochs": 0}, "epochs"),
    ({"bogus": 1}, "bogus"),
    ({"attribution": "shap"}, "attribution"),
])
def test_bad_configs_name_the_field(change, match):
    with pytest.raises(ValueError, match=match):
        pipeline.PipelineConfig.from_dict({**TINY, **change})


def test_too_many_levels_for_the_data(synthetic_file, tmp_path):
    with pytest.raises(ValueError, match="level"):
        pipeline.run(synthetic_file, {**TINY, "levels": 7}, tmp_path)


def test_maps_end_to_end_with_peak_counting_baselines(tmp_path):
    data = tmp_path / "maps.npz"
    save_npz(make_example("lensing", n=150, seed=0), data)
    config = {"teacher": "cnn", "lambdas": [0.01], "gammas": [0.0, 0.01], "epochs": 1, "teacher_epochs": 2,
              "levels": 3, "cv_folds": 3, "wave": "db2"}
    result = pipeline.run(data, config, tmp_path / "out")
    jsonschema.validate(json.loads((tmp_path / "out" / "result.json").read_text()),
                        json.loads(pipeline.SCHEMA_PATH.read_text()))
    assert result["data"]["kind"] == "image"
    assert set(result["models"]) >= {"awd", "awd_no_interp", "baseline_wavelet", "laplace", "roberts_cross"}
    assert set(result["wavelet"]["subfilters_3x3"]) == {"LL", "LH", "HL", "HH"}
    assert np.asarray(result["activation"]["maps"]).shape[1:] == (64, 64)


def test_a_teacher_with_nan_outputs_or_gradients_on_the_data_is_refused():
    """Checked on the user's data before any long stage (the upload check only sees random input)."""
    import torch
    from torch import nn

    from models.pipeline import _check_teacher_is_finite

    class Outputs(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))
            self.fn = fn

        def forward(self, x):
            return self.fn(x) * self.w

    X = np.zeros((40, 16), dtype=np.float32)
    X[:, 3] = 1.0
    _check_teacher_is_finite(Outputs(lambda x: x.sum(1)), X)  # a fine teacher passes
    with pytest.raises(ValueError, match="teacher.*NaN or infinite outputs on 40 of the first 40"):
        _check_teacher_is_finite(Outputs(lambda x: x.sum(1) / x[:, 0]), X)  # 1/0 and 0/0
    with pytest.raises(ValueError, match="teacher.*input gradients"):
        _check_teacher_is_finite(Outputs(lambda x: x.abs().sqrt().sum(1)), X)  # d sqrt|x| at 0 is infinite
