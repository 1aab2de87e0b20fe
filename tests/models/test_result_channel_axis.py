"""A file that stores ``X`` with a channel axis of size 1 (PyTorch's ``(n, 1, L)``) is distilled without it, and the
result says so: ``data.channel_axis`` of ``result.json`` gives each array's shape as stored, as the dataset's
``meta["channel_axis"]`` does, so that a results page, a downloaded bundle or a paper's supplement can tell the
stored layout from the one distilled. A file without that axis has no such key. Tiny jobs (an MLP teacher, two
epochs)."""

import json

import jsonschema
import numpy as np
import pytest
import torch

from awd_studio.models import pipeline

torch.set_num_threads(1)

#: The smallest job of tests/models/test_pipeline.py, without the searches of starting points and of students.
TINY = {"teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0], "epochs": 2, "teacher_epochs": 5, "levels": 3,
        "cv_folds": 3, "start_search": 0, "random_search": 0}
N, L = 120, 32


def _series():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(N, L))
    return X, X[:, 8:12].sum(axis=1) + 0.1 * rng.normal(size=N)


def _result(path, out) -> dict:
    pipeline.run(path, TINY, out)
    on_disk = json.loads((out / "result.json").read_text())
    jsonschema.validate(on_disk, json.loads(pipeline.SCHEMA_PATH.read_text()))
    return on_disk


def test_the_result_records_the_shapes_x_and_x_test_were_stored_in(tmp_path):
    X, y = _series()
    np.savez(tmp_path / "torch.npz", X=X[:90, None, :], y=y[:90], X_test=X[90:, None, :], y_test=y[90:])
    data = _result(tmp_path / "torch.npz", tmp_path / "out")["data"]
    assert data["channel_axis"] == {"X": [90, 1, L], "X_test": [N - 90, 1, L]}
    assert data["shape"] == [L] and data["n_test"] == N - 90


def test_keras_layout_is_recorded_as_stored(tmp_path):
    X, y = _series()
    np.savez(tmp_path / "keras.npz", X=X[:, :, None], y=y)
    data = _result(tmp_path / "keras.npz", tmp_path / "out")["data"]
    assert data["channel_axis"] == {"X": [N, L, 1]}
    assert data["shape"] == [L] and data["n_train"] + data["n_test"] == N


def test_a_file_without_a_channel_axis_has_no_such_key(tmp_path):
    X, y = _series()
    np.savez(tmp_path / "plain.npz", X=X, y=y)
    data = _result(tmp_path / "plain.npz", tmp_path / "out")["data"]
    assert "channel_axis" not in data and data["shape"] == [L]


def test_the_schema_takes_only_shapes_by_array_name():
    described = json.loads(pipeline.SCHEMA_PATH.read_text())["properties"]["data"]["properties"]["channel_axis"]
    jsonschema.validate({"X": [200, 1, 64], "X_test": [50, 64, 1]}, described)
    for wrong in ({"X": [200, 64]}, {"X": ["200", 1, 64]}, {"X": [200, 0, 64]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, described)


def test_a_malformed_channel_axis_in_a_files_own_metadata_is_left_out(tmp_path):
    """A saved dataset keeps its channel_axis in meta_json, where a hand-made file may put anything: the reader keeps
    only shapes of X and X_test, so the preview's note, awd distill's and the result's are never built from it."""
    from awd_studio.models.data import load_dataset

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 32))
    for meta, kept in (({"channel_axis": "(40, 1, 32)"}, None), ({"channel_axis": {"X": [40, 0, 32]}}, None),
                       ({"channel_axis": {"X": [40, 1, 32], "y": [40, 1]}}, {"X": [40, 1, 32]}),
                       ({"channel_axis": {"X": [7, 5, 3], "X_test": [2, 1, 9]}}, None),  # not this file's arrays
                       ({"channel_axis": {"X": [40, 32, 1]}}, {"X": [40, 32, 1]}),
                       ({"channel_axis": {"X": [45, 1, 32]}}, {"X": [45, 1, 32]})):  # 5 rows left out after
        path = tmp_path / "hand.npz"
        np.savez(path, X=X, y=X[:, 0], meta_json=np.asarray(json.dumps(meta)))
        assert load_dataset(path).meta.get("channel_axis") == kept
