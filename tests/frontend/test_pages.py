"""Pages and callbacks, called as plain functions against the in-memory fake API."""

import asyncio
import concurrent.futures
import importlib
import json
import sys

import pytest
from dash import no_update
from fastapi.testclient import TestClient

from frontend import api_client
from frontend.components import is_job_id

from .fake_api import IMAGE_JOB_ID, JOB_ID, SHARE_TOKEN, make_fake_api


def run(coro):
    """Run a coroutine callback to completion in its own thread (Playwright may own this thread's loop)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="module", autouse=True)
def server():
    from frontend.app import create_dash

    app = make_fake_api()
    create_dash(app)
    return app


@pytest.fixture
def fake(server):
    api_client.configure(app=server)
    return server.state.fake


def page(name):
    for mod in (f"frontend.pages.{name}", f"pages.{name}"):
        if mod in sys.modules:
            return sys.modules[mod]
    return importlib.import_module(f"frontend.pages.{name}")


def test_served_on_fastapi(server):
    with TestClient(server) as client:  # lifespan registers Dash's catch-all after /api
        assert client.get("/api/datasets").json()["count"] == 1
        for path in ("/", "/configure", f"/results/{JOB_ID}", "/jobs", "/no/such/page"):
            r = client.get(path)
            assert r.status_code == 200 and "_dash-renderer" in r.text or "dash_renderer" in r.text
        assert client.get("/_dash-layout").status_code == 200
        css = client.get("/assets/vendor/bootstrap.min.css")
        assert css.status_code == 200 and "Bootstrap" in css.text[:200]
        assert "cdn" not in client.get("/").text.lower()


@pytest.mark.parametrize("name,kwargs", [
    ("home", {}), ("home", {"dataset": "ds-1"}), ("configure", {}), ("configure", {"dataset": "ds-1"}),
    ("job", {}), ("job", {"job_id": JOB_ID}), ("results", {}), ("results", {"token": JOB_ID}),
    ("results", {"token": SHARE_TOKEN}), ("jobs", {}), ("not_found", {}),
])
def test_layouts_build(server, name, kwargs):
    layout = page(name).layout(**kwargs)
    json.dumps(layout.to_plotly_json(), default=lambda o: o.to_plotly_json())


def test_shared_view_hides_actions(server):
    owner = str(page("results").layout(token=JOB_ID))
    shared = str(page("results").layout(token=SHARE_TOKEN))
    assert "'results-share'" in owner and "'results-job-link'" in owner
    assert "'results-share'" not in shared and "'results-job-link'" not in shared and "cancel" not in shared.lower()
    assert is_job_id(JOB_ID) and not is_job_id(SHARE_TOKEN) and not is_job_id(None)


def test_home_preview_escapes_names(fake):
    home = page("home")
    children, _, is_open = run(home.show_preview("ds-1"))
    assert is_open is False
    text = str(children)
    assert "<b>my data</b>" in text  # passed as a plain string: React escapes it
    assert "dangerously" not in text
    children, msg, is_open = run(home.show_preview("nope"))
    assert is_open and "dataset not found" in msg


def test_home_example_callback(fake, monkeypatch):
    home = page("home")

    class Ctx:
        triggered_id = {"type": "home-example", "name": "lensing"}

    monkeypatch.setattr(home, "ctx", Ctx)
    ds_id, _, is_open, status = run(home.use_example([0, 0, 1]))
    assert ds_id in fake["datasets"] and fake["datasets"][ds_id]["kind"] == "image" and is_open is False
    Ctx.triggered_id = {"type": "home-example", "name": "nope"}
    ds_id, msg, is_open, _ = run(home.use_example([0, 0, 2]))
    assert ds_id is no_update and is_open and "not found" in msg


def test_configure_grid_parsing_and_payload():
    cfg = page("configure")
    assert cfg.parse_grid("0, 1e-3; 0.01 0.01", "γ") == [0.0, 0.001, 0.01]
    with pytest.raises(ValueError, match="λ: 'abc' is not a number"):
        cfg.parse_grid("1, abc", "λ")
    with pytest.raises(ValueError, match="≥ 0"):
        cfg.parse_grid("-1", "λ")
    with pytest.raises(ValueError, match="at least one"):
        cfg.parse_grid("  ", "λ")
    p = cfg.job_payload("ds-1", "mlp", "0.001", "0, 0.1", 2, 4, "db5", "saliency", 0, "free", "zero")
    assert p == {"dataset_id": "ds-1", "teacher": "mlp", "lambdas": [0.001], "gammas": [0.0, 0.1], "epochs": 2,
                 "levels": 4, "wave": "db5", "attribution": "saliency", "seed": 0, "parametrization": "free",
                 "mode": "zero"}
    with pytest.raises(ValueError, match="epochs"):
        cfg.job_payload("ds-1", "mlp", "0.001", "0", 0, 4, "db5", "saliency", 0, "free", "zero")
    with pytest.raises(ValueError, match="dataset"):
        cfg.job_payload(None, "mlp", "0.001", "0", 2, 4, "db5", "saliency", 0, "free", "zero")
    p = cfg.job_payload("ds-1", "mlp", "0.001", "0", 2, 4, "db5", "saliency", 0, "free", "zero", 25)
    assert p["teacher_epochs"] == 25
    with pytest.raises(ValueError, match="teacher training epochs"):
        cfg.job_payload("ds-1", "mlp", "0.001", "0", 2, 4, "db5", "saliency", 0, "free", "zero", 2.5)


def test_configure_presets_follow_the_paper():
    cfg = page("configure")
    paper_ts = cfg.GRID_PRESETS["timeseries"]["paper"]
    assert len(paper_ts["lambdas"]) == 5 and len(paper_ts["gammas"]) == 21 and paper_ts["gammas"][0] == 0.0
    assert paper_ts["lambdas"][0] == pytest.approx(1e-4) and paper_ts["gammas"][-1] == pytest.approx(10)
    paper_img = cfg.GRID_PRESETS["image"]["paper"]
    assert paper_img["lambdas"] == [0.005, 0.01, 0.02] and len(paper_img["gammas"]) == 11
    lam, gam, epochs = cfg.apply_preset({"kind": "image"}, None, None)
    assert cfg.parse_grid(lam, "λ") == [0.005, 0.01, 0.02] and epochs == 15


def test_configure_estimate():
    cfg = page("configure")
    small = cfg.estimate_seconds("timeseries", [64], 200, 2, 2)
    big = cfg.estimate_seconds("timeseries", [64], 200, 105, 100)
    assert 0 < small < big
    assert cfg.estimate_seconds("timeseries", [64], 200, 2, 2, "integrated_gradients") > small
    # the vectorised grid: 32 points cost about 3.9 times one point per epoch, not 32 times
    one = cfg.estimate_seconds("timeseries", [64], 100_000, 1, 100, teacher="ds-uploaded")
    many = cfg.estimate_seconds("timeseries", [64], 100_000, 32, 100, teacher="ds-uploaded")
    assert 3.0 < many / one < 4.5
    # the free filter differentiates an LSTM teacher twice on every step
    def per_50_epochs(parametrization):
        return (cfg.estimate_seconds("timeseries", [64], 5000, 8, 100, teacher="lstm", parametrization=parametrization)
                - cfg.estimate_seconds("timeseries", [64], 5000, 8, 50, teacher="lstm", parametrization=parametrization))

    assert per_50_epochs("free") / per_50_epochs("orthogonal") > 10
    assert cfg._loglog({64: 1.0, 256: 4.0}, 128) == pytest.approx(2.0)  # power law between table points
    size, est = cfg.update_estimate("0.001", "0, 0.1", 2, "saliency", "mlp", {"kind": "timeseries", "shape": [64],
                                                                              "n": 200})
    assert "1 × 2 = 2 grid points" in str(size) and "Estimated run time" in str(est)
    size, est = cfg.update_estimate("x", "0", 2, "saliency", "mlp", None)
    assert "not a number" in str(size)


def test_configure_submit(fake):
    cfg = page("configure")
    href, status = run(cfg.submit(1, "ds-1", "mlp", "0.001", "0, 0.1", 2, 4, "db5", "saliency", 0, "free",
                                  "zero", "key-1"))
    assert href == f"/jobs/{JOB_ID}" and fake["submitted"][-1]["gammas"] == [0.0, 0.1]
    href, status = run(cfg.submit(1, "gone", "mlp", "0.001", "0", 2, 4, "db5", "saliency", 0, "free", "zero", "k"))
    assert href is no_update and "dataset_id: no such dataset" in str(status)
    href, status = run(cfg.submit(1, "ds-1", "mlp", "bad", "0", 2, 4, "db5", "saliency", 0, "free", "zero", "k"))
    assert href is no_update and "not a number" in str(status)


def test_configure_lists(fake):
    cfg = page("configure")
    options, value, _, _ = run(cfg.load_datasets("ds-1"))
    assert value == "ds-1" and options[0]["label"].startswith("<b>my data</b>")
    info, facts, _ = run(cfg.load_dataset_info("ds-1"))
    assert info["kind"] == "timeseries" and "64" in facts
    opts = cfg.teacher_options([{"id": "mlp", "name": "mlp", "builtin": True},
                                {"id": "t1", "name": "w.safetensors", "arch": "cnn", "builtin": False}])
    assert [o["value"] for o in opts] == ["mlp", "t1"]


def test_job_view_and_losses():
    job = page("job")
    v = job.job_view({"state": "running", "stage": "distilling", "fraction": 0.42, "eta_seconds": 125,
                      "losses": [{"chunk": 0, "epoch": 1, "values": {"train_loss": 2.0}},
                                 {"chunk": 0, "epoch": 2, "values": {"train_loss": 1.0}}]})
    assert v["percent"] == 42 and v["eta"] == "2 min 05 s" and not v["done"] and v["cancellable"]
    assert v["history"] == {"epoch": [1, 2], "train_loss": [2.0, 1.0]}
    v = job.job_view({"state": "failed", "error": "teacher: bad weights", "fraction": 0.1})
    assert v["done"] and v["error"] == "teacher: bad weights" and not v["cancellable"]
    two = job.losses_to_history([{"chunk": 1, "epoch": 1, "values": {"loss": 1}},
                                 {"chunk": 0, "epoch": 1, "values": {"loss": 2}}])
    assert set(two) == {"loss (chunk 0)", "loss (chunk 1)"}


def test_job_poll(fake):
    job = page("job")
    out = run(job.poll(1, JOB_ID))
    assert len(out) == 14 and out[-1] == f"/results/{JOB_ID}" and out[9] is True  # stop polling, go to results
    out = run(job.poll(1, IMAGE_JOB_ID))
    assert out[2] == 40 and out[-1] is no_update and out[9] is False
    out = run(job.poll(1, "missing"))
    assert out[6] == "No such job." and out[9] is True
    msg, is_open = run(job.cancel(1, IMAGE_JOB_ID))
    assert is_open and fake["jobs"][IMAGE_JOB_ID]["state"] == "cancelled"


def test_results_load_and_not_found(fake):
    res = page("results")
    out = run(res.load_result(JOB_ID))
    assert len(out) == 17 and out[0]["grid"] and "activation" not in out[0] and out[1]["maps"]
    assert out[-1] is False  # the owner's view carries no "read-only" note
    assert out[3] == {} and out[6] == {"display": "none"}  # visible body; maps-only cards hidden for series
    out = run(res.load_result(IMAGE_JOB_ID))
    assert out[6] == {}
    out = run(res.load_result(SHARE_TOKEN))
    assert "shared · read-only" in str(out[4]) and out[-1] is True
    out = run(res.load_result("revoked-or-invalid"))
    assert out[0] is None and "invalid, has expired or was revoked" in str(out[2]) and out[3] == {"display": "none"}
    assert out[-1] is False  # no "read-only view" note above the not-found card


def test_results_grid_click(fake):
    res = page("results")
    core = run(res.load_result(JOB_ID))[0]
    assert res.clicked_from({"points": [{"customdata": 4}]}) == 4
    assert res.clicked_from({"points": [{"customdata": [3]}]}) == 3
    assert res.clicked_from(None) is None and res.clicked_from({"points": [{}]}) is None
    wav, filt, heat, psi, text = res.draw_grid(core, 4)
    assert "Inspecting λ" in text and any(t.name == "inspecting" for t in heat.data)
    wav, filt, heat, psi, text = res.draw_grid(core, None)
    assert text.startswith("Showing the selected point")


def test_results_share_and_revoke(fake):
    res = page("results")
    created, is_open, status = run(res.share(1, JOB_ID))
    assert created["url"] == "/results/new-token" and is_open and "does not expire" in status
    assert run(res.share(1, SHARE_TOKEN)) == (no_update, no_update, no_update)  # no sharing from a shared view
    status, data = run(res.revoke(1, created))
    assert "revoked" in status and data is None and "new-token" not in fake["shares"]


def test_results_downloads_and_activation(fake):
    res = page("results")
    bundle = fake["results"][JOB_ID]
    links = str(res.downloads(bundle, JOB_ID))
    assert f"/api/results/{JOB_ID}/files/arrays.npz" in links and "awd-result.json" in links
    opts = res.example_options(bundle["activation"])
    assert len(opts) == 3 and opts[1]["value"] == 1
    fig = res.draw_activation(2, bundle["activation"], {"data": bundle["data"]})
    assert "test example 2" in fig.layout.title.text


def test_jobs_list(fake):
    jobs = page("jobs")
    table = str(run(jobs.refresh(0)))
    assert f"/results/{JOB_ID}" in table and "succeeded" in table
    assert "No jobs yet" in str(jobs.jobs_table([]))


def test_api_client_errors():
    from fastapi import FastAPI, HTTPException

    app = FastAPI()

    @app.get("/api/jobs/{job_id}")
    def boom(job_id: str):
        raise HTTPException(409, "state: the job already finished")

    client = api_client.ApiClient(app=app)
    with pytest.raises(api_client.ApiError) as exc:
        run(client.get_job("x"))
    assert exc.value.status == 409 and exc.value.message == "state: the job already finished"
    assert api_client.error_message({"detail": [{"loc": ["body", "epochs"], "msg": "too small"}]}, 422) == \
        "epochs: too small"
    assert api_client.error_message(None, 413) == "file too large"
    unreachable = api_client.ApiClient(base_url="http://127.0.0.1:9", timeout=2)
    with pytest.raises(api_client.ApiError) as exc:
        run(unreachable.list_jobs())
    assert exc.value.status == 0 and "could not be reached" in exc.value.message
    with pytest.raises(ValueError, match="base_url"):
        api_client.ApiClient()


def test_error_handler_logs_and_reports(caplog, monkeypatch):
    from frontend import app as app_module

    calls = []
    monkeypatch.setattr(app_module, "set_props", lambda i, p: calls.append((i, p)))
    try:
        raise RuntimeError("kaboom")
    except RuntimeError as err:
        with caplog.at_level("ERROR", logger="frontend"):
            app_module.report_error(err)
    assert calls == [("app-error", {"children": "Something went wrong: kaboom", "is_open": True})]
    assert "Traceback" in caplog.text and "kaboom" in caplog.text


def test_results_summary_shows_the_verdict_and_warnings(server):
    from .conftest import make_bundle

    res = page("results")
    bundle = make_bundle("timeseries")
    text = "No significant gain over db5: use db5 (cross-validation kept it)."
    bundle["verdict"] = {"text": text, "choice": "initial", "metric": "r2", "warnings": ["The AWD student does not "
                         "beat predicting the training mean in cross-validation (CV R² -0.100)."],
                         "test_difference": {"estimate": 0.0, "low": -0.01, "high": 0.01, "level": 0.95,
                                             "n_boot": 10000}}
    shown = str(res.summary_children(bundle))
    assert text in shown and "results-verdict" in shown and "does not beat predicting the training mean" in shown
    del bundle["verdict"]
    assert "results-verdict" not in str(res.summary_children(bundle))
