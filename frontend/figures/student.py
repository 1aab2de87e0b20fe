"""The results page's student section: the interpretable model as a formula and a table, and where and at which
scale it looks for one test example.

Series: :func:`student_formula` ("y = 0.12 + 0.80·(1st largest of cD3) − …", terms by influence),
:func:`student_rows` (every feature: band, rank, weight, this example's value and contribution) and
:func:`scalogram_figure` (the signal above a band × time scalogram of ``|c · saliency|``, every coefficient the
student reads for the example circled, their centres marked on the signal). Maps: :func:`subband_figure` (the
map with its detected peaks, then one panel per sub-band and level, all in the map's square pixels) and
:func:`peak_histogram_figure` (the example's peak-count histogram against the nearest class template, and the
χ² distance to every class). All read the bundle's ``students``, ``grid[i].student`` and ``explain`` sections
(:mod:`models.pipeline.student_params`, :mod:`models.pipeline.explain_examples`).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awd_studio.frontend.figures.style import (
    LAYOUT,
    PALETTE,
    apply_layout,
    as_array,
    empty_figure,
    fmt_number,
    sample_axis_layout,
    sample_axis_title,
    wrap_words,
)

__all__ = ["student_record", "student_formula", "beyond_ends_note", "student_rows", "series_reading", "frames_read",
           "frames_words", "reads_title", "scalogram_figure",
           "subband_figure", "peak_histogram_figure", "bin_centres", "FORMULA_TERMS", "EXPLAINED_MODEL_TITLE",
           "MIXED_TERM_R2"]

#: Terms the formula spells out (the others are in the table).
FORMULA_TERMS = 6
#: A coefficient reading less than this share of its filter on the series reads mostly beyond its ends (the
#: student table's threshold, ``models.pipeline.student_params.LOW_IN_SERIES``; a test checks that they agree).
LOW_IN_SERIES = 0.1
#: A term whose training values the student's other terms carry to this R² or more (``features[].redundancy``) is a
#: mix of them, its weight not identified (the results' note's threshold, ``models.pipeline.trust.REDUNDANT_R2``;
#: a test checks that they agree).
MIXED_TERM_R2 = 0.99


def student_record(bundle: dict, point: int | None = None) -> dict | None:
    """The AWD student (``point=None``) or grid point ``point``'s own student, or None when absent."""
    if point is not None:
        grid = bundle.get("grid") or []
        if 0 <= point < len(grid) and isinstance(grid[point].get("student"), dict):
            return grid[point]["student"]
    return ((bundle.get("students") or {}).get("awd")) or None


def _influence(feature: dict) -> float:
    return abs(feature.get("weight", 0.0)) * float(feature.get("sd") or 1.0)


def student_formula(record: dict | None, terms: int = FORMULA_TERMS) -> str:
    """The series student as a readable formula, its most influential terms first.

    Parameters
    ----------
    record : dict or None
        ``students.<name>`` (series) of a bundle.
    terms : int
        Terms spelled out; the rest are summarised as "+ N more terms".

    Returns
    -------
    str
        e.g. ``"y = 0.12 + 0.80·(1st largest of cD3) − 0.31·(2nd largest of cA3) + … (18 more terms)"``;
        ``""`` when the record is not a series student.

    Examples
    --------
    >>> rec = {"kind": "series_topk_linear", "parameters": {"intercept": 0.12, "features": [
    ...     {"weight": 0.8, "sd": 1.0, "label": "1st largest of cD3"},
    ...     {"weight": -0.31, "sd": 1.0, "label": "2nd largest of cA3"}]}}
    >>> student_formula(rec)
    'y = 0.12 + 0.8·(1st largest of cD3) − 0.31·(2nd largest of cA3)'
    """
    if not record or record.get("kind") != "series_topk_linear":
        return ""
    params = record.get("parameters") or {}
    features = [f for f in params.get("features") or [] if f.get("weight")]
    ranked = sorted(features, key=_influence, reverse=True)
    text = f"y = {fmt_number(params.get('intercept'))}"
    for f in ranked[:terms]:
        sign = "−" if f["weight"] < 0 else "+"
        text += f" {sign} {fmt_number(abs(f['weight']))}·({f['label']})"
    if len(ranked) > terms:
        text += f" + … ({len(ranked) - terms} more terms, in the table below: it scrolls)"
    return text


def beyond_ends_note(record: dict | None) -> str:
    """A sentence on the terms that read mostly beyond the series' ends, or "" when the student has none.

    Their coefficients fall mostly on the padding past the ends (``features[].in_series`` below
    :data:`LOW_IN_SERIES`), so their values are small and their weights can be large: a weight of 20 there can weigh
    less than 0.2 elsewhere (review 16 read the formula's weights as ill-conditioned). Not always: on the synthetic
    example such weights were 0.05-0.39 beside 2.0 (review 51D), hence "can".

    Examples
    --------
    >>> beyond_ends_note({"parameters": {"features": [{"in_series": 0.02}, {"in_series": 0.9}]}})[:44]
    "1 term reads mostly beyond the series' ends:"
    >>> beyond_ends_note({"parameters": {"features": [{"in_series": 0.9}]}})
    ''
    """
    features = ((record or {}).get("parameters") or {}).get("features") or []
    n = sum(1 for f in features if isinstance(f.get("in_series"), int | float) and f["in_series"] < LOW_IN_SERIES)
    if not n:
        return ""
    return (f"{n} term{'s read' if n > 1 else ' reads'} mostly beyond the series' ends: {'their' if n > 1 else 'its'}"
            " coefficients fall mostly on the padding past the ends and are small, so their weights can be large; "
            "compare terms by |weight| × SD, not by weight.")


