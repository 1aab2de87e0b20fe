"""Pages and callbacks, called as plain functions against the real service (``service`` in conftest.py):
the real API, database and storage, seeded through the API and the job-state functions."""

import copy
import doctest
import importlib
import json
import re
import sys
from pathlib import Path

import dash
import pytest
from dash import Output, no_update
from fastapi import FastAPI, HTTPException

from awd_studio.frontend import api_client, figures, share_dialog
from awd_studio.frontend import app as app_module
from awd_studio.frontend.components import alert_outputs, is_job_id, named_update
from awd_studio.frontend.results_student import _shown_student, _students_store
from awd_studio.frontend.shown_result import shown_bundle

from .conftest import callback_context, make_bundle, run, run_triggered

SHARE_LIKE = "shared-token-abc_DEF"


@pytest.fixture(autouse=True)
def _client_of(service):
    """Callbacks talk to the seeded service (other test modules build apps of their own)."""
    api_client.configure(app=service.app)


def fits(value, outputs) -> bool:
    """True when a callback's return value has the shape of its ``output=`` dict, as Dash checks it:
    a bare ``no_update``, or the same names at every level (a nested group may not be a bare ``no_update``)."""
    if value is no_update:
        return True
    return _same_shape(value, outputs)


def _same_shape(value, spec) -> bool:
    if isinstance(spec, dict):
        return isinstance(value, dict) and set(value) == set(spec) and all(_same_shape(value[k], spec[k]) for k in spec)
    return True


def page(name):
    for mod in (f"awd_studio.frontend.pages.{name}", f"pages.{name}"):
        if mod in sys.modules:
            return sys.modules[mod]
    return importlib.import_module(f"awd_studio.frontend.pages.{name}")


def test_served_on_fastapi(service):
    client = service.client
    assert client.get("/api/datasets").json()["count"] == 2
    for path in ("/", "/configure", f"/results/{service.job_id}", "/jobs", "/no/such/page"):
        r = client.get(path)
        assert r.status_code == (404 if path == "/no/such/page" else 200), path
        assert "_dash-renderer" in r.text or "dash_renderer" in r.text
        assert '<html lang="en">' in r.text, path  # screen readers read the pages in their language
    assert client.get("/_dash-layout").status_code == 200
    css = client.get("/assets/vendor/bootstrap.min.css")
    assert css.status_code == 200 and "Bootstrap" in css.text[:200]
    # no script or stylesheet from another host (the lab may be offline); a random token may contain "cdn"
    assert not re.search(r'(src|href)="(https?:)?//', client.get("/").text)


@pytest.mark.parametrize("name,kwargs", [
    ("home", {}), ("home", {"dataset": "ds"}), ("configure", {}), ("configure", {"dataset": "ds"}),
    ("job", {}), ("job", {"job_id": "00000000-0000-4000-8000-000000000000"}), ("results", {}),
    ("results", {"token": "00000000-0000-4000-8000-000000000000"}), ("results", {"token": SHARE_LIKE}),
    ("jobs", {}), ("not_found", {}),
])
def test_layouts_build(service, name, kwargs):
    layout = page(name).layout(**kwargs)
    json.dumps(layout.to_plotly_json(), default=lambda o: o.to_plotly_json())


def test_shared_view_hides_actions(service):
    owner = str(page("results").layout(token=service.job_id))
    shared = str(page("results").layout(token=SHARE_LIKE))
    assert "'results-share'" in owner and "'results-job-link'" in owner
    assert "'results-share'" not in shared and "'results-job-link'" not in shared and "cancel" not in shared.lower()
    assert f"/configure?from={service.job_id}" in owner and "configure?from" not in shared  # run again: the owner's
    assert is_job_id(service.job_id) and not is_job_id(SHARE_LIKE) and not is_job_id(None)


def test_home_preview_escapes_names(service):
    home = page("home")
    out = run(home.show_preview(service.dataset_id))
    assert fits(out, home.PREVIEW_OUTPUTS) and out["error"]["is_open"] is False
    text = str(out["preview"])
    assert "<b>my data</b>" in text  # passed as a plain string: React escapes it
    assert "dangerously" not in text
    out = run(home.show_preview("00000000-0000-4000-8000-000000000000"))
    assert fits(out, home.PREVIEW_OUTPUTS) and out["error"]["is_open"] and "not found" in out["error"]["children"]
    out = run(home.show_preview(None))
    assert fits(out, home.PREVIEW_OUTPUTS) and out["preview"] == [] and out["error"]["is_open"] is no_update


def test_configure_lists_a_constant_target_column_disabled_and_opens_on_one_that_varies():
    configure = page("configure")
    summary = {"n_targets": 2, "target_names": ["SIGMA_8", "OMEGA_M"],
               "targets": [{"n_unique": 1, "min": 0.8}, {"n_unique": 40, "min": 0.2}]}
    options = configure.target_options(summary)
    assert options[0] == {"label": "SIGMA_8 (column 0): 0.8 in every sample, nothing to predict", "value": 0,
                          "disabled": True}
    assert options[1] == {"label": "OMEGA_M (column 1)", "value": 1}
    assert configure.first_target(options) == 1
    assert configure.first_target(configure.target_options({"n_targets": 2})) == 0


def test_home_preview_says_the_channel_axis_was_dropped():
    """Series saved as PyTorch's (n, 1, L) are read as series (meta.channel_axis, models.data.readers.channels); the
    preview says so."""
    home = page("home")
    ds = {"id": "d", "name": "torch", "kind": "timeseries", "shape": [32], "n": 40,
          "summary": {"kind": "timeseries", "meta": {"channel_axis": {"X": [40, 1, 32]}}}}
    assert ("X was stored as (40, 1, 32): the channel axis of size 1 was dropped, each sample read as a series of 32 "
            "values.") in str(home.preview_children(ds))
    assert "channel axis" not in str(home.preview_children(dict(ds, summary={"kind": "timeseries", "meta": {}})))


def test_home_preview_says_how_maps_were_read():
    """Review 52B: a FITS map's axes of size 1 dropped (meta.squeezed_axes), and a 3-D X read as maps that are not
    square (meta.read_as_maps), which may be channels of series: the preview says each, under its own id."""
    home = page("home")
    meta = {"squeezed_axes": {"X": [1, 12, 64, 64]}, "read_as_maps": {"X": [40, 12, 500]}}
    ds = {"id": "d", "name": "radio", "kind": "image", "shape": [64, 64], "n": 12,
          "summary": {"kind": "image", "meta": meta}}
    text = str(home.preview_children(ds))
    assert "X was stored as (1, 12, 64, 64): its axes of size 1 were dropped" in text
    assert "was read as 40 maps of 12 × 500 pixels" in text and "X[:, 0] (shape (40, 500))" in text
    assert home.ids.PREVIEW_SQUEEZED in text and home.ids.PREVIEW_AS_MAPS in text
    plain = str(home.preview_children(dict(ds, summary={"kind": "image", "meta": {}})))
    assert "axes of size 1" not in plain and "was read as" not in plain


def test_home_preview_names_the_columns_left_out():
    home = page("home")
    ds = {"id": "d", "name": "traces", "kind": "timeseries", "shape": [40], "n": 20,
          "summary": {"kind": "timeseries", "meta": {"ignored_columns": ["track", "column 3"]}}}
    text = str(home.preview_children(ds))
    assert "Left out of the series and the targets: “track”, “column 3”" in text
    # review 40: a column left out for numbering the rows is named, with how to keep it as the target
    numbered = home.ignored_words({"ignored_columns": ["Track"], "numbered_columns": ["Track"]})
    assert numbered.startswith("“Track” numbers the rows (distinct whole numbers in a run")
    assert "Left out of the series" not in numbered and "rename its column to y" in numbered
    both = home.ignored_words({"ignored_columns": ["A", "B"], "numbered_columns": ["A", "B"]})
    assert "“A”, “B” number the rows" in both and "if one is your target, rename that column to y" in both
    assert "Left out" not in str(home.preview_children(dict(ds, summary={"kind": "timeseries", "meta": {}})))
    last = str(home.preview_children(dict(ds, summary={"kind": "timeseries", "meta": {"target_is_last_column": True}})))
    assert "the last column is the target and the 40 before it are the series" in last
    # review 11: which column that is, by name (a file whose target came first lost it to its last time point)
    named = str(home.preview_children(dict(ds, summary={"kind": "timeseries", "target_names": ["t39"],
                                                        "meta": {"target_is_last_column": True}})))
    assert "the last column (“t39”) is the target" in named and "name it y or target" in named
    assert "y_<name>" in named  # several targets: how to name them (review 13)
    # review 40: a file without a header row: its columns were numbered, the automatic name “y” is not said
    bare = home.last_column_words("y", 40, no_header=True)
    assert bare.startswith("The file has no header row, so its columns were numbered; the last is the target")
    assert "“y”" not in bare and "No column is named" not in bare and "add a header row" in bare
    shown = str(home.preview_children(dict(ds, summary={"kind": "timeseries", "target_names": ["y"],
                                                        "meta": {"target_is_last_column": True, "no_header": True}})))
    assert "The file has no header row" in shown and "No column is named" not in shown
    # review 13: columns off the time axis are targets, and the preview says which and that one can choose
    off = str(home.preview_children(dict(ds, summary={"kind": "timeseries", "target_names": ["productive", "peak"],
                                                      "meta": {"targets_off_axis": ["productive", "peak"]}})))
    assert "The columns “productive”, “peak” are not time points like the 40 others" in off
    assert "picks which one to explain" in off and "the last column" not in off
    one = str(home.preview_children(dict(ds, summary={"kind": "timeseries", "target_names": ["lifetime"],
                                                      "meta": {"targets_off_axis": ["lifetime"]}})))
    assert "The column “lifetime” is not a time point" in one and "picks which" not in one


def test_home_preview_cautions_on_the_rows_left_out():
    """Review 38: "Left out 589 of 2000 (29 %) rows" read as a plain fact; traces that end early are often another
    population (abortive events), which the model then has not seen."""
    home = page("home")
    meta = {"dropped_rows": {"count": 589, "of": 2000, "rows": ["line 5 (trk3)", "line 42 (trk40)"]}}
    ds = {"id": "d", "name": "traces", "kind": "timeseries", "shape": [40], "n": 1411,
          "summary": {"kind": "timeseries", "meta": meta}}
    text = str(home.preview_children(ds))
    assert "Left out 589 of 2000 (29 %) rows with missing values, as asked: line 5 (trk3), line 42 (trk40) and 587 " \
           "more. Traces that end early are often a population of their own (e.g. abortive events): a model " \
           "trained without them has not seen such traces, and its results do not apply to them." in text, text


def test_a_few_rows_of_many_and_a_few_coefficients_of_a_band_are_not_0_percent():
    """Review 42C: "3 of 1000 rows (0 %)"; one decimal below 10 %."""
    from awd_studio.frontend.explain_panel import kept_per_band
    meta = {"dropped_rows": {"count": 3, "of": 1000, "rows": ["line 5 (trk3)", "line 42 (trk40)", "line 9 (trk7)"]}}
    ds = {"id": "d", "name": "traces", "kind": "timeseries", "shape": [40], "n": 997,
          "summary": {"kind": "timeseries", "meta": meta}}
    assert "Left out 3 of 1000 (0.3 %) rows with missing values" in str(page("home").preview_children(ds))
    table = kept_per_band({"explanation": {"bands": [{"name": "cD1", "level": 1, "kept_fraction": 3 / 1024,
                                                       "size": 1024}]}})
    body = table.children[1].children.children[1]  # the heading, then the scroll box holding the table
    assert [cell.children for cell in body.children[0].children] == ["level 1", "0.3 %"]


