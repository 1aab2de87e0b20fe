"""The figure builders: pure functions of a bundle, graceful without optional keys."""

import copy

import jsonschema
import numpy as np
import plotly.graph_objects as go
import pytest

from awd_studio.frontend import figures as F
from awd_studio.frontend.figures.grid import cell_samples

from .conftest import make_bundle, minimal_bundle

BUILDERS = [F.wavelet_figure, F.filters_figure, F.filters_2d_figure, F.subfilters_figure, F.grid_heatmap_figure,
            F.psi_grid_figure, F.activation_figure, F.scores_figure]


def _has_message(fig):
    return any(a.text for a in fig.layout.annotations) and not fig.data


def test_fixtures_validate_against_schema(bundle_schema, ts_bundle, image_bundle, bare_bundle):
    for b in (ts_bundle, image_bundle, bare_bundle):
        jsonschema.validate(b, bundle_schema)


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("kind", ["timeseries", "image"])
def test_every_builder_returns_a_figure(builder, kind):
    fig = builder(make_bundle(kind))
    assert isinstance(fig, go.Figure)
    fig.to_json()  # serialisable for Dash


@pytest.mark.parametrize("builder", BUILDERS)
def test_builders_degrade_without_optional_keys(builder, bare_bundle):
    fig = builder(bare_bundle)
    assert isinstance(fig, go.Figure)
    fig.to_json()


def test_grid_axes_from_indices_and_from_values(ts_bundle, bare_bundle):
    lam, gam, score, index = F.grid_axes(ts_bundle)
    assert score.shape == (2, 3) and sorted(index.ravel().tolist()) == list(range(6))
    lam2, gam2, score2, index2 = F.grid_axes(bare_bundle)
    np.testing.assert_allclose(lam2, lam)
    np.testing.assert_allclose(gam2, gam)
    np.testing.assert_array_equal(index2, index)
    np.testing.assert_allclose(score2, score)


def test_selected_index_by_index_or_by_value(ts_bundle, bare_bundle):
    assert F.selected_index(ts_bundle) == 1
    assert F.selected_index(bare_bundle) == 1  # found from lambda/gamma


def test_heatmap_marks_selected_and_clicked(ts_bundle):
    fig = F.grid_heatmap_figure(ts_bundle, clicked=4)
    heat = fig.data[0]
    assert heat.type == "heatmap" and np.asarray(heat.z).shape == (2, 3)
    names = [t.name for t in fig.data[1:]]
    assert names == ["selected", "inspecting"]
    assert list(fig.data[1].customdata) == [1] and list(fig.data[2].customdata) == [4]
    assert np.asarray(heat.customdata).max() == 5
    # the cell numbers at a fixed, readable size (plotly's automatic one drew them about 7 px high)
    assert heat.textfont.size == 11 and sum(str(t).startswith("★") for t in np.ravel(heat.text)) == 1


def test_the_page_names_the_start_searches_as_the_terminal_does():
    from awd_studio.frontend.figures.grid import SEARCH_NAMES as page
    from awd_studio.models.start_search import SEARCH_NAMES as terminal

    assert page == terminal


def test_a_small_verdict_gain_is_not_shown_as_a_success(ts_bundle):
    """Review 24B: a gain its interval confirms but under half a percent of the variance is said to be small, and the
    page does not draw it in green; the page reads the verdict's own words for it."""
    from awd_studio.frontend.figures.scores import SMALL_GAIN
    from awd_studio.models.pipeline.verdict import SMALL_WORDS, verdict_text

    assert SMALL_GAIN == SMALL_WORDS
    diff = {"estimate": 6e-4, "low": 2e-4, "high": 1e-3, "level": 0.95}
    for small, helped in ((True, False), (False, True)):
        old = {k: v for k, v in ts_bundle.get("verdict", {}).items() if k != "helped"}  # before the field
        bundle = {**ts_bundle, "verdict": {**old, "text": verdict_text("awd", diff, "db5", small=small)}}
        assert F.verdict_lines(bundle)["helped"] is helped
        # since 2026-12-05 the bundle says it itself, and the page reads that, not the words
        bundle["verdict"]["helped"] = not helped
        assert F.verdict_lines(bundle)["helped"] is (not helped)



def test_heatmap_hover_says_where_each_fit_started(ts_bundle):
    assert set(np.ravel(F.grid_heatmap_figure(ts_bundle).data[0].hovertext)) == {""}  # the bundle does not say
    grid = [{**p, "start": "search" if i % 2 else "initial"} for i, p in enumerate(ts_bundle["grid"])]
    heat = F.grid_heatmap_figure({**ts_bundle, "grid": grid}).data[0]
    lambdas, gammas, _, index = F.grid_axes({**ts_bundle, "grid": grid})
    for row, hover in zip(index, heat.hovertext):
        for k, text in zip(row, hover):
            search = ("the search without the teacher (on sparsity alone)" if grid[k]["gamma"] == 0
                      else "the search on the teacher's attributions")
            assert text == (f"<br>started from {search}" if k % 2 else "<br>started from db5")
    assert "%{hovertext}" in heat.hovertemplate


def test_heatmap_without_clicked_marker_when_clicked_is_selected(ts_bundle):
    fig = F.grid_heatmap_figure(ts_bundle, clicked=1)
    assert [t.name for t in fig.data[1:]] == ["selected"]


