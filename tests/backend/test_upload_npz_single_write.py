"""An upload stored as one ``.npz`` (read anew with an option, or X and y in two files) has its bytes written once,
under ``tmp``, then moved into place: nothing else is left there, after success or after a write failing half-way,
and the same upload again finds the dataset stored the first time."""

from __future__ import annotations

import errno
import hashlib
import io

import numpy as np
import pytest

from awd_studio.backend.routes import datasets as route
from awd_studio.models.data import load_dataset, save_npz
from awd_studio.models.data import dataset as dataset_module
from awd_studio.models.files import sha256_file


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _ended_early_csv(seed: int) -> bytes:
    """30 traces of 12 samples and a target; one ends two samples early (read with pad_ends: stored as .npz)."""
    X = np.random.default_rng(seed).normal(size=(30, 12))
    rows = [",".join([f"t{i}" for i in range(12)] + ["y"])]
    rows += [",".join([str(v) for v in X[i]] + [str(X[i, :3].sum())]) for i in range(30)]
    cells = rows[5].split(",")
    rows[5] = ",".join(cells[:-3] + ["", "", cells[-1]])
    return "\n".join(rows).encode()


def _pair(seed: int) -> dict:
    X = np.random.default_rng(seed).normal(size=(30, 16))
    return {"file": ("pair_X.npy", _npy(X)), "y": ("pair_y.npy", _npy(X[:, 0]))}


def _post(client, files: dict, **form):
    return client.post("/api/datasets", files={k: (name, data, "application/octet-stream")
                                               for k, (name, data) in files.items()}, data=form)


@pytest.fixture()
def npz_writes(monkeypatch):
    """The ``.npz`` files the upload route writes, one path per ``save_npz`` call."""
    calls = []

    def counted(dataset, path, **options):
        calls.append(path)
        return save_npz(dataset, path, **options)

    monkeypatch.setattr(route, "save_npz", counted)
    return calls


def test_rows_read_anew_are_written_once_and_found_again(client, stored_files, data_dir, npz_writes):
    content = _ended_early_csv(7101)
    before = stored_files()
    first = _post(client, {"file": ("ended.csv", content)}, pad_ends="true")
    assert first.status_code == 201, first.text
    body = first.json()
    assert len(npz_writes) == 1  # the earlier release's copy is looked up by a digest, never written
    stored = data_dir / "datasets" / body["id"] / "data.npz"
    assert stored_files() - before == {str(stored.relative_to(data_dir))}  # nothing left under tmp
    dataset = load_dataset(stored)
    assert dataset.meta["source_file"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert sha256_file(stored) == dataset_module.npz_sha256(dataset)  # the bytes save_npz gives that dataset
    again = _post(client, {"file": ("ended.csv", content)}, pad_ends="true")
    assert again.status_code == 200 and again.json()["id"] == body["id"], again.text
    assert again.json()["sha256"] == body["sha256"] and len(npz_writes) == 1
    assert stored_files() - before == {str(stored.relative_to(data_dir))}


def test_x_and_y_in_two_files_are_written_once_and_found_again(client, stored_files, data_dir, npz_writes):
    files = _pair(7102)
    before = stored_files()
    first = _post(client, files)
    assert first.status_code == 201, first.text
    body = first.json()
    digests = {field: hashlib.sha256(data).hexdigest() for field, (_, data) in files.items()}
    assert body["sha256"] == hashlib.sha256(f"file:{digests['file']};y:{digests['y']};".encode()).hexdigest()
    assert len(npz_writes) == 1
    stored = data_dir / "datasets" / body["id"] / "data.npz"
    assert stored_files() - before == {str(stored.relative_to(data_dir))}
    with np.load(stored, allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["y"], np.load(io.BytesIO(files["y"][1])))
    again = _post(client, files)
    assert again.status_code == 200 and again.json()["id"] == body["id"], again.text
    assert len(npz_writes) == 1 and stored_files() - before == {str(stored.relative_to(data_dir))}


@pytest.mark.parametrize("how", ["read anew", "two files"])
def test_a_write_failing_half_way_leaves_nothing(client, stored_files, monkeypatch, how):
    """The disk fills while the .npz is written: 507, and neither the partial file nor the name reserved for it
    stays under tmp."""
    real_write = dataset_module._write_npz

    def half_then_full(fh, arrays, compress):
        real_write(fh, {"X": arrays["X"]}, compress)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dataset_module, "_write_npz", half_then_full)
    before = stored_files()
    count = client.get("/api/datasets").json()["count"]
    if how == "read anew":
        response = _post(client, {"file": ("full.csv", _ended_early_csv(7103))}, pad_ends="true")
    else:
        response = _post(client, _pair(7104))
    assert response.status_code == 507, response.text
    assert stored_files() == before, "a failed write left files behind"
    assert client.get("/api/datasets").json()["count"] == count