def test_home_lists_the_examples_the_service_serves():
    """The home page kept words of its own for the examples ("predict the auxilin peak"); it lists them as
    GET /api/examples serves them, from models.data.examples.EXAMPLE_INFO."""
    from awd_studio.models.data.examples import EXAMPLE_INFO

    home = page("home")
    rows = run(home.load_examples(home.ids.EXAMPLE_LIST))
    assert [row.children[1].id["name"] for row in rows] == list(EXAMPLE_INFO)
    for row, info in zip(rows, EXAMPLE_INFO.values()):
        label, words = row.children[0].children
        assert label.children == info.label and words.children.endswith(info.description)
    assert "auxilin peak" not in str(rows)


def test_home_example_callback(service, monkeypatch):
    home = page("home")

    class Ctx:
        triggered_id = {"type": "home-example", "name": "synthetic"}

    monkeypatch.setattr(home, "ctx", Ctx)
    out = run(home.use_example([0, 0, 1]))
    made = service.client.get(f"/api/datasets/{out['dataset_id']}").json()
    assert fits(out, home.EXAMPLE_OUTPUTS) and out["error"]["is_open"] is False
    assert made["kind"] == "timeseries" and made["source"] == "example"
    Ctx.triggered_id = {"type": "home-example", "name": "nope"}
    out = run(home.use_example([0, 0, 2]))
    assert fits(out, home.EXAMPLE_OUTPUTS) and out["dataset_id"] is no_update
    assert out["error"]["is_open"] and "not found" in out["error"]["children"]
    assert fits(run(home.use_example([0, 0, 0])), home.EXAMPLE_OUTPUTS)


def test_configure_estimate_and_submit_send_the_same_body():
    """One function makes the body of both requests from the form's fields (the estimate used to send seed 0
    and no student or target choice); a form filled from a run names it as ``rerun_of``."""
    cfg = page("configure")
    form = dict(teacher="mlp", lambdas="0.001", gammas="0, 0.1", epochs=2, levels=4, wave="db5",
                attribution="saliency", seed=7, parametrization="free", mode="zero", series_features="positions",
                target=1, random_search="")
    assert set(form) <= set(cfg.FORM_FIELDS)
    body = cfg.form_body(form, "ds-1")
    assert body["seed"] == 7 and body["series_features"] == "positions" and body["target"] == 1
    assert "rerun_of" not in body and "random_search" not in body
    prefill = {"job_id": "job-1", "config": {"top_k": 4, "seed": 3}}
    options = {"options": {"top_k": {"default": 6}, "seed": {"default": 0}}}
    filled = cfg.form_body(form, "ds-1", options=options, prefill=prefill)
    assert filled["rerun_of"] == "job-1" and filled["top_k"] == 4 and filled["seed"] == 7  # the field wins
    assert "top_k" not in cfg.form_body(form, "ds-1", options=options, prefill=prefill, keep=False)
    # one switch per kept setting: a run that failed on one drops that one alone
    two = {"job_id": "job-1", "config": {"top_k": 4, "cv_repeats": 5}}
    options["options"]["cv_repeats"] = {"default": 3}
    body = cfg.form_body(form, "ds-1", options=options, prefill=two, keep=["cv_repeats"])
    assert body["cv_repeats"] == 5 and "top_k" not in body
    note = cfg.prefill_note({**two, "source": "failed: x"}, options)
    assert note["keep_options"] == [{"label": "cv_repeats = 5", "value": "cv_repeats"},
                                    {"label": "top_k = 4", "value": "top_k"}]
    assert note["keep"] == ["cv_repeats", "top_k"]
    assert cfg.prefill_note({**two, "source": "failed: x"}, options, keep=["top_k"])["keep"] == ["top_k"]
    with pytest.raises(ValueError, match="seed"):
        cfg.form_body({**form, "seed": None}, "ds-1")


def test_configure_names_every_wrong_field_at_once_and_outlines_each():
    """Review 21: the page showed one wrong field at a time, the next only once the first was fixed."""
    cfg = page("configure")
    form = dict(teacher="mlp", lambdas="0.01, x", gammas="", epochs=0, levels=4, wave="db5", attribution="saliency",
                seed=None, parametrization="orthogonal", mode="auto", lr="20", start_search="-3",
                scattering=True, scattering_epochs=0)
    problems = cfg.form_problems(form, {"epochs": 2000, "scattering_epochs": 500})
    assert [p.split(":", 1)[0] for p in problems] == ["λ", "γ", "epochs", "step size", "seed",
                                                      "random starts searched", "scattering epochs"]
    outlined = {k for k, bad in cfg.invalid_fields(problems).items() if bad}
    assert outlined == {cfg.ids.LAMBDAS, cfg.ids.GAMMAS, cfg.ids.EPOCHS, cfg.ids.LR, cfg.ids.SEED,
                        cfg.ids.START_SEARCH, cfg.ids.SCATTERING_EPOCHS}
    with pytest.raises(ValueError) as first:  # the body still refuses with the first of them
        cfg.form_body(form, "ds-1", options={"bounds": {"epochs": 2000}})
    assert str(first.value) == problems[0]
    alert = cfg.problems_alert(problems)
    assert "7 fields to fix" in str(alert.children[0].children) and len(alert.children[1].children) == 7
    assert cfg.problems_alert(problems[:1]).children == problems[0]
    assert cfg.form_problems({**form, "lambdas": "0.01", "gammas": "0", "epochs": 5, "seed": 0, "lr": "",
                              "start_search": "", "scattering_epochs": ""}, {"epochs": 2000}) == []
    # the estimate says them all, before any request
    out = run(cfg.update_estimate(None, **{k: form.get(k) for k in cfg.FORM_FIELDS}))
    assert outlined == {k for k, bad in out["invalid"].items() if bad}


def test_configure_shows_the_uploads_scale_warning_while_those_weights_are_chosen():
    cfg = page("configure")
    uploaded = {"id": "t1", "name": "my-mlp", "warning": "On 256 samples of “omega”, this teacher predicts at another"}
    shown = cfg.teacher_warning(uploaded, "t1")
    assert shown["is_open"] and shown["text"][0].children == "“my-mlp”: " and shown["text"][1] == uploaded["warning"]
    assert cfg.teacher_warning(uploaded, "auto")["is_open"] is False
    assert cfg.teacher_warning({"id": "t2", "warning": None}, "t2")["is_open"] is False
    assert cfg.teacher_warning(None, "mlp")["is_open"] is False


def test_configure_grid_parsing_and_payload():
    cfg = page("configure")
    assert cfg.parse_grid("0, 1e-3; 0.01 0.01", "γ") == [0.0, 0.001, 0.01]
    with pytest.raises(ValueError, match="λ: 'abc' is not a number"):
        cfg.parse_grid("1, abc", "λ")
    with pytest.raises(ValueError, match="≥ 0"):
        cfg.parse_grid("-1", "λ")
    with pytest.raises(ValueError, match="at least one"):
        cfg.parse_grid("  ", "λ")
    with pytest.raises(ValueError) as every:  # every wrong entry at once (a new user's review: '-1' went unnamed)
        cfg.parse_grid("0.001, abc, -1, x", "λ")
    assert str(every.value).startswith("λ: 'abc', 'x' are not a number; '-1' is not a finite number ≥ 0")
    p = cfg.job_payload("ds-1", "mlp", "0.001", "0, 0.1", 2, 4, "db5", "saliency", 0, "free", "zero")
    assert p == {"dataset_id": "ds-1", "teacher": "mlp", "lambdas": [0.001], "gammas": [0.0, 0.1], "epochs": 2,
                 "levels": 4, "wave": "db5", "attribution": "saliency", "seed": 0, "parametrization": "free",
                 "mode": "zero"}
    with pytest.raises(ValueError, match="epochs"):
        cfg.job_payload("ds-1", "mlp", "0.001", "0", 0, 4, "db5", "saliency", 0, "free", "zero")
    # above the input's max the browser sends None: the message names the bound that was crossed too
    bounds = {"epochs": 2000, "teacher_epochs": 2000, "levels": 12}  # GET /api/options's
    for epochs in (None, 100_000):
        with pytest.raises(ValueError, match="epochs: enter a whole number from 1 to 2000"):
            cfg.job_payload("ds-1", "mlp", "0.001", "0", epochs, 4, "db5", "saliency", 0, "free", "zero",
                            bounds=bounds)
    with pytest.raises(ValueError, match="levels: enter a whole number from 1 to 12"):
        cfg.job_payload("ds-1", "mlp", "0.001", "0", 2, 13, "db5", "saliency", 0, "free", "zero", bounds=bounds)
    with pytest.raises(ValueError, match="from 1 to 2000, or leave it blank"):
        cfg.job_payload("ds-1", "mlp", "0.001", "0", 2, 4, "db5", "saliency", 0, "free", "zero", 5000,
                        bounds=bounds)
    with pytest.raises(ValueError, match="dataset"):
        cfg.job_payload(None, "mlp", "0.001", "0", 2, 4, "db5", "saliency", 0, "free", "zero")
    p = cfg.job_payload("ds-1", "mlp", "0.001", "0", 2, 4, "db5", "saliency", 0, "free", "zero", 25)
    assert p["teacher_epochs"] == 25
    # the step size: blank is the grid preset's; a value is sent; zero, negative or above the bound is refused
    assert "lr" not in p and cfg.job_payload("ds-1", "mlp", "0.001", "0", 2, 4, "db5", "saliency", 0, "free",
                                             "zero", lr=0.002)["lr"] == 0.002
    for lr in (0, -1e-3, 11):
        with pytest.raises(ValueError, match="^step size: enter a number above 0 and at most 10"):
            cfg.job_payload("ds-1", "mlp", "0.001", "0", 2, 4, "db5", "saliency", 0, "free", "zero", lr=lr)
    assert cfg.invalid_fields("step size: enter a number above 0")[cfg.ids.LR]
    # the target column: sent when another than the first is chosen (a user could not choose sigma_8)
    assert "target" not in p
    assert cfg.job_payload("ds-1", "mlp", "0.001", "0", 2, 4, "db5", "saliency", 0, "free", "zero",
                           target=1)["target"] == 1
    with pytest.raises(ValueError, match="teacher training epochs"):
        cfg.job_payload("ds-1", "mlp", "0.001", "0", 2, 4, "db5", "saliency", 0, "free", "zero", 2.5)
    args = ("ds-1", "mlp", "0.001", "0, 0.1", 2, 4, "db5", "saliency", 0, "free", "zero", None)
    assert "start_search" not in cfg.job_payload(*args, "")  # blank: the server's default for the data
    assert cfg.job_payload(*args, 0)["start_search"] == 0 and cfg.job_payload(*args, 200)["start_search"] == 200
    for bad in (-1, 2.5):
        with pytest.raises(ValueError, match="random starts searched"):
            cfg.job_payload(*args, bad)
    assert "peak_response" not in cfg.job_payload(*args, None, None)  # not set yet: the server's default
    assert cfg.job_payload(*args, None, "magnitude")["peak_response"] == "magnitude"
    for blank in (None, ""):  # the teacher-free control: blank is the server's default for the data
        assert "random_search" not in cfg.job_payload(*args, None, None, blank)
    assert cfg.job_payload(*args, None, None, 0)["random_search"] == 0  # off, said explicitly
    assert cfg.job_payload(*args, None, None, 300)["random_search"] == 300
    for bad in (-1, 2.5):
        with pytest.raises(ValueError, match="control, random wavelets"):
            cfg.job_payload(*args, None, None, bad)
    assert "series_features" not in cfg.job_payload(*args, None, None, None, None)  # the server's default
    assert cfg.job_payload(*args, None, None, None, "positions")["series_features"] == "positions"
    # the scattering student: off unless switched on; blank epochs are the server's default
    assert "student" not in cfg.job_payload(*args) and "scattering_epochs" not in cfg.job_payload(*args)
    assert cfg.job_payload(*args, scattering=True) == {**cfg.job_payload(*args), "student": "scattering"}
    assert cfg.job_payload(*args, scattering=True, scattering_epochs=4)["scattering_epochs"] == 4
    assert "scattering_epochs" not in cfg.job_payload(*args, scattering=False, scattering_epochs=4)
    with pytest.raises(ValueError, match="scattering epochs: enter a whole number from 1 to 200"):
        cfg.job_payload(*args, scattering=True, scattering_epochs=500, bounds={"scattering_epochs": 200})
    assert cfg.scattering_epochs_enabled(True) is False and cfg.scattering_epochs_enabled(False) is True
    # what the series student reads is asked for series only, the map student's response for maps only
    series, maps = cfg.fields_for_kind({"kind": "timeseries"}), cfg.fields_for_kind({"kind": "image"})
    assert series["series_field"] == "" and "awd-hidden" in maps["series_field"]
    assert "awd-hidden" in series["peak_field"] and maps["peak_field"] == ""