def student_rows(record: dict | None, example: dict | None = None, bundle: dict | None = None) -> list[dict]:
    """One row per feature of a series student, most influential first.

    Parameters
    ----------
    record : dict or None
        ``students.<name>`` (series) of a bundle.
    example : dict, optional
        ``explain.examples[k]``: the example the positions and contributions are of.
    bundle : dict, optional
        The bundle whose ``explain.centres`` (with ``data.shape``, ``data.sample_axis`` and ``wavelet.mode``) say
        which frames each of the example's coefficients reads (:func:`series_reading`).

    Returns
    -------
    list of dict
        ``band``, ``level``, ``rank``, ``weight``, ``influence`` (|weight| × training SD), ``mixed`` (the term is a
        mix of the other terms, ``redundancy`` from :data:`MIXED_TERM_R2`: its weight is not identified), and with an
        ``example`` ``position`` (index in the band), ``frames`` (the spans of sample indices that coefficient
        reads, :func:`frames_read`; [] without the bundle's centres) and ``contribution`` (weight × the
        coefficient); texts in ``*_text`` (``frames_text`` in the file's sample axis, :func:`frames_words`).
    """
    if not record or record.get("kind") != "series_topk_linear":
        return []
    bands = {b["band"]: b for b in (example or {}).get("bands") or []}
    reading = series_reading(bundle or {}, list(bands.values()))
    rows = []
    for f in (record.get("parameters") or {}).get("features") or []:
        band = bands.get(f["band"])
        pos = band["kept"][f["rank"] - 1] if band and f["rank"] - 1 < len(band["kept"]) else None
        value = band["coeffs"][pos] if pos is not None and pos < len(band["coeffs"]) else None
        contribution = f["weight"] * value if value is not None else None
        centres = (reading or {}).get("centres", {}).get(f["band"])
        frames = (frames_read(centres[pos], f["level"], reading["length"], reading["wrap"])
                  if centres is not None and pos is not None and pos < len(centres) else None)
        mixed = isinstance(f.get("redundancy"), int | float) and f["redundancy"] >= MIXED_TERM_R2
        rows.append(dict(band=f["band"], level=f["level"], rank=f["rank"], label=f["label"], weight=f["weight"],
                         influence=_influence(f), mixed=mixed, position=pos, contribution=contribution,
                         frames=frames or [],
                         weight_text=fmt_number(f["weight"]), influence_text=fmt_number(_influence(f)),
                         position_text="—" if pos is None else str(pos),
                         frames_text="—" if frames is None else frames_words(frames, reading.get("axis")),
                         contribution_text=fmt_number(contribution)))
    return sorted(rows, key=lambda r: r["influence"], reverse=True)


def reads_title(bundle: dict) -> str:
    """The title of the student table's column of :func:`frames_words`: "Frames read", or the file's sample axis
    (``data.sample_axis``, :func:`~frontend.figures.style.sample_axis_title`) read.

    Examples
    --------
    >>> reads_title({}), reads_title({"data": {"sample_axis": {"values": [0.0, 2.0], "label": "t (s)"}}})
    ('Frames read', 'Reads at time (s)')
    """
    axis = (bundle.get("data") or {}).get("sample_axis")
    return f"Reads at {sample_axis_title(axis)}" if (axis or {}).get("values") else "Frames read"


def series_reading(bundle: dict, bands: list[dict]) -> dict | None:
    """Where the coefficients of the example's ``bands`` read the series, for :func:`student_rows`: ``centres``
    (band name to each coefficient's energy centroid, :func:`_stored_band_centres`), ``length`` (samples of a
    series: ``data.shape``, else the file's sample axis), ``wrap`` (periodization) and ``axis`` (the file's sample
    axis, ``data.sample_axis``, or None); None when the bundle does not carry the centres (written before)."""
    stored = _stored_band_centres(bundle, bands) if bands else None
    data = bundle.get("data") or {}
    axis = data.get("sample_axis") if isinstance(data.get("sample_axis"), dict) else None
    length = (data.get("shape") or [None])[0] or len((axis or {}).get("values") or [])
    if stored is None or not length:
        return None
    return {"centres": {b["band"]: c for b, c in zip(bands, stored)}, "length": int(length), "wrap": _wraps(bundle),
            "axis": axis if len((axis or {}).get("values") or []) == length else None}


def frames_read(centre: float, level: int, length: int, wrap: bool = False) -> list[tuple[int, int]]:
    """The frames (sample indices, first and last) a coefficient reads: the ``2^level`` around its energy centroid
    where the scalogram paints it (:func:`_blocks`), cut at the series' ends or, in periodization (``wrap``),
    wrapped around them; [] when they lie wholly beyond the ends.

    Review 38: the table gave "cA2[5]", a position in the band, and cA2[0] reads the end of the trace.

    Examples
    --------
    >>> frames_read(32.4, 2, 40), frames_read(-0.3, 1, 40), frames_read(-9.0, 2, 40)
    ([(31, 34)], [(0, 0)], [])
    >>> frames_read(39.2, 2, 40, wrap=True)
    [(0, 1), (38, 39)]
    """
    _, lo, hi = _blocks(np.array([float(centre)]), level, int(length), wrap)
    return sorted((int(math.ceil(a)), int(math.ceil(b)) - 1) for a, b in zip(lo, hi))


def frames_words(spans: list[tuple[int, int]], axis: dict | None = None) -> str:
    """Frames as :func:`frames_read` gives them, in words: ``"≈ 31–34"``, in the values of the file's sample axis
    (``data.sample_axis``) when given, ``"beyond the ends"`` for none.

    Examples
    --------
    >>> frames_words([(31, 34)]), frames_words([(0, 0), (38, 39)]), frames_words([])
    ('≈ 31–34', '≈ 0, 38–39', 'beyond the ends')
    >>> frames_words([(1, 2)], {"values": [0.0, 2.0, 4.0], "label": "t (s)"})
    '≈ 2–4'
    """
    values = (axis or {}).get("values")
    if not spans:
        return "beyond the ends"

    def at(i):
        return f"{values[i]:g}" if values else str(i)

    return "≈ " + ", ".join(at(a) if a == b else f"{at(a)}–{at(b)}" for a, b in spans)


def _equivalent_filter_length(length: int, sizes: dict[int, int]) -> int:
    """The filter length whose boundary rule gives bands of these sizes (what the figures place them by).

    Parameters
    ----------
    length : int
        Samples of the series (or pixels along one axis of a map).
    sizes : dict of int to int
        Coefficients of a band (along that axis) at each level, e.g. ``{4: 10, 3: 12, 2: 16, 1: 24}``.

    Returns
    -------
    int
        The even N for which ``n_j = floor((n_{j-1} + N - 1) / 2)``, ``n_0 = length``, gives every
        size: the filter length in PyWavelets' zero and symmetric modes, and 2 in periodization (whose
        ``ceil(n / 2)`` is the same rule with N = 2), read off level 1's size. 2 when level 1 is missing or the
        levels disagree with that N (the periodization layout).

    Examples
    --------
    >>> _equivalent_filter_length(40, {1: 24, 2: 16, 3: 12, 4: 10})  # db5, zero mode
    10
    >>> _equivalent_filter_length(40, {1: 20, 2: 10, 3: 5, 4: 3})  # periodization
    2
    """
    wanted = {int(level): int(n) for level, n in sizes.items() if int(level) >= 1}
    if 1 not in wanted:
        return 2
    # level 1 alone fixes an even N: n_1 = floor((length + N - 1) / 2); the deeper levels must agree
    n_taps = max(2, 2 * wanted[1] - length + 1)
    n_taps += n_taps % 2
    n = length
    for level in range(1, max(wanted) + 1):
        n = (n + n_taps - 1) // 2
        if level in wanted and n != wanted[level]:
            return 2
    return n_taps


