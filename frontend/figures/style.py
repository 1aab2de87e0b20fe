"""The look every figure shares: palette, model labels, the common layout and number formatting.

Colours are the Okabe-Ito palette (distinguishable with the common colour
vision deficiencies); sequential maps use Viridis, signed maps RdBu. The other
modules of :mod:`frontend.figures` draw with these constants, finish each figure
with :func:`apply_layout`, print numbers with :func:`fmt_number`, read JSON
lists with :func:`as_array` and fall back to :func:`empty_figure`.
"""

from __future__ import annotations

import math
import re
import textwrap
from typing import Any

import numpy as np
import plotly.graph_objects as go

__all__ = ["PALETTE", "SERIES", "MODEL_LABELS", "MODEL_COLOURS", "KIND_LABELS", "kind_label", "BOTTOM_LEGEND",
           "LAYOUT", "apply_layout", "empty_figure", "as_array", "fmt_number", "fmt_score", "fmt_scores",
           "common_decimals", "fmt_decimals",
           "wrap_words", "SAMPLE_AXIS_TITLE", "SUPPORT_AXIS_TITLE", "AXIS_NAMES", "sample_axis_title",
           "sample_axis_layout",
           "pixel_axis_titles", "size_words",
           "dropped_rows_words", "share_words", "squeezed_axes_words", "read_as_maps_words"]

#: A series' x axis when its file named no times: the sample's index, in frames as the help page and the clathrin
#: example count a trace (one value per frame of the movie).
SAMPLE_AXIS_TITLE = "time (frames)"
#: The x axis of φ and ψ: their support, counted in taps of the filter (review 38: "samples" on the compare page and
#: "t (filter taps)" on the results page for the same axis; ``models.plots`` says the same).
SUPPORT_AXIS_TITLE = "filter taps"


#: A series' axis named by a letter in its file's column names (``t0``, ``t1``, …), in words.
AXIS_NAMES = {"t": "time"}

#: An axis label as the data reader writes it from the column names: a name, and its unit in brackets if they gave one.
_AXIS_LABEL = re.compile(r"^(?P<name>.*?)(?:\s*\((?P<unit>[^()]*)\))?$")


def sample_axis_title(axis: dict | None) -> str:
    """The title of a series' x axis: the file's own axis (``data.sample_axis`` of a bundle, ``meta.sample_axis`` of
    a dataset summary: its ``label``, from the column names) with a letter for a name spelled out
    (:data:`AXIS_NAMES`) and, a time whose names gave no unit and count whole numbers, in frames as the sample index
    is; :data:`SAMPLE_AXIS_TITLE` without one (review: columns ``t0`` … ``t39`` titled the axis "t").

    Examples
    --------
    >>> sample_axis_title({"values": [0.0, 1.0, 2.0], "label": "t"}), sample_axis_title(None)
    ('time (frames)', 'time (frames)')
    >>> sample_axis_title({"values": [0.0, 2.0], "label": "t (s)"}), sample_axis_title({"values": [0.5, 1.0],
    ...                                                                                  "label": "time"})
    ('time (s)', 'time')
    >>> sample_axis_title({"values": [400.0, 410.0], "label": "wavelength (nm)"}), sample_axis_title(
    ...     {"values": [400.0, 410.0], "label": "wl"})
    ('wavelength (nm)', 'wl')
    """
    if not (axis or {}).get("values"):
        return SAMPLE_AXIS_TITLE
    parts = _AXIS_LABEL.match(str(axis.get("label") or "position").strip())
    name = AXIS_NAMES.get(parts["name"].lower(), parts["name"])
    frames = name == "time" and all(float(v).is_integer() for v in axis["values"])
    unit = parts["unit"] or ("frames" if frames else None)
    return f"{name} ({unit})" if unit else name