def test_psi_grid_has_one_cell_per_point(ts_bundle):
    fig = F.psi_grid_figure(ts_bundle, clicked=3)
    by_name = {t.name: t for t in fig.data}
    assert {"learned ψ", "★ best AWD point", "inspecting", "initial"} <= set(by_name)
    assert set(by_name["★ best AWD point"].customdata) == {1}
    assert set(by_name["inspecting"].customdata) == {3}
    assert set(by_name["learned ψ"].customdata) == {0, 2, 4, 5}
    assert list(fig.layout.xaxis.ticktext) == [F.fmt_number(g) for g in ts_bundle["gammas"]]
    # the paper's 21 γ values: every third labelled (all 21 piled into a block on a phone)
    gammas = [round(0.05 * k, 2) for k in range(21)]
    paper = {**ts_bundle, "gammas": gammas,
             "grid": [{**ts_bundle["grid"][0], "lambda": lam, "gamma": g} for lam in ts_bundle["lambdas"]
                      for g in gammas]}
    axis = F.psi_grid_figure(paper).layout.xaxis
    assert list(axis.ticktext) == [F.fmt_number(g) for g in gammas[::3]] and list(axis.tickvals)[1] == 3.5


def test_psi_grid_draws_what_a_cell_can_show(bundle_schema):
    """Each cell's curves are resampled to what the cell can show and rounded to 10⁻⁴ of a cell: with ψ of 1153
    samples (a bundle's, pywt level 7 for db5) the lensing example's 3 x 5 grid made a figure of 1.35 MB, resent
    on every grid-point pick; the ends and the shape stay."""
    import pywt

    wavelet = pywt.Wavelet("db5")
    psi = wavelet.wavefun(level=7)[1]
    assert psi.size == 1153
    b = make_bundle("image", n_lambda=3, n_gamma=5)
    for point in b["grid"]:
        point["psi"] = psi.tolist()
    b["wavelet"]["init_psi"] = psi.tolist()
    fig = F.psi_grid_figure(b)
    assert len(fig.to_json()) < 300_000
    learned = next(t for t in fig.data if t.name == "learned ψ")
    ys = np.asarray(learned.y, dtype=float)  # the cells are separated by None (NaN here)
    first = ys[:np.flatnonzero(np.isnan(ys))[0]]
    assert first.size == cell_samples(psi, 5).size == 480
    at = np.interp(np.linspace(0, psi.size - 1, first.size), np.arange(psi.size), psi)
    offset = first - 0.42 * at / np.abs(psi).max()  # the cell's row: the same for every sample, to the rounding
    assert np.ptp(offset) <= 2e-4 and np.array_equal(first, np.round(first, 4))
    xs = np.asarray(learned.x[:first.size], dtype=float)
    assert np.array_equal(xs, np.round(xs, 4)) and xs[0] < xs[-1]


def test_psi_grid_falls_back_to_h(bare_bundle):
    fig = F.psi_grid_figure(bare_bundle)
    assert any(t.name == "learned h" for t in fig.data)


def test_wavelet_figure_learned_vs_initial(ts_bundle):
    fig = F.wavelet_figure(ts_bundle)
    names = [t.name for t in fig.data]
    assert names.count("initial (db5)") == 2 and names.count("learned") == 2


def test_wavelet_figure_draws_where_a_searched_fit_started(ts_bundle):
    wav = ts_bundle["wavelet"]
    searched = {**ts_bundle, "wavelet": {**wav, "start_phi": list(wav["phi"]), "start_psi": list(wav["psi"])}}
    names = [t.name for t in F.wavelet_figure(searched).data]
    assert names.count("start (search)") == 2
    other = 0 if F.selected_index(searched) else 1  # another grid point: its own start is not drawn
    assert "start (search)" not in [t.name for t in F.wavelet_figure(searched, other).data]
    assert "start (search)" not in [t.name for t in F.wavelet_figure(ts_bundle).data]


def test_wavelet_figure_title_says_when_cross_validation_kept_the_initial_wavelet(ts_bundle):
    assert F.wavelet_figure(ts_bundle).layout.title.text.startswith("selected: λ =")
    kept = {**ts_bundle, "selection": {"choice": "initial", "initial": "db5"}}
    title = F.wavelet_figure(kept).layout.title.text
    # review 40: the learned wavelet is not the delivered one, said on the figure (and so on its PNG)
    assert title.startswith("best AWD point (for reference): λ =")
    assert title.endswith("; not delivered: the model uses db5")


def test_wavelet_figure_title_fits_a_phone_when_narrow(ts_bundle):
    """Review 49: at 390 px the title "best AWD point (for reference): λ = 0.005, γ = 1.0…" was cut at the figure's
    right edge (332 px). ``narrow`` breaks it into lines of at most ``NARROW_TITLE_CHARS`` and grows the top margin
    and the figure by the lines it adds, so that the panels keep their height; the desktop's figure is unchanged."""
    from awd_studio.frontend.figures.wavelet import NARROW_TITLE_CHARS, TITLE_LINE_PX

    kept = {**ts_bundle, "selection": {"choice": "initial", "initial": "db5"}}
    kept["grid"] = [{**p, "gamma": 1e-4} for p in kept["grid"]]  # "γ = 1.00e-04": the longest the grid prints
    for bundle, index in ((kept, None), (ts_bundle, None), (ts_bundle, 4)):
        wide, phone = F.wavelet_figure(bundle, index), F.wavelet_figure(bundle, index, narrow=True)
        lines = phone.layout.title.text.split("<br>")
        assert max(len(line) for line in lines) <= NARROW_TITLE_CHARS, lines
        # the same words, only broken elsewhere, and never between a name and its value
        assert " ".join(lines).replace("\xa0", " ") == wide.layout.title.text.replace("<br>", " ")
        assert not any(line.endswith(("=", "R²", "CV")) for line in lines), lines
        extra = TITLE_LINE_PX * max(len(lines) - 2, 0)
        assert phone.layout.margin.t == wide.layout.margin.t + extra
        assert phone.layout.height - phone.layout.margin.t == wide.layout.height - wide.layout.margin.t
        # the title's top stays as far under the figure's as on the desktop's
        assert (1 - phone.layout.title.y) * phone.layout.height == pytest.approx((1 - wide.layout.title.y) * 380)
    assert len(F.wavelet_figure(kept, narrow=True).layout.title.text.split("<br>")) == 3
    assert F.wavelet_figure(kept).to_plotly_json() == F.wavelet_figure(kept, narrow=False).to_plotly_json()
    assert F.wavelet_figure(kept).layout.height == 380 and F.wavelet_figure(kept).layout.title.y == pytest.approx(0.975)


