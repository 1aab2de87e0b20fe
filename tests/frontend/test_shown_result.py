"""The results page's callbacks read the result through the API, which answers 304 while it is unchanged: the
client keeps the last bundles with their ETag, returns the kept one on a 304, forgets one the API refuses, and no
callback changes the bundle it shares with the others."""

from __future__ import annotations

import copy
import importlib
import json

import pytest

from awd_studio.frontend import api_client, figures, predict_panel, results_student, scattering_panel
from awd_studio.frontend.api_client import ApiError
from awd_studio.frontend.shown_result import shown, shown_bundle

from .conftest import run, run_with_side_updates


@pytest.fixture()
def client(service):
    """A fresh client of the seeded service (nothing kept from other tests)."""
    return api_client.configure(app=service.app)


def _result_file(service, job_id):
    return next(service.settings.data_dir.glob(f"jobs/{job_id}/attempt-*/result/result.json"))


def test_an_unchanged_result_is_the_kept_bundle_and_a_rewritten_one_is_read_again(service, client):
    first = run(client.get_result(service.job_id))
    assert run(client.get_result(service.job_id)) is first  # 304: the same dict, not decoded again
    path = _result_file(service, service.job_id)
    original = path.read_text()
    try:
        path.write_text(json.dumps({**json.loads(original), "summary": "rewritten for the test"}))
        again = run(client.get_result(service.job_id))
        assert again is not first and again["summary"] == "rewritten for the test"
    finally:
        path.write_text(original)
    assert run(client.get_result(service.job_id))["summary"] == first["summary"]


def test_a_result_the_api_refuses_is_forgotten(service, client):
    share = service.client.post(f"/api/jobs/{service.job_id}/share").json()
    assert run(client.get_result(share["token"]))["grid"]
    assert service.client.delete(f"/api/shares/{share['id']}").status_code == 204
    with pytest.raises(ApiError) as err:
        run(client.get_result(share["token"]))
    assert err.value.status == 410 and share["token"] not in client._results
    assert run(shown_bundle(shown(share["token"]))) is None  # the page's callbacks draw nothing from it


def test_only_the_latest_bundles_are_kept(service, client, monkeypatch):
    monkeypatch.setattr(api_client, "RESULTS_KEPT", 1)
    run(client.get_result(service.job_id))
    run(client.get_result(service.image_job_id))
    assert list(client._results) == [service.image_job_id]


@pytest.mark.parametrize("which", ["job_id", "image_job_id"])
def test_no_callback_changes_the_bundle_it_shares(service, client, which):
    results = importlib.import_module("awd_studio.frontend.pages.results")
    token = getattr(service, which)
    core = run(results.load_result(token))["core"]
    bundle = run(shown_bundle(core))
    before = copy.deepcopy(bundle)
    for clicked in (None, 1):
        _, side = run_with_side_updates(results.draw_grid(core, clicked))
        # the grid point list follows the shown point (by set_props: see results.GRID_OUTPUTS)
        shown = figures.selected_index(bundle) if clicked is None else clicked
        assert side["results-grid-point"]["value"] == shown and side["results-grid-point"]["options"]
        run(results_student.draw_student(0, clicked, core, viewport=390))
    run(results.draw_subfilters(core, viewport=1280))
    run(results.draw_activation_note(core, token))
    run(results.draw_activation(1, core, viewport=390))
    run(predict_panel.fill_models(core))
    scattering_panel.block_outputs(bundle)
    assert run(shown_bundle(core)) is bundle and bundle == before


def test_the_compare_page_leaves_the_bundles_it_shares_unchanged(service, client):
    compare = importlib.import_module("awd_studio.frontend.pages.compare")
    runs = [service.job_id, service.image_job_id]
    bundles = [run(client.get_result(r)) for r in runs]
    before = copy.deepcopy(bundles)
    run(compare.show(runs))
    assert [run(client.get_result(r)) for r in runs] == before and all(
        run(client.get_result(r)) is b for r, b in zip(runs, bundles))
