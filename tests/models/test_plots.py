"""The static figures of a result (models.plots): every file written, and the words the page uses."""

import numpy as np
import pytest

from awd_studio.models import plots
from tests.frontend.conftest import make_bundle


def test_every_figure_is_written_as_png_and_svg(tmp_path):
    for kind in ("timeseries", "image"):
        out = tmp_path / kind
        out.mkdir()
        names = plots.write_figures(make_bundle(kind), out)
        stems = ("wavelet", "grid", "scores", "activation") + (("filters2d", "subfilters") if kind == "image" else ())
        assert sorted(names) == sorted(f"{stem}.{ext}" for stem in stems for ext in ("png", "svg"))
        assert all((out / name).stat().st_size > 1000 for name in names)
        svg = (out / "wavelet.svg").read_text()  # text as text, editable (review 11: glyph outlines)
        assert "<text" in svg and "wavelet psi" in svg


def test_a_maps_filters_are_figures_too():
    """Review 10: the maps' 2D filters and 3 × 3 sub-filters were only the page's buttons, not files."""
    bundle = make_bundle("image")
    two_d = plots.plot_filters_2d(bundle)
    assert [a.get_title() for a in two_d.axes[:4]] == ["LL", "LH", "HL", "HH"]
    sub = plots.plot_subfilters(bundle)
    titles = [a.get_title() for a in sub.axes if a.get_title()]
    assert len(titles) == 8 and titles[0].endswith("(AWD)") and titles[4].endswith("(db5)"), titles
    first, corner = sub.axes[0], bundle["wavelet"]["subfilters_3x3"]["LL"][0][0]
    assert len(first.texts) == 9 and first.texts[0].get_text() == f"{corner:.2f}"
    assert "the student reads the AWD ones" in sub.get_suptitle()
    bundle.setdefault("selection", {})["choice"] = "initial"
    assert "cross-validation kept db5" in plots.plot_subfilters(bundle).get_suptitle()
    series = make_bundle("timeseries")
    assert plots.plot_filters_2d(series) is None and plots.plot_subfilters(series) is None


