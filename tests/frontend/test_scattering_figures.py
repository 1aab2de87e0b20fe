"""The scattering block's figures and visibility, from a real (tiny) scattering student's bundle sections."""

import json

import dash_bootstrap_components as dbc
import numpy as np
import pytest

from awd_studio.frontend import scattering_panel
from awd_studio.frontend.figures import scattering as figs
from awd_studio.models.data import make_example
from awd_studio.models.filters import lowpass_filter
from awd_studio.models.options import PipelineConfig
from awd_studio.models.pipeline.scattering_student import fit_scattering_student


@pytest.fixture(scope="module", params=["synthetic", "lensing"])
def bundle(request):
    d = make_example(request.param, n=60, seed=0)
    y, y_test = d.y.reshape(len(d.y), -1)[:, 0], d.y_test.reshape(len(d.y_test), -1)[:, 0]
    config = PipelineConfig.from_dict({"levels": 2, "cv_folds": 3, "cv_repeats": 1, "scattering_epochs": 1})
    scores, section, _, _ = fit_scattering_student(d.kind, d.X, y, d.X_test, y_test, {"offset": 0.0, "scale": 1.0},
                                                config, lowpass_filter("db2"))
    return json.loads(json.dumps({"models": {"scattering": scores}, "scattering": section.model_dump(mode="json")}))


def test_block_is_hidden_without_a_scattering_section():
    out = scattering_panel.block_outputs({"models": {}})
    assert out["style"] == {"display": "none"} and out["scores"] == []


def test_block_draws_filters_tree_and_curve(bundle):
    out = scattering_panel.block_outputs(bundle)
    section = bundle["scattering"]
    assert out["style"] == {}
    tree = out["tree"].data[0]
    assert list(tree.ids) == section["paths_all"]
    kept = [c == figs.PALETTE["learned"] for c in tree.marker.colors]
    assert [i for i, k in zip(tree.ids, kept) if k] == section["paths_kept"]
    # the outer ring names both levels of a second-order path (it said "level 3" alone)
    second = [label for i, label in zip(tree.ids, tree.labels) if i.startswith("2:")]
    assert second and all("→" in label for label in second), second
    curve = out["curve"].data
    assert list(curve[0].x) == section["panel"]["curve"]["n_paths"]
    assert list(curve[1].x) == [len(section["paths_kept"])]
    filters = out["filters"]
    if section["panel"]["ndim"] == 1:  # time + frequency per level, then the taps initial and learned
        assert len(filters.data) == 2 * len(section["panel"]["filters"]) + 2
        np.testing.assert_allclose(filters.data[-1].y, section["filters"]["h"], atol=1e-6)
        assert filters.layout.annotations[0].text == "In time"  # a DWT filter is real: no "real part"
    else:  # space above, frequency below, at most MAX_2D_FILTERS filters
        assert len(filters.data) == 2 * min(len(section["panel"]["filters"]), figs.MAX_2D_FILTERS)
    rows = figs.scattering_scores(bundle)
    assert [r["name"] for r in rows] == ["Scattering student"]


def test_the_score_table_sits_in_a_card_as_the_other_sections_tables():
    """Review 51: the block's score table stood on the page's grey, outside a card, where the results page's other
    tables (the scores, the student's) sit in one."""
    cards = [c for c in scattering_panel.section().children if isinstance(c, dbc.Card)]
    assert [c.id for c in cards][:1] == [scattering_panel.ids.SCORES_CARD]
    body = cards[0].children
    assert isinstance(body, dbc.CardBody) and body.children.id == scattering_panel.ids.SCORES
    assert "shadow-sm" in cards[0].className  # drawn as its neighbours


def test_the_scores_rmse_column_has_one_number_of_decimals():
    """Review 22: "0.16" in this table where the scores table printed "0.160" for the same 0.1603."""
    bundle = {"models": {"awd": {"test": {"r2": 0.55, "rmse": 0.1603}, "n_params": 41},
                         "scattering": {"test": {"r2": 0.568, "rmse": 0.16276}, "n_params": 20}},
              "scattering": {"paths_kept": [], "paths_all": []}}
    table = scattering_panel.scores_children(bundle)[0]
    cells = json.dumps(table.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert '"0.160"' in cells and '"0.163"' in cells, cells