def test_configure_takes_choices_bounds_and_presets_from_the_service(service):
    cfg = page("configure")
    loaded = run(cfg.load_options(None))
    options = loaded["options"]
    # options that arrive leave the alert alone: it may say that ?from='s run could not be read (review 12)
    assert loaded["error"]["is_open"] is no_update
    assert {o["value"] for o in loaded["modes"]} == {"auto", "periodization", "zero", "symmetric"}
    bounds = options["bounds"]
    assert (bounds["start_search"], bounds["scattering_epochs"], bounds["random_search"]) == (20_000, 200, 2000)
    # the optional number fields get no maximum in the browser (a number past it reached the form as blank, and
    # the job started with the default: review 50B); the form names the bounds itself
    assert not {"max_start_search", "max_scattering_epochs", "max_random_search", "max_teacher_epochs"} & set(loaded)
    from awd_studio.frontend.configure.validation import form_problems

    form = dict(lambdas="0.01", gammas="0", epochs=5, levels=4, seed=0, lr=None, teacher_epochs=5000,
                start_search=50_000, random_search=-1, scattering=True, scattering_epochs=500)
    assert form_problems(form, bounds) == [
        f"teacher training epochs: enter a whole number from 1 to {bounds['teacher_epochs']}, or leave it blank",
        "random starts searched: enter a whole number from 0 to 20000, or leave it blank",
        "control, random wavelets: enter a whole number from 0 to 2000, or leave it blank",
        "scattering epochs: enter a whole number from 1 to 200, or leave it blank"]
    assert form_problems(dict(form, teacher_epochs=0, start_search=2.5, random_search=0, scattering_epochs=None),
                         bounds)[:2] == [
        f"teacher training epochs: enter a whole number from 1 to {bounds['teacher_epochs']}, or leave it blank",
        "random starts searched: enter a whole number from 0 to 20000, or leave it blank"]
    assert [o["value"] for o in loaded["series_features_options"]] == ["auto", "largest", "positions"]
    assert loaded["series_features"] == "auto" and "cross-validation" in loaded["series_features_options"][0]["label"]
    assert [o["label"] for o in loaded["modes"] if o["value"] == "auto"] == ["auto (from the signal length)"]
    assert {o["value"] for o in loaded["peak_responses"]} == {"kernels", "magnitude"}
    assert loaded["peak_response"] == options["options"]["peak_response"]["default"]
    assert loaded["max_epochs"] == options["bounds"]["epochs"] and {"db5", "sym5", "coif2"} <= {
        o["value"] for o in loaded["waves"]}
    paper_ts = options["grid_presets"]["timeseries"]["paper"]
    assert len(paper_ts["lambdas"]) == 5 and len(paper_ts["gammas"]) == 21 and paper_ts["gammas"][0] == 0.0
    assert paper_ts["lambdas"][0] == pytest.approx(1e-4) and paper_ts["gammas"][-1] == pytest.approx(10)
    paper_img = options["grid_presets"]["image"]["paper"]
    assert paper_img["lambdas"] == [0.005, 0.01, 0.02] and len(paper_img["gammas"]) == 11
    out = cfg.apply_preset({"kind": "image"}, None, None, options)
    # the maps' quick grid: 8 epochs at a step of 2e-3 (docs/science.md, "The maps' step size")
    assert cfg.parse_grid(out["lambdas"], "λ") == [0.005, 0.01, 0.02] and out["epochs"] == 8 and out["lr"] == 0.002
    presets = options["grid_presets"]
    assert presets["image"]["paper"]["lr"] == 0.001 == presets["timeseries"]["paper"]["lr"]
    assert len(cfg.parse_grid(out["gammas"], "γ")) == 5
    assert cfg.apply_preset({"kind": "image"}, None, None, None)["epochs"] is no_update
    assert out["filled_for"] == "image"
    # a grid of one's own stays when another dataset of its kind is picked, and gives way to the preset on data of
    # the other kind (review 50B: a typed grid and 77 epochs went back to the preset at every change of dataset)
    series = {"kind": "timeseries"}
    own = dict(filled_for="timeseries", lambdas="0.002, 0.003", gammas="0, 0.5", epochs=77, lr=0.001)
    kept = _triggered_by(f"{cfg.ids.DATASET_INFO}.data", cfg.apply_preset, series, None, None, options, **own)
    assert kept == {name: no_update for name in cfg.PRESET_OUTPUTS}
    other = _triggered_by(f"{cfg.ids.DATASET_INFO}.data", cfg.apply_preset, {"kind": "image"}, None, None, options,
                          **own)
    assert other["epochs"] == 8 and other["filled_for"] == "image"
    quick = presets["timeseries"]["default"]  # fields that show the preset follow the data, as before
    shown = dict(own, lambdas=cfg.format_grid(quick["lambdas"]), gammas=cfg.format_grid(quick["gammas"]),
                 epochs=quick["epochs"], lr=quick.get("lr"))
    again = _triggered_by(f"{cfg.ids.DATASET_INFO}.data", cfg.apply_preset, series, None, None, options, **shown)
    assert again["epochs"] == quick["epochs"] and again["filled_for"] == "timeseries"
    pressed = _triggered_by(f"{cfg.ids.PRESET_PAPER}.n_clicks", cfg.apply_preset, series, None, 1, options, **own)
    assert pressed["epochs"] == presets["timeseries"]["paper"]["epochs"]  # a button always fills in


def _triggered_by(prop_id, callback, *args, **kwargs):
    """Call ``callback`` as Dash does when ``prop_id`` (``"<id>.<prop>"``) changed."""
    with callback_context(prop_id):
        return callback(*args, **kwargs)


def test_configure_shows_the_initial_wavelet_before_the_services_choices_arrive():
    """A dropdown shows nothing for a value its options do not hold: the layout holds the default among them."""
    layout = page("configure").layout()
    wave = next(c for c in _components(layout) if getattr(c, "id", None) == page("configure").ids.WAVE)
    assert wave.value in wave.options


def test_each_radio_group_of_the_configure_page_is_one_tab_stop():
    """Review 26B: every radio button was a Tab stop of its own; inputs sharing a name are one group, which Tab enters
    once and the arrow keys move within."""
    import dash_bootstrap_components as dbc

    groups = [c for c in _components(page("configure").layout()) if isinstance(c, dbc.RadioItems)]
    assert len(groups) >= 3 and all(getattr(g, "name", None) == g.id for g in groups)