def sample_axis_layout(axis: dict | None, length: int | None = None) -> dict:
    """The x axis of a series drawn against its sample index: labelled with the file's own axis when it named one
    (``data.sample_axis`` of a bundle, ``meta.sample_axis`` of a dataset summary: about six ticks carrying the
    samples' values, titled by :func:`sample_axis_title`), else :data:`SAMPLE_AXIS_TITLE`. ``length``: the samples
    drawn (an axis of another length is not used).

    Examples
    --------
    >>> sample_axis_layout(None)
    {'title': 'time (frames)'}
    >>> layout = sample_axis_layout({"values": [0.0, 2.0, 4.0, 6.0], "label": "t (s)"}, 4)
    >>> layout["title"], layout["ticktext"]
    ('time (s)', ['0', '2', '4', '6'])
    """
    values = (axis or {}).get("values") or []
    if not values or (length is not None and len(values) != length):
        return {"title": SAMPLE_AXIS_TITLE}
    step = max(1, math.ceil(len(values) / 6))
    ticks = list(range(0, len(values), step))
    return {"title": sample_axis_title(axis), "tickmode": "array", "tickvals": ticks,
            "ticktext": [f"{values[i]:g}" for i in ticks]}

def pixel_axis_titles(bundle: dict | None) -> tuple[str, str]:
    """A map's axis titles, ``(rows, columns)``: in pixels, with a pixel's size on the sky when the result gives it
    (``data.pixel_arcmin``: the file's field of view, or the lensing example's own).

    Examples
    --------
    >>> pixel_axis_titles({"data": {"pixel_arcmin": 3.28125}})
    ('row (pixels of 3.28′)', 'column (pixels of 3.28′)')
    >>> pixel_axis_titles({})
    ('row (pixels)', 'column (pixels)')
    """
    size = ((bundle or {}).get("data") or {}).get("pixel_arcmin")
    unit = f"pixels of {fmt_number(size)}′" if isinstance(size, int | float) and size > 0 else "pixels"
    return f"row ({unit})", f"column ({unit})"


PALETTE = {
    "learned": "#0072B2",  # blue
    "init": "#E69F00",  # orange
    "selected": "#D55E00",  # vermillion
    "clicked": "#CC79A7",  # reddish purple
    "other": "#009E73",  # bluish green
    "sky": "#56B4E9",
    "grey": "#999999",
    "black": "#000000",
}
#: Line colours in order, for figures with several unnamed series.
SERIES = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

#: Each model's name on the pages: a copy of ``models.pipeline.model_registry.MODEL_NAMES`` (this layer may not import
#: it), held equal by tests/frontend/test_model_registry.py.
MODEL_LABELS = {
    "awd": "AWD",
    "awd_no_interp": "AWD, γ = 0 (no teacher)",
    "baseline_wavelet": "Initial wavelet",
    "laplace": "Laplace",
    "roberts_cross": "Roberts cross",
    "peak_heights": "Raw peak heights",
    "scattering": "Scattering student",
    "random_search": "Random search, no teacher",
    "teacher": "Teacher",
}
#: The data kinds in the pages' words (the API says "timeseries" and "image").
KIND_LABELS = {"timeseries": "time series", "image": "maps"}


def kind_label(kind) -> str:
    """A data kind in the pages' words (:data:`KIND_LABELS`); an unknown one as it is, "?" for none."""
    return KIND_LABELS.get(kind, kind if kind else "?")


def dropped_rows_words(dropped: dict | None) -> tuple[int, str]:
    """How many rows a text file's reading left out for missing values, and those it names (``meta.dropped_rows``
    of a dataset, ``data.dropped_rows`` of a result: the first 20) with how many more.

    Examples
    --------
    >>> dropped_rows_words({"count": 3, "rows": ["line 5 (trk3)", "line 42 (trk40)"]}), dropped_rows_words(None)
    ((3, 'line 5 (trk3), line 42 (trk40) and 1 more'), (0, ''))
    """
    count, named = int((dropped or {}).get("count") or 0), list((dropped or {}).get("rows") or [])
    more = f" and {count - len(named)} more" if count > len(named) else ""
    return count, f"{', '.join(named)}{more}" if count else ""


def channel_axis_words(stored: dict | None) -> str:
    """The note on the arrays read without their channel axis of size 1 (``meta.channel_axis`` of a dataset,
    ``data.channel_axis`` of a result: each array's name and the shape it was stored in, such as PyTorch's
    (n, 1, L)); "" when none was.

    Examples
    --------
    >>> channel_axis_words({"X": [200, 1, 64], "X_test": [50, 1, 64]})
    'X was stored as (200, 1, 64) and X_test as (50, 1, 64): the channel axis of size 1 was dropped, each sample \
read as a series of 64 values.'
    >>> channel_axis_words({"X": [40, 32, 32, 1]})
    'X was stored as (40, 32, 32, 1): the channel axis of size 1 was dropped, each sample read as a map of 32 × 32 \
pixels.'
    """
    if not stored:
        return ""
    said = [f"{key}{' was stored' if k == 0 else ''} as ({', '.join(str(s) for s in shape)})"
            for k, (key, shape) in enumerate(stored.items())]
    shape = list(next(iter(stored.values())))
    sample = shape[2:] if shape[1] == 1 else shape[1:-1]
    what = (f"a series of {sample[0]} values" if len(sample) == 1 else
            f"a map of {' × '.join(str(s) for s in sample)} pixels")
    return f"{' and '.join(said)}: the channel axis of size 1 was dropped, each sample read as {what}."


