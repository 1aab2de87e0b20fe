"""Figures of the compare page: two to four runs' learned wavelets overlaid, and their test scores side by side.

Pure functions of the result bundles (``GET /api/results/{id}``) and their labels.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awd_studio.frontend.figures.style import BOTTOM_LEGEND, MODEL_LABELS, apply_layout, as_array, empty_figure

__all__ = ["RUN_COLORS", "MAX_RUNS", "COMPARED_MODELS", "compare_wavelets_figure", "compare_scores_figure",
           "score_table_rows"]

#: Runs A to D (Okabe-Ito, colour-blind safe; the initial wavelet of each is dashed in its run's colour).
RUN_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
#: The most runs one comparison shows (one colour each).
MAX_RUNS = len(RUN_COLORS)
#: The models whose test scores are compared, in order (a model neither run has is left out: the teacher-free
#: control, ``random_search``, is on for 1000 or more series only).
COMPARED_MODELS = ("teacher", "awd", "awd_no_interp", "baseline_wavelet", "random_search")


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
        Two panels; x is the support of each wavelet in samples of the finest scale.
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
    fig.update_xaxes(title="samples")  # "support (samples)" twice ran together on a phone
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


def compare_scores_figure(bundles: list[dict], labels: list[str]) -> go.Figure:
    """Test R² of the teacher, AWD, AWD with γ = 0, the initial wavelet and the teacher-free control (where a run
    has it), one bar colour per run.

    R² is compared (not RMSE) because it has no units: two runs on different data stay on one axis. The bars'
    numbers stand upright above them (side by side, two runs' "0.489" and "0.488" ran together on a phone's
    screen); the models name themselves, so the x axis has no title (it sat on the legend there).
    """
    rows = score_table_rows(bundles)
    if not rows:
        return empty_figure("Neither result has test scores")
    fig = go.Figure()
    for run, (label, color) in enumerate(zip(labels, RUN_COLORS)):
        values = [r["r2"][run] for r in rows]
        fig.add_trace(go.Bar(x=[r["model"] for r in rows], y=values, name=label, marker_color=color,
                             text=[f"{v:.3f}" if v is not None else "—" for v in values], textposition="outside",
                             textangle=-90, cliponaxis=False, constraintext="none", textfont=dict(size=11),
                             hovertemplate="%{x}: R² %{y:.4f}<extra>" + label + "</extra>"))
    # short: "test R² (1 = perfect, 0 = the mean)" was cut off along a phone's 360 px axis
    fig.update_yaxes(title="test R² (1 = perfect)", zeroline=True)
    return apply_layout(fig, height=360, barmode="group", legend={**BOTTOM_LEGEND, "y": -0.18},
                        margin=dict(l=60, r=20, t=40, b=70))