def _components(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            yield from _components(child)


def test_configure_shows_the_options_of_the_datasets_kind():
    cfg = page("configure")
    maps = cfg.fields_for_kind({"kind": "image"})
    assert fits(maps, cfg.KIND_FIELDS)
    assert maps["start_field"] == "awd-hidden" and maps["start_search"] is None and maps["peak_field"] == ""
    series = cfg.fields_for_kind({"kind": "timeseries"})
    assert series["start_field"] == "" and series["start_search"] is no_update and series["peak_field"] == "awd-hidden"
    unknown = cfg.fields_for_kind(None)
    assert unknown["start_field"] == unknown["peak_field"] == ""
    # review 7: series of 8 samples opened with J = 4 in red; J comes down to what the data allows, and only then
    short = cfg.fields_for_kind({"kind": "timeseries", "shape": [8]}, 4)
    assert short["levels"] == 3 and fits(short, cfg.KIND_FIELDS)
    assert cfg.fields_for_kind({"kind": "timeseries", "shape": [40]}, 4)["levels"] is no_update
    assert cfg.fields_for_kind({"kind": "image", "shape": [64, 64]}, 2)["levels"] is no_update  # the user's J kept


def _estimate(cfg, lambdas, gammas, epochs, info, options=None, **fields):
    """``update_estimate`` with the form's first values but for the ones given."""
    form = dict(teacher="mlp", lambdas=lambdas, gammas=gammas, epochs=epochs, levels=4, wave="db5",
                attribution="saliency", seed=0, parametrization="orthogonal", mode="auto")
    return run(cfg.update_estimate(info, options=options, **{**form, **fields}))


def test_the_grid_preset_the_fields_show_is_pressed():
    """Review: the preset buttons looked alike whatever the grid; the one whose grid, epochs and step size the fields
    show is pressed (aria-pressed and Bootstrap's active), and neither for values of one's own (a review: the quick
    grid stayed pressed at 7 epochs) or a grid that cannot be read."""
    cfg = page("configure")
    options = {"grid_presets": {"timeseries": {"default": {"lambdas": [1e-4, 7e-4, 5e-3], "gammas": [0.0, 0.1, 0.0],
                                                           "epochs": 50, "lr": 1e-3},
                                               "paper": {"lambdas": [1e-4, 2.659147e-4], "gammas": [0.0, 0.5],
                                                         "epochs": 100, "lr": 1e-3}},
                                "image": {"default": {"lambdas": [0.005], "gammas": [0.0], "epochs": 8, "lr": 2e-3}}}}
    series = {"kind": "timeseries"}

    def pressed(lambdas, gammas, info=series, epochs=50, lr=1e-3):
        return {name: look["pressed"] == "true" for name, look in
                cfg.preset_pressed(lambdas, gammas, info, options, epochs=epochs, lr=lr).items()}

    out = cfg.preset_pressed("0.0001, 0.0007, 0.005", "0.1, 0", series, options, epochs=50, lr=1e-3)  # any order
    assert out == {"default": {"className": cfg.preset_class(True), "pressed": "true"},
                   "paper": {"className": cfg.preset_class(False), "pressed": "false"}}
    assert "active" in out["default"]["className"] and "active" not in out["paper"]["className"]
    assert pressed("0.0001, 0.0002659", "0, 0.5", epochs=100)["paper"]  # to 4 digits
    assert pressed("0.0001, 0.0007, 0.005", "0, 0.1", lr=None)["default"]  # a blank step size is the preset's
    for lambdas, gammas, info in (("0.001", "0", series), ("x", "0", series), ("0.0001, 0.0007, 0.005", "0, 0.1",
                                                                               {"kind": "image"})):
        assert not any(pressed(lambdas, gammas, info).values())
    for epochs, lr in ((7, 1e-3), (None, 1e-3), (50, 0.01)):  # the preset's grid, other epochs or step size
        assert not any(pressed("0.0001, 0.0007, 0.005", "0, 0.1", epochs=epochs, lr=lr).values()), (epochs, lr)


def test_a_series_time_axis_counts_frames_as_the_help_page_and_the_clathrin_example_do():
    """Review: the figures' axis read "time step (samples)" where the help page's example and the clathrin data
    count a trace in frames; one word everywhere."""
    from awd_studio.frontend.figures.style import SAMPLE_AXIS_TITLE
    from awd_studio.models.data.simulate_cme import simulate_cme

    assert SAMPLE_AXIS_TITLE == "time (frames)"
    assert "40 frames" in str(page("help").BODIES["example"])
    assert simulate_cme(n=20, seed=0).meta["frame_units"].startswith("frames")


def test_configure_estimate(service):
    cfg = page("configure")
    info = {"id": service.dataset_id, "kind": "timeseries", "shape": [64], "n": 40}
    out = _estimate(cfg, "0.001", "0, 0.1", 2, info)
    assert "1 × 2 = 2 grid points" in str(out["grid_size"]) and "Estimated run time" in str(out["estimate"])
    assert "Of which" in str(out["estimate"]) and "fitting the students and drawing" in str(out["estimate"])
    assert "rough" in str(out["estimate"])
    assert "Only 32 training and 8 test series" in str(out["estimate"])  # 40 series: the caution before it runs
    assert "A long job" not in str(out["estimate"])
    assert out["start_line"].startswith("About ") and " · 2 grid points" in out["start_line"]  # beside Start
    queue = run(page("configure").get_client().estimate_job({"dataset_id": service.dataset_id, "teacher": "mlp"}))
    assert out["start_line"].endswith(" · after the jobs ahead") == bool(queue["queued"] or queue["running"])
    assert cfg.long_job_words(24.0) is None  # a long job says so: 52 min 44 s one click from Start (review 18)
    assert cfg.long_job_words(3164.0).startswith("A long job: about 52 min 44 s on this server")
    # what is wrong stands in the Start bar, in sight wherever the field is (in the estimate's card it lay under
    # the bar at 1366 × 768); the card says where to look
    out = _estimate(cfg, "0.001", "0, 0.1", 2000, info, levels=99)
    assert "levels" in str(out["start_line"])  # the API's bound, in words
    assert "once the fields listed with Start are right" in str(out["estimate"])
    # a number input past its maximum gives None: said as the form is filled in, with the service's bounds
    out = _estimate(cfg, "0.001", "0, 0.1", None, info, options={"bounds": {"epochs": 2000, "levels": 12}})
    assert "epochs: enter a whole number from 1 to 2000" in str(out["start_line"]) and "Alert" in str(out["start_line"])
    assert "epochs" not in str(out["estimate"])  # the list once, not twice
    assert [k for k, bad in out["invalid"].items() if bad] == [cfg.ids.EPOCHS]  # the field itself is outlined
    out = _estimate(cfg, "0.001, -1", "0", 2, info)
    assert [k for k, bad in out["invalid"].items() if bad] == [cfg.ids.LAMBDAS]
    out = _estimate(cfg, "0.001", "0, 0.1", 2, info)
    assert not any(out["invalid"].values()) and set(out["invalid"]) == set(cfg.FIELD_OF_MESSAGE.values())
    out = _estimate(cfg, "x", "0", 2, None)
    assert "not a number" in str(out["start_line"]) and "once the fields listed with Start" in str(out["estimate"])
    assert out["grid_size"] is None
    out = _estimate(cfg, "0.001", "0", 2, None)
    assert "Pick a dataset" in str(out["estimate"]) and out["start_line"].endswith("pick a dataset for an estimate")
    assert "1 × 1 = 1 grid point" in str(out["grid_size"]) and "added" not in str(out["grid_size"])
    # γ = 0 runs in every job: counted, and said, when it was not typed (review 50B: "1 × 1 = 1 grid points" for a
    # job that ran 1 × 2, whose best point was the γ = 0 nobody had asked for)
    out = _estimate(cfg, "0.001", "0.01", 2, info)
    assert "1 × 2 = 2 grid points" in str(out["grid_size"]) and "γ = 0 added" in str(out["grid_size"])
    assert " · 2 grid points" in out["start_line"]
    # a grid past the service's bound is said as it is typed, both fields outlined (review 50B: "request: lambdas
    # x gammas: 900 grid points exceed the bound of 400" came back after Start, with no field outlined)
    many = ", ".join(f"{k / 1000:g}" for k in range(1, 31))
    out = _estimate(cfg, many, "0, " + many, 2, info, options={"bounds": {"grid_points": 400}})
    assert "λ × γ: 30 × 31 = 930 grid points (γ = 0 included), more than this server's 400" in str(out["start_line"])
    assert sorted(k for k, bad in out["invalid"].items() if bad) == sorted([cfg.ids.LAMBDAS, cfg.ids.GAMMAS])


def test_an_estimate_the_server_cannot_give_is_not_a_wrong_field(service):
    """Review 52A: an estimate the server failed to answer (unreachable, busy, over a limit) stood in the Start bar
    as a wrong field. It is said in the estimate's card as the server's, nothing is outlined, and the bar keeps its
    grid points."""
    from awd_studio.frontend import api_client

    cfg = page("configure")
    info = {"id": service.dataset_id, "kind": "timeseries", "shape": [64], "n": 40}
    before = dict(api_client._STATE)
    try:
        api_client.configure(base_url="http://127.0.0.1:9")  # nothing listens on the discard port
        out = _estimate(cfg, "0.001", "0, 0.1", 2, info)
    finally:
        api_client._STATE.update(before)
    assert out["start_line"] == "2 grid points · no estimate: the server did not answer"
    assert "could not be reached" in str(out["estimate"]) and "not the form" in str(out["estimate"])
    assert cfg.ids.ESTIMATE_UNANSWERED in str(out["estimate"]) and not any(out["invalid"].values())
    assert "Estimated run time" in str(_estimate(cfg, "0.001", "0, 0.1", 2, info)["estimate"])  # the client back


def test_the_estimate_says_when_the_machine_is_busy(service, monkeypatch):
    """Review 28A: an estimate of 18 s took 56 s beside other work; with awd serve's own workers the page says so."""
    from awd_studio.backend.routes import jobs

    cfg = page("configure")
    info = {"id": service.dataset_id, "kind": "timeseries", "shape": [64], "n": 40}
    monkeypatch.setenv(jobs.LOCAL_WORKERS_ENV, "1")
    monkeypatch.setattr(jobs.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert "busy with other work" not in str(_estimate(cfg, "0.001", "0, 0.1", 2, info)["estimate"])
    monkeypatch.setattr(jobs.os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    estimate = _estimate(cfg, "0.001", "0, 0.1", 2, info)["estimate"]
    assert "This machine is busy with other work (load 9.0" in str(estimate) and cfg.ids.BUSY_MACHINE in str(estimate)


def test_the_estimate_says_how_it_was_made():
    words = page("configure").calibration_words
    assert "the cost model alone" in words({"calibration_jobs": 0, "calibration_factor": 1.0})
    scaled = words({"calibration_jobs": 5, "calibration_factor": 1.72})
    assert "scaled by 1.7" in scaled and "latest 5 finished jobs" in scaled
    assert "each stage scaled" in scaled and "for these settings" in scaled  # why the overall factor changes


def test_the_estimate_says_where_the_time_goes():
    words = page("configure").stage_words
    assert words({}) == "" and words({"stages": {}}) == ""
    assert words({"stages": {"teacher": 0.0, "distill": 75.0, "select": 9.4, "students": 5.0}}) == (
        "Of which distilling the wavelets 1 min 15 s, choosing the wavelet by cross-validation 9 s, fitting the "
        "students and drawing 5 s.")  # an uploaded teacher


def _submit(cfg, dataset_id, lambdas, gammas, key, **fields):
    """``submit`` clicked once, with the form's first values but for the ones given."""
    form = dict(teacher="mlp", lambdas=lambdas, gammas=gammas, epochs=2, levels=4, wave="db5",
                attribution="saliency", seed=0, parametrization="free", mode="zero")
    return run(cfg.submit(1, dataset_id, key, **{**form, **fields}))


def test_configure_submit(service):
    cfg = page("configure")
    out = _submit(cfg, service.dataset_id, "0.001", "0, 0.1", "key-1")
    assert fits(out, cfg.SUBMIT_OUTPUTS) and out["status"] == "Submitted."
    job_id = out["nav"].rsplit("/", 1)[-1]
    assert out["nav"].startswith("/jobs/") and out["submitted"] == job_id  # the tab's record of its new job
    assert service.client.get(f"/api/jobs/{job_id}").json()["config"]["gammas"] == [0.0, 0.1]
    service.client.post(f"/api/jobs/{job_id}/cancel")  # nothing runs it here
    out = _submit(cfg, service.dataset_id, "0.001", "0", "key-2", peak_response="magnitude")
    job_id = out["nav"].rsplit("/", 1)[-1]
    assert service.client.get(f"/api/jobs/{job_id}").json()["config"]["peak_response"] == "magnitude"
    service.client.post(f"/api/jobs/{job_id}/cancel")
    gone = "00000000-0000-4000-8000-000000000000"
    out = _submit(cfg, gone, "0.001", "0", "k")
    assert fits(out, cfg.SUBMIT_OUTPUTS) and out["nav"] is no_update and "dataset_id" in str(out["status"])
    out = _submit(cfg, service.dataset_id, "bad", "0", "k")
    assert fits(out, cfg.SUBMIT_OUTPUTS) and out["nav"] is no_update
    # said once, in the bar's line beside Start: "Not started" over the wrong field's message, and no status line
    # under the bar naming the field again (review: "λ: ..." then "Not started: 1 field to fix first (λ).")
    line = str(out["start_line"])
    assert "Not started: 1 field to fix:" in line and line.count("λ") == 1, line
    assert out["status"] == ""



def test_uploaded_weights_default_to_the_kinds_architecture():
    """Review 14: "mlp" was preselected for maps, so a cosmologist's CNN weights were refused at first."""
    cfg = page("configure")
    options = {"teacher_architectures_by_kind": {"timeseries": ["lstm", "mlp"], "image": ["cnn", "resnet18", "mlp"]}}
    assert cfg.weights_architectures({"kind": "image"}, options, None)["value"] == "cnn"
    assert cfg.weights_architectures({"kind": "timeseries"}, options, None)["value"] == "lstm"
    assert cfg.weights_architectures({"kind": "image"}, options, "lstm")["value"] == "cnn"  # another kind's
    assert cfg.weights_architectures({"kind": "image"}, options, "mlp")["value"] == "mlp"  # the user's choice

def test_configure_lists(service):
    cfg = page("configure")
    out = run(cfg.load_datasets(service.dataset_id))
    assert fits(out, cfg.DATASETS_OUTPUTS) and out["value"] == service.dataset_id
    assert any(o["label"].startswith("<b>my data</b>") for o in out["options"])
    # the training count with the fixed test split's (review 15: "n = 2936" read as the example's size)
    assert cfg._dataset_label({"id": "x", "name": "cme", "kind": "timeseries", "n": 2936, "n_test": 1005}) == \
        "cme · time series · n = 2936 + 1005 test"
    assert out["picked"] == ""  # the page named it: nothing to say
    out = run(cfg.load_datasets("00000000-0000-4000-8000-000000000000"))
    assert fits(out, cfg.DATASETS_OUTPUTS) and "no longer exists" in out["error"]["children"]
    # none named (the top bar's Configure): the newest is preselected, and said so (review 18)
    out = run(cfg.load_datasets(None))
    assert out["value"] and out["picked"] == cfg.PICKED_NEWEST
    out = run(cfg.load_dataset_info(service.dataset_id))
    assert out["info"]["kind"] == "timeseries" and "64" in out["facts"] and out["hidden"] == service.dataset_id
    assert run(cfg.load_dataset_info(None))["info"] is None
    options = run(cfg.load_options(None))["options"]
    out = run(cfg.load_teachers({"kind": "image"}, None, options, None))
    assert out["value"] == "cnn" and "mlp" in [o["value"] for o in out["options"]]
    out = run(cfg.load_teachers({"kind": "image"}, {"id": "t9", "name": "mine.pt"}, options, "cnn"))
    assert out["value"] == "t9" and out["options"][-1] == {"label": "uploaded: mine.pt", "value": "t9"}
    opts = cfg.teacher_options([{"id": "mlp", "name": "mlp", "builtin": True},
                                {"id": "t1", "name": "w.safetensors", "arch": "cnn", "builtin": False}])
    assert [o["value"] for o in opts] == ["mlp", "t1"]


def test_job_view_and_losses():
    job = page("job")
    v = job.job_view({"state": "running", "stage": "distilling", "fraction": 0.42, "eta_seconds": 125,
                      "losses": [{"chunk": 0, "epoch": 0, "values": {"train_loss": 2.0}},
                                 {"chunk": 0, "epoch": 1, "values": {"train_loss": 1.0}}]})
    assert v["percent"] == 42 and v["eta"] == "2 min 05 s" and not v["done"] and v["cancellable"]
    assert v["history"] == {"epoch": [1, 2], "train_loss": [2.0, 1.0]}  # from 1, as the teacher's curve
    assert v["attempt"] is None and v["origin"] is None
    v = job.job_view({"state": "failed", "error": "teacher: bad weights", "fraction": 0.1})
    assert v["done"] and v["error"] == "teacher: bad weights" and not v["cancellable"]
    # review 13: a job started again after a stop showed plain RUNNING from 0 %, nothing said it had restarted
    again = job.job_view({"state": "running", "attempt": 2, "fraction": 0.01})["attempt"]
    assert again.startswith("Attempt 2: this job started again from the beginning") and "is running" in again
    assert "it ran from scratch" in job.job_view({"state": "succeeded", "attempt": 3})["attempt"]
    two = job.losses_to_history([{"chunk": 1, "epoch": 1, "values": {"loss": 1}},
                                 {"chunk": 0, "epoch": 1, "values": {"loss": 2}}])
    assert set(two) == {"loss (grid part 1)", "loss (grid part 2)"}
    assert job.job_view({"losses": [{"chunk": 1, "epoch": 1, "values": {"loss": 1}},
                                    {"chunk": 0, "epoch": 1, "values": {"loss": 2}}]})["loss_title"] == \
        job.LOSS_TITLE_PARTS
    assert job.job_view({"losses": [{"chunk": 0, "epoch": 1, "values": {"loss": 1}},
                                    {"chunk": -1, "epoch": 1, "values": {"teacher_train": 2}}]})["loss_title"] == \
        job.LOSS_TITLE_ONE  # says what the one pair of curves is: the mean over the grid


def test_job_settings_list_the_options_of_the_jobs_kind(service):
    """The page showed the whole config as raw JSON, the map student's options on a series job and the other way
    round: a list of the options that apply, in words beside their API names, with the raw JSON under it."""
    job = page("job")
    config = {"seed": 3, "start_search": None, "peak_response": "magnitude", "top_k": 6, "grid_preset": "paper",
              "lambdas": [0.001, 0.01]}
    series, note = job.settings_list(config, "timeseries")
    text = str(series)
    assert "'Random starts searched'" in text and "Code(children='grid_preset'" in text and "'0.001, 0.01'" in text
    assert "'default'" in text  # a value left to the server, while the job runs
    assert "peak_response" not in text and note.endswith("for maps only: Map student reads.")
    maps, note = job.settings_list(config, "image")
    assert "start_search" not in str(maps) and "top_k" not in str(maps) and "peak_response" in str(maps)
    assert note.startswith("The options that apply to maps; left out")
    # finished: an option left to the default shows the value the run used (review 31B: "λ values: not set")
    used, _ = job.settings_list({**config, "epochs": None, "mode": "auto", "student": "awd"}, "timeseries",
                                {"epochs": 50, "mode": "zero", "start_search": 1000},
                                {"target": "auxilin (column 0)"})
    text = str(used)
    assert "'50 (default)'" in text and "'auto: zero'" in text and "'1000 (default)'" in text
    assert "off (AWD's students only)" in text and "'default'" not in text
    assert "'auxilin (column 0)'" in str(job.settings_list({"target": 0}, "timeseries", {},
                                                           {"target": "auxilin (column 0)"})[0])
    everything, note = job.settings_list(config, None)  # the dataset deleted: its kind unknown
    assert len(everything) == len(config) and "gone" in note
    out = run(job.show_settings(service.image_job_id))
    assert fits(out, job.SETTINGS_OUTPUTS) and out["note"].startswith("The options that apply to maps")
    assert json.loads(out["raw"]) == service.client.get(f"/api/jobs/{service.image_job_id}").json()["config"]
    assert run(job.show_settings(None)) == job.named_update(job.SETTINGS_OUTPUTS)


def test_job_poll(service):
    job = page("job")
    out = run(job.poll(3, service.job_id, watched=True))
    assert fits(out, job.POLL_OUTPUTS)
    assert out["nav"] == f"/results/{service.job_id}" and out["stop"] is True  # stop, go to results
    # opened after it succeeded: stay on the job page, the "See results" button is shown, even when a second
    # poll answers (a slow first answer lets the interval fire again)
    for n in (0, 1):
        out = run(job.poll(n, service.job_id, watched=False))
        assert out["nav"] is no_update and out["stop"] is True and out["results_link_class"] == ""
        assert out["watched"] is False
    # just submitted from this tab, already done at the first poll: it moves on all the same, and the tab's
    # record is taken (a later visit to this job's page stays); another job's record is left alone
    out = run(job.poll(0, service.job_id, watched=False, submitted=service.job_id))
    assert out["nav"] == f"/results/{service.job_id}" and out["submitted"] is None and out["watched"] is True
    out = run(job.poll(0, service.job_id, watched=False, submitted=service.running_job_id))
    assert out["nav"] is no_update and out["submitted"] is no_update
    out = run(job.poll(1, service.running_job_id))
    assert fits(out, job.POLL_OUTPUTS)
    assert out["percent"] == 40 and out["nav"] is no_update and out["stop"] is False and out["watched"] is True
    assert out["losses"].data and list(out["losses"].data[0].y) == [1.0, 0.5, 1 / 3]  # the live loss curve
    out = run(job.poll(1, "00000000-0000-4000-8000-000000000000"))
    assert fits(out, job.POLL_OUTPUTS)
    # a job that does not exist (or was deleted): the not-found card instead of the page's empty parts
    assert out["stop"] is True and out["body_style"] == {"display": "none"}
    assert "Job not found" in str(out["status"]) and "deleted" in str(out["status"])
    assert out["losses"] is no_update
    out = run(job.poll(1, None))
    assert fits(out, job.POLL_OUTPUTS) and out["stage"] is no_update and out["error"]["is_open"] is no_update
    # Cancel, confirmed in the dialog (tests/frontend/test_confirm_dialog.py: what it asks)
    done = run_triggered(f"{job.ids.CONFIRM_OK}.n_clicks", job.confirm(1, 0, "cancel-job", service.running_job_id))
    assert done["error"] == {"children": "Cancelling…", "is_open": True} and done["open"] is False
    assert service.client.get(f"/api/jobs/{service.running_job_id}").json()["state"] == "cancelled"


def test_results_load_and_not_found(service):
    res = page("results")
    out = run(res.load_result(service.job_id))
    assert fits(out, res.LOAD_OUTPUTS)
    # the browser keeps which result it shows, not the bundle: each callback reads that through the API (review 49A:
    # a maps page sent about 10 MB of stored bundle back with its callbacks while it loaded)
    assert out["core"] == {"token": service.job_id}
    bundle = run(shown_bundle(out["core"]))
    assert bundle["grid"] and bundle["activation"]["maps"]
    assert out["shared_note"] is False  # the owner's view carries no "read-only" note
    # visible body; maps-only cards hidden for series
    assert out["body_style"] == {} and out["maps_only_style"] == {"display": "none"}
    # Share and Job page; the "On this page" links
    assert out["actions_class"] == res._ACTIONS and out["jump_class"] == res._JUMP_NAV
    # the scores table's note speaks of the teacher-free control only when the result has one
    assert "random search" not in res.parameters_note({"models": {"awd": {}, "laplace": {}}})
    assert "random search" in res.parameters_note({"models": {"awd": {}, "random_search": {}}})
    # the Selected card says why AWD was delivered: its CV gain and the paired difference's standard error
    gain = res.selection_gain_words({"selection": {"cv_gain": 0.0168, "cv_gain_se": 0.0125, "rule": "one_se",
                                                   "initial": "db5"}})
    assert gain == ("CV gain over db5 0.0168, standard error of the paired difference 0.0125 "
                    "(one-standard-error rule)")
    assert res.selection_gain_words({"selection": {}}) == ""
    out = run(res.load_result("00000000-0000-4000-8000-000000000000"))  # no such job (or deleted)
    assert "Result not found" in str(out["status"]) and out["actions_class"] == res._ACTIONS_HIDDEN
    assert out["jump_class"] == "awd-hidden"  # review 40: no "On this page" links above the not-found card
    out = run(res.load_result(service.image_job_id))
    assert out["maps_only_style"] == {}
    # review 39A: a maps result has no start search; its wavelet caption named the search's dotted line
    maps = run(shown_bundle(out["core"]))
    assert res.grid_outputs(maps, None)["wavelet_help"] == "Learned (solid) against the initial wavelet (dashed)."
    assert out["wavelet_heading"] == "The learned wavelet"
    # review 40: when cross-validation kept the initial wavelet, the section says the learned one is not delivered
    kept = {"selection": {"choice": "initial", "initial": "db5"}}
    assert res.wavelet_heading(kept) == "The learned wavelet (not delivered: the model uses db5, the initial wavelet)"
    assert res.wavelet_help(kept).startswith("The delivered model uses the initial wavelet, db5: cross-validation "
                                             "kept it. The learned wavelet of the best AWD point is shown for "
                                             "reference. Learned (solid)")
    started = {"wavelet": {"start_phi": [0.0, 1.0], "start_psi": [1.0, 0.0]}}
    assert res.wavelet_help(started).endswith("; dotted, where the fit started when the start search chose its start.")
    out = run(res.load_result(service.share_token))
    assert "shared · read-only" in str(out["badges"]) and out["shared_note"] is True
    out = run(res.load_result("revoked-or-invalid"))
    assert fits(out, res.LOAD_OUTPUTS)
    assert out["core"] is None and out["body_style"] == {"display": "none"}
    # this client is the owner (no token required here): not told of a dead share link but of a wrong id, with the
    # way home; a share link's reader is told to ask for a new link (tests/e2e/test_browser_flow.py)
    assert "neither a job's id nor one of your share links" in str(out["status"])
    assert "Go to the start page" in str(out["status"])
    assert out["shared_note"] is False  # no "read-only view" note above the not-found card
    assert out["jump_class"] == "awd-hidden"  # nor the links to sections it does not have (review 40)
    assert out["summary"] is no_update and out["scores_figure"] is no_update
    assert run(res.load_result(None)) == {name: no_update for name in res.LOAD_OUTPUTS}


def test_results_grid_click(service):
    res = page("results")
    # a copy: the bundle the API client keeps is shared by the page's callbacks, and this test changes it
    core = copy.deepcopy(run(shown_bundle(run(res.load_result(service.job_id))["core"])))
    assert res.clicked_from({"points": [{"customdata": 4}]}) == 4
    assert res.clicked_from({"points": [{"customdata": [3]}]}) == 3
    assert res.clicked_from(None) is None and res.clicked_from({"points": [{}]}) is None
    out = res.grid_outputs(core, 4)
    # the list's value goes by set_props (as an output it closed a loop of callbacks: see GRID_OUTPUTS)
    assert fits({name: value for name, value in out.items() if name not in ("point", "point_options")},
                res.GRID_OUTPUTS)
    assert "Inspecting λ" in out["inspecting"] and any(t.name == "inspecting" for t in out["heatmap"].data)
    assert any(t.name == "grid point" for t in out["filters"].data)
    # review 49A: the caption still named the learned and start lines, which an inspected point's figure lacks
    assert out["wavelet_help"] == res.WAVELET_INSPECTED_HELP and "learned" not in out["wavelet_help"].lower()
    # the list of grid points (the keyboard's way to a cell) shows the inspected point; ★ marks the selected one
    sel = figures.selected_index(core)
    assert out["point"] == 4 and len(out["point_options"]) == len(core["grid"])
    assert out["point_options"][sel]["label"].startswith("★ λ = ")
    assert res.grid_outputs(core, None)["point"] == sel
    core["selection"] = {**(core.get("selection") or {}), "choice": "awd", "initial": "db5"}
    assert res.grid_outputs(core, None)["inspecting"].startswith("Showing the selected point")
    core["selection"]["choice"] = "initial"  # cross-validation kept db5: the page says whose point it shows
    assert res.grid_outputs(core, None)["inspecting"].startswith("Showing the best AWD point, λ")
    assert "; cross-validation kept db5; its ψ ended " in res.grid_outputs(core, None)["inspecting"]
    # a point whose fit started from the start search says so
    core["grid"][sel].update(start="search", start_distance_to_init=0.31)
    searched = ("the search without the teacher" if core["grid"][sel]["gamma"] == 0
                else "the search on the teacher's attributions")
    assert f"started from a filter {searched}" in res.grid_outputs(core, None)["inspecting"]
    assert "ψ 0.31 from db5), not from db5; its ψ ended " in res.grid_outputs(core, None)["inspecting"]
    assert "start search" not in res.grid_outputs(core, 0 if sel else 1)["inspecting"]
    assert res.grid_outputs(None, 4) == {name: no_update for name in res.GRID_OUTPUTS}
    store = _students_store(core)
    assert store["kept_initial"] == "db5"


def test_the_student_section_shows_the_recommended_model():
    """No cell clicked: the student the result recommends (db5's when cross-validation kept it and the bundle's
    explanations are db5's); a clicked cell: that cell's, without the explanations of another model."""
    grid = [{"n": 0}, {"n": 1}, {"n": 2}]
    store = {"grid": grid, "labels": ["a", "b", "c"], "selected": 1, "kept_initial": None,
             "students": {"awd": {"n": "awd"}, "baseline_wavelet": {"n": "db5"}}}
    record, which, explained = _shown_student(store, None, "awd")
    assert record == {"n": "awd"} and "selected point" in which and explained
    assert _shown_student(store, 1, "awd") == (grid[1], "the AWD student (the selected point)", True)
    assert _shown_student(store, 2, "awd")[0] == grid[2] and _shown_student(store, 2, "awd")[2] is False
    kept = {**store, "kept_initial": "db5"}
    record, which, explained = _shown_student(kept, None, "initial")
    assert record == {"n": "db5"} and which.startswith("the student of db5, which cross-validation kept") and explained
    record, which, explained = _shown_student(kept, 1, "initial")  # ★: the best AWD point, not what was explained
    assert record == grid[1] and "(the best AWD point)" in which and not explained
    record, which, explained = _shown_student(kept, None, "awd")  # a result written before: its explanations are AWD's
    assert record == {"n": "awd"} and "use that instead" in which and explained


def test_results_share_list_expiry_and_revoke(service, monkeypatch):
    out = run(share_dialog.share(1, service.job_id, "168", " for Anna ", 0))
    assert fits(out, share_dialog.CHANGE_OUTPUTS)
    assert out["created"]["url"].startswith("/results/") and "expires" in out["status"] and out["refresh"] == 1
    assert out["created"]["label"] == "for Anna" and "“for Anna”" in out["status"] and out["label"] == ""
    created = out["created"]
    unchanged = {name: no_update for name in share_dialog.CHANGE_OUTPUTS}
    assert run(share_dialog.share(1, SHARE_LIKE, "never", None, 0)) == unchanged  # not from a shared view
    table = str(run(share_dialog.list_shares(1, service.job_id)))
    assert table.count("Revoke") >= 2 and "never" in table  # the fixture's link and this one
    assert " for Anna" in table  # named beside its number
    # numbered, and to the second: two links made in one minute are told apart (the note says when it was made)
    assert "#1" in table and "#2" in table and re.search(r"\d\d:\d\d:\d\d UTC", table)
    assert re.search(r"Link “for Anna” created at [\d-]+ \d\d:\d\d:\d\d UTC", out["status"]), out["status"]
    unnamed = run(share_dialog.share(1, service.job_id, "never", "", 0))
    assert unnamed["created"]["label"] is None and re.search(r"^Link created at", unnamed["status"])
    assert run(share_dialog.list_shares(1, SHARE_LIKE)) is no_update

    first = service.client.get(f"/api/jobs/{service.job_id}/shares").json()["data"][-1]
    # the first link, made long before: revoking it must close it too
    monkeypatch.setattr(share_dialog, "triggered_id", lambda: share_dialog.ids.revoke_button(first["id"]))
    out = run(share_dialog.revoke([0, 1], 1, created))
    assert fits(out, share_dialog.CHANGE_OUTPUTS)
    assert "revoked" in out["status"] and out["refresh"] == 2 and out["created"] is no_update
    assert service.client.get(f"/api/results/{service.share_token}").status_code == 410
    revoked = run(page("results").load_result(service.share_token))  # review 40: no "On this page" links there
    assert "no longer works" in str(revoked["status"]) and revoked["jump_class"] == "awd-hidden"
    service.share_token = service.client.post(f"/api/jobs/{service.job_id}/share").json()["token"]


def test_the_share_dialog_says_what_of_the_data_a_link_gives_away():
    """Review 24b: labs with embargoed data could not tell that a link's downloads hold the test targets, the
    predictions and raw example inputs; a released result's arrays.npz holds exactly those."""
    import numpy as np

    note = str(share_dialog.dialog())
    assert share_dialog.SHARED_DATA in note and share_dialog.ids.SHARED_DATA in note
    assert all(words in share_dialog.SHARED_DATA for words in ("test set's targets", "predictions", "test inputs"))
    release = Path(__file__).parents[1] / "data/previous_release/jobs"
    with np.load(next(release.glob("*/attempt-1/result/arrays.npz"))) as arrays:
        assert {"y_test", "X_examples", "y_pred_awd"} <= set(arrays.files)


def test_results_downloads_and_activation(service):
    res = page("results")
    bundle = make_bundle("timeseries")
    links = str(res.downloads(bundle, service.job_id))
    assert f"/api/results/{service.job_id}/files/arrays.npz" in links and "result.json" in links
    opts = res.example_options(bundle["activation"])
    assert len(opts) == 3 and opts[1]["value"] == 1
    fig = res.activation_outputs(2, bundle["activation"], {"data": bundle["data"]})
    assert "test example 2" in fig.layout.title.text
    # a result with measured placements is not called an earlier version when an example is picked (every new
    # result's map said so: the callback left the explanations out)
    fig = res.activation_outputs(2, bundle["activation"], {"data": bundle["data"]}, {"centres": [[0.5]]})
    assert "earlier version" not in fig.layout.title.text
    old = res.activation_outputs(2, bundle["activation"], {"data": bundle["data"]}, {})
    assert "earlier version" in old.layout.title.text
    maps = make_bundle("image")  # a phone's width stacks a map above its activation
    wide = res.activation_outputs(0, maps["activation"], {"data": maps["data"]}, {"centres": []}, viewport=1280)
    phone = res.activation_outputs(0, maps["activation"], {"data": maps["data"]}, {"centres": []}, viewport=390)
    assert phone.layout.height > wide.layout.height
    # the note on the teacher's sensitivity shows only when an end of the series stands out
    assert res.activation_note(bundle["activation"], bundle)["style"] == {"display": "none"}
    leaning = dict(bundle["activation"], teacher_sensitivity=[0.1] * 7 + [1.0],
                   sensitive_end={"end": "last", "samples": 1, "ratio": 6.2})
    job_id = "c59f8d23-1b2c-4d5e-8f90-123456789abc"
    note = res.activation_note(leaning, {"teacher": {"name": "lstm"}}, job_id)
    text = str(note["children"])
    assert note["style"] == {} and "6.2 times" in text and "MLP teacher" in text
    # the rerun it suggests, one click away, and the help's reading (review 31B: the advice led nowhere)
    assert f"/configure?from={job_id}&teacher=mlp" in text and "/help#activation" in text
    shared = str(res.activation_note(leaning, {"teacher": {"name": "lstm"}}, "a-share-token")["children"])
    assert "/configure" not in shared and "/help#activation" in shared  # a share link's reader cannot rerun


def test_jobs_list(service):
    jobs = page("jobs")
    out = run(jobs.refresh(0, 0, None, []))
    table = str(out["table"])
    assert f"/results/{service.job_id}" in table and "succeeded" in table
    assert run(jobs.refresh(1, 0, out["signature"], []))["table"] is no_update  # unchanged: not redrawn
    assert "No jobs yet" in str(jobs.jobs_table([]))


def test_api_client_errors():
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
    calls = []
    monkeypatch.setattr(app_module, "set_props", lambda i, p: calls.append((i, p)))
    try:
        raise RuntimeError("kaboom")
    except RuntimeError as err:
        with caplog.at_level("ERROR", logger="frontend"):
            app_module.report_error(err)
    assert calls == [("app-error", {"children": "Something went wrong: kaboom", "is_open": True})]
    assert "Traceback" in caplog.text and "kaboom" in caplog.text


def test_results_summary_shows_the_verdict_and_warnings(service):
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


def test_results_summary_cards_take_their_own_height_and_say_which_compression_is_better(service):
    """Review 24b: the cards stretched to the tallest one's height, and "Compression" did not say that lower is
    the sparser explanation (trust.COMPRESSION_DEFINITION: "Lower means ... uses fewer coefficients")."""
    from awd_studio.models.pipeline.trust import COMPRESSION_DEFINITION

    res = page("results")
    row = next(c for said in res.summary_children(make_bundle("timeseries")) for c in _components(said)
               if getattr(c, "id", None) == res.ids.SUMMARY_CARDS)
    assert "align-items-start" in row.className and len(row.children) == 4
    assert not any("h-100" in (col.children.className or "") for col in row.children)
    assert "Lower means" in COMPRESSION_DEFINITION and "fewer" in COMPRESSION_DEFINITION
    assert "lower means fewer, a sparser explanation" in str(row.children[2])


def test_results_summary_and_table_name_the_initial_wavelet_when_cross_validation_kept_it(service):
    res = page("results")
    bundle = make_bundle("timeseries")
    bundle["selection"] = {**(bundle.get("selection") or {}), "choice": "awd", "initial": "db5",
                           "initial_cv_score": 0.521, "awd_cv_score": 0.498}
    assert "Selected" in str(res.summary_children(bundle))
    assert "table-primary" in str(res.scores_table(bundle))
    bundle["selection"]["choice"] = "initial"
    shown = str(res.summary_children(bundle))
    assert "Cross-validation chose" in shown and "db5 (initial wavelet)" in shown
    assert "0.521" in shown and "0.498" in shown
    # review 8: a higher AWD score that was not chosen gives the rule's reason
    bundle["selection"].update(initial_cv_score=-0.122, awd_cv_score=-0.00639, cv_gain=0.116, cv_gain_se=0.388,
                               rule="one_se")
    said = str(res.summary_children(bundle))
    assert "AWD's lead in CV is within its standard error (one-standard-error rule)." in said
    assert "Gain 0.116, standard error 0.388." in said and "CV R² -0.122 against -0.00639" in said
    # review 26A: the best of 18 points beat db5 by more than its standard error, the search itself did not
    bundle["selection"].update(cv_gain=0.0289, cv_gain_se=0.0214, search_cv_gain=0.004, search_cv_gain_se=0.02,
                               kept_because="selection", n_candidates=19)
    said = str(res.summary_children(bundle))
    assert "the grid search itself, each fold scored by the point the other folds chose, gains 0.004" in said
    # review 28A: the reason first, in one line (the chosen model's lower CV score read as a contradiction)
    assert "AWD's lead in CV is within what picking the best of 18 grid points gives by chance." in said
    bundle["selection"]["kept_because"] = "mean"
    assert "does not beat predicting the training mean" in str(res.summary_children(bundle))
    # the first card is the delivered model's score, not the best AWD point's (a second new user's review)
    assert "db5 test R² (kept by cross-validation)" in shown and "AWD test R²" not in shown
    rows = res.scores_table(bundle).children[0].children[1].children
    highlighted = [str(r.children[0].children) for r in rows if getattr(r, "className", None) == "table-primary"]
    assert len(highlighted) == 1 and "AWD" not in highlighted[0]



def test_the_scores_table_shows_each_students_cv_score_and_what_the_rmse_is_of():
    """Review 28A: the CV scores the selection compared were nowhere on the page, and the table's "RMSE ± SD" did
    not say of which parameter (two runs on one dataset, one per parameter, read alike)."""
    res = page("results")
    bundle = make_bundle("image")
    bundle["data"]["target_name"] = "sigma_8"
    bundle["models"]["laplace"]["cv"] = {"r2": 0.588, "r2_sd": 0.1, "beats_mean": True}
    table = res.scores_table(bundle)
    assert all(f"'{head}'" in str(table) for head in ("Test RMSE", "of sigma_8", "± SD", "CV R²", "Test R²"))
    assert "0.588" in str(table) and "cross-validation folds of the training maps" in str(table)
    title = figures.scores_figure(bundle).layout.annotations[0].text
    assert title == "Test RMSE of sigma_8 ± bootstrap SD (lower is better)"
    for entry in bundle["models"].values():  # a result without CV entries has no empty column
        entry.pop("cv", None)
    assert "CV R²" not in str(res.scores_table(bundle))


def test_maps_of_several_parameters_show_every_parameters_scores():
    """Review 28A: the map student predicts whole (Omega_m, sigma_8) rows, the page scored one column."""
    res = page("results")
    bundle = make_bundle("image")
    assert res.every_target_table(bundle) is None  # one column scored: nothing more to show
    for key, entry in bundle["models"].items():
        entry["test"]["by_target"] = [{"name": "Omega_m", "r2": 0.7, "rmse": 0.0321},
                                      {"name": "sigma_8", "r2": 0.536, "rmse": 0.0412}]
    bundle["data"]["target_name"] = "Omega_m"
    table = str(res.every_target_table(bundle))
    assert "Every parameter" in table and "'sigma_8'" in table and "0.536 · 0.0412" in table
    assert "on Omega_m, the column this run reports" in table
    assert "Every parameter" in str(res.scores_table(bundle))


def test_a_two_valued_target_adds_accuracy_and_auc_to_the_scores_table():
    """Review 13: a 0/1 label had R² and RMSE only."""
    res = page("results")
    bundle = make_bundle("timeseries")
    assert "Accuracy" not in str(res.scores_table(bundle))
    bundle["data"]["two_values"] = [0.0, 1.0]
    bundle["models"]["awd"]["test"].update(accuracy=0.75, auc=0.871)
    table = str(res.scores_table(bundle))
    assert "Accuracy" in table and "AUC" in table and "0.75" in table and "0.871" in table
    assert "midpoint between 0 and 1" in table and "0.5 is chance" in table


def test_provenance_names_the_rows_left_out():
    from awd_studio.frontend.figures.scores import provenance_items

    bundle = make_bundle("timeseries")
    assert "rows left out" not in dict(provenance_items(bundle))
    bundle["data"]["dropped_rows"] = {"count": 3, "rows": ["line 5 (trk3)", "line 42 (trk40)"]}
    assert dict(provenance_items(bundle))["rows left out"] == ("3 with missing values: line 5 (trk3), "
                                                               "line 42 (trk40) and 1 more")
    assert "trace ends filled" not in dict(provenance_items(bundle))
    bundle["data"]["padded_rows"] = {"count": 2, "of": 90, "shortest": 29, "length": 32,
                                     "rows": ["line 5 (trk3)", "line 42 (trk40)"]}
    assert dict(provenance_items(bundle))["trace ends filled"] == (
        "2 of 90 traces ended early (the shortest had 29 of 32 values), filled with zeros: line 5 (trk3), "
        "line 42 (trk40)")


def test_provenance_says_the_shape_x_was_stored_in(bundle_schema):
    """A result's ``data.channel_axis`` (X saved as PyTorch's (n, 1, L)) is shown beside the data facts, in the
    upload preview's words (:func:`channel_axis_words`); a result without it shows nothing."""
    import jsonschema

    from awd_studio.frontend.figures.scores import provenance_items
    from awd_studio.frontend.figures.style import channel_axis_words

    bundle = make_bundle("timeseries")
    assert "stored layout" not in dict(provenance_items(bundle))
    assert "was stored as" not in str(page("results").provenance(bundle))
    bundle["data"]["channel_axis"] = {"X": [200, 1, 64], "X_test": [50, 1, 64]}
    jsonschema.validate(bundle, bundle_schema)
    said = dict(provenance_items(bundle))["stored layout"]
    assert said == channel_axis_words(bundle["data"]["channel_axis"]) == (
        "X was stored as (200, 1, 64) and X_test as (50, 1, 64): the channel axis of size 1 was dropped, each "
        "sample read as a series of 64 values.")
    assert said in str(page("results").provenance(bundle))


def test_the_owners_provenance_names_the_run_it_started_from():
    """Review notes: the job page linked a rerun to its origin, its results page did not."""
    res = page("results")
    bundle = make_bundle("timeseries")
    assert "started from" not in str(res.provenance(bundle))
    origin = "0123abcd-0000-4000-8000-000000000000"
    text = str(res.provenance(bundle, origin))
    assert "started from" in text and "the settings of job" in text and f"/jobs/{origin}" in text


def test_the_use_line_says_why_the_random_search_is_not_delivered():
    """Review 15: the control beat AWD in cross-validation too, and "picking it would fit the test set" did not
    apply to it."""
    from awd_studio.frontend.figures.scores import use_line

    assert "control, not a candidate" not in use_line({"models": {"awd": {}}})
    assert "control, not a candidate" in use_line({"models": {"awd": {}, "random_search": {}}})

def test_share_dialog_opens_and_refreshes_then_closes():
    out = share_dialog.toggle_share(1, False, 3)
    assert fits(out, share_dialog.TOGGLE_OUTPUTS) and out == {"is_open": True, "refresh": 4}
    assert share_dialog.toggle_share(2, True, 4) == {"is_open": False, "refresh": 4}
    assert fits(share_dialog.toggle_share(0, False, 0), share_dialog.TOGGLE_OUTPUTS)


def test_named_update_fills_the_rest_and_names_a_wrong_name():
    outputs = dict(a=Output("x", "children"), alert=alert_outputs("y"))
    assert named_update(outputs, a=1) == {"a": 1, "alert": {"children": no_update, "is_open": no_update}}
    with pytest.raises(ValueError, match="no output named b; the names are a, alert"):
        named_update(outputs, b=2)


def test_a_prediction_on_maps_cut_into_tiles_says_so():
    from awd_studio.frontend.predict_panel import answer_children

    answer = {"model": "awd", "y_pred": [0.3], "scores": {}, "warnings": [], "note": "the file has no targets",
              "tiling": "each 512 x 512 map was cut into 16 tiles of 128 x 128"}
    text = str(answer_children(answer))
    assert "Each 512 x 512 map was cut into 16 tiles of 128 x 128." in text and "'1 prediction'" in text


def test_a_two_valued_targets_answer_shows_the_classes():
    """Review 29B: a 0/1 label predicted as 1.28 and -0.15, and no class said."""
    from awd_studio.frontend.predict_panel import answer_children

    answer = {"model": "awd", "y_pred": [1.28, -0.15], "y_class": [1.0, 0.0], "scores": {}, "warnings": []}
    assert "'1, 0'" in str(answer_children(answer)) and "Their classes" in str(answer_children(answer))


@pytest.mark.parametrize("answer", [
    {"y_pred": [0.5, 0.25]},
    {"y_pred": [0.5, 0.25], "y_true": [0.4, 0.3], "y_pred_test": [0.7], "y_true_test": [0.6]},
    {"y_pred": [0.5], "ids": ["trk7"], "id_name": "track_id", "y_pred_test": [0.7, 0.1]},
    {"y_pred": [0.5], "y_true": [0.4], "y_pred_test": [0.7]},
    {"y_pred": [0.3], "y_true": [0.3], "y_pred_rows": [[0.3, 0.8]], "target_names": ["Omega_m", "sigma_8"],
     "y_pred_test": [0.2], "y_pred_rows_test": [[0.2, 0.9]]},
    {"y_pred": [1.28, -0.15], "y_class": [1.0, 0.0], "y_true": [1.0, 1.0]},
    {"y_pred": [0.5, 0.25], "rows": [0, 2], "ids": ["trk0", "trk2"], "id_name": "track_id", "y_true": [0.4, 0.3],
     "dropped_rows": {"count": 1, "rows": ["line 4 (trk1)"], "of": 3}, "y_pred_test": [0.7]},
    {"y_pred": [0.5, 0.25], "y_true": [None, 0.3]},  # a row without a target: null in the JSON, an empty cell
])
def test_the_pages_predictions_csv_is_awd_predicts(answer):
    """The page's CSV is the API's and ``awd predict --out x.csv``'s, and says which rows in words (review 24b:
    ``split`` read ``X`` on every row)."""
    from awd_studio.frontend.predict_panel import answer_csv
    from awd_studio.models.pipeline.predict import predictions_csv

    text = answer_csv(answer)
    assert text == predictions_csv(answer)
    splits = [line.split(",")[0] for line in text.splitlines()[1:]]
    assert splits == ["file"] * len(answer["y_pred"]) + ["test"] * len(answer.get("y_pred_test", []))


def test_the_pages_predictions_csv_keeps_each_predictions_row_in_the_file():
    """Rows left out for missing values (``?drop_incomplete=true``): each prediction is written on its row in the file
    (the answer's ``rows``), with its identifier and target; counting again from 0 would have shifted every prediction
    after a row left out onto the row above it. A fixed test split's rows still count from 0."""
    from awd_studio.frontend.predict_panel import answer_csv

    answer = {"y_pred": [0.5, 0.25, 0.125], "rows": [0, 3, 7], "ids": ["trk0", "trk3", "trk7"], "id_name": "track_id",
              "y_true": [0.4, 0.3, 0.2], "y_pred_test": [0.7, 0.6], "y_true_test": [0.1, 0.2],
              "dropped_rows": {"count": 5, "rows": ["line 3 (trk1)"], "of": 8}}
    lines = answer_csv(answer).splitlines()
    assert lines[0] == "split,row,track_id,y_pred,y_true"
    assert [line.split(",")[:3] for line in lines[1:]] == [["file", "0", "trk0"], ["file", "3", "trk3"],
                                                          ["file", "7", "trk7"], ["test", "0", ""], ["test", "1", ""]]
    assert lines[2] == "file,3,trk3,0.25,0.3"
    # without rows left out, the rows are the file's from 0, as before
    assert [line.split(",")[1] for line in answer_csv({"y_pred": [0.5, 0.25]}).splitlines()[1:]] == ["0", "1"]


def test_a_prediction_with_rows_left_out_says_which_and_that_rows_are_kept():
    """The answer's dropped_rows said in the panel's words (how many, the first few named by line and by the CSV's
    row), its warning of the same rows not said twice, and the first predictions shown with their rows in the
    file."""
    from awd_studio.frontend.predict_panel import DROPPED_NAMED, answer_children

    named = [f"line {i + 2} (trk{i})" for i in range(0, 16, 2)]
    answer = {"model": "awd", "y_pred": [0.5, 0.25], "rows": [1, 3], "scores": {},
              "dropped_rows": {"count": 8, "rows": named, "of": 10},
              "warnings": ["Left out 8 of 10 rows with missing values, as asked: …", "Inputs on another scale."]}
    text = str(answer_children(answer))
    said = ", ".join(named[:DROPPED_NAMED])
    in_csv = ", ".join(str(r) for r in [0, 2, 4, 5, 6, 7, 8, 9][:DROPPED_NAMED])  # the rows no prediction has
    assert (f"Left out 8 of 10 rows with missing values, as asked: {said} and 3 more; in the CSV, rows {in_csv} "
            "and 3 more.") in text, text
    assert "keeping its row in the file" in text and named[DROPPED_NAMED] not in text
    assert "as asked: …" not in text and "Inputs on another scale." in text  # the other warnings stay
    assert "'1: 0.5, 3: 0.25'" in text and "row in the file: prediction" in text, text
    plain = str(answer_children({"model": "awd", "y_pred": [0.5], "scores": {}, "warnings": []}))
    assert "Left out" not in plain and "'0.5'" in plain


def test_a_prediction_with_rows_without_a_target_says_on_how_many_it_is_scored():
    """Rows kept without a target (a blank cell, ``?drop_incomplete=true``): the score line says how many rows it
    counts of how many predicted, the answer's warning names the others, and the CSV leaves their y_true empty."""
    from awd_studio.frontend.predict_panel import answer_children, answer_csv

    warning = "Scored on 3 of 4 rows; 1 has no target (a blank target cell), so it was predicted but not scored: …"
    answer = {"model": "awd", "y_pred": [0.5, 0.25, 0.2, 0.1], "y_true": [0.4, None, 0.3, 0.1],
              "scores": {"X": {"r2": 0.5, "rmse": 0.1, "n": 3, "of": 4}}, "warnings": [warning],
              "unscored_rows": {"count": 1, "rows": ["line 3"], "of": 4}}
    text = str(answer_children(answer))
    assert "On the file (3 of 4 rows, those with a target): R² 0.5" in text and warning in text, text
    assert answer_csv(answer).splitlines()[2] == "file,1,0.25,"
    assert "On the file (2 rows): R²" in str(answer_children({"model": "awd", "y_pred": [0.5, 0.25], "scores": {
        "X": {"r2": 0.5, "rmse": 0.1, "n": 2}}}))


def test_figure_cards_name_their_chart_for_screen_readers():
    """A chart is an SVG without words: its card's wrapper is a figure named by the card's title and described by
    its help text (review 9: no plot had a text alternative)."""
    from awd_studio.frontend.components import figure_card

    card = figure_card("Learned wavelet", "g", "wavelet", help_text="The wavelet after distillation.")
    wrapper = next(c for c in _components(card) if getattr(c, "role", None) == "figure")
    assert wrapper.to_plotly_json()["props"]["aria-label"] == "Chart: Learned wavelet"
    assert wrapper.to_plotly_json()["props"]["aria-describedby"] == "g-help"
    assert any(getattr(c, "id", None) == "g-help" for c in _components(card))


def test_configure_from_a_job_that_is_not_there_says_so_and_keeps_the_defaults(service):
    cfg = page("configure")
    out = run(cfg.load_prefill("0123456789abcdef0123456789abcdef", dataset="d-from-the-link"))
    assert fits(out, cfg.PREFILL_OUTPUTS)
    assert out["prefill"] is None and out["initial"] == "d-from-the-link"  # ?dataset= still preselects
    assert "Could not read the settings of job 0123456789abcdef" in out["error"]["children"]
    assert "defaults" in out["error"]["children"]
    assert run(cfg.load_prefill(None, dataset=None))["error"]["is_open"] is False
    note = cfg.prefill_note(None, None)
    assert note["is_open"] is False and "awd-hidden" in note["keep_class"]
    # a run's options arrive before the dataset: another dataset takes the defaults, the run's its own
    prefill = {"values": {"dataset_id": "d1", "levels": 3}}
    assert cfg._prefill_for(prefill, {"id": "d1"})["levels"] == 3 and cfg._prefill_for(prefill, {"id": "d2"}) == {}


def test_configure_from_a_run_whose_uploaded_teacher_was_deleted_says_so(service):
    from awd_studio.jobstate import crud
    from awd_studio.jobstate.db import get_sessionmaker

    cfg = page("configure")
    options = run(cfg.load_options(None))["options"]
    with get_sessionmaker(service.settings.sqlalchemy_url)() as session:  # a run of weights deleted since
        job = crud.create_job(session, dataset_id=service.dataset_id, teacher_id="00000000-0000-4000-8000-00000000dead",
                              config={"teacher": "mlp"})
        job_id = job.id
        crud.cancel_job(session, job_id=job_id)  # ended (nothing else in this service runs jobs)
    prefill = run(cfg.load_prefill(job_id))["prefill"]
    assert prefill["teacher_deleted"] is True
    note = cfg.prefill_note(prefill, options)
    assert note["is_open"] and "uploaded teacher has been deleted" in str(note["text"])
    assert "trains a new mlp teacher" in str(note["text"])  # the architecture its weights had
    elsewhere = cfg.prefill_note(prefill, options, {"id": "another-dataset"})
    assert "Another dataset than run" in str(elsewhere["text"]) and "Another" not in str(note["text"])
    built_in = cfg.prefill_note(run(cfg.load_prefill(service.job_id))["prefill"], options)
    assert "deleted" not in str(built_in["text"]) and service.job_id[:8] in str(built_in["text"])
    # the results page's "Rerun with the LSTM teacher": the run's settings, that teacher, and the form says so
    other = run(cfg.load_prefill(service.job_id, teacher="lstm"))["prefill"]
    assert other["values"]["teacher"] == "lstm" and other["teacher_changed"] == "lstm"
    assert "The teacher is changed to lstm" in str(cfg.prefill_note(other, options)["text"])


def test_a_grid_shown_as_a_preset_is_sent_as_that_preset(service):
    """Review 12: a rerun of a preset run with one change sent the preset's λ and γ rounded to 4 digits and its
    epochs and step size, 6 differences for one change; the paper's 0.0002659147 ran as 0.0002659."""
    cfg = page("configure")
    options = run(cfg.load_options(None))["options"]
    paper = options["grid_presets"]["timeseries"]["paper"]
    shown = {"lambdas": cfg.parse_grid(cfg.format_grid(paper["lambdas"]), "λ"),
             "gammas": cfg.parse_grid(cfg.format_grid(paper["gammas"]), "γ"), "epochs": paper["epochs"],
             "lr": paper["lr"], "seed": 5}
    assert cfg.named_preset(shown, options["grid_presets"], "timeseries") == {"seed": 5, "grid_preset": "paper"}
    changed = cfg.named_preset({**shown, "epochs": 7}, options["grid_presets"], "timeseries")
    assert changed == {"seed": 5, "grid_preset": "paper", "epochs": 7}
    other = {**shown, "lambdas": [0.5]}
    assert cfg.named_preset(other, options["grid_presets"], "timeseries") == other


def test_data_made_with_a_known_wavelet_start_the_form_elsewhere():
    """Review 16: the synthetic example's card said "start from sym5 or coif2", its form started from db5."""
    cfg = page("configure")
    info = {"id": "d1", "true_wavelet": "db5"}
    wave, note = cfg.recovery_start(info, "db5")
    assert wave == cfg.RECOVERY_START == "sym5" and "made with db5" in note and "Choose db5" in note
    assert cfg.recovery_start(info, "coif2")[0] is dash.no_update  # the user's own start stays
    # a rerun's form on its own dataset keeps that run's start, db5 included
    prefill = {"values": {"dataset_id": "d1", "wave": "db5"}}
    assert cfg.recovery_start(info, "db5", prefill)[0] is dash.no_update
    assert cfg.recovery_start({"id": "d2"}, "db5") == (dash.no_update, "")


PAGE_NAMES = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "frontend" / "pages").glob("*.py")
                    if p.stem != "__init__")


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_docstring_examples_run(name):
    """The pages' Examples sections run too (they need the app the other modules' test does without)."""
    result = doctest.testmod(page(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed"


def test_the_upload_fields_are_said_in_the_home_pages_words(service):
    """Review: a refused upload named the API's fields (``drop_incomplete=true``, ``tile:``) to a browser user.
    The page gives assets/awd.js the words it shows for each text field of ``POST /api/datasets``: every field but
    ``file`` and ``y`` (the files themselves), each by words the page shows."""
    home = page("home")
    words = home.upload_field_words()
    body = service.client.get("/openapi.json").json()["paths"]["/api/datasets"]["post"]["requestBody"]
    fields = body["content"]["multipart/form-data"]["schema"]["properties"]
    assert set(words) == set(fields) - {"file", "y"}
    layout = home.layout()
    shown = json.dumps(layout.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert all(json.dumps(said.split(" …")[0]) in shown for said in words.values()), words
    zone = re.search(r'"data-field-words": ("(?:[^"\\]|\\.)*")', shown)
    assert zone and json.loads(json.loads(zone.group(1))) == words


def test_the_help_page_names_the_signed_range_of_the_map_student():
    """Review (cosmologist): the help said the histograms count from 0 and a response below 0 is in no bin, without
    the option that counts it ("Map student's range: both signs", peak_range="signed")."""
    text = "".join(str(c) for p in page("help").BODIES["student"] for c in p.children)
    assert "“Map student's range: both signs”" in text and 'peak_range="signed"' in text
    assert "[−b, b]" in text and "By default the histograms count from 0 up" in text


def test_home_preview_asks_whether_few_long_series_are_one_series_per_column():
    """Claims audit 48: a table of traces side by side (each column a series) is read one series per row without a
    word; few series of many samples each now get the preview's question, with how to transpose."""
    home = page("home")
    ds = {"id": "d", "name": "side by side", "kind": "timeseries", "shape": [400], "n": 32, "n_test": 8,
          "summary": {"kind": "timeseries", "meta": {}}}
    text = str(home.preview_children(ds))
    assert "Only 40 series of 400 time points each: AWD Studio reads one series per row." in text
    assert "Only" not in str(home.preview_children(dict(ds, shape=[40], n=3000, n_test=941)))
    assert "Only" not in str(home.preview_children(dict(ds, shape=[120])))  # 40 series of 120: plausible as given
