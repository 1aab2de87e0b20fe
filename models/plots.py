"""Static figures of a result bundle (PNG and SVG), for downloads and reports.

Pure drawing on top of the bundle dict: each ``plot_*`` function draws on an optional matplotlib axis and
returns it; :func:`write_figures` saves them all next to ``result.json``. The interactive versions live in
``frontend/figures``. Figures are bare :class:`matplotlib.figure.Figure` objects with the Agg canvas: nothing
here touches ``matplotlib.pyplot`` or the process's backend.
"""

import re
import textwrap
from pathlib import Path

import numpy as np

# each model's colour, name and place, as the results page draws them (tests/models/test_plots.py)
from awd_studio.models.pipeline.model_registry import MODEL_COLOURS, MODEL_NAMES, MODEL_ORDER

__all__ = ["plot_wavelet", "plot_grid", "plot_scores", "plot_activation", "plot_filters_2d", "plot_subfilters",
           "write_figures", "model_name", "grid_colour_range", "MODEL_NAMES", "MODEL_COLOURS", "MODEL_ORDER", "PNG_DPI"]

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
LEARNED, INITIAL, START = "#0072B2", "#E69F00", "#009E73"
#: The x axis of phi and psi, as the pages title it (``frontend.figures.style.SUPPORT_AXIS_TITLE``; a test keeps them
#: equal).
SUPPORT_AXIS_TITLE = "filter taps"
#: Resolution of the PNGs (the SVGs are vector): a 6 x 3.5 inch figure is 1200 x 700 pixels.
PNG_DPI = 200


def model_name(bundle, key):
    """A model's name in the figures: :data:`MODEL_NAMES`, with the initial wavelet, the teacher's architecture
    and the control's number of wavelets filled in from the bundle, as the results page names them.

    Examples
    --------
    >>> model_name({"wavelet": {"init": "db5"}}, "baseline_wavelet"), model_name({}, "awd_no_interp")
    ('Initial wavelet (db5)', 'AWD, γ = 0 (no teacher)')
    """
    if key == "baseline_wavelet" and (bundle.get("wavelet") or {}).get("init"):
        return f"Initial wavelet ({bundle['wavelet']['init']})"
    if key == "teacher" and (bundle.get("teacher") or {}).get("name"):
        return f"Teacher ({bundle['teacher']['name']})"
    n = ((bundle.get("selection") or {}).get("random_search") or {}).get("n")
    if key == "random_search" and n:
        return f"Best of {n} random wavelets (no teacher)"
    return MODEL_NAMES.get(key, key.replace("_", " ").capitalize())


def _target_words(bundle, before=" · target "):
    """``before`` and the explained target's name when the bundle names it (``data.target_name``), else "": a
    downloaded figure says which target it is about (review 32A: only scores.png did)."""
    target = (bundle.get("data") or {}).get("target_name")
    return f"{before}{target}" if target else ""


def _pixel_words(bundle, axis):
    """A map axis' label, in pixels with their size on the sky when the bundle gives it (``data.pixel_arcmin``), as
    the results page labels it."""
    size = (bundle.get("data") or {}).get("pixel_arcmin")
    return f"{axis} (pixels of {_number(size)}′)" if isinstance(size, int | float) and size > 0 else f"{axis} (pixels)"


#: A series' axis as its file's column names gave it (``t0``, ``t1``, ...: "t"), in the page's words.
_AXIS_NAMES = {"t": "time"}
_AXIS_LABEL = re.compile(r"^(?P<name>.*?)(?:\s*\((?P<unit>[^()]*)\))?$")


def _sample_axis_words(axis):
    """A series' x axis title, as the results page titles it (``frontend.figures.style.sample_axis_title``, held
    equal by tests/models/test_plots.py): the file's axis with a letter spelled out, a time of whole numbers without
    a unit in frames; "time (frames)" without one."""
    if not (axis or {}).get("values"):
        return "time (frames)"
    parts = _AXIS_LABEL.match(str(axis.get("label") or "position").strip())
    name = _AXIS_NAMES.get(parts["name"].lower(), parts["name"])
    unit = parts["unit"] or ("frames" if name == "time" and all(float(v).is_integer() for v in axis["values"])
                             else None)
    return f"{name} ({unit})" if unit else name