def squeezed_axes_words(stored: dict | None) -> str:
    """The note on a FITS file's maps read without their axes of size 1 (``meta.squeezed_axes`` of a dataset: the
    shape the first such image was stored in, e.g. a radio map's degenerate Stokes axis); "" when none were.

    Examples
    --------
    >>> squeezed_axes_words({"X": [1, 12, 64, 64]})
    'X was stored as (1, 12, 64, 64): its axes of size 1 were dropped, each map read as 64 × 64 pixels.'
    >>> squeezed_axes_words(None)
    ''
    """
    shape = list((stored or {}).get("X") or [])
    if len(shape) < 3:
        return ""
    return (f"X was stored as ({', '.join(str(s) for s in shape)}): its axes of size 1 were dropped, each map read "
            f"as {shape[-2]} × {shape[-1]} pixels.")


def read_as_maps_words(read: dict | None) -> str:
    """The note on a 3-D ``X`` read as maps that are not square, by its axes alone (``meta.read_as_maps``): it may
    hold series of several channels, which are not distilled; what to pass then, and how an ``.npz`` says it holds
    maps. "" when none was.

    Examples
    --------
    >>> print(read_as_maps_words({"X": [40, 12, 500]}))
    X, shape (40, 12, 500), was read as 40 maps of 12 × 500 pixels (a 3-D array whose axes are all 8 or longer is \
maps). If each sample is instead 12 channels of a series of 500 time points: AWD distils one series per sample, so \
upload one channel, X[:, 0] (shape (40, 500)), or their mean, X.mean(axis=1). An .npz saved with kind='image' says \
that it holds maps.
    >>> read_as_maps_words({"X": [40, 500, 12]}).split("upload ")[1][:45]
    'one channel, X[..., 0] (shape (40, 500)), or '
    """
    shape = list((read or {}).get("X") or [])
    if len(shape) != 3:
        return ""
    n, first, last = shape
    channels, length, one, axis = (first, last, "X[:, 0]", 1) if first < last else (last, first, "X[..., 0]", 2)
    return (f"X, shape ({n}, {first}, {last}), was read as {n} maps of {first} × {last} pixels (a 3-D array whose "
            "axes are all 8 or longer is maps). If each sample is instead "
            f"{channels} channels of a series of {length} time points: AWD distils one series per sample, so upload "
            f"one channel, {one} (shape ({n}, {length})), or their mean, X.mean(axis={axis}). An .npz saved with "
            "kind='image' says that it holds maps.")


def share_words(count: float, total: float) -> str:
    """``count`` of ``total`` as a percentage that does not round a few to 0 or most to all (review 42C: "3 of 1000
    rows (0 %)"): one decimal below 10 % and above 99 %, "under 0.1 %" or "over 99.9 %" beyond those, whole numbers
    between (a trailing ".0" dropped). The same rule as the result's notes (``models.pipeline.trust.share_words``),
    which the frontend does not import.

    Examples
    --------
    >>> [share_words(c, 1000) for c in (0, 3, 40, 98, 589, 997, 1000)], share_words(4, 99_700)
    (['0 %', '0.3 %', '4 %', '9.8 %', '59 %', '99.7 %', '100 %'], 'under 0.1 %')
    """
    share = 100 * count / total
    if 0 < share < 0.05:
        return "under 0.1 %"
    if 99.95 < share < 100:
        return "over 99.9 %"
    if 0 < share < 9.95 or 99 < share < 100:
        return f"{share:.1f}".removesuffix(".0") + " %"
    return f"{share:.0f} %"


