"""Helpers of the route tests: data files in memory, a small-limit app, cleanup of queued jobs."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest


def npz_bytes(**arrays) -> bytes:
    """An ``.npz`` file in memory (object arrays are pickled by NumPy, as an attacker would)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def example_npz(n: int = 60, length: int = 64, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, length))
    return npz_bytes(X=X, y=X[:, :4].sum(axis=1))


@pytest.fixture()
def upload(client):
    """``upload(content, filename, **form)`` posts to /api/datasets."""

    def post(content: bytes, filename: str = "data.npz", **form):
        return client.post("/api/datasets", files={"file": (filename, content, "application/octet-stream")},
                           data=form)

    return post


@pytest.fixture()
def stored_files(data_dir):
    """A snapshot function of every file under the data directory except the database and Redis."""

    def snapshot():
        out = set()
        for folder, _dirs, files in os.walk(data_dir):
            for name in files:
                path = os.path.join(folder, name)
                if "awd.sqlite3" not in name:
                    out.add(os.path.relpath(path, data_dir))
        return out

    return snapshot


@pytest.fixture(autouse=True)
def _cancel_queued_jobs(request):
    """Route tests enqueue jobs but start no worker: cancel them so no later worker runs them."""
    yield
    if "client" not in request.fixturenames:
        return
    client = request.getfixturevalue("client")
    for job in client.get("/api/jobs", params={"state": "queued"}).json()["data"]:
        client.post(f"/api/jobs/{job['id']}/cancel")


@pytest.fixture()
def dataset(client):
    """A stored dataset (60 series of length 64; the same file each time, so later calls get the same dataset)."""
    response = client.post("/api/datasets", files={"file": ("ok.npz", example_npz(), "application/octet-stream")})
    assert response.status_code in (200, 201), response.text
    return response.json()