def _coefficient_centres(level: int, count: int, filter_length: int) -> np.ndarray:
    """The middle of the span of a band's filters, in samples (or pixels): where bundles written before
    ``explain.centres`` existed place their coefficients.

    This is not where a coefficient reads: for extremal-phase wavelets (db5) the analysis weights are lopsided
    and their energy sits near one end of the span (up to half of it away at deep levels). The pipeline now
    stores each coefficient's energy centroid (``explain.centres``, :func:`_stored_band_centres`); this formula
    only lets older results still draw.

    Parameters
    ----------
    level : int
        The band's level j (``cA_J`` and ``cD_J`` have level J).
    count : int
        Coefficients in the band (along this axis).
    filter_length : int
        N from :func:`_equivalent_filter_length` (2 for periodization).

    Returns
    -------
    ndarray of shape (count,)
        ``2^j o + (2^j − 1)(3 − N) / 2``: the middle of the samples coefficient o's filters span, the boundary
        extension included (zero and symmetric modes: samples ``2^j o − (N − 2)(2^j − 1)`` to ``2^j o + 2^j − 1``,
        so the first and last coefficients of a band sit partly or wholly outside the input). With N = 2
        (periodization) it is the middle of ``[2^j o, 2^j (o + 1))``. Neighbours are ``2^j`` apart.

    Examples
    --------
    >>> _coefficient_centres(1, 3, 2).tolist()
    [0.5, 2.5, 4.5]
    >>> _coefficient_centres(2, 3, 10).tolist()
    [-10.5, -6.5, -2.5]
    """
    step = 2 ** int(level)
    return step * np.arange(int(count)) + (step - 1) * (3 - int(filter_length)) / 2


def _stored_band_centres(bundle: dict, bands: list[dict]) -> list[np.ndarray] | None:
    """Each band's coefficient centres as the pipeline measured them (``explain.centres``), or None.

    Parameters
    ----------
    bundle : dict
        A series bundle.
    bands : list of dict
        ``explain.examples[k].bands`` (the ones drawn).

    Returns
    -------
    list of ndarray or None
        One array of shape ``(n_j,)`` a band, in samples: where each coefficient reads the series (the energy
        centroid of its analysis weights, :func:`models.pipeline.explain_examples.coefficient_centres`). None
        when a band has none or a list of another size (bundles written before): then every band falls back
        to :func:`_coefficient_centres`.
    """
    stored = (bundle.get("explain") or {}).get("centres")
    if not isinstance(stored, dict):
        return None
    centres = [as_array(stored.get(b["band"])) for b in bands]
    if any(c is None or c.shape != (len(b["weighted"]),) for c, b in zip(centres, bands)):
        return None
    return centres


def _stored_panel_centres(bundle: dict, panels: list[dict], values: list[np.ndarray]):
    """Each map panel's row and column centres as the pipeline measured them, or None (see
    :func:`_stored_band_centres`): a list of ``(rows of shape (h_j,), columns of shape (w_j,))``, in pixels."""
    stored = (bundle.get("explain") or {}).get("centres")
    if not isinstance(stored, dict):
        return None
    out = []
    for p, z in zip(panels, values):
        entry = stored.get(f"{p['band']}{p['level']}")
        rows, cols = (as_array(entry.get(axis)) if isinstance(entry, dict) else None for axis in ("rows", "cols"))
        if rows is None or cols is None or rows.shape != (z.shape[0],) or cols.shape != (z.shape[1],):
            return None
        out.append((rows, cols))
    return out


def _wraps(bundle: dict) -> bool:
    """Whether the transform wraps around the input's ends (periodization), from the bundle's mode."""
    mode = (bundle.get("wavelet") or {}).get("mode") or \
        ((student_record(bundle) or {}).get("parameters") or {}).get("mode")
    return mode == "periodization"