def test_wavelet_figure_for_a_clicked_point(ts_bundle):
    fig = F.wavelet_figure(ts_bundle, index=4)
    assert any(t.name == "grid point" for t in fig.data)
    np.testing.assert_allclose([t for t in fig.data if t.name == "grid point"][0].y, ts_bundle["grid"][4]["psi"])
    assert "λ =" in fig.layout.title.text


def test_filters_figure_derives_g_for_a_grid_point(ts_bundle):
    fig = F.filters_figure(ts_bundle, index=0)
    markers = [t for t in fig.data if t.mode == "markers" and t.name == "grid point"]
    h = np.asarray(ts_bundle["grid"][0]["h"])
    np.testing.assert_allclose(markers[0].y, h)
    np.testing.assert_allclose(markers[1].y, ((-1.0) ** np.arange(h.size)) * h[::-1])


def test_filters_2d_computed_when_missing(ts_bundle, image_bundle):
    fig = F.filters_2d_figure(ts_bundle)  # time series: computed from h, g
    assert len(fig.data) == 4
    h = np.asarray(ts_bundle["wavelet"]["h"])
    np.testing.assert_allclose(fig.data[0].z, np.outer(h, h))
    fig = F.filters_2d_figure(image_bundle)
    np.testing.assert_allclose(fig.data[3].z, image_bundle["wavelet"]["filters_2d"]["HH"])


def test_subfilters_two_rows_with_initial(image_bundle, ts_bundle):
    assert len(F.subfilters_figure(image_bundle).data) == 8
    wide, narrow = F.subfilters_figure(image_bundle), F.subfilters_figure(image_bundle, narrow=True)
    assert wide.data[0].texttemplate == "%{z:.2f}" and wide.data[0].textfont.size == 10  # plotly drew about 6 px
    assert wide.layout.xaxis4.domain[0] > 0.7 and narrow.layout.xaxis3.domain[0] == 0  # four a row; two on a phone
    assert narrow.layout.height > wide.layout.height
    assert _has_message(F.subfilters_figure(ts_bundle))


@pytest.mark.parametrize("kind", ["timeseries", "image"])
def test_activation_figure_per_example(kind):
    b = make_bundle(kind)
    assert F.n_activation_examples(b) == 3
    fig = F.activation_figure(b, example=2)
    assert "test example 2" in fig.layout.title.text and "predicted 0.33" in fig.layout.title.text
    if kind == "image":  # the map and its activation apart, on linked pixel axes: beside, or stacked on a phone
        assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
        assert [t.xaxis for t in fig.data] == ["x", "x2"] and fig.layout.xaxis2.matches == "x"
        assert fig.data[1].zmax == 1 and np.nanmax(fig.data[1].z) == 1 and fig.data[1].colorscale[0][1] == "#ffffff"
        assert fig.layout.xaxis.title.text == "column (pixels)" and fig.layout.yaxis.title.text == "row (pixels)"
        assert fig.layout.xaxis2.domain[0] > fig.layout.xaxis.domain[1]  # beside
        phone = F.activation_figure(b, example=2, narrow=True)
        assert phone.layout.yaxis2.domain[1] < phone.layout.yaxis.domain[0]  # below
        assert phone.layout.height > fig.layout.height
    else:
        band = next(t for t in fig.data if t.fill == "tozeroy")
        assert band.yaxis == "y2" and fig.layout.yaxis2.overlaying == "y" and fig.layout.yaxis2.side == "right"
        assert max(band.y) == 1 and min(band.y) >= 0 and "activation" in fig.layout.yaxis2.title.text


def test_a_series_activation_map_draws_the_teachers_sensitivity_and_says_when_an_end_stands_out():
    b = make_bundle("timeseries")
    length = len(b["activation"]["x"][0])
    assert not any("sensitivity" in (t.name or "") for t in F.activation_figure(b).data)  # older results: none
    profile = [0.1] * (length - 1) + [1.0]
    b["activation"].update(teacher_sensitivity=profile, sensitive_end={"end": "last", "samples": 1, "ratio": 4.2})
    line = next(t for t in F.activation_figure(b).data if "sensitivity" in (t.name or ""))
    assert line.yaxis == "y2" and list(line.y) == profile and line.line.dash == "dot"
    words = F.sensitivity_words(b["activation"], "lstm")
    assert "end of the series" in words and "4.2 times" in words and "MLP teacher" in words
    assert "LSTM teacher" in F.sensitivity_words(b["activation"], "mlp")
    first = F.sensitivity_words(dict(b["activation"], sensitive_end={"end": "first", "samples": 1, "ratio": 3}))
    assert "start of the series" in first and "recurrent" not in first and "another teacher" in first
    assert F.sensitivity_words(dict(b["activation"], sensitive_end=None)) is None
    assert F.sensitivity_words(None) is None


