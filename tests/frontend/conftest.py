"""Hand-made result bundles (time series and maps) that validate against the bundle schema, the seeded service the
page callbacks talk to, and :func:`run` for the async callbacks."""

import asyncio
import concurrent.futures
import contextlib
import copy
import json
from pathlib import Path

import numpy as np
import pytest
import pywt

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "models" / "schema" / "result-bundle.schema.json"


def run(coro):
    """Run a coroutine callback to completion in its own thread (Playwright may own this thread's loop)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@contextlib.contextmanager
def callback_context(triggered: str | None = None):
    """A callback context as Dash's dispatch sets one, triggered by ``triggered`` (``"<id>.<prop>"``) when given;
    yields the props the callback sets with ``dash.set_props`` (``{component id: {prop: value}}``)."""
    from dash._callback_context import context_value  # the context Dash's dispatch sets for each callback
    from dash._utils import AttributeDict

    inputs = [{"prop_id": triggered, "value": None}] if triggered else []
    context = AttributeDict(triggered_inputs=inputs, updated_props={})
    token = context_value.set(context)
    try:
        yield context.updated_props
    finally:
        context_value.reset(token)


def run_triggered(triggered: str, coro):
    """:func:`run` of a callback that Dash called because ``triggered`` (``"<id>.<prop>"``) changed: the callback
    context is set in the thread the coroutine runs in."""
    def inside():
        with callback_context(triggered):
            return asyncio.run(coro)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(inside).result()


def run_with_side_updates(coro):
    """:func:`run`, inside a :func:`callback_context`: returns the callback's value and the props it set with
    ``dash.set_props``."""
    def inside():
        with callback_context() as side:
            return asyncio.run(coro), dict(side)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(inside).result()


def _score(r2, rmse, sd, comp, n_params, sec):
    return {"test": {"r2": r2, "rmse": rmse, "rmse_sd": sd}, "compression_factor": comp,
            "n_params": n_params, "predict_seconds_per_sample": sec}


def make_bundle(kind="timeseries", n_lambda=2, n_gamma=3, seed=0):
    """A small, schema-valid bundle with every optional key the UI reads."""
    rng = np.random.default_rng(seed)
    w = pywt.Wavelet("db5")
    h0 = np.asarray(w.rec_lo)
    g0 = ((-1.0) ** np.arange(h0.size)) * h0[::-1]
    phi0, psi0, x = w.wavefun(level=5)
    lambdas = list(np.geomspace(1e-4, 5e-3, n_lambda))
    gammas = [0.0] + list(np.geomspace(1e-3, 1.0, n_gamma - 1))
    grid = []
    for i, lam in enumerate(lambdas):
        for j, gam in enumerate(gammas):
            h = h0 + 0.01 * rng.standard_normal(h0.size)
            grid.append({"lambda": float(lam), "gamma": float(gam), "cv_score": float(0.2 + 0.1 * rng.random()),
                         "losses": {"recon": float(rng.random()), "wavelet": 0.01}, "h": h.tolist(),
                         "index": len(grid), "i_lambda": i, "i_gamma": j, "cv_score_sd": 0.01,
                         "psi": (psi0 + 0.05 * rng.standard_normal(psi0.size)).tolist(),
                         "distance_to_init": float(rng.random())})
    sel = 1
    h = np.asarray(grid[sel]["h"])
    g = ((-1.0) ** np.arange(h.size)) * h[::-1]
    models = {"awd": _score(0.26, 1.0, 0.05, 0.57, 37, 2e-4),
              "awd_no_interp": _score(0.23, 1.05, 0.05, 0.6, 37, 2e-4),
              "baseline_wavelet": _score(0.19, 1.1, 0.06, 0.7, 37, 2e-4)}
    wavelet = {"init": "db5", "h": h.tolist(), "g": g.tolist(), "x": x.tolist(), "phi": phi0.tolist(),
               "psi": grid[sel]["psi"], "validity": {"orthonormality_error": 1e-3, "reconstruction_error": 1e-4},
               "parametrization": "free", "mode": "zero", "levels": 4, "init_h": h0.tolist(),
               "init_g": g0.tolist(), "init_phi": phi0.tolist(), "init_psi": psi0.tolist()}
    if kind == "image":
        shape, m = [16, 16], 3
        models["laplace"] = _score(0.1, 1.3, 0.07, None, 88, 1e-4)
        models["roberts_cross"] = _score(0.12, 1.25, 0.07, None, 88, 1e-4)
        wavelet["filters_2d"] = {k: np.outer(a, b).tolist() for k, (a, b) in
                                 {"LL": (h, h), "LH": (g, h), "HL": (h, g), "HH": (g, g)}.items()}
        sub = {k: rng.standard_normal((3, 3)).tolist() for k in ("LL", "LH", "HL", "HH")}
        wavelet["subfilters_3x3"] = sub
        wavelet["init_subfilters_3x3"] = copy.deepcopy(sub)
        xs = rng.standard_normal((m, *shape))
    else:
        shape, m = [64], 3
        xs = rng.standard_normal((m, *shape))
    maps = np.abs(rng.standard_normal(xs.shape))
    return {
        "schema": "awd-result/1",
        "data": {"kind": kind, "shape": shape, "n_train": 160, "n_test": 40, "sha256": "a" * 64},
        "teacher": {"name": "mlp" if kind == "timeseries" else "cnn", "n_params": 4000,
                    "test": {"r2": 0.24, "rmse": 1.02}, "predict_seconds_per_sample": 0.04},
        "grid": grid,
        "selected": {"lambda": grid[sel]["lambda"], "gamma": grid[sel]["gamma"], "index": sel},
        "models": models,
        "wavelet": wavelet,
        "provenance": {"version": "0.1.0", "git_sha": None, "seed": 0, "config": {"epochs": 2, "wave": "db5"},
                       "started": "2025-01-01T00:00:00Z", "finished": "2025-01-01T00:01:00Z", "device": "cpu"},
        "lambdas": [float(v) for v in lambdas],
        "gammas": [float(v) for v in gammas],
        "cv": {"metric": "R²", "folds": 5},
        "history": {"epoch": [1, 2, 3], "train_loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.4]},
        "activation": {"kind": kind, "indices": list(range(m)), "x": xs.tolist(), "maps": maps.tolist(),
                       "y_true": [0.1, 0.2, 0.3], "y_pred": [0.15, 0.18, 0.33]},
        "summary": "AWD test R2 0.26",
        "files": ["result.json", "arrays.npz"],
        "timings": {"prepare": 1.5, "distill_seconds_per_epoch": 0.0154, "finalize": 200.0},
    }


def minimal_bundle(bundle):
    """The same bundle with every optional key removed (required keys only)."""
    schema = json.loads(SCHEMA_PATH.read_text())
    out = {k: copy.deepcopy(bundle[k]) for k in schema["required"]}
    out["grid"] = [{k: p[k] for k in ("lambda", "gamma", "cv_score", "losses", "h")} for p in out["grid"]]
    out["selected"] = {k: out["selected"][k] for k in ("lambda", "gamma")}
    out["wavelet"] = {k: out["wavelet"][k] for k in ("init", "h", "g", "x", "phi", "psi", "validity")}
    return out


@pytest.fixture(scope="session")
def bundle_schema():
    return json.loads(SCHEMA_PATH.read_text())


@pytest.fixture
def ts_bundle():
    return make_bundle("timeseries")


@pytest.fixture
def image_bundle():
    return make_bundle("image")


@pytest.fixture
def bare_bundle():
    return minimal_bundle(make_bundle("timeseries"))


@pytest.fixture
def dataset_summary():
    rng = np.random.default_rng(1)
    y = rng.standard_normal(50)
    counts, edges = np.histogram(y, bins=10)
    return {"name": "synthetic", "kind": "timeseries", "shape": [64], "n": 50, "n_test": 0, "n_targets": 1,
            "target_names": ["y"],
            "targets": [{"name": "y", "mean": 0.0, "std": 1.0, "min": -2.0, "max": 2.0, "n_unique": 50,
                         "histogram": {"counts": counts.tolist(), "edges": edges.tolist()}}],
            "x_stats": {"mean": 0.0, "std": 1.0, "min": -3.0, "max": 3.0},
            "preview": {"X": rng.standard_normal((3, 64)).tolist(), "y": y[:3].tolist()}, "meta": {}}


class SeededService:
    """The real AWD Studio service (API and pages) on its own SQLite file and data directory, seeded through
    the real API and the real job-state functions: two datasets, a succeeded time-series job and a succeeded
    maps job (each with a result bundle), a running job with live losses, and a share link."""

    def __init__(self, app, settings):
        from fastapi.testclient import TestClient

        from awd_studio.jobstate import crud
        from awd_studio.jobstate.db import get_sessionmaker

        self.app, self.settings = app, settings
        self.client = TestClient(app)
        self.client.__enter__()  # runs the lifespan: Dash's catch-all comes after /api
        upload = self.client.post("/api/datasets", data={"name": "<b>my data</b>"},
                                  files={"file": ("series.npz", _npz(64, seed=1), "application/octet-stream")})
        assert upload.status_code == 201, upload.text
        self.dataset_id = upload.json()["id"]
        maps = self.client.post("/api/datasets", files={"file": ("maps.npz", _npz((16, 16), seed=2),
                                                                 "application/octet-stream")})
        assert maps.status_code == 201, maps.text
        self.image_dataset_id = maps.json()["id"]
        with get_sessionmaker(settings.sqlalchemy_url)() as session:
            self.job_id = self._finished(session, crud, self.dataset_id, make_bundle("timeseries"))
            self.image_job_id = self._finished(session, crud, self.image_dataset_id, make_bundle("image"))
            running = crud.create_job(session, dataset_id=self.dataset_id, teacher_id=None, config={"epochs": 9})
            attempt = crud.claim_job(session, job_id=running.id, worker="frontend-tests@nowhere")
            crud.set_progress(session, job_id=running.id, attempt=attempt, stage="distill", fraction=0.4,
                              message="epoch 4/9")
            for epoch in (1, 2, 3):
                crud.add_loss_point(session, job_id=running.id, attempt=attempt, chunk=0, epoch=epoch,
                                    values={"train_loss": 1 / epoch})
            self.running_job_id = running.id
        self.share_token = self.client.post(f"/api/jobs/{self.job_id}/share").json()["token"]

    def _finished(self, session, crud, dataset_id, bundle) -> str:
        job = crud.create_job(session, dataset_id=dataset_id, teacher_id=None, config={"epochs": 2})
        attempt = crud.claim_job(session, job_id=job.id, worker="frontend-tests@nowhere")
        result = self.settings.data_dir / "jobs" / job.id / f"attempt-{attempt}" / "result"
        result.mkdir(parents=True)
        (result / "result.json").write_text(json.dumps(bundle))
        np.savez(result / "arrays.npz", h=np.asarray(bundle["wavelet"]["h"]))
        assert crud.finish_job(session, job_id=job.id, attempt=attempt, state="succeeded",
                               result_dir=str(result.relative_to(self.settings.data_dir)))
        return job.id

    def close(self):
        self.client.__exit__(None, None, None)


def _npz(shape, seed: int, n: int = 40) -> bytes:
    import io

    rng = np.random.default_rng(seed)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    X = rng.standard_normal((n, *shape))
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=X.reshape(n, -1)[:, :3].sum(axis=1))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def service(settings, redis_server, tmp_path_factory):
    """The seeded service of :class:`SeededService` (no recovery loop: nothing else touches its database)."""
    from awd_studio.backend.app import create_app

    root = tmp_path_factory.mktemp("frontend-service")
    own = settings.model_copy(update={"data_dir": root, "database_url": f"sqlite:///{root / 'awd.sqlite3'}",
                                      "rate_limit_per_minute": 0.0})
    seeded = SeededService(create_app(own, recovery=False), own)
    yield seeded
    seeded.close()