def _figure(figsize):
    """A bare figure on the Agg canvas (matplotlib is imported here: the distillation never draws)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _axis():
    """One axis on a new 6 x 3.5 inch figure with the Agg canvas (no pyplot state)."""
    fig = _figure((6, 3.5))
    return fig.subplots()


def plot_wavelet(bundle, ax=None):
    """Learned phi and psi (solid) against the initial wavelet's (dashed), as the results page draws them, and
    where the learned one's fit began (dotted) when that was the start search's filter (``start_phi``).

    ``ax``: one axis (both functions on it) or a pair (phi, psi); by default a new figure with two panels.
    """
    w = bundle["wavelet"]
    x = np.asarray(w["x"])
    if ax is None:
        fig = _figure((8, 3.5))
        axes = fig.subplots(1, 2)
    else:
        axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax, ax]
    if ax is None:  # the grid point, as the page's title names it
        point = _selected_point(bundle)
        kept = (bundle.get("selection") or {}).get("choice") == "initial"
        # review 40: the learned wavelet is not the delivered one, as the page's title says
        title = (f"best AWD point (for reference): {point}; not delivered: the model uses "
                 f"{(bundle.get('selection') or {}).get('initial') or w.get('init')}" if kept
                 else f"selected: {point}") + _target_words(bundle)
        axes[0].figure.suptitle(title, fontsize=9)
    for axis, key, symbol in zip(axes, ("phi", "psi"), ("phi", "psi")):
        init = w.get(f"init_{key}")
        if init is not None:  # the app's convention: initial dashed, learned solid
            axis.plot(x[: len(init)], init, color=INITIAL, ls="--", label=f"initial ({w['init']}) {symbol}")
        start = w.get(f"start_{key}")
        if start is not None:  # the selected point's fit began at the start search's filter, not the initial one
            axis.plot(x[: len(start)], start, color=START, ls=":", label=f"start of the fit (search) {symbol}")
        axis.plot(x, w[key], color=LEARNED, ls="-", label=f"learned {symbol}")
        axis.set_xlabel(SUPPORT_AXIS_TITLE)
        axis.set_ylabel(f"{symbol}(t)")
        axis.set_title({"phi": "scaling function phi", "psi": "wavelet psi"}[key])
        if ax is not None:
            axis.legend(frameon=False, fontsize=8)
    if ax is None:  # one legend under both panels (inside them it hid the curves)
        handles = axes[0].get_lines()
        axes[0].figure.legend(handles, [h.get_label().removesuffix(" phi") for h in handles], frameon=False,
                              fontsize=8, loc="outside lower center", ncols=len(handles))
    return axes[0] if ax is not None and not isinstance(ax, (list, tuple, np.ndarray)) else axes


def _number(value):
    """A number as the results page prints it: 3 significant digits, scientific below 1e-3 and from 1e4, a whole
    number from 1000 (``frontend.figures.style.fmt_number``, held equal by tests/models/test_plots.py)."""
    value = float(value)
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4):
        return f"{value:.2e}"
    if abs(value) >= 1e3:
        return f"{value:.0f}"
    return f"{value:.3g}"


def _selected_point(bundle):
    """``"λ = 1.00e-04, γ = 0.01 (CV R² 0.538)"``: the selected grid point, in the results page's words."""
    grid, index = bundle.get("grid") or [], (bundle.get("selected") or {}).get("index", 0)
    point = grid[index] if isinstance(index, int) and 0 <= index < len(grid) else {}
    score = point.get("cv_score")
    metric = (bundle.get("cv") or {}).get("metric", "r2")
    score_text = f" (CV {'R²' if metric == 'r2' else metric} {score:.3f})" if score is not None else ""
    return f"λ = {_number(point.get('lambda', 0))}, γ = {_number(point.get('gamma', 0))}{score_text}"