def test_an_activation_map_of_an_older_version_says_where_it_put_coefficients():
    older = make_bundle("timeseries")  # no explain.centres: written before the placement was measured
    assert "earlier version" in F.activation_figure(older).layout.title.text
    newer = dict(older, explain={"kind": "timeseries", "examples": [], "centres": [[1.5, 3.5]]})
    assert "earlier version" not in F.activation_figure(newer).layout.title.text


def test_activation_figure_bad_index_and_missing(ts_bundle, bare_bundle):
    assert F.activation_figure(ts_bundle, example=99).layout.title.text.startswith("test example 0")
    assert _has_message(F.activation_figure(bare_bundle))
    assert F.n_activation_examples(bare_bundle) == 0


def test_score_rows_order_and_teacher(image_bundle):
    rows = F.score_rows(image_bundle)
    assert [r["key"] for r in rows] == ["awd", "awd_no_interp", "baseline_wavelet", "laplace", "roberts_cross",
                                        "teacher"]
    assert rows[2]["model"] == "Initial wavelet (db5)" and rows[-1]["model"] == "Teacher (cnn)"
    assert rows[0]["rmse_text"] == "1.00 ± 0.05"  # the decimals that give the column's largest 3 digits
    assert rows[3]["compression_text"] == "—"


def test_the_teacher_free_control_is_named_with_its_number_of_wavelets(ts_bundle, bundle_schema):
    bundle = copy.deepcopy(ts_bundle)
    bundle["models"]["random_search"] = copy.deepcopy(bundle["models"]["baseline_wavelet"])
    bundle["selection"] = {"rule": "one_se", "folds": 5, "repeats": 3, "choice": "awd", "initial_cv_score": 0.1,
                           "awd_cv_score": 0.2, "cv_gain": 0.1, "cv_gain_se": 0.01, "random_search": {
                               "n": 300, "seed": 0, "cv_score": 0.2, "h": bundle["wavelet"]["h"],
                               "test_difference": {"estimate": 0.01, "low": -0.01, "high": 0.03, "level": 0.95,
                                                   "n_boot": 1000, "metric": "r2"}}}
    jsonschema.validate(bundle, bundle_schema)
    rows = F.score_rows(bundle)
    assert [r["key"] for r in rows][-2:] == ["random_search", "teacher"]
    assert rows[-2]["model"] == "Best of 300 random wavelets (no teacher)"
    del bundle["selection"]["random_search"]
    assert F.score_rows(bundle)[-2]["model"] == "Random search, no teacher"


def test_scores_figure_error_bars(ts_bundle):
    fig = F.scores_figure(ts_bundle)
    rmse = fig.data[0]
    assert rmse.orientation == "h"  # the model names on the left: readable at a phone's width
    # the teacher of this bundle has no SD: no error bar (review 8: a 0 drew a flat cap as if it were exact)
    assert list(rmse.error_x.array)[:3] == [0.05, 0.05, 0.06] and np.isnan(rmse.error_x.array[3])
    assert len(rmse.y) == 4 and list(fig.data[1].y) == list(rmse.y)
    # each R² bar carries its value, as the table writes it (review 19: 0.961 and 0.999 drew bars of one length)
    assert list(fig.data[1].text) == [r["r2_text"] for r in F.score_rows(ts_bundle)]


def test_scores_figure_names_the_delivered_model(ts_bundle):
    """Review 40: the figure and its PNG did not say which model the result delivers (the table alone did)."""
    names = [name.replace("<br>", " ") for name in F.scores_figure(ts_bundle).data[0].y]
    assert [name for name in names if name.endswith("(delivered)")] == [names[0]]  # AWD, the first row
    kept = {**ts_bundle, "selection": {"choice": "initial", "initial": "db5"}}
    names = [name.replace("<br>", " ") for name in F.scores_figure(kept).data[0].y]
    rows = F.score_rows(kept)
    delivered = [name for name, row in zip(names, rows) if name.endswith("(delivered)")]
    assert len(delivered) == 1 and delivered[0] == rows[[r["key"] for r in rows].index("baseline_wavelet")]["model"] \
        + " (delivered)"


def test_a_phones_figures_break_their_titles_into_lines_that_fit(ts_bundle):
    """Review: at 390 px Plotly cut "Test RMSE of auxilin ± bootstrap SD (lower" and "teacher's sensitivity, all test
    series (right axis": a phone's scores and activation figures break them into lines (the browser test measures
    them drawn, tests/e2e/test_window_sizes.py)."""
    from awd_studio.frontend.figures.activation import NARROW_LEGEND_CHARS
    from awd_studio.frontend.figures.scores import NARROW_TITLE_CHARS

    ts_bundle["data"]["target_name"] = "auxilin"
    wide, phone = F.scores_figure(ts_bundle), F.scores_figure(ts_bundle, narrow=True)
    assert wide.layout.annotations[0].text == "Test RMSE of auxilin ± bootstrap SD (lower is better)"
    lines = phone.layout.annotations[0].text.split("<br>")
    assert len(lines) == 2 and all(len(line) <= NARROW_TITLE_CHARS for line in lines)
    assert " ".join(lines) == wide.layout.annotations[0].text
    assert phone.layout.margin.t > wide.layout.margin.t and phone.layout.height > wide.layout.height  # room for it
    b = make_bundle("timeseries")
    b["activation"]["teacher_sensitivity"] = [0.5] * len(b["activation"]["x"][0])
    names = [[t.name for t in F.activation_figure(b, narrow=narrow).data if "sensitivity" in t.name][0]
             for narrow in (False, True)]
    assert "<br>" not in names[0] and all(len(line) <= NARROW_LEGEND_CHARS for line in names[1].split("<br>"))