def test_the_activation_figure_is_scaled_as_the_page_and_names_its_wavelet():
    bundle = make_bundle("timeseries")
    ax = plots.plot_activation(bundle)
    band = ax.figure.axes[1]
    assert band.get_ylabel() == "activation (1 = largest)" and band.get_ylim()[1] > 1
    heights = band.collections[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(heights.max(), 1.0)
    assert "learned wavelet" in ax.get_title()
    bundle["activation"]["wavelet"] = "initial"
    assert "kept by cross-validation" in plots.plot_activation(bundle).get_title()
    maps = plots.plot_activation(make_bundle("image"))  # the map, its activation beside it, and a colour bar
    assert maps.get_xlabel() == "column (pixels)" and len(maps.figure.axes) == 3
    assert [a.get_title() for a in maps.figure.axes[:2]] == ["map", "activation"]
    assert "learned wavelet" in maps.figure.get_suptitle()


def test_a_series_named_by_its_times_is_drawn_on_them():
    """Review 11: columns t=0s ... t=78s were drawn against the sample index; the file's times label the axis."""
    bundle = make_bundle("timeseries")
    length = len(bundle["activation"]["x"][0])
    assert plots.plot_activation(bundle).get_xlabel() == "time (frames)"  # without: the frames, as the page says
    bundle["data"]["sample_axis"] = {"values": [2.0 * i for i in range(length)], "label": "t (s)"}
    ax = plots.plot_activation(bundle)
    assert ax.get_xlabel() == "time (s)" and ax.get_xticklabels()[1].get_text() == f"{2.0 * ax.get_xticks()[1]:g}"


def test_the_scores_figure_draws_what_the_page_draws():
    """The saved scores figure showed the RMSE alone, the models in the bundle's order and every one but AWD in
    one colour; it now has the page's two panels, order, names and colours."""
    from awd_studio.frontend.figures.scores import score_rows
    from awd_studio.frontend.figures.style import MODEL_COLOURS

    for kind in ("timeseries", "image"):
        bundle = make_bundle(kind)
        bundle.setdefault("selection", {})["random_search"] = {"n": 310}
        bundle["models"]["random_search"] = dict(bundle["models"]["awd"])
        rmse_ax, r2_ax = plots.plot_scores(bundle)
        rows = score_rows(bundle)
        # the delivered model named so (review 40), AWD's here
        assert [t.get_text() for t in rmse_ax.get_yticklabels()] == [r["model"] + (" (delivered)" if r["key"] == "awd"
                                                                                  else "") for r in rows]
        assert "bootstrap SD" in rmse_ax.get_title() and "R²" in r2_ax.get_title()
        for ax, name in ((rmse_ax, "rmse"), (r2_ax, "r2")):
            bars = sorted(ax.patches, key=lambda bar: bar.get_y())  # top to bottom (the y axis is inverted)
            assert np.allclose([bar.get_width() for bar in bars], [r[name] for r in rows])
            assert [matplotlib_hex(bar.get_facecolor()) for bar in bars] == [MODEL_COLOURS[r["key"]].lower()
                                                                             for r in rows]
        # the R² bars carry their values as the page writes them (review 19)
        assert [t.get_text() for t in r2_ax.texts] == [r["r2_text"] for r in rows]
    assert plots.MODEL_COLOURS == MODEL_COLOURS


def test_the_saved_figures_write_scores_as_the_page_does():
    from awd_studio.frontend.figures.style import fmt_score

    for value in (0.8, 0.9994, -38.04, -0.0004, 0.0, 1.5e-5, 12345.0, 0.5555):
        assert plots._score_text(value) == fmt_score(value), value


def test_the_figures_name_the_models_as_the_page_does():
    from awd_studio.frontend.figures.scores import _model_label
    from awd_studio.frontend.figures.style import MODEL_LABELS

    assert plots.MODEL_NAMES == MODEL_LABELS
    bundle = make_bundle("image")
    bundle.setdefault("selection", {})["random_search"] = {"n": 40}
    for key in (*MODEL_LABELS, "something_new"):
        assert plots.model_name(bundle, key) == _model_label(bundle, key)


def test_the_wavelet_figure_draws_where_a_searched_fit_began():
    bundle = make_bundle("timeseries")
    labels = [line.get_label() for line in plots.plot_wavelet(bundle)[1].get_lines()]
    assert not any("search" in label for label in labels)
    bundle["wavelet"]["start_phi"] = list(np.asarray(bundle["wavelet"]["phi"]) * 0.9)
    bundle["wavelet"]["start_psi"] = list(np.asarray(bundle["wavelet"]["psi"]) * 0.9)
    lines = plots.plot_wavelet(bundle)[1].get_lines()
    start = [line for line in lines if line.get_label() == "start of the fit (search) psi"]
    assert len(start) == 1 and start[0].get_linestyle() == ":"


def matplotlib_hex(rgba):
    from matplotlib.colors import to_hex

    return to_hex(rgba)


def test_the_wavelet_figure_names_its_grid_point_as_the_page_does():
    """Review 16: the page's wavelet figure named the selected λ, γ and CV score; the saved one did not."""
    bundle = make_bundle("timeseries")
    point = bundle["grid"][bundle["selected"]["index"]]
    title = plots.plot_wavelet(bundle)[0].figure.get_suptitle()
    assert title.startswith("selected: λ = ") and f"(CV R² {point['cv_score']:.3f})" in title
    bundle.setdefault("selection", {})["choice"] = "initial"
    title = plots.plot_wavelet(bundle)[0].figure.get_suptitle()
    # review 40: the learned wavelet is not the delivered one, and the saved figure says so
    assert title.startswith("best AWD point (for reference): λ = ")
    assert title.endswith("; not delivered: the model uses db5")
    bundle["grid"] = []  # a bundle without its grid still draws
    assert plots.plot_wavelet(bundle)[0].figure.get_suptitle().startswith("best AWD point (for reference): λ = 0, "
                                                                          "γ = 0;")
    rmse_ax, _ = plots.plot_scores(bundle)  # the delivered model named so in the scores figure too
    assert [t.get_text() for t in rmse_ax.get_yticklabels() if t.get_text().endswith(" (delivered)")] == [
        "Initial wavelet (db5) (delivered)"]


def test_the_saved_grid_figure_prints_the_scores_and_spans_the_noise_as_the_page_does():
    """Review 20: grid.png had colours alone, stretched over 0.526-0.537 where the page printed each cell's score
    and spanned one fold-to-fold SD (0.024); the ★ cell looked decisive in the file."""
    from awd_studio.frontend.figures.grid import score_range

    scores = np.array([[0.526, 0.531, 0.537], [0.529, 0.533, 0.530]])
    for sds in ([0.024] * 6, [0.002] * 6):
        assert plots.grid_colour_range(scores, sds) == score_range({"grid": [{"cv_score_sd": v} for v in sds]},
                                                                   scores)
    bundle = {"lambdas": [1e-3, 1e-2], "gammas": [0.0, 0.1, 1.0], "selected": {"index": 2}, "cv": {"metric": "r2"},
              "grid": [{"i_lambda": i, "i_gamma": j, "cv_score": float(scores[i, j]), "cv_score_sd": 0.024}
                       for i in range(2) for j in range(3)]}
    ax = plots.plot_grid(bundle)
    assert sorted(t.get_text() for t in ax.texts) == sorted(("★ " if v == 0.537 else "") + f"{v:.3g}"
                                                           for v in scores.ravel())
    low, high = ax.images[0].get_clim()
    assert high - low == pytest.approx(0.024)
    assert "fold-to-fold CV SD 0.024" in ax.get_title().replace("\n", " ")
    # the title fits the saved figure (review 32A: one line ran past both edges of grid.png), and names the target
    bundle["data"] = {"target_name": "sigma_8"}
    ax = plots.plot_grid(bundle)
    ax.figure.set_dpi(plots.PNG_DPI)
    ax.figure.canvas.draw()  # the constrained layout, at the saved file's resolution
    box, frame = ax.title.get_window_extent(), ax.figure.bbox
    assert box.x0 >= frame.x0 and box.x1 <= frame.x1, (box, frame)
    assert ax.get_title().startswith("Cross-validated score of sigma_8")


def test_the_saved_figures_name_the_target_they_explain():
    """Review 32A: grid.png, wavelet.png and activation.png did not say which of two targets (σ₈ or Ω_m) they
    were about; only scores.png did."""
    bundle = make_bundle("timeseries")
    bundle.setdefault("data", {})["target_name"] = "auxilin"
    assert plots.plot_wavelet(bundle)[0].figure.get_suptitle().endswith(" · target auxilin")
    assert "· target auxilin" in plots.plot_activation(bundle).get_title()
    assert plots.plot_grid(bundle).get_title().startswith("Cross-validated score of auxilin")


def test_the_saved_figures_print_numbers_as_the_page_does():
    from awd_studio.frontend.figures.style import fmt_number

    for value in (0.0, 1e-5, -0.000562, 0.012345, 0.5, 22.2, 573.4, 1130.4, -2500.0, 12345.0):
        assert plots._number(value) == fmt_number(value), value


def test_the_saved_figures_title_series_axes_as_the_page_does():
    """Columns t0..tN titled the saved activation figure's axis "t" while the page said "time (frames)"."""
    from awd_studio.frontend.figures.style import sample_axis_title

    for axis in ({"values": [0.0, 1.0, 2.0], "label": "t"}, {"values": [0.0, 2.0], "label": "t (s)"},
                 {"values": [0.5, 1.0], "label": "time"}, {"values": [400.0, 410.0], "label": "wavelength (nm)"},
                 {"values": [1.0], "label": ""}, {"values": [], "label": "t"}, None):
        assert plots._sample_axis_words(axis) == sample_axis_title(axis), axis


def test_the_saved_figures_label_map_axes_as_the_page_does():
    """The models layer cannot import the pages' pixel_axis_titles: its copy is held to it here."""
    from awd_studio.frontend.figures.style import pixel_axis_titles

    for bundle in ({"data": {"pixel_arcmin": 3.28125}}, {"data": {"pixel_arcmin": 0.5}}, {"data": {}}, {}):
        assert (plots._pixel_words(bundle, "row"), plots._pixel_words(bundle, "column")) == pixel_axis_titles(bundle)


def test_the_wavelets_support_is_titled_as_on_both_pages():
    """Review 38: the compare page's wavelet plot read "samples" and the results page's "t (filter taps)" for the
    same axis; the saved figure "t (support of the filter, taps)"."""
    from awd_studio.frontend.figures.compare import compare_wavelets_figure
    from awd_studio.frontend.figures.style import SUPPORT_AXIS_TITLE
    from awd_studio.frontend.figures.wavelet import wavelet_figure

    bundle = make_bundle("timeseries")
    titles = {compare_wavelets_figure([bundle], ["A"]).layout.xaxis.title.text,
              wavelet_figure(bundle).layout.xaxis.title.text, *(a.get_xlabel() for a in plots.plot_wavelet(bundle))}
    assert titles == {SUPPORT_AXIS_TITLE} == {"filter taps"}, titles
