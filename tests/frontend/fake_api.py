"""A tiny in-memory stand-in for the AWD Studio API (same paths and shapes), for frontend tests.

``make_fake_api()`` returns a FastAPI app with ``/api`` routes only; the tests mount the Dash
pages on it with ``frontend.app.create_dash`` exactly as ``backend.app.create_app`` does.
"""

import copy
import uuid

import numpy as np
from fastapi import FastAPI, File, Form, HTTPException, UploadFile

from .conftest import make_bundle

JOB_ID = "11111111-2222-4333-8444-555555555555"
IMAGE_JOB_ID = "11111111-2222-4333-8444-666666666666"
SHARE_TOKEN = "shared-token-abc_DEF"


def _dataset(ds_id, name, kind="timeseries"):
    rng = np.random.default_rng(0)
    y = rng.standard_normal(40)
    counts, edges = np.histogram(y, bins=8)
    shape = [64] if kind == "timeseries" else [16, 16]
    return {"id": ds_id, "name": name, "source": "upload", "kind": kind, "shape": shape, "n": 40, "n_test": None,
            "sha256": "b" * 64, "size_bytes": 1000, "created": "2025-01-01T00:00:00",
            "summary": {"kind": kind, "shape": shape, "n": 40,
                        "targets": [{"name": "y", "mean": 0.0, "std": 1.0,
                                     "histogram": {"counts": counts.tolist(), "edges": edges.tolist()}}],
                        "preview": {"X": rng.standard_normal((3, *shape)).round(4).tolist(), "y": y[:3].tolist()}}}


def make_fake_api():
    app = FastAPI()
    state = {
        "datasets": {"ds-1": _dataset("ds-1", "<b>my data</b>")},
        "jobs": {
            JOB_ID: {"id": JOB_ID, "state": "succeeded", "stage": "done", "fraction": 1.0, "eta_seconds": 0,
                     "config": {"epochs": 2}, "created": "2025-01-01T00:00:00", "attempt": 1,
                     "losses": [{"chunk": 0, "epoch": e, "values": {"train_loss": 1 / e}} for e in (1, 2, 3)]},
            IMAGE_JOB_ID: {"id": IMAGE_JOB_ID, "state": "running", "stage": "distilling", "fraction": 0.4,
                           "eta_seconds": 75, "config": {}, "created": "2025-01-02T00:00:00", "attempt": 1,
                           "losses": []},
        },
        "results": {JOB_ID: make_bundle("timeseries"), IMAGE_JOB_ID: make_bundle("image")},
        "shares": {SHARE_TOKEN: JOB_ID},
        "submitted": [],
    }
    app.state.fake = state

    @app.get("/api/datasets")
    def list_datasets():
        rows = list(state["datasets"].values())
        return {"data": rows, "count": len(rows)}

    @app.get("/api/datasets/{ds_id}")
    def get_dataset(ds_id: str):
        if ds_id not in state["datasets"]:
            raise HTTPException(404, "dataset not found")
        return state["datasets"][ds_id]

    @app.post("/api/datasets")
    async def upload(file: UploadFile = File(...), name: str | None = Form(None)):
        content = await file.read()
        if not content:
            raise HTTPException(422, "file: the upload is empty; send an .npz with X and y")
        ds_id = str(uuid.uuid4())
        state["datasets"][ds_id] = _dataset(ds_id, name or file.filename)
        return state["datasets"][ds_id]

    @app.get("/api/examples")
    def examples():
        return {"data": [{"name": n, "kind": "timeseries", "description": n} for n in ("synthetic", "cme")],
                "count": 2}

    @app.post("/api/examples/{name}")
    def make_example(name: str):
        if name not in ("synthetic", "cme", "lensing"):
            raise HTTPException(404, f"example {name!r} not found")
        ds_id = str(uuid.uuid4())
        state["datasets"][ds_id] = _dataset(ds_id, name, "image" if name == "lensing" else "timeseries")
        return state["datasets"][ds_id]

    @app.get("/api/teachers")
    def teachers():
        rows = [{"id": a, "name": a, "arch": a, "builtin": True} for a in ("mlp", "lstm", "cnn", "resnet18")]
        return {"data": rows, "count": len(rows)}

    @app.post("/api/jobs")
    def create_job(body: dict):
        if body.get("dataset_id") not in state["datasets"]:
            raise HTTPException(422, "dataset_id: no such dataset")
        state["submitted"].append(copy.deepcopy(body))
        return {"id": JOB_ID, "state": "queued"}

    @app.get("/api/jobs")
    def list_jobs():
        rows = list(state["jobs"].values())
        return {"data": rows, "count": len(rows)}

    @app.get("/api/jobs/{job_id}")
    def get_job(job_id: str):
        if job_id not in state["jobs"]:
            raise HTTPException(404, "job not found")
        return state["jobs"][job_id]

    @app.post("/api/jobs/{job_id}/cancel")
    def cancel(job_id: str):
        state["jobs"][job_id]["state"] = "cancelled"
        return state["jobs"][job_id]

    @app.post("/api/jobs/{job_id}/share")
    def share(job_id: str):
        state["shares"]["new-token"] = job_id
        return {"id": "s1", "job_id": job_id, "token": "new-token", "url": "/results/new-token", "expires": None,
                "created": "2025-01-01T00:00:00", "revoked": False}

    @app.delete("/api/shares/{token}")
    def revoke(token: str):
        state["shares"].pop(token, None)
        return {"ok": True}

    @app.get("/api/results/{token}")
    def result(token: str):
        job_id = token if token in state["results"] else state["shares"].get(token)
        if job_id is None:
            raise HTTPException(404, "result not found")
        return state["results"][job_id]

    return app