def test_no_two_score_bars_share_a_colour(image_bundle):
    """Every model a result can hold has its own colour (a map result's 'AWD, γ = 0' and 'Raw peak heights' were
    both orange)."""
    from awd_studio.frontend.figures.style import MODEL_COLOURS

    assert len(set(MODEL_COLOURS.values())) == len(MODEL_COLOURS)
    fig = F.scores_figure(image_bundle)
    colours = list(fig.data[0].marker.color)
    assert len(colours) == len(fig.data[0].y) >= 6 and len(set(colours)) == len(colours)


def test_loss_figure(ts_bundle):
    fig = F.loss_figure(ts_bundle["history"])
    assert [t.name for t in fig.data] == ["train loss", "val loss"]
    assert fig.layout.yaxis.type == "log"
    assert _has_message(F.loss_figure(None))
    assert _has_message(F.loss_figure({"epoch": []}))
    fig = F.loss_figure({"epoch": [1, 2], "train_loss": [0.5, -0.1]})
    assert fig.layout.yaxis.type == "linear"
    # review 8: at 390 px a legend beside the title overprinted it, and 1.36-1.39 repeated its tick labels
    titled = F.loss_figure({"epoch": [1, 2], "train_loss": [1.394, 1.392], "val_loss": [1.359, 1.358]},
                           title="teacher's MSE on standardised targets")
    assert titled.layout.legend.y < 0 and titled.layout.yaxis.tickformat == ".4~g"


def test_preview_and_histogram(dataset_summary):
    fig = F.preview_figure(dataset_summary)
    assert len(fig.data) == 3 and fig.data[0].type == "scatter"
    fig = F.target_histogram_figure(dataset_summary)
    assert fig.data[0].type == "bar" and sum(fig.data[0].y) == 50
    img = dict(dataset_summary, kind="image", preview={"X": np.zeros((2, 8, 8)).tolist(), "y": [[1, 2], [3, 4]]})
    fig = F.preview_figure(img)
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    assert [t.showscale for t in fig.data] == [False, True] and len({(t.zmin, t.zmax) for t in fig.data}) == 1
    named = F.preview_figure(dict(img, target_names=["Omega_m", "sigma_8"]))
    # review 7: "Omega_m 0.26 / sigma_8 0.95" above maps 80 px wide overprinted on a phone: values above each
    # map, named once in the caption
    assert [a.text for a in named.layout.annotations] == ["1<br>2", "3<br>4",
                                                          "above each map: Omega_m, sigma_8 (top to bottom)"]
    assert [a.text for a in fig.layout.annotations] == ["1<br>2", "3<br>4", "above each map: its targets"]
    # every target column gets a histogram (sigma_8 was shown nowhere)
    two = dict(dataset_summary, targets=[{"name": n, "mean": 0.3, "std": 0.05,
                                          "histogram": {"counts": [1, 2], "edges": [0.0, 0.5, 1.0]}}
                                         for n in ("Omega_m", "sigma_8")])
    hist = F.target_histogram_figure(two)
    assert len(hist.data) == 2 and hist.layout.xaxis2.title.text == "sigma_8<br>mean 0.3<br>sd 0.05"
    # review 8: a constant column read "mean 0.8 sd 1.11e-16"
    two["targets"][1].update(n_unique=1, min=0.8, mean=0.8, std=1.11e-16)
    assert F.target_histogram_figure(two).layout.xaxis2.title.text == "sigma_8<br>0.8 in every sample"
    assert _has_message(F.preview_figure({}))
    assert _has_message(F.target_histogram_figure({}))


def test_a_target_of_few_values_gets_one_bar_per_value():
    """Review 39A: the lensing example's Omega_m (a grid of 9 values) was drawn in 20 bins that did not line up with
    them: a narrow bar stood beside 0.3. The summary keeps each value's count for a column of few values, and the
    preview draws a bar at each value, none as wide as the gap to the next; a column of many values keeps its
    histogram."""
    from awd_studio.models.data import Dataset, summarize

    rng = np.random.default_rng(39)
    grid = np.round(np.linspace(0.2, 0.4, 9), 3)
    y = np.c_[rng.choice(grid, 300), rng.normal(0.8, 0.1, 300)]
    summary = summarize(Dataset(X=rng.normal(size=(300, 8, 8)), y=y, target_names=["Omega_m", "sigma_8"]))
    omega, sigma = summary["targets"]
    assert omega["distinct"]["values"] == sorted(set(y[:, 0].tolist())) and sum(omega["distinct"]["counts"]) == 300
    assert "distinct" not in sigma
    fig = F.target_histogram_figure(summary)
    bars, spread = fig.data
    assert list(bars.x) == omega["distinct"]["values"] and list(bars.y) == omega["distinct"]["counts"]
    assert max(bars.width) < 0.025 and len(spread.x) == len(sigma["histogram"]["counts"])
    # a summary stored before: the bins as they were
    del summary["targets"][0]["distinct"]
    assert len(F.target_histogram_figure(summary).data[0].x) == len(omega["histogram"]["counts"])
    # 12 maps, each its own Omega_m (a FITS cube with a table of targets): no value shared, so no grid; one bar per
    # value had been 0.8 of the smallest gap wide, under a pixel, and the plot looked empty (session 52)
    few = summarize(Dataset(X=rng.normal(size=(12, 8, 8)), y=rng.uniform(0.2, 0.4, 12), target_names=["Omega_m"]))
    assert "distinct" in few["targets"][0]
    bars = F.target_histogram_figure(few).data[0]
    assert min(bars.width) > (max(bars.x) - min(bars.x)) / 40 and sum(bars.y) == 12
    assert F.target_histogram_figure(few).layout.yaxis.dtick == 1  # whole counts: no tick at 0.5