def size_words(kind, n, shape) -> tuple[str, str]:
    """A dataset's size in words: how many series or maps, and how long or large each is ("sample" meant both a
    series and one of its time points on the upload page).

    Examples
    --------
    >>> size_words("timeseries", 608, [41]), size_words("image", 400, [64, 64])
    (('608 series', '41 time points'), ('400 maps', '64 × 64 pixels'))
    >>> size_words(None, 3, [2, 5])
    ('3 samples', 'shape 2 × 5')
    """
    shape = list(shape or [])
    if kind == "timeseries" and len(shape) == 1:
        return f"{n} series", f"{shape[0]} time point{'' if shape[0] == 1 else 's'}"
    if kind == "image" and len(shape) == 2:
        return f"{n} map{'' if n == 1 else 's'}", f"{shape[0]} × {shape[1]} pixels"
    return f"{n} samples", "shape " + " × ".join(str(s) for s in shape)


#: Each model's colour in the score bars, one per model so that no two bars of a result share one (Okabe-Ito): a copy
#: of ``models.pipeline.model_registry.MODEL_COLOURS``, held equal by tests/frontend/test_model_registry.py.
MODEL_COLOURS = {"awd": "#0072B2", "awd_no_interp": "#56B4E9", "baseline_wavelet": "#E69F00", "laplace": "#009E73",
                 "roberts_cross": "#CC79A7", "peak_heights": "#D55E00", "random_search": "#F0E442",
                 "scattering": "#000000", "teacher": "#999999"}
#: A horizontal legend under the plot (for two-panel figures whose titles sit on top).
BOTTOM_LEGEND = dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0)

#: The layout every figure starts from.
LAYOUT = dict(
    template="plotly_white",
    margin=dict(l=50, r=20, t=40, b=40),
    font=dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13),
    legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1),
)


def apply_layout(fig: go.Figure, **layout) -> go.Figure:
    """Give ``fig`` the shared :data:`LAYOUT`, overridden by ``layout``, and return it."""
    fig.update_layout(**{**LAYOUT, **layout})
    return fig


def wrap_words(text: str, width: int) -> str:
    """Break a figure text into lines of at most ``width`` characters, with Plotly's ``<br>``.

    Plotly never wraps a title, an annotation or a legend entry: one line wider than the figure is cut at its
    edge, which a phone's 390 px screen does to most sentences. Existing ``<br>`` breaks are kept.

    Examples
    --------
    >>> wrap_words("kept for this series: its 6 largest coefficients per band", 30)
    'kept for this series: its 6<br>largest coefficients per band'
    >>> wrap_words("short<br>lines stay", 30)
    'short<br>lines stay'
    """
    return "<br>".join(line for part in text.split("<br>")
                       for line in (textwrap.wrap(part, width, break_on_hyphens=False) or [""]))


def empty_figure(message: str = "Nothing to show yet") -> go.Figure:
    """A blank figure carrying a centred message.

    Parameters
    ----------
    message : str
        What to tell the user (e.g. why the figure is missing).

    Returns
    -------
    go.Figure
    """
    fig = go.Figure()
    fig.add_annotation(text=wrap_words(message, 40), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=14, color="#555"))  # 40 characters fit a phone's width
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return apply_layout(fig, height=260)


def as_array(values: Any) -> np.ndarray | None:
    """Float array of a JSON list, or None when absent, empty or not numeric."""
    if values is None:
        return None
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None
    return a if a.size else None


def _short_of_one(value: float, text: str) -> str:
    """``text``, unless it prints a number of magnitude under 1 as 1 (an R² of 0.9996 as "1" or "1.000" read as a
    perfect score: review 40B); then the value with the fewest decimals, from 4, that keep it under 1."""
    if not 0 < abs(value) < 1 or abs(float(text)) < 1:
        return text
    decimals = next((d for d in range(4, 17) if abs(round(value, d)) < 1), 17)
    return f"{value:.{decimals}f}"


