"""The static figures of a result (models.plots): every file written, and the words the page uses."""

import numpy as np

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
    assert "bootstrap SD" in plots.plot_scores(make_bundle("timeseries")).get_title()


def test_a_series_named_by_its_times_is_drawn_on_them():
    """Review 11: columns t=0s ... t=78s were drawn as "time step (samples)"; the file's times label the axis."""
    bundle = make_bundle("timeseries")
    length = len(bundle["activation"]["x"][0])
    bundle["data"]["sample_axis"] = {"values": [2.0 * i for i in range(length)], "label": "t (s)"}
    ax = plots.plot_activation(bundle)
    assert ax.get_xlabel() == "t (s)" and ax.get_xticklabels()[1].get_text() == f"{2.0 * ax.get_xticks()[1]:g}"