def _blocks(centres: np.ndarray, level: int, size: int, wrap: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``2^level`` cells around each centre on an axis of ``size`` cells, as half-open intervals of cell
    edges (cell i spans ``[i − 0.5, i + 0.5)``), wrapped around the ends (``wrap``) or cut at them.

    Returns
    -------
    owner, lo, hi : ndarray
        Interval q belongs to coefficient ``owner[q]`` and spans ``[lo[q], hi[q])``: a block that wraps gives
        two intervals, one wholly outside the axis none.

    Examples
    --------
    >>> owner, lo, hi = _blocks(np.array([0.2, 5.0]), 1, 6, wrap=True)  # the second wraps to cell 0
    >>> owner.tolist(), lo.tolist(), hi.tolist()
    ([1, 0, 1], [-0.5, -0.5, 4.5], [0.5, 1.5, 5.5])
    """
    step = 2 ** int(level)
    first = np.floor(np.asarray(centres, dtype=float) - (step - 1) / 2 + 0.5)
    lo, hi, owner = first - 0.5, first + step - 0.5, np.arange(len(first))
    if wrap:
        lo, hi = np.concatenate([lo - size, lo, lo + size]), np.concatenate([hi - size, hi, hi + size])
        owner = np.tile(owner, 3)
    lo, hi = np.clip(lo, -0.5, size - 0.5), np.clip(hi, -0.5, size - 0.5)
    keep = hi > lo
    return owner[keep], lo[keep], hi[keep]


def _segments(centres: np.ndarray, level: int, size: int, wrap: bool) -> tuple[np.ndarray, np.ndarray]:
    """An axis cut where any coefficient's block (:func:`_blocks`) starts or ends.

    Returns
    -------
    edges : ndarray of shape (Q + 1,)
        Increasing cell edges.
    cover : ndarray of bool, shape (n, Q)
        Whether coefficient i's block covers segment q.
    """
    owner, lo, hi = _blocks(centres, level, size, wrap)
    edges = np.unique(np.concatenate([lo, hi]))
    middle = (edges[:-1] + edges[1:]) / 2
    cover = np.zeros((len(centres), middle.size), dtype=bool)
    np.logical_or.at(cover, owner, (lo[:, None] < middle) & (middle < hi[:, None]))
    return edges, cover


def _paint_band(values: np.ndarray, centres: np.ndarray, level: int, size: int, wrap: bool) -> np.ndarray:
    """One band on ``size`` cells: each coefficient over the ``2^level`` cells around its centre; where blocks
    overlap (a band's boundary coefficients, which read the same few samples) the largest value; NaN where none.

    Examples
    --------
    >>> _paint_band(np.array([1.0, 3.0]), np.array([0.5, 1.0]), 1, 4, wrap=False).tolist()
    [1.0, 3.0, 3.0, nan]
    """
    owner, lo, hi = _blocks(centres, level, size, wrap)
    starts, stops = np.ceil(lo).astype(int), np.ceil(hi).astype(int)  # cells whose middle is in [lo, hi)
    cells = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops)]) if len(starts) else np.zeros(0, int)
    row = np.full(size, np.nan)
    np.fmax.at(row, cells, np.repeat(np.asarray(values, dtype=float)[owner], stops - starts))
    return row


def _paint_panel(values: np.ndarray, rows: np.ndarray, cols: np.ndarray, level: int, shape: tuple[int, int],
                 wrap: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One map panel on the map's pixels, each coefficient over the ``2^level × 2^level`` pixels around its
    (row, column) centre, the largest where blocks overlap, at the resolution of the blocks' edges (about twice
    the band's size along each axis, not the map's).

    Returns
    -------
    z : ndarray of shape (Q_rows, Q_cols)
        NaN where no coefficient is drawn.
    row_edges, col_edges : ndarray of shape (Q_rows + 1,), (Q_cols + 1,)
        Cell edges in pixels (a heatmap's ``y`` and ``x`` as brick boundaries).
    """
    row_edges, row_cover = _segments(rows, level, shape[0], wrap)
    col_edges, col_cover = _segments(cols, level, shape[1], wrap)
    z = np.where(np.isnan(values), -np.inf, values)
    along_cols = np.where(col_cover[None], z[:, :, None], -np.inf).max(axis=1, initial=-np.inf)  # (h_j, Q_cols)
    out = np.where(row_cover[:, :, None], along_cols[:, None, :], -np.inf).max(axis=0, initial=-np.inf)
    return np.where(np.isfinite(out), out, np.nan), row_edges, col_edges


#: How each series student chooses its coefficients, for the scalogram's legend (``parameters.by``).
#: Characters a legend line holds beside a phone's 390 px screen (48 cut the last word off there).
LEGEND_CHARS = 42

_KEPT_NAMES = {"signed": "kept for this series: its {k} largest coefficients per band",
               "abs": "kept for this series: its {k} largest |coefficients| per band",
               "position": "kept: the student's fixed positions, at most {k} per band (the same for every series)"}

#: Added to a largest-coefficient student's legend when it never reads some coefficients (``parameters.left_out``:
#: their analysis filter lies almost wholly beyond the series' ends).
_AMONG_CANDIDATES = ", among those reading the series"

#: What the transform puts outside the series, by mode.
_PADDING = {"zero": "zero padding", "symmetric": "mirrored series", "periodization": "wrapped series"}


def scalogram_figure(bundle: dict, example: int = 0) -> go.Figure:
    """The signal above a scalogram of ``|c · saliency|`` (band × time), the coefficients the student reads marked.

    Each coefficient of a band at level j is drawn over the ``2^j`` samples around its centre: where it reads
    the series, the energy centroid of its analysis weights (``explain.centres``, :func:`_stored_band_centres`),
    its block wrapped around the ends in periodization and cut at them otherwise; where blocks overlap (a band's
    boundary coefficients, which read the same few samples) the larger value shows. Bundles written before
    place coefficients by :func:`_coefficient_centres` instead; their bands' first and last coefficients then
    sit partly or wholly in the boundary extension, so the time axis runs past the series there (shaded). Circles: every
    coefficient the student reads for this series (``explain.examples[k].bands[b].kept``: the series' own ``k``
    largest per band for a top-k student, which move from series to series; its fixed positions for a
    ``by="position"`` student), one circle each, as many as the student has (non-padding) terms. Triangles:
    those of them whose centre lies on the series, at that time on the signal.

    Parameters
    ----------
    bundle : dict
        With ``activation.x`` and ``explain`` (series); ``students.awd`` (optional) names how the student
        chooses (``parameters.by``, ``k``) and the boundary mode.
    example : int
        Index into ``explain.examples`` and ``activation.x``.

    Returns
    -------
    go.Figure
    """
    examples = (bundle.get("explain") or {}).get("examples") or []
    xs = (bundle.get("activation") or {}).get("x") or []
    if not examples or (bundle.get("explain") or {}).get("kind") != "timeseries" or not xs:
        return empty_figure("No scalogram in this result (rerun the job with this version)")
    k = example if isinstance(example, int) and 0 <= example < min(len(examples), len(xs)) else 0
    x = as_array(xs[k])
    length = x.size
    bands = [b for b in examples[k]["bands"] if len(b["weighted"])]
    params = (student_record(bundle) or {}).get("parameters") or {}
    centres = _stored_band_centres(bundle, bands)
    measured = centres is not None
    if measured:  # where each coefficient reads: on the series, wrapped or cut at its ends
        t = np.arange(length)
        z = np.stack([_paint_band(np.asarray(b["weighted"], dtype=float), c, b["level"], length, _wraps(bundle))
                      for b, c in zip(bands, centres)])
        t_first, t_last = 0, length - 1
    else:  # a bundle written before: the middle of the filters' span, the boundary extension drawn
        n_taps = _equivalent_filter_length(length, {b["level"]: len(b["weighted"]) for b in bands})
        centres = [_coefficient_centres(b["level"], len(b["weighted"]), n_taps) for b in bands]
        halves = [(2 ** b["level"] - 1) / 2 for b in bands]  # a coefficient covers centre ± half (integer samples)
        t_first = int(round(min(0.0, min(c[0] - h for c, h in zip(centres, halves)))))
        t_last = int(round(max(length - 1.0, max(c[-1] + h for c, h in zip(centres, halves)))))
        t = np.arange(t_first, t_last + 1)
        z = np.full((len(bands), t.size), np.nan)
        for i, (b, c, h) in enumerate(zip(bands, centres, halves)):
            for centre, value in zip(c, b["weighted"]):
                z[i, int(round(centre - h)) - t_first:int(round(centre + h)) - t_first + 1] = value
    names = [b["band"] for b in bands]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.35, 0.65], vertical_spacing=0.06)
    fig.add_trace(go.Scatter(x=np.arange(length), y=x, mode="lines", name="signal", legendrank=1,
                             line=dict(color=PALETTE["learned"], width=2),
                             hovertemplate="t = %{x}<br>x = %{y:.4g}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=z, x=t, y=names, colorscale="Viridis", name="|c · saliency|", hoverongaps=False,
                             colorbar=dict(title=dict(text="|c · saliency|", side="right"), thickness=12, len=0.6,
                                           y=0.3),
                             hovertemplate="%{y}, t = %{x}<br>|c · saliency| %{z:.3g}<extra></extra>"), row=2, col=1)
    kept_x, kept_y, kept_text, on_series = [], [], [], []
    in_series = (bundle.get("explain") or {}).get("in_series") or {}
    for b, c in zip(bands, centres):
        shares = in_series.get(b["band"]) or []
        for rank, (pos, contribution) in enumerate(zip(b["kept"], b["contributions"])):
            where = "" if -0.5 <= c[pos] <= length - 0.5 else " (outside the series)"
            if not where and pos < len(shares) and shares[pos] < LOW_IN_SERIES:  # as the student table labels it
                share = "under 1" if shares[pos] < 0.01 else f"{100 * shares[pos]:.0f}"
                where = f" (mostly beyond the series' ends: {share} % of its filter on the series)"
            text = (f"{b['band']} #{rank + 1}: c[{pos}] = {fmt_number(b['coeffs'][pos])}, centred at "
                    f"t = {c[pos]:g}{where}<br>weight·c = {fmt_number(contribution)}")
            kept_x.append(float(c[pos]))
            kept_y.append(b["band"])
            kept_text.append(text)
            if not where:
                on_series.append((float(c[pos]), text))
    n_kept, n_per_band = len(kept_x), max((len(b["kept"]) for b in bands), default=0)
    kept_name = _KEPT_NAMES.get(params.get("by"), "kept by the student: {k} per band").format(
        k=params.get("k", n_per_band)) + (_AMONG_CANDIDATES if params.get("by") != "position" and any(
            params.get("left_out") or []) else "")
    fig.add_trace(go.Scatter(x=kept_x, y=kept_y, mode="markers",
                             name=wrap_words(f"{kept_name} ({n_kept} circles)", LEGEND_CHARS),
                             text=kept_text, legendrank=2,
                             marker=dict(symbol="circle-open", size=11, color=PALETTE["selected"], line=dict(width=2)),
                             hovertemplate="%{text}<extra></extra>"), row=2, col=1)
    at_time: dict[float, list[str]] = {}  # coefficients of several bands can share a centre: one triangle
    for centre, text in on_series:
        at_time.setdefault(centre, []).append(text)
    on_x = sorted(at_time)
    outside = n_kept - len(on_series)
    # "their centres on the series (30 of the 30 at 29 times)" was read as a riddle: say what the marks are
    details = ([f"{len(on_series)} coefficients at {len(on_x)} times"] if len(on_x) < len(on_series) else []) + (
        [f"{outside} of the {n_kept} read outside it" + (" or mostly beyond its ends" if in_series else "")]
        if outside else [])
    fig.add_trace(go.Scatter(
        x=on_x, y=np.interp(on_x, np.arange(length), x) if on_x else [], mode="markers", legendrank=3,
        name=wrap_words("where the circled coefficients read the series"
                        + (f" ({'; '.join(details)})" if details else ""), LEGEND_CHARS),
        text=["<br>".join(at_time[t]) for t in on_x], hovertemplate="%{text}<extra></extra>",
        marker=dict(symbol="triangle-down", size=9, color=PALETTE["selected"])), row=1, col=1)
    if t_first < 0 or t_last > length - 1:
        padding = _PADDING.get(params.get("mode"), "boundary extension")
        for x0, x1 in ((t_first - 0.5, -0.5), (length - 0.5, t_last + 0.5)):
            if x1 > x0:
                fig.add_vrect(x0=x0, x1=x1, fillcolor=PALETTE["grey"], opacity=0.25, line_width=0, layer="above",
                              row="all", col=1)
        fig.add_annotation(text=f"shaded: outside the series ({padding})", x=1, y=1, xref="paper", yref="paper",
                           xanchor="right", yanchor="bottom", showarrow=False, font=dict(size=11, color="#555"))
    placed = ("where it reads the series (the centroid of its weights' energy)" if measured else
              "the middle of its filters' span (a result written before reading positions were stored)")
    caption = wrap_words(f"each coefficient of level j drawn over the 2<sup>j</sup> samples around {placed}"
                         "<br>circles: one per coefficient the student reads for this series (the table's positions)",
                         52)
    # from the figure's left edge (60 px into the margin), where 52 characters of 11 px type fit a phone's width
    fig.add_annotation(text=caption, x=0, y=0, xref="paper", yref="paper", xanchor="left", yanchor="top",
                       xshift=-60, yshift=-45, showarrow=False, align="left", font=dict(size=11, color="#555"))
    fig.update_yaxes(title="signal", row=1, col=1)
    fig.update_yaxes(title="band (coarse → fine)", row=2, col=1, autorange="reversed")
    fig.update_xaxes(**sample_axis_layout((bundle.get("data") or {}).get("sample_axis"), length), row=2, col=1,
                     range=[t_first - 0.5, t_last + 0.5])
    n_lines = caption.count("<br>") + 1
    return apply_layout(fig, height=460 + 15 * n_lines, margin=dict(l=70, r=20, t=90, b=55 + 15 * n_lines),
                        legend=dict(orientation="h", yanchor="bottom", y=1.08, xanchor="left", x=0))