def fmt_number(value: Any, digits: int = 3) -> str:
    """A number as figures, tables and page labels print it.

    Parameters
    ----------
    value : float, int, str or None
        What to print.
    digits : int, default=3
        Significant digits (one fewer after the point in scientific notation).

    Returns
    -------
    str
        ``"—"`` for None or NaN, ``"0"`` for zero, scientific notation at or above 1e4 and
        below 1e-3 in magnitude, a whole number from ``10 ** digits`` up (``"1130"``, not ``"1.13e+03"``
        beside ``"921"``), else ``digits`` significant digits; a value that is not a number comes back as
        ``str(value)``.

    Examples
    --------
    >>> fmt_number(0.012345), fmt_number(123456), fmt_number(None), fmt_number(0.5, 2), fmt_number(1130.4)
    ('0.0123', '1.23e+05', '—', '0.5', '1130')
    >>> fmt_number(0.9996, 3), fmt_number(-0.99996, 4), fmt_number(1.0)  # under 1 in magnitude: never "1"
    ('0.9996', '-0.99996', '1')
    """
    if value is None:
        return "—"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(value):
        return "—"
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.{max(digits - 1, 1)}e}"
    if abs(value) >= 10 ** digits:
        return f"{value:.0f}"
    return _short_of_one(value, f"{value:.{digits}g}")


def common_decimals(values, digits: int = 3) -> int | None:
    """Decimals that give the largest finite magnitude of ``values`` ``digits`` significant digits, for numbers
    printed side by side with one number of decimals ("0.4440" beside "0.4434", "± 0.0008" beside "± 0.0016");
    None when none is finite or the largest lies where :func:`fmt_number` goes scientific (below 1e-3, from 1e4).

    Examples
    --------
    >>> common_decimals([0.0365, 0.0241, None]), common_decimals([0.4434, 0.7871], 4), common_decimals([2.5e4])
    (4, 4, None)
    """
    finite = [abs(float(v)) for v in values if isinstance(v, int | float) and math.isfinite(v)]
    top = max(finite, default=0.0)
    if not 1e-3 <= top < 1e4:
        return None
    return max(0, digits - 1 - math.floor(math.log10(top)))


def fmt_decimals(value: Any, decimals: int | None, digits: int = 3) -> str:
    """A number with ``decimals`` decimals (:func:`common_decimals` of the numbers printed beside it), or as
    :func:`fmt_number` prints it with ``digits`` when ``decimals`` is None or the value is not a finite number.

    Examples
    --------
    >>> fmt_decimals(0.16, 3), fmt_decimals(0.1603, None), fmt_decimals(None, 3), fmt_decimals(2.5e4, None)
    ('0.160', '0.16', '—', '2.50e+04')
    """
    if decimals is None or not isinstance(value, int | float) or not math.isfinite(value):
        return fmt_number(value, digits)
    return _short_of_one(float(value), f"{float(value):.{decimals}f}")


def fmt_score(value: Any) -> str:
    """A cross-validated score (R²) with three decimals, so that a column or a grid of them lines up: ``0.800``
    beside ``0.799`` (:func:`fmt_number` printed "0.8", which read as a coarser number than its neighbours).

    Examples
    --------
    >>> fmt_score(0.8), fmt_score(-38.04), fmt_score(None), fmt_score(-0.0004), fmt_score(0.9996)
    ('0.800', '-38.040', '—', '-4.00e-04', '0.9996')
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return fmt_number(value)
    if math.isnan(number) or number == 0 or abs(number) < 1e-3 or abs(number) >= 1e4:
        return fmt_number(value)
    return _short_of_one(number, f"{number:.3f}")


def fmt_scores(values) -> list[str]:
    """Scores (R²) printed side by side, as :func:`fmt_score` prints each (three decimals), unless two that differ
    would print alike: then each finite one with the fewest decimals, from 4, that tell every differing pair apart
    (two runs' 0.5824 and 0.5816 both read "0.582", as if the runs scored the same).

    Examples
    --------
    >>> fmt_scores([0.5816, 0.5787]), fmt_scores([0.5824, 0.5816, None]), fmt_scores([0.7, 0.7])
    (['0.582', '0.579'], ['0.5824', '0.5816', '—'], ['0.700', '0.700'])
    """
    texts = [fmt_score(v) for v in values]
    finite = [(float(v), t) for v, t in zip(values, texts) if isinstance(v, int | float) and math.isfinite(v)]
    if len({t for _, t in finite}) == len({v for v, _ in finite}):
        return texts
    distinct = sorted({v for v, _ in finite})
    decimals = next((d for d in range(4, 17) if len({round(v, d) for v in distinct}) == len(distinct)), 17)
    return [fmt_decimals(v, decimals) if isinstance(v, int | float) and math.isfinite(v) else t
            for v, t in zip(values, texts)]
