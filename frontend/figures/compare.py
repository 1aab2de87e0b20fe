"""Figures of the compare page: two to four runs' learned wavelets overlaid, and their test scores side by side.

Pure functions of the result bundles (``GET /api/results/{id}``) and their labels.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awd_studio.frontend.figures.scores import MODEL_ORDER
from awd_studio.frontend.figures.style import (
    BOTTOM_LEGEND,
    MODEL_LABELS,
    SUPPORT_AXIS_TITLE,
    apply_layout,
    as_array,
    empty_figure,
    fmt_number,
    fmt_scores,
    pixel_axis_titles,
    sample_axis_layout,
    sample_axis_title,
    wrap_words,
)

__all__ = ["RUN_COLORS", "MAX_RUNS", "COMPARED_MODELS", "compare_wavelets_figure", "compare_scores_figure",
           "score_table_rows", "mean_activation", "compare_activation_figure", "sensitivity_line"]

#: Runs A to D (Okabe-Ito, colour-blind safe; the initial wavelet of each is dashed in its run's colour).
RUN_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
#: The most runs one comparison shows (one colour each).
MAX_RUNS = len(RUN_COLORS)
#: The models whose test scores are compared: the teacher, the students in the results page's order
#: (:data:`~frontend.figures.scores.MODEL_ORDER`), the scattering student (a model no run has is left out: the maps'
#: fixed filters, the teacher-free control ``random_search``, on for 1000 or more series only, and the scattering
#: student). Review 38A: the maps' fixed baselines, which the verdict of a maps run names, were missing here.
COMPARED_MODELS = ("teacher", *MODEL_ORDER, "scattering")


def compare_wavelets_figure(bundles: list[dict], labels: list[str]) -> go.Figure:
    """φ (left) and ψ (right) of two to four runs overlaid: learned solid, initial dashed, one colour per run.

    Parameters
    ----------
    bundles : list of dict
        Result bundles (``wavelet.x``, ``phi``, ``psi``, ``init_phi``, ``init_psi``, ``init``), at most
        :data:`MAX_RUNS`.
    labels : list of str
        How the legend names each run (e.g. ``"A · 1a2b3c4d"``).

    Returns
    -------
    go.Figure
        Two panels; x is the support of each wavelet in filter taps (:data:`SUPPORT_AXIS_TITLE`).
    """
    if not any(as_array((b.get("wavelet") or {}).get("x")) is not None for b in bundles):
        return empty_figure("Neither result has a wavelet")
    fig = make_subplots(rows=1, cols=2, subplot_titles=("scaling function φ", "wavelet ψ"), horizontal_spacing=0.08)
    for run, (bundle, label, color) in enumerate(zip(bundles, labels, RUN_COLORS)):
        wav = bundle.get("wavelet") or {}
        x = as_array(wav.get("x"))
        if x is None:
            continue
        for col, (learned_key, init_key) in enumerate((("phi", "init_phi"), ("psi", "init_psi")), start=1):
            init, learned = as_array(wav.get(init_key)), as_array(wav.get(learned_key))
            if init is not None and init.size == x.size:
                fig.add_trace(go.Scatter(x=x, y=init, name=f"{label}: initial ({wav.get('init', '?')})",
                                         line=dict(color=color, dash="dash", width=1.6), opacity=0.7,
                                         legendgroup=f"init{run}", showlegend=col == 1), row=1, col=col)
            if learned is not None and learned.size == x.size:
                # each run narrower than the one before: where the runs' wavelets coincide, the earlier ones
                # show as bands around the later (at one width the last hid the others completely)
                fig.add_trace(go.Scatter(x=x, y=learned, name=f"{label}: learned",
                                         line=dict(color=color, width=_learned_width(run, len(bundles))),
                                         legendgroup=f"learned{run}", showlegend=col == 1), row=1, col=col)
    fig.update_xaxes(title=SUPPORT_AXIS_TITLE)  # the results page's words; "support (samples)" twice ran together
    fig.update_yaxes(title="amplitude", col=1)
    return apply_layout(fig, height=400, legend={**BOTTOM_LEGEND, "y": -0.22}, margin=dict(l=60, r=20, t=40, b=90))


def _learned_width(run: int, n_runs: int) -> float:
    """Line width of run ``run``'s learned curves: 1.8 px for the last, wider by 2.2 px (two runs) or 1.6 px each
    run before it.

    Examples
    --------
    >>> [_learned_width(r, 2) for r in range(2)], [_learned_width(r, 4) for r in range(4)]
    ([4.0, 1.8], [6.6, 5.0, 3.4, 1.8])
    """
    step = 2.2 if n_runs <= 2 else 1.6
    return round(1.8 + step * (n_runs - 1 - run), 2)


def _score(bundle: dict, model: str, metric: str):
    entry = bundle.get("teacher") if model == "teacher" else (bundle.get("models") or {}).get(model)
    value = ((entry or {}).get("test") or {}).get(metric)
    return float(value) if isinstance(value, (int, float)) else None


def score_table_rows(bundles: list[dict]) -> list[dict]:
    """One row per compared model: ``model`` (label), ``r2`` and ``rmse`` of each run (None where missing).

    Examples
    --------
    >>> b = {"teacher": {"test": {"r2": 0.9, "rmse": 1.0}}, "models": {"awd": {"test": {"r2": 0.8, "rmse": 2.0}}}}
    >>> score_table_rows([b, b])[1]
    {'model': 'AWD', 'r2': [0.8, 0.8], 'rmse': [2.0, 2.0]}
    """
    rows = []
    for model in COMPARED_MODELS:
        r2 = [_score(b, model, "r2") for b in bundles]
        rmse = [_score(b, model, "rmse") for b in bundles]
        if any(v is not None for v in r2 + rmse):
            rows.append({"model": MODEL_LABELS.get(model, model), "r2": r2, "rmse": rmse})
    return rows


#: Characters a line of a model's name holds beside the bars (the longest, "Random search, no teacher", in two
#: lines: a phone's 330 px figure keeps about 200 px for the bars).
NAME_CHARS = 14
#: Height of one bar and the gap around each model's group of bars, in pixels.
BAR_PX, GROUP_GAP_PX = 16, 14
#: The scores figure's least height, in pixels (the page's figures are 300 px or more).
MIN_HEIGHT = 340


def compare_scores_figure(bundles: list[dict], labels: list[str]) -> go.Figure:
    """Test R² of the teacher, AWD, AWD with γ = 0, the initial wavelet and the teacher-free control (where a run
    has it), one bar colour per run.

    R² is compared (not RMSE) because it has no units: two runs on different data stay on one axis. The bars lie
    horizontally, the models named on the left in lines of :data:`NAME_CHARS` and the runs' legend above the plot,
    as the results page's scores do: upright bars' names, turned on their side under a phone's 250 px wide plot,
    ran into the legend under them and squeezed the plot to 120 px (review 49). Each bar's number stands at its
    end, printed as the scores table prints it (:func:`~frontend.figures.style.fmt_scores`).

    Parameters
    ----------
    bundles : list of dict
        Result bundles (``teacher.test.r2``, ``models.<name>.test.r2``), at most :data:`MAX_RUNS`.
    labels : list of str
        How the legend names each run.

    Returns
    -------
    go.Figure
        :data:`BAR_PX` per bar and :data:`GROUP_GAP_PX` between models (:data:`MIN_HEIGHT` at least in all), so
        that the plot keeps its height at any width.

    Examples
    --------
    >>> b = {"teacher": {"test": {"r2": 0.9}}, "models": {"random_search": {"test": {"r2": 0.63}}}}
    >>> fig = compare_scores_figure([b, b], ["A", "B"])
    >>> fig.data[0].orientation, list(fig.data[0].y), fig.layout.legend.y >= 1
    ('h', ['Teacher', 'Random search,<br>no teacher'], True)
    """
    rows = score_table_rows(bundles)
    if not rows:
        return empty_figure("Neither result has test scores")
    names = [wrap_words(r["model"], NAME_CHARS) for r in rows]
    texts = list(zip(*(fmt_scores(r["r2"]) for r in rows)))  # per run, each row's numbers told apart
    fig = go.Figure()
    for run, (label, color) in enumerate(zip(labels, RUN_COLORS)):
        values = [r["r2"][run] for r in rows]
        fig.add_trace(go.Bar(y=names, x=values, orientation="h", name=label, marker_color=color,
                             text=list(texts[run]), textposition="outside", cliponaxis=False, constraintext="none",
                             textfont=dict(size=11), hovertemplate="%{y}: R² %{x:.4f}<extra>" + label + "</extra>"))
    # the first model on top, as in the scores table; names as wide as they need (automargin), clear of the bars
    fig.update_yaxes(autorange="reversed", automargin=True, ticklabelstandoff=6)
    fig.update_xaxes(title="test R² (1 = perfect)", zeroline=True, zerolinecolor="#888", automargin=True,
                     range=_score_range([v for r in rows for v in r["r2"]]))
    plot_px = len(rows) * (BAR_PX * len(labels) + GROUP_GAP_PX)
    # the legend above the plot, clear of the names and of the axis title: runs' labels are short; a few models'
    # bars are drawn thicker, to the height of the page's other figures
    return apply_layout(fig, height=max(plot_px + 110, MIN_HEIGHT), barmode="group",
                        bargap=GROUP_GAP_PX / (plot_px / len(rows)),
                        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
                        margin=dict(l=10, r=45, t=40, b=50))


def _score_range(values) -> list[float] | None:
    """The R² axis's range when a score is below 0: a third of the bars' span more on the left, where the numbers of
    the negative bars stand (left to Plotly, they stood on the models' names); None (Plotly's own range) else.

    Examples
    --------
    >>> _score_range([0.8, -0.4, None]), _score_range([0.8, 0.5])
    ([-0.8, 0.8], None)
    """
    finite = [float(v) for v in values if isinstance(v, int | float) and np.isfinite(v)]
    low, high = min(finite, default=0.0), max(finite + [0.0])
    if low >= 0:
        return None
    return [round(low - (high - low) / 3, 12), high]


def mean_activation(bundle: dict) -> np.ndarray | None:
    """The mean of a run's stored activation maps, each scaled to its own largest value first (so every example
    weighs the same), then scaled so the mean's largest value is 1. None when the run stores none, or its maps
    differ in shape.

    Examples
    --------
    >>> act = {"x": [[0, 0, 0], [0, 0, 0]], "maps": [[0.0, 2.0, 0.0], [0.0, 0.0, -4.0]]}
    >>> mean_activation({"activation": act}).tolist()
    [0.0, 1.0, 1.0]
    """
    maps = [as_array(m) for m in ((bundle.get("activation") or {}).get("maps") or [])]
    maps = [np.abs(m) for m in maps if m is not None and m.size]
    if not maps or any(m.shape != maps[0].shape for m in maps):
        return None
    mean = np.mean([m / (m.max() or 1.0) for m in maps], axis=0)
    return mean / (mean.max() or 1.0)


def sensitivity_line(bundle: dict) -> str | None:
    """One short line on where a run's teacher is most sensitive (series only; None for maps or older results).

    Examples
    --------
    >>> act = {"teacher_sensitivity": [0.1] * 36 + [0.4, 0.5, 0.7, 1.0],
    ...        "sensitive_end": {"end": "last", "samples": 4, "ratio": 3.2}}
    >>> sensitivity_line({"activation": act})
    "teacher's sensitivity highest at the end: its last 4 samples average 3.2 times its mean"
    >>> sensitivity_line({"activation": {"teacher_sensitivity": [0.7, 0.8, 1.0, 0.9], "sensitive_end": None}})
    "teacher's sensitivity spread over the series (largest at frame 3 of 4)"
    >>> sensitivity_line({"activation": {"teacher_sensitivity": [0.7, 1.0]},
    ...                   "data": {"sample_axis": {"values": [0.0, 2.0], "label": "t (s)"}}})
    "teacher's sensitivity spread over the series (largest at time (s) = 2)"
    """
    act = bundle.get("activation") or {}
    profile = as_array(act.get("teacher_sensitivity"))
    if profile is None or profile.ndim != 1 or not profile.size:
        return None
    end = act.get("sensitive_end")
    if isinstance(end, dict) and end.get("end") in ("first", "last"):
        first = end["end"] == "first"
        return (f"teacher's sensitivity highest at the {'start' if first else 'end'}: its "
                f"{'first' if first else 'last'} {end.get('samples')} samples average {fmt_number(end.get('ratio'))} "
                f"times its mean")
    # counted as the x axis counts: the file's own times, else frames from 1 (review 33B: "sample 39 of 40" read as
    # the next to last, and the axis said frames)
    peak = int(np.argmax(profile))
    axis = (bundle.get("data") or {}).get("sample_axis") or {}
    values = axis.get("values") or []
    where = (f"{sample_axis_title(axis)} = {values[peak]:g}" if len(values) == profile.size
             else f"frame {peak + 1} of {profile.size}")
    return f"teacher's sensitivity spread over the series (largest at {where})"


def compare_activation_figure(bundles: list[dict], labels: list[str]) -> go.Figure:
    """Where each run's students look: the mean of its stored activation maps, side by side.

    Series: one axis, each run's mean activation solid and its teacher's sensitivity (mean |gradient| over the test
    series, 1 = largest) dotted, in the run's colour; two teachers on one dataset show at a glance whether their
    maps lean to the same samples. Maps: one panel per run (white to its colour, 1 = largest), on linked pixel
    axes when the maps share a shape.

    Parameters
    ----------
    bundles : list of dict
        Result bundles (``activation.maps``, and for series ``activation.teacher_sensitivity``).
    labels : list of str

    Returns
    -------
    go.Figure
    """
    means = [mean_activation(b) for b in bundles]
    if all(m is None for m in means):
        return empty_figure("No run stores activation maps")
    if all(m is None or m.ndim == 2 for m in means):
        one_scale = len({(b.get("data") or {}).get("pixel_arcmin") for b in bundles}) == 1  # else pixels alone
        return _compare_map_activations(means, labels, pixel_axis_titles(bundles[0] if one_scale else None))
    fig = go.Figure()
    length = None
    for run, (bundle, mean, label, color) in enumerate(zip(bundles, means, labels, RUN_COLORS)):
        if mean is None or mean.ndim != 1:
            continue
        length = length or mean.size
        t = np.arange(mean.size)
        # each run wider than the next, as the wavelets' card draws them: two runs that coincide both show
        # (review 33B: one run's lines hid the other's completely)
        fig.add_trace(go.Scatter(x=t, y=mean, mode="lines", name=f"{label}: activation", legendgroup=label,
                                 line=dict(color=color, width=_learned_width(run, len(bundles))),
                                 hovertemplate="t = %{x}<br>mean activation %{y:.2f} of its largest<extra>"
                                               + label + "</extra>"))
        profile = as_array((bundle.get("activation") or {}).get("teacher_sensitivity"))
        if profile is not None and profile.shape == mean.shape:
            fig.add_trace(go.Scatter(x=t, y=profile, mode="lines", name=f"{label}: teacher's sensitivity",
                                     legendgroup=label, line=dict(color=color, dash="dot",
                                                                  width=_learned_width(run, len(bundles)) - 0.4),
                                     hovertemplate="t = %{x}<br>teacher's mean |gradient| %{y:.2f} of its largest"
                                                   "<extra>" + label + "</extra>"))
    axis = next(((b.get("data") or {}).get("sample_axis") for b in bundles if (b.get("data") or {}).get("sample_axis")),
                None)
    fig.update_xaxes(**sample_axis_layout(axis, length))
    fig.update_yaxes(title="1 = largest", range=[0, 1.05])
    return apply_layout(fig, height=380, legend={**BOTTOM_LEGEND, "y": -0.25}, margin=dict(l=60, r=20, t=30, b=100))


def _compare_map_activations(means: list, labels: list[str], axes: tuple[str, str]) -> go.Figure:
    """One heatmap per run of its mean activation map (white to the run's colour), square pixels, row 0 on top."""
    shown = [(mean, label, color) for mean, label, color in zip(means, labels, RUN_COLORS) if mean is not None]
    fig = make_subplots(rows=1, cols=len(shown), subplot_titles=[label for _, label, _ in shown],
                        horizontal_spacing=0.04)
    same_shape = all(m.shape == shown[0][0].shape for m, _, _ in shown)
    for col, (mean, label, color) in enumerate(shown, start=1):
        fig.add_trace(go.Heatmap(z=mean, zmin=0, zmax=1, showscale=False, name=label,
                                 colorscale=[[0, "#ffffff"], [1, color]],
                                 hovertemplate="pixel (%{x}, %{y})<br>mean activation %{z:.2f} of its largest"
                                               "<extra>" + label + "</extra>"), row=1, col=col)
        anchor = "x" if col == 1 else f"x{col}"
        fig.update_yaxes(autorange="reversed", scaleanchor=anchor, constrain="domain", row=1, col=col,
                         showticklabels=col == 1, title=axes[0] if col == 1 else None)
        fig.update_xaxes(constrain="domain", title=axes[1], row=1, col=col,
                         **({"matches": "x"} if same_shape and col > 1 else {}))
        if same_shape and col > 1:
            fig.update_yaxes(matches="y", row=1, col=col)
    for note in fig.layout.annotations:
        note.font = dict(size=12)
    return apply_layout(fig, height=340, margin=dict(l=60, r=20, t=40, b=50))