def test_provenance_items(ts_bundle, bare_bundle):
    items = dict(F.provenance_items(ts_bundle))
    assert items["seed"] == "0" and items["git commit"] == "—" and "160 train" in items["data"]
    assert items["data"].startswith("time series (")  # the home page's words, not the API's "timeseries"
    # in words, not the bundle's keys, and an epoch's 0.0154 s not rounded to "0 s"
    assert items["wall time"] == "data and teacher 1.5 s, distillation, per epoch 0.0154 s, selection and students " \
                                 "3 min 20 s"
    assert dict(F.provenance_items(bare_bundle))["device"] == "cpu"
    beside = {**ts_bundle, "timings": {"prepare": 11.0, "beside_teacher": 6.9}}
    assert dict(F.provenance_items(beside))["wall time"] == (
        "data and teacher 11 s, the teacher-free work, beside the teacher (within data and teacher) 6.9 s")
    tiled = {**ts_bundle, "data": {**ts_bundle["data"], "train_maps": 30}, "cv": {"grouping": "maps by cosmology"}}
    assert "tiles of 30 training maps; folds hold out whole maps, stratified by cosmology" in dict(
        F.provenance_items(tiled))["data"]
    tiled["data"]["test_maps"] = 4
    assert "stratified by cosmology; test intervals resample the 4 test maps whole)" in dict(
        F.provenance_items(tiled))["data"]
    tiled["cv"]["grouping"] = "tiles"
    assert "folds take tiles: a cosmology has one training map" in dict(F.provenance_items(tiled))["data"]
    assert "teacher file" not in items  # a teacher the job trained
    # uploaded weights: the file's name and hash, which a reader of a shared result can check (review 39A)
    upload = {"file_name": "mynet.pt2", "format": "exported program", "sha256": "8c4b" + "0" * 60}
    items = dict(F.provenance_items({**ts_bundle, "teacher": {**ts_bundle["teacher"], "upload": upload}}))
    assert items["teacher file"] == "mynet.pt2 (uploaded, exported program)"
    assert items["teacher sha256"] == upload["sha256"]


def test_builders_are_pure(ts_bundle):
    before = copy.deepcopy(ts_bundle)
    for b in BUILDERS:
        b(ts_bundle)
    assert ts_bundle == before


def test_large_grid_builds(bundle_schema):
    b = make_bundle("timeseries", n_lambda=5, n_gamma=21)
    jsonschema.validate(b, bundle_schema)
    fig = F.psi_grid_figure(b)
    assert sum(len(set(t.customdata)) for t in fig.data if t.name != "initial") == 105
    assert np.asarray(F.grid_heatmap_figure(b).data[0].z).shape == (5, 21)
    assert minimal_bundle(b)["grid"][0].keys() == {"lambda", "gamma", "cv_score", "losses", "h"}


def test_verdict_lines(ts_bundle):
    text = "AWD improves test R² over db5 by 0.030 (95 % interval 0.010 to 0.050)."
    ts_bundle["verdict"] = {"text": text, "choice": "awd", "metric": "r2", "warnings": ["The AWD student does not "
                            "beat predicting the training mean in cross-validation (CV R² -0.100); ..."],
                            "test_difference": {"estimate": 0.03, "low": 0.01, "high": 0.05, "level": 0.95,
                                                "n_boot": 10000}, "helped": True}
    lines = F.verdict_lines(ts_bundle)
    assert lines["text"] == text and lines["helped"] and len(lines["warnings"]) == 1
    ts_bundle["verdict"].update(text="No significant gain over db5: use db5 (cross-validation kept it).", helped=False)
    assert not F.verdict_lines(ts_bundle)["helped"]
    del ts_bundle["verdict"]
    assert F.verdict_lines(ts_bundle) == {"text": "", "helped": False, "warnings": []}


def test_highpass_is_pywavelets_rec_hi():
    pywt = pytest.importorskip("pywt")
    for name in ("db2", "db5", "sym4", "coif2"):
        w = pywt.Wavelet(name)
        np.testing.assert_allclose(F.highpass(np.asarray(w.rec_lo)), w.rec_hi, atol=1e-12)


def test_the_grid_heatmap_keeps_its_colour_bar_underneath_at_every_width(ts_bundle):
    """One colour bar placement for phones and desktops, in plot coordinates: plotly could not redraw a bar that
    changed orientation, or was placed in the figure's coordinates, when a window crossed the phone width (a
    negative plot height narrowing, two squeezed cells widening back)."""
    wide, narrow = F.grid_heatmap_figure(ts_bundle), F.grid_heatmap_figure(ts_bundle, narrow=True)
    for fig in (wide, narrow):
        bar = fig.data[0].colorbar
        assert bar.orientation == "h" and bar.yref == "paper" and bar.y < 0
    assert narrow.data[0].colorbar.to_plotly_json() == wide.data[0].colorbar.to_plotly_json()
    # many γ columns stand their labels upright, sooner on a phone, with the room for them
    bundle = {**ts_bundle, "gammas": [round(0.001 * k, 4) for k in range(9)]}
    bundle["grid"] = [{**ts_bundle["grid"][0], "lambda": lam, "gamma": g} for lam in ts_bundle["lambdas"]
                      for g in bundle["gammas"]]
    many_wide, many_narrow = F.grid_heatmap_figure(bundle), F.grid_heatmap_figure(bundle, narrow=True)
    assert many_narrow.layout.xaxis.tickangle == -90 and many_wide.layout.xaxis.tickangle == 0
    assert many_narrow.layout.margin.b > many_wide.layout.margin.b
    # review 8: six columns labelled 0, 1.00e-04, 0.001, ... overlapped on a phone, and "★0.538" left its cell
    six = {**ts_bundle, "gammas": [0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0]}
    six["grid"] = [{**ts_bundle["grid"][0], "lambda": lam, "gamma": g} for lam in ts_bundle["lambdas"]
                   for g in six["gammas"]]
    six_wide, six_narrow = F.grid_heatmap_figure(six), F.grid_heatmap_figure(six, narrow=True)
    assert six_narrow.layout.xaxis.tickangle == -90 and six_wide.layout.xaxis.tickangle == 0
    assert six_narrow.data[0].textfont.size == 9 and six_wide.data[0].textfont.size == 11