def _grid_shape(n: int, max_cols: int = 4) -> tuple[int, int]:
    cols = max(1, min(max_cols, n))
    return math.ceil(n / cols), cols


def _panels_layout(rows: int, cols: int, titles: list[str], extents: list[tuple], ticks: tuple[list, list],
                   hgap=0.05, vgap=0.1) -> dict:
    """Axes and title annotations of a rows x cols grid of square-pixel image panels, as a plain layout dict
    (building it by hand is ~50x faster than ``make_subplots`` for a dozen heatmaps).

    Parameters
    ----------
    rows, cols : int
        The grid.
    titles : list of str
        One a panel, in reading order; panel i draws on axes ``x{i+1}``/``y{i+1}`` (``x``/``y`` for the first).
    extents : list of tuple
        One a panel: ``((x_first, x_last), (y_first, y_last))``, the pixel range it shows (cell edges).
    ticks : tuple of list
        ``(column ticks, row ticks)``, in pixels, the same on every panel.
    hgap, vgap : float
        Gaps between panels, in fractions of the figure (room for the tick labels and titles).

    Returns
    -------
    dict
        ``xaxis…``/``yaxis…`` with their domains and ranges, rows drawn downwards, one pixel as wide as tall
        (``yaxis.scaleanchor`` on its x axis, ``scaleratio`` 1, the panel shrunk within its domain towards its
        title); ``annotations``: the titles.
    """
    layout, annotations = {}, []
    w, h = (1 - hgap * (cols - 1)) / cols, (1 - vgap * (rows - 1)) / rows
    tick_style = dict(showticklabels=True, ticks="outside", ticklen=3, tickfont=dict(size=9), showgrid=False,
                      zeroline=False)
    for i, (title, ((x_first, x_last), (y_first, y_last))) in enumerate(zip(titles, extents)):
        r, c = divmod(i, cols)
        x0, y1 = c * (w + hgap), 1 - r * (h + vgap)
        suffix = "" if i == 0 else str(i + 1)
        x0, y1 = max(0.0, round(x0, 6)), min(1.0, round(y1, 6))  # rounding must not leave [0, 1]
        layout[f"xaxis{suffix}"] = dict(domain=[x0, min(1.0, round(x0 + w, 6))], anchor=f"y{suffix}",
                                        range=[x_first, x_last], tickvals=ticks[0], constrain="domain",
                                        **tick_style)
        layout[f"yaxis{suffix}"] = dict(domain=[max(0.0, round(y1 - h, 6)), y1], anchor=f"x{suffix}",
                                        range=[y_last, y_first], tickvals=ticks[1], scaleanchor=f"x{suffix}",
                                        scaleratio=1, constrain="domain", constraintoward="top", **tick_style)
        annotations.append(dict(text=title, x=x0 + w / 2, y=y1, xref="paper", yref="paper", xanchor="center",
                                yanchor="bottom", showarrow=False, font=dict(size=11)))  # 4 fit at 390 px
    layout["annotations"] = annotations
    return layout