def plot_grid(bundle, ax=None):
    """Heatmap of the cross-validated score over the lambda x gamma grid, the selected point marked."""
    ax = ax or _axis()
    lambdas, gammas = bundle["lambdas"], bundle["gammas"]
    scores = np.full((len(lambdas), len(gammas)), np.nan)
    for entry in bundle["grid"]:
        scores[entry["i_lambda"], entry["i_gamma"]] = entry["cv_score"]
    sds = [e["cv_score_sd"] for e in bundle["grid"] if isinstance(e.get("cv_score_sd"), (int, float))]
    vmin, vmax, note = grid_colour_range(scores, sds)
    im = ax.imshow(scores, aspect="auto", cmap="viridis", origin="lower", vmin=vmin, vmax=vmax)
    sel = bundle["grid"][bundle["selected"]["index"]]
    printed = scores.size <= 48  # each cell's score, as the page prints it (review 20: the file had colours alone)
    if printed:
        low, high = im.get_clim()
        for (i, j), value in np.ndenumerate(scores):
            if np.isfinite(value):  # white on viridis' dark half; the selected cell's star in its text, as the page's
                star = "★ " if (i, j) == (sel["i_lambda"], sel["i_gamma"]) else ""
                ax.text(j, i, star + _number(value), ha="center", va="center", fontsize=8,
                        color="white" if value < (low + high) / 2 else "black")
    # as large as fit: the paper's 21 γ values need the small size, a quick grid's few do not
    ax.set_xticks(range(len(gammas)), [f"{g:.2g}" for g in gammas], rotation=60, fontsize=9 if len(gammas) <= 8 else 7)
    ax.set_yticks(range(len(lambdas)), [f"{v:.2g}" for v in lambdas], fontsize=9 if len(lambdas) <= 8 else 7)
    ax.set_xlabel("γ (interpretation loss weight)")
    ax.set_ylabel("λ (sparsity loss weight)")
    if not printed:
        ax.scatter([sel["i_gamma"]], [sel["i_lambda"]], marker="*", s=160, color="#D55E00", label="selected")
    metric = (bundle.get("cv") or {}).get("metric", "score")
    ax.figure.colorbar(im, ax=ax, label=f"cross-validated {'R²' if metric == 'r2' else metric}")
    # the note wrapped: on one line it ran past both edges of the 6-inch figure (review 32A)
    ax.set_title("Cross-validated score" + _target_words(bundle, " of ") + (
        "\n" + textwrap.fill(note, 70) if note else ""), fontsize=10 if note else None)
    return ax