def test_tables_stack_on_a_phone_with_each_cell_named():
    import dash_bootstrap_components as dbc
    from dash import html

    from awd_studio.frontend.components import stack_on_phones

    table = stack_on_phones(dbc.Table([html.Thead(html.Tr([html.Th("Model"), html.Th("R²"), html.Th("")])),
                                       html.Tbody([html.Tr([html.Th("AWD", scope="row"), html.Td("0.9"),
                                                            html.Td(html.Button("Delete"))])])],
                                      className="awd-table"))
    row = table.children[1].children[0]
    assert table.className == "awd-table awd-stack"
    assert [getattr(cell, "data-label", None) for cell in row.children] == ["Model", "R²", None]  # no empty label
    assert row.children[1].to_plotly_json()["props"]["data-label"] == "R²"
    # a header on two lines labels its cells in one
    two = stack_on_phones(dbc.Table([html.Thead(html.Tr([html.Th(["Position", html.Br(), "in band"])])),
                                     html.Tbody([html.Tr([html.Td("3")])])]))
    assert getattr(two.children[1].children[0].children[0], "data-label") == "Position in band"


def test_the_verdict_says_when_a_fixed_filter_baseline_beats_both_wavelets():
    """The verdict compares AWD with its initial wavelet; its "use db5" stood beside a note recommending the
    Roberts-cross baseline, which beat both."""
    models = {"awd": {"test": {"r2": 0.979}}, "baseline_wavelet": {"test": {"r2": 0.98}},
              "roberts_cross": {"test": {"r2": 0.987}}, "laplace": {"test": {"r2": 0.95}}}
    bundle = {"verdict": {"text": "No significant gain over db5: use db5 (…)."}, "models": models}
    text = F.verdict_lines(bundle)["text"]
    assert text.endswith("The Roberts cross baseline scored higher than both on this test set (test R² 0.987 "
                         "against 0.979 and 0.980), with no paired interval computed for it: a lead to confirm on "
                         "more data before predicting with it.")
    models["awd"]["test"]["r2"] = 0.99  # AWD best: the verdict stands alone
    assert F.verdict_lines(bundle)["text"] == "No significant gain over db5: use db5 (…)."
    # since 2026-12-05 the bundle compares the best fixed filter by CV itself, in a note: the page adds nothing
    models["awd"]["test"]["r2"] = 0.979
    bundle["verdict"]["fixed_filter"] = {"name": "roberts_cross", "leads": False}
    assert F.verdict_lines(bundle)["text"] == "No significant gain over db5: use db5 (…)."
    # review 29A: "the model to use" made no exception for the note that a fixed filter leads in CV
    assert "exception" not in F.use_line(bundle)
    bundle["verdict"]["fixed_filter"]["leads"] = True
    assert "The exception is the note below on the Roberts cross baseline" in F.use_line(bundle)


def test_no_baseline_is_recommended_when_every_model_loses_to_the_mean():
    """A result on noise recommended the Laplace baseline 'for prediction' at test R² -0.03."""
    models = {"awd": {"test": {"r2": -0.08}}, "baseline_wavelet": {"test": {"r2": -0.032}},
              "laplace": {"test": {"r2": -0.031}}}
    bundle = {"verdict": {"text": "No significant gain over db5: use db5 (…)."}, "models": models}
    text = F.verdict_lines(bundle)["text"]
    assert "For prediction" not in text and "No model here predicts better than the training mean" in text


def test_a_strided_map_preview_says_so():
    summary = {"kind": "image", "shape": [64, 64], "preview": {"X": [np.zeros((32, 32)).tolist()], "y": [0.3]}}
    notes = [a.text for a in F.preview_figure(summary).layout.annotations]
    assert any("64 × 64 maps drawn at 32 × 32<br>(every 2nd pixel" in t for t in notes), notes
    summary["shape"] = [32, 32]  # drawn as stored: nothing to say
    assert not any("drawn at" in a.text for a in F.preview_figure(summary).layout.annotations)