#: Height of a row of map panels and of the gap under it (tick labels and the next row's titles), in pixels: at
#: the results page's width (about 1100 px, four panels a row) the square panels fill their width.
PANEL_PX, PANEL_GAP_PX = 230, 50
#: The panels' height in two columns, on a phone's screen (about 140 px wide each at 390 px).
NARROW_PANEL_PX = 150


def _pixel_ticks(size: int) -> list[int]:
    """First, middle and last pixel of an axis of ``size`` pixels (the ticks every map panel shows)."""
    return sorted({0, size // 2, size - 1})


#: Peaks marked on each sub-band panel at most (the highest; the map's panel marks every one): a lensing map's
#: 300 or so crosses covered the coarse bands' few coefficients.
MARKED_PEAKS = 40


def _highest_peaks(x: np.ndarray, peaks: np.ndarray, most: int) -> np.ndarray:
    """The ``most`` peaks with the largest map value at their pixel, or every peak when there are no more.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(3, 3)
    >>> _highest_peaks(x, np.array([[0.0, 0.0], [2.0, 2.0], [1.0, 1.0]]), 2).tolist()
    [[2.0, 2.0], [1.0, 1.0]]
    """
    if len(peaks) <= most:
        return peaks
    at = np.clip(np.round(peaks).astype(int), 0, np.array(x.shape) - 1)
    order = np.argsort(-x[at[:, 0], at[:, 1]], kind="stable")[:most]
    return peaks[order]


def subband_figure(bundle: dict, example: int = 0, max_cols: int = 4) -> go.Figure:
    """The map with its detected peaks, then ``|c · saliency|`` per sub-band and level with the same peaks.

    Every panel is drawn in the map's pixels (row downwards, column rightwards, one pixel as wide as tall): a
    coefficient of level j covers the ``2^j × 2^j`` pixels around where it reads the map (the energy centroid
    of its analysis weights along each axis, ``explain.centres``; wrapped around the edges in periodization,
    cut at them otherwise, the largest value where blocks overlap), so a peak at pixel (row, column) falls on
    the coefficients that read it in every panel (the sub-band panels mark the ``MARKED_PEAKS`` highest peaks when
    there are more, and say so). Bundles written before place coefficients at the middle of
    their filters' span (:func:`_coefficient_centres` along each axis), and in zero and symmetric modes their
    bands reach past the map (its area is outlined there).

    Parameters
    ----------
    bundle : dict
        With ``activation.x`` (the maps) and ``explain`` (maps: ``peaks`` in pixels, ``panels``).
    example : int
        Index into ``explain.examples`` and ``activation.x``.
    max_cols : int
        Panels per row (4; 2 on a phone's screen, where four squeezed the titles into each other).

    Returns
    -------
    go.Figure
    """
    explain = bundle.get("explain") or {}
    examples = explain.get("examples") or []
    xs = (bundle.get("activation") or {}).get("x") or []
    if explain.get("kind") != "image" or not examples or not xs:
        return empty_figure("No sub-band panels in this result (rerun the job with this version)")
    k = example if isinstance(example, int) and 0 <= example < min(len(examples), len(xs)) else 0
    ex, x = examples[k], as_array(xs[k])
    height, width = x.shape
    panels = [p for p in ex.get("panels") or [] if as_array(p["values"]) is not None]
    values = [as_array(p["values"]) for p in panels]
    peaks = np.asarray(ex.get("peaks") or np.zeros((0, 2)), dtype=float).reshape(-1, 2)
    peak_rows, peak_cols = peaks[:, 0].tolist(), peaks[:, 1].tolist()
    marked = _highest_peaks(x, peaks, MARKED_PEAKS)  # the sub-band panels' markers
    n_peaks = f"{len(peaks)} peak{'' if len(peaks) == 1 else 's'}"
    titles = [f"the map, {height} × {width} px<br>{n_peaks}"] + [
        f"{p['band']} level {p['level']}: {z.shape[0]} × {z.shape[1]}" for p, z in zip(panels, values)]
    rows, cols = _grid_shape(len(titles), max_cols)
    measured = _stored_panel_centres(bundle, panels, values)
    row_taps = _equivalent_filter_length(height, {p["level"]: z.shape[0] for p, z in zip(panels, values)})
    col_taps = _equivalent_filter_length(width, {p["level"]: z.shape[1] for p, z in zip(panels, values)})
    map_extent = ((-0.5, width - 0.5), (-0.5, height - 0.5))
    extents, shapes = [map_extent], []
    scale = _shared_scale(values)
    # thin crosses: a few hundred filled ones hid the map and the bands under them
    marker = dict(symbol="x-thin", size=5 if max_cols >= 4 else 4, line=dict(width=1.5, color=PALETTE["selected"]))
    # plain dicts and no validation: a dozen validated heatmaps cost a second per redraw
    data = [dict(type="heatmap", z=x, colorscale="Greys", reversescale=True, showscale=False, name="map",
                 hovertemplate="row %{y}, col %{x}<br>value %{z:.4g}<extra></extra>"),
            dict(type="scatter", x=peak_cols, y=peak_rows, mode="markers", name="detected peak", marker=marker,
                 hovertemplate="peak at row %{y}, col %{x}<extra></extra>")]
    for i, (p, z) in enumerate(zip(panels, values), start=2):
        step = 2 ** int(p["level"])
        if measured:  # bricks between the blocks' edges, on the map's area
            cells, row_edges, col_edges = _paint_panel(z, *measured[i - 2], p["level"], (height, width),
                                                       _wraps(bundle))
            extent = map_extent
            drawn = dict(z=cells, x=col_edges, y=row_edges)
        else:
            row_centres = _coefficient_centres(p["level"], z.shape[0], row_taps)
            col_centres = _coefficient_centres(p["level"], z.shape[1], col_taps)
            extent = ((col_centres[0] - step / 2, col_centres[-1] + step / 2),
                      (row_centres[0] - step / 2, row_centres[-1] + step / 2))
            drawn = dict(z=z, x0=float(col_centres[0]), dx=step, y0=float(row_centres[0]), dy=step)
        extents.append(extent)
        # one colour scale for every sub-band (the bar under the panels, drawn by the first): each panel on its
        # own range left a colour without a value, and equal colours of two bands unequal (review 51)
        data.append(dict(type="heatmap", **drawn, colorscale="Viridis", **scale, showscale=i == 2 and bool(scale),
                         name=f"{p['band']}{p['level']}", xaxis=f"x{i}", yaxis=f"y{i}",
                         hovertemplate=f"{p['band']} level {p['level']} ({step} × {step} pixels a coefficient): "
                                       "row %{y}, col %{x}<br>|c · saliency| %{z:.3g}<extra></extra>"))
        data.append(dict(type="scatter", x=marked[:, 1].tolist(), y=marked[:, 0].tolist(), mode="markers",
                         xaxis=f"x{i}", yaxis=f"y{i}", marker={**marker, "size": marker["size"] - 1},
                         hoverinfo="skip", name=f"peaks on {p['band']}{p['level']}"))
        if extent != map_extent:  # the band reaches into the boundary extension: outline the map
            shapes.append(dict(type="rect", xref=f"x{i}", yref=f"y{i}", x0=-0.5, x1=width - 0.5, y0=-0.5,
                               y1=height - 0.5, line=dict(color=PALETTE["sky"], width=1)))
    panel_px = PANEL_PX if max_cols >= 4 else NARROW_PANEL_PX  # two columns: a phone's width
    plot_height = rows * panel_px + (rows - 1) * PANEL_GAP_PX
    # two a row on a phone: a wider gap holds the right panel's tick labels (at 0.05 they sat on the left panel)
    layout = _panels_layout(rows, cols, titles, extents, (_pixel_ticks(width), _pixel_ticks(height)),
                            hgap=0.05 if max_cols >= 4 else 0.12, vgap=PANEL_GAP_PX / plot_height)
    layout["shapes"] = shapes
    bar = _BAR_PX if scale and len(data) > 2 else 0  # room under the panels for the colour bar
    if bar:
        data[2]["colorbar"] = _subband_colorbar(scale["zmax"], plot_height)
    on_bands = ("" if len(marked) == len(peaks) else
                f" (on the sub-bands: the {len(marked)} highest of {len(peaks)}, by the map's value)")
    caption = wrap_words(
        f"axes in map pixels (row ↓, column →); grey: the map; × detected peaks{on_bands}<br>colour: "
        f"|c · saliency| per sub-band and level{', one scale for all (the bar)' if bar else ''}, each coefficient "
        "over the 2<sup>level</sup> × 2<sup>level</sup> pixels around "
        + ("where it reads the map" if measured else "the middle of its filters' span")
        + ("<br>blue frame: the map's area (the bands reach past it, into the padding)" if shapes else ""), 52)
    n_lines = caption.count("<br>") + 1
    # from the figure's left edge, where 52 characters of 11 px type fit a phone's width
    layout["annotations"].append(dict(text=caption, x=0, y=0, xshift=-25, yshift=-25 - bar, xref="paper",
                                      yref="paper", xanchor="left", yanchor="top", showarrow=False, align="left",
                                      font=dict(size=11, color="#555")))
    layout.update({k: v for k, v in LAYOUT.items() if k not in ("margin", "legend")},
                  height=plot_height + 60 + bar + 15 * n_lines,
                  margin=dict(l=30, r=20, t=30, b=30 + bar + 15 * n_lines), showlegend=False)
    return go.Figure(data=data, layout=layout, _validate=False)


#: The sub-band panels' colour bar, in px: its top (the title's) under the panels' bottom edge, below the bottom
#: row's tick labels, and the height it adds to the figure (its title above it and labels below, and a gap).
_BAR_TOP_PX, _BAR_PX = 20, 58


def _shared_scale(values: list) -> dict:
    """``zmin`` and ``zmax`` of one colour scale for every sub-band panel: 0 to the largest ``|c · saliency|``
    of them all; ``{}`` when none has a positive finite value (each panel then scales itself, without a bar).

    Examples
    --------
    >>> _shared_scale([np.array([[0.0, 2e-4]]), np.array([[np.nan, 5e-5]])])
    {'zmin': 0.0, 'zmax': 0.0002}
    >>> _shared_scale([np.zeros((2, 2))]), _shared_scale([])
    ({}, {})
    """
    finite = [float(np.nanmax(z)) for z in values if np.isfinite(z).any()]
    top = max(finite, default=0.0)
    return {"zmin": 0.0, "zmax": top} if top > 0 else {}


def _subband_colorbar(top: float, plot_height: float) -> dict:
    """The sub-band panels' colour bar: across under the panels from their left edge, below the bottom row's tick
    labels, labelled with what the colours are and its ends and middle in figures."""
    return dict(orientation="h", x=0, xanchor="left", y=-_BAR_TOP_PX / plot_height, yanchor="top",
                lenmode="pixels", len=240, thickness=10, outlinewidth=0,
                title=dict(text="|c · saliency| (every sub-band)", side="top", font=dict(size=11)),
                tickvals=[0, top / 2, top], ticktext=[fmt_number(v, 2) for v in (0, top / 2, top)],
                tickfont=dict(size=10))


#: The histogram figure's title while the page inspects a grid point other than the model its examples were
#: computed for (the activation card's words): its bins, templates and counts stay that model's.
EXPLAINED_MODEL_TITLE = ("Computed for the recommended model (its bins and templates); not for the grid point you "
                         "inspect")


def bin_centres(params: dict) -> list:
    """The centres of each channel's histogram bins, from a map student's parameters (``channel_ranges`` when the
    bundle has them: a signed range differs by channel; else ``bin_edges``, one range for all).

    Examples
    --------
    >>> p = {"channels": ["LL", "detail magnitude"], "bins": 2, "bin_edges": [0.0, 0.5, 1.0]}
    >>> [c.tolist() for c in bin_centres(p)]
    [[0.25, 0.75], [0.25, 0.75]]
    >>> [c.tolist() for c in bin_centres({**p, "channel_ranges": [[-1.0, 1.0], [0.0, 1.0]]})]
    [[-0.5, 0.5], [0.25, 0.75]]
    """
    edges = params["bin_edges"]
    ranges = params.get("channel_ranges") or [(edges[0], edges[-1])] * len(params["channels"])
    return [(e[:-1] + e[1:]) / 2 for e in (np.linspace(low, high, params["bins"] + 1) for low, high in ranges)]


def peak_histogram_figure(bundle: dict, example: int = 0, max_cols: int = 4, title: str | None = None) -> go.Figure:
    """The example's peak-count histogram against the nearest class template, and χ² to every class.

    One panel per channel and the χ² panel, ``max_cols`` to a row (1 on a phone's screen: side by side their titles
    ran into each other). When the panels do not fit in one row, the χ² panel gets a row of its own, as wide as the
    figure (on an 800 px window, a third of the width drew ten classes' labels into each other).

    Parameters
    ----------
    bundle : dict
        ``explain.examples`` and ``students.awd``: the student those examples were computed for (its bins and
        templates; another model's would draw one model's counts on another's bins).
    example : int, default=0
        The test example.
    max_cols : int, default=4
        Panels a row.
    title : str, optional
        A sentence above the panels, e.g. :data:`EXPLAINED_MODEL_TITLE` while another grid point is inspected.

    Returns
    -------
    go.Figure
    """
    record = student_record(bundle, None)
    examples = (bundle.get("explain") or {}).get("examples") or []
    if not record or record.get("kind") != "peak_count" or not examples:
        return empty_figure("No peak-count histograms in this result (rerun the job with this version)")
    k = example if isinstance(example, int) and 0 <= example < len(examples) else 0
    ex, params = examples[k], record["parameters"]
    hist = np.asarray(ex["histogram"], dtype=float)
    channels, bins = params["channels"], params["bins"]
    centres = bin_centres(params)
    templates = params.get("templates")
    n_panels = len(channels) + (1 if "chi2" in ex else 0)
    n_rows, n_cols = _grid_shape(n_panels, max_cols)
    chi2_row = "chi2" in ex and 1 < n_cols < n_panels  # the χ² panel alone in the last row, across every column
    specs = None
    if chi2_row:
        hist_rows, n_cols = _grid_shape(len(channels), max_cols)
        n_rows = hist_rows + 1
        specs = [[{} if r * n_cols + c < len(channels) else None for c in range(n_cols)] for r in range(hist_rows)]
        specs.append([{"colspan": n_cols}] + [None] * (n_cols - 1))

    def at(i: int) -> dict:  # the i-th panel's place in the grid, row by row
        if chi2_row and i == n_panels - 1:
            return dict(row=n_rows, col=1)
        return dict(row=i // n_cols + 1, col=i % n_cols + 1)
    titles = [f"{c} at peaks" if c == "detail magnitude" else f"{c} response at peaks" for c in channels]
    titles += ["χ² to each class"] if "chi2" in ex else []
    # the "magnitude" response bins each channel divided by its training 99th percentile
    scaled = params.get("response") == "magnitude"
    fig = make_subplots(rows=n_rows, cols=n_cols, subplot_titles=titles, horizontal_spacing=0.08 if chi2_row else 0.05,
                        vertical_spacing=0.45 / n_rows, specs=specs)
    nearest = ex.get("nearest")
    rows = params.get("classes") or []
    # the nearest class by its target values, as the χ² panel labels it ("class 1" named nothing)
    class_name = (f"the nearest class ({', '.join(fmt_number(v) for v in rows[nearest])})"
                  if nearest is not None and nearest < len(rows) else f"class {nearest}")
    for c, name in enumerate(channels):
        fig.add_trace(go.Bar(x=centres[c], y=hist[c * bins:(c + 1) * bins], name="this map",
                             marker_color=PALETTE["learned"],
                             showlegend=c == 0, hovertemplate="response %{x:.3g}<br>%{y} peaks<extra></extra>"),
                      **at(c))
        if templates is not None and nearest is not None:
            t = np.asarray(templates[nearest])[c * bins:(c + 1) * bins]
            fig.add_trace(go.Scatter(x=centres[c], y=t, mode="lines+markers", name=f"template of {class_name}",
                                     line=dict(color=PALETTE["selected"], width=2), showlegend=c == 0,
                                     hovertemplate="template %{y:.2f} peaks<extra></extra>"), **at(c))
        fig.update_xaxes(title="response / its training<br>99th percentile" if scaled
                         else "filter response<br>(the map's units)", **at(c))  # two lines: one was wider than a panel
        if c == 0 or n_cols == 1:
            fig.update_yaxes(title="peaks per map", **at(c))
    if "chi2" in ex:
        chi2 = np.asarray(ex["chi2"], dtype=float)
        classes = params.get("classes") or [[i] for i in range(len(chi2))]
        colors = [PALETTE["selected"] if i == nearest else PALETTE["grey"] for i in range(len(chi2))]
        names = [str(n) for n in params.get("target_names") or []]
        named = bool(names) and all(len(row) == len(names) for row in classes)
        text = [fmt_number(v) for v in chi2]
        if max_cols == 1:  # a phone: one bar a row, each class named on one line beside it (ten upright labels
            # ran together under bars 24 px wide)
            labels = [", ".join(fmt_number(v) for v in row) for row in classes]
            fig.add_trace(go.Bar(y=labels, x=chi2, orientation="h", marker_color=colors, name="χ²",
                                 showlegend=False, text=text, textposition="outside", cliponaxis=False,
                                 constraintext="none", hovertemplate="class %{y}<br>χ² %{x:.4g}<extra></extra>"),
                          **at(n_panels - 1))
            fig.update_yaxes(title=", ".join(names) if named else "class (target row)",
                             autorange="reversed", **at(n_panels - 1))
            top = float(np.nanmax(chi2)) if np.isfinite(chi2).any() else 1.0
            fig.update_xaxes(title="χ²", range=[0, 1.3 * top if top > 0 else 1], **at(n_panels - 1))  # room for the
            # largest bar's number
        else:  # one line per parameter, upright: ten rotated "0.2, 0.9" labels ran into each other
            labels = ["<br>".join(fmt_number(v) for v in row) for row in classes]
            fig.add_trace(go.Bar(x=labels, y=chi2, marker_color=colors, name="χ²", showlegend=False,
                                 text=text, textposition="outside", cliponaxis=False,
                                 constraintext="none",  # the tallest bar's label at full size, above the axis
                                 hovertemplate="class %{x}<br>χ² %{y:.4g}<extra></extra>"), **at(n_panels - 1))
            stacked = ", one per line" if len(names) > 1 else ""
            # smaller type for many classes: ten classes' "0.24" "0.26" "0.28" ran together at 13 px (review 16)
            fig.update_xaxes(title=f"class ({', '.join(names)}{stacked})" if named else "class (target row)",
                             tickangle=0, tickfont=dict(size=10 if len(classes) > 6 else 12), **at(n_panels - 1))
            top = float(np.nanmax(chi2)) if np.isfinite(chi2).any() else 1.0
            # room above the tallest bar for its number ("1.13e+03" touched the panel's top)
            fig.update_yaxes(title="χ²", range=[0, 1.18 * top if top > 0 else 1], **at(n_panels - 1))
    # the legend above the first panels, clear of the panel titles (top right it covered the χ² panel's)
    title = wrap_words(title, 48 if max_cols == 1 else 110) if title else None  # a phone's width, or a row's
    title_px = 0 if not title else 16 * (title.count("<br>") + 1) + 12  # above the legend
    height = 395 + 330 * (n_rows - 1) + title_px
    apply_layout(fig, height=height, margin=dict(l=55, r=20, t=80 + title_px, b=75),  # the legend 40 px above
                 legend=dict(orientation="h", yanchor="bottom", y=1 + 40 / (height - 155 - title_px), xanchor="left",
                             x=0))
    if title:
        fig.update_layout(title=dict(text=title, x=0, xanchor="left", xref="paper", y=1 - 10 / height,
                                     yanchor="top", yref="container", font=dict(size=12)))
    return fig