def grid_colour_range(scores, sds):
    """The grid heatmap's colour range: at least one cell's fold-to-fold CV SD (the median of ``sds``), centred on
    the scores, so that a spread smaller than the noise is not painted as a difference; ``(None, None, "")`` when
    the spread is wider (the data's own range). The results page draws its heatmap with the same rule.

    Examples
    --------
    >>> grid_colour_range(np.array([[0.9650, 0.9658]]), [0.02])[2]
    "all cells within 0.0008, less than one cell's fold-to-fold CV SD 0.02: the colours span that SD"
    """
    finite = np.asarray(scores, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0 or not sds:
        return None, None, ""
    noise, lo, hi = float(np.median(sds)), float(finite.min()), float(finite.max())
    if hi - lo >= noise:
        return None, None, ""
    mid = (lo + hi) / 2
    return (mid - noise / 2, mid + noise / 2, f"all cells within {hi - lo:.2g}, less than one cell's fold-to-fold "
            f"CV SD {noise:.2g}: the colours span that SD")


def plot_scores(bundle, ax=None):
    """Test RMSE (± bootstrap SD) and R² of every model and of the teacher, as the results page draws them:
    horizontal bars, RMSE above R², the models in the page's order (:data:`MODEL_ORDER`, the teacher last) and
    colours (:data:`MODEL_COLOURS`).

    ``ax``: a pair of axes (RMSE, R²) or one axis (the RMSE panel only); by default a new figure with both
    panels, as tall as the models need. Returns what was drawn on: the pair, or the one axis.
    """
    models = bundle.get("models") or {}
    keys = [k for k in MODEL_ORDER if k in models] + sorted(k for k in models if k not in MODEL_ORDER)
    tests = [(models[k] or {}).get("test") or {} for k in keys]
    if bundle.get("teacher"):
        keys.append("teacher")
        tests.append(bundle["teacher"].get("test") or {})
    if ax is None:
        fig = _figure((6.5, 1.6 + 0.5 * len(keys)))
        axes = list(fig.subplots(2, 1, sharey=True))
    else:
        axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
    rows = np.arange(len(keys))
    colours = [MODEL_COLOURS.get(k, "#666666") for k in keys]
    # the model the result delivers, named so (review 40: as the page's figure names it)
    delivered = "baseline_wavelet" if (bundle.get("selection") or {}).get("choice") == "initial" else "awd"

    def value(test, name):  # nan draws no bar (a missing score, or an SD older bundles lack)
        return np.nan if test.get(name) is None else float(test[name])

    target = (bundle.get("data") or {}).get("target_name")
    panels = [("rmse", f"test RMSE of {target}" if target else "test RMSE", "RMSE ± bootstrap SD (lower is better)"),
              ("r2", "test R² (1 = perfect)", "R² (higher is better)")]
    for axis, (name, xlabel, title) in zip(axes, panels):
        sd = [value(t, "rmse_sd") for t in tests] if name == "rmse" else None
        bars = axis.barh(rows, [value(t, name) for t in tests], xerr=sd, color=colours, capsize=3)
        if name == "r2":  # each bar's value, as the page writes it (0.961 and 0.999 drew bars of one length)
            axis.bar_label(bars, labels=[_score_text(value(t, name)) for t in tests], fontsize=7, padding=2)
            axis.margins(x=0.12)
        axis.set_yticks(rows, [model_name(bundle, k) + (" (delivered)" if k == delivered else "") for k in keys],
                        fontsize=8)
        axis.set_xlabel(xlabel, fontsize=9)
        axis.set_title(title, fontsize=10)
        if name == "r2":
            axis.axvline(0.0, color="#333333", lw=0.8)  # predicting the mean
    axes[0].invert_yaxis()  # the first model on top, as in the page's table (shared with the R² panel)
    return axes if ax is None or isinstance(ax, (list, tuple, np.ndarray)) else axes[0]


def _score_text(value) -> str:
    """A score as the results page writes it in its tables (``frontend.figures.style.fmt_score``, held equal by
    tests/models/test_plots.py): three decimals, "0" for zero, scientific notation below 1e-3 and from 1e4 in
    magnitude, "" for none.

    Examples
    --------
    >>> _score_text(0.8), _score_text(-38.04), _score_text(-0.0004), _score_text(0.0), _score_text(np.nan)
    ('0.800', '-38.040', '-4.00e-04', '0', '')
    """
    if value is None or not np.isfinite(value):
        return ""
    if value == 0:
        return "0"
    return f"{value:.2e}" if abs(value) < 1e-3 or abs(value) >= 1e4 else f"{value:.3f}"


def plot_activation(bundle, index=0, ax=None):
    """Wavelet activation map of one test example, scaled to its largest value (1), as the results page draws it;
    the title names the wavelet (the initial one when cross-validation kept it).

    A series is drawn on ``ax`` with the activation on a twin axis, and the teacher's mean sensitivity over the test
    series as a dotted line when the bundle has it; a map replaces ``ax`` by two panels on its
    figure, the map and its activation, and the map's panel is returned (the title is the figure's).
    """
    ax = ax or _axis()
    act = bundle["activation"]
    x, amap = np.asarray(act["x"][index]), np.abs(np.asarray(act["maps"][index]))
    amap = amap / (amap.max() or 1.0)
    if x.ndim == 1:
        t = np.arange(len(x))
        ax.plot(t, x, color="#333333", label="signal")
        ax2 = ax.twinx()
        ax2.fill_between(t, 0, amap, color=LEARNED, alpha=0.35, step="mid", label="activation")
        sensitivity = act.get("teacher_sensitivity")
        if sensitivity is not None and len(sensitivity) == len(x):  # what the attributions weigh by
            ax2.plot(t, sensitivity, color="black", linestyle=":", linewidth=1.0,
                     label="teacher's sensitivity, all test series")
            ax2.legend(loc="upper left", fontsize=7, frameon=False)
        ax2.set_ylim(0, 1 / 0.6)
        ax2.set_yticks([0, 0.5, 1])
        ax2.set_ylabel("activation (1 = largest)")
        ax.set_ylabel("signal")
        axis = (bundle.get("data") or {}).get("sample_axis") or {}
        values = axis.get("values") or []
        if len(values) == len(x):  # the file's own times (t=0s, t=2s, ...), as the page labels them
            ticks = list(range(0, len(values), max(1, -(-len(values) // 6))))
            ax.set_xticks(ticks, [f"{values[i]:g}" for i in ticks])
            ax.set_xlabel(_sample_axis_words(axis))
        else:
            ax.set_xlabel(_sample_axis_words(None))
    else:  # the map and its activation side by side, as the results page draws them (overlaid, the activation
        # was lost in a noisy map's greys); ``ax`` becomes the map's panel, the activation's is added beside it
        fig = ax.figure
        ax.remove()
        ax, right = fig.subplots(1, 2, sharex=True, sharey=True)
        ax.imshow(x, cmap="gray")
        shown = right.imshow(amap, cmap="Oranges", vmin=0, vmax=1)
        fig.colorbar(shown, ax=right, label="activation (1 = largest)", shrink=0.8)
        for panel, name in ((ax, "map"), (right, "activation")):
            panel.set_xlabel(_pixel_words(bundle, "column"))
            panel.set_title(name, fontsize=9)
        ax.set_ylabel(_pixel_words(bundle, "row"))
    wavelet = (f"initial wavelet ({(bundle.get('wavelet') or {}).get('init', '?')}), kept by cross-validation"
               if act.get("wavelet") == "initial" else "learned wavelet")
    title = f"Activation map, test example {act['indices'][index]}{_target_words(bundle)}\n{wavelet}"
    if x.ndim == 1:
        ax.set_title(title, fontsize=10)
    else:
        ax.figure.suptitle(title, fontsize=10)
    return ax


def _kernel_panels(mats, rows, annotate, title):
    """Square kernels side by side on a new figure, on one symmetric colour scale (red positive, blue negative),
    each cell with its value when ``annotate``; returns the figure."""
    names = list(mats)
    cols = -(-len(names) // rows)
    fig = _figure((2.1 * cols + 1.2, 2.2 * rows + 0.6))
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    vmax = max(float(np.max(np.abs(m))) for m in mats.values()) or 1.0
    shown = None
    for ax, name in zip(axes.flat, names):
        m = mats[name]
        shown = ax.imshow(m, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        if annotate:
            for (i, j), v in np.ndenumerate(m):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if abs(v) > 0.6 * vmax else "black")
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    fig.colorbar(shown, ax=axes, shrink=0.8, label="filter tap")
    fig.suptitle(title, fontsize=10)
    return fig


def plot_filters_2d(bundle):
    """The four separable 2D filters of the learned wavelet (LL = h hᵀ, LH = g hᵀ, HL = h gᵀ, HH = g gᵀ), two by
    two, as the results page draws them (maps); returns the figure, or None for a bundle without them."""
    given = (bundle.get("wavelet") or {}).get("filters_2d") or {}
    mats = {k: np.asarray(given[k], dtype=float) for k in ("LL", "LH", "HL", "HH") if k in given}
    if len(mats) != 4:
        return None
    return _kernel_panels(mats, rows=2, annotate=False, title="2D filters of the learned wavelet")


def plot_subfilters(bundle):
    """The 3 × 3 sub-filters the peak-count student reads (maps): the learned wavelet's and the initial one's, each
    cell with its value; the title says which the selection kept. Returns the figure, or None without them."""
    wav = bundle.get("wavelet") or {}
    learned = wav.get("subfilters_3x3") or {}
    if not learned:
        return None
    init = wav.get("init_subfilters_3x3") or {}
    mats = {f"{k} (AWD)": np.asarray(v, dtype=float) for k, v in learned.items()}
    mats.update({f"{k} ({wav.get('init', 'initial')})": np.asarray(v, dtype=float) for k, v in init.items()})
    kept = (f"cross-validation kept {wav.get('init', 'the initial wavelet')}"
            if (bundle.get("selection") or {}).get("choice") == "initial" else "the student reads the AWD ones")
    return _kernel_panels(mats, rows=2 if init else 1, annotate=True,
                          title=f"3 × 3 sub-filters of the peak-count student ({kept})")


def write_figures(bundle, out_dir):
    """Save every figure as PNG and SVG in ``out_dir`` (maps also get ``filters2d`` and ``subfilters``); return the
    file names."""
    import matplotlib  # only where figures are drawn (the distillation never draws)

    out_dir = Path(out_dir)
    names = []
    for stem, draw in (("wavelet", plot_wavelet), ("grid", plot_grid), ("scores", plot_scores),
                       ("activation", plot_activation), ("filters2d", plot_filters_2d),
                       ("subfilters", plot_subfilters)):
        if stem in ("filters2d", "subfilters"):  # maps only: figures of their own, or None
            fig = draw(bundle)
            if fig is None:
                continue
        elif stem in ("wavelet", "scores"):  # two panels of their own, like the results page
            fig = draw(bundle)[0].figure
        else:
            ax = _axis()
            fig = ax.figure
            draw(bundle, ax=ax)
        for ext in ("png", "svg"):
            path = out_dir / f"{stem}.{ext}"
            tmp = out_dir / f".{stem}.tmp.{ext}"
            with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text as text: editable in Inkscape
                fig.savefig(tmp, dpi=PNG_DPI)
            tmp.replace(path)
            names.append(path.name)
            if ext == "png":  # the constrained layout runs at this save and the SVG keeps it: the four figures
                # took 1.0-1.3 s instead of 1.5-2.0 s (CME bundle, 2 cores); the SVG's axes move by under a point
                fig.set_layout_engine("none")
    return names