def test_a_map_preview_keeps_the_aspect_ratio_and_names_the_stride():
    """A reviewer's 32 × 512 strips were drawn as squares (every 16th column), captioned "every 1st pixel"; 64 px
    tiles were halved although a panel has the room."""
    from awd_studio.models.data import Dataset, summarize

    rng = np.random.default_rng(0)
    strips = summarize(Dataset(rng.normal(size=(12, 32, 512)), rng.normal(size=12), min_samples=1))
    assert np.asarray(strips["preview"]["X"][0]).shape == (16, 256)  # one stride (2) on both axes
    notes = " ".join(a.text for a in F.preview_figure(strips).layout.annotations)
    assert "32 × 512 maps drawn at 16 × 256<br>(every 2nd pixel" in notes, notes
    tiles = summarize(Dataset(rng.normal(size=(12, 64, 64)), rng.normal(size=12), min_samples=1))
    assert np.asarray(tiles["preview"]["X"][0]).shape == (64, 64)  # whole
    big = summarize(Dataset(rng.normal(size=(12, 512, 512)), rng.normal(size=12), min_samples=1))
    assert np.asarray(big["preview"]["X"][0]).shape == (64, 64)


def test_log_loss_ticks_are_numbers_with_three_digits():
    fig = F.loss_figure({"epoch": [1, 2, 3], "train": [0.023, 0.0225, 0.022], "val": [0.021, 0.0209, 0.0208]})
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.tickformat == ".3~g"


def test_log_loss_ticks_label_one_two_five_of_each_decade():
    """Review 24b: the teacher's chart labelled every digit of a decade, "1 0.9 0.8 0.7 0.6 0.5" in one clump."""
    epochs = list(range(1, 25))
    fig = F.loss_figure({"epoch": epochs, "teacher_train": [1.02 * 0.86 ** (e - 1) for e in epochs],
                         "teacher_val": [0.9 * 0.87 ** e for e in epochs]}, title="teacher's MSE")
    axis = fig.layout.yaxis
    assert axis.type == "log" and axis.tickmode == "array"
    assert list(axis.tickvals) == [0.05, 0.1, 0.2, 0.5, 1.0]
    assert 0.9 in axis.minor.tickvals and 0.06 in axis.minor.tickvals and not set(axis.minor.tickvals) & {0.1, 0.5}
    wide = F.loss_figure({"epoch": [1, 2, 3], "loss": [50.0, 1.0, 0.002]}).layout.yaxis
    assert list(wide.tickvals) == [0.01, 0.1, 1.0, 10.0]  # past three decades, only the powers of ten
    # within a decade a 3 as well (0.16 to 0.74, the CME teacher's: Plotly labelled 0.5, 0.6, 0.7, 0.8 close together)
    between = F.loss_figure({"epoch": [1, 2], "loss": [0.74, 0.16]}).layout.yaxis
    assert list(between.tickvals) == [0.2, 0.3, 0.5] and 0.7 in between.minor.tickvals
    # a narrow range keeps Plotly's own ticks, with enough digits
    narrow = F.loss_figure({"epoch": [1, 2], "loss": [0.023, 0.0208]}).layout.yaxis
    assert narrow.tickvals is None and narrow.tickformat == ".3~g"


def test_heatmap_outlines_follow_the_cells_edges(ts_bundle):
    """A square marker in the cell's middle crossed the cell's number ("★ 0.8|7|4"): the outlines are the cells'
    edges, the markers invisible."""
    fig = F.grid_heatmap_figure(ts_bundle, clicked=4)
    assert len(fig.layout.shapes) == 2 and all(t.marker.opacity == 0 for t in fig.data[1:])
    for shape in fig.layout.shapes:
        assert 0.75 <= shape.x1 - shape.x0 <= 1 and 0.75 <= shape.y1 - shape.y0 <= 1


def test_a_series_named_by_its_times_is_labelled_with_them(dataset_summary):
    """Review 11: a CSV's t=0s ... t=78s columns were drawn against the sample index in every figure."""
    bundle = make_bundle("timeseries")
    length = len(bundle["activation"]["x"][0])
    axis = {"values": [2.0 * i for i in range(length)], "label": "t (s)"}
    assert F.activation_figure(bundle, 0).layout.xaxis.title.text == "time (frames)"
    bundle["data"]["sample_axis"] = axis
    xaxis = F.activation_figure(bundle, 0).layout.xaxis
    assert xaxis.title.text == "time (s)" and xaxis.ticktext[1] == f"{2.0 * xaxis.tickvals[1]:g}"
    summary = copy.deepcopy(dataset_summary)
    summary["meta"] = {"sample_axis": {"values": [0.5 * i for i in range(64)], "label": "time"}}
    preview = F.preview_figure(summary).layout.xaxis
    assert preview.title.text == "time" and preview.ticktext[0] == "0"
    summary["meta"]["sample_axis"]["values"] = [0.0, 1.0]  # another length than the samples drawn: not used
    assert F.preview_figure(summary).layout.xaxis.title.text == "time (frames)"
    # columns t0 … t63 name no unit: the reader labels their axis "t", the figures "time (frames)" (review: "t")
    summary["meta"]["sample_axis"] = {"values": [float(i) for i in range(64)], "label": "t"}
    assert F.preview_figure(summary).layout.xaxis.title.text == "time (frames)"


def test_map_figures_give_a_pixels_size_on_the_sky_when_the_result_has_it():
    """Review 32A: the lensing example's and a FITS file's pixel size were read, and every axis said pixels only."""
    from awd_studio.frontend.figures.compare import compare_activation_figure

    bundle = make_bundle("image")
    bundle["data"]["pixel_arcmin"] = 3.28125
    fig = F.activation_figure(bundle, 0)
    assert fig.layout.xaxis.title.text == "column (pixels of 3.28′)"
    assert fig.layout.yaxis.title.text == "row (pixels of 3.28′)"
    assert compare_activation_figure([bundle, bundle], ["A", "B"]).layout.xaxis.title.text.endswith("3.28′)")
    del bundle["data"]["pixel_arcmin"]
    assert F.activation_figure(bundle, 0).layout.xaxis.title.text == "column (pixels)"
