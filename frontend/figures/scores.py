"""The results page's scores and provenance sections: the table rows, the bar charts, the verdict, the provenance list.

:func:`score_rows` turns ``bundle["models"]`` and ``bundle["teacher"]`` into one row per model
(raw numbers and display texts), which both the page's table and :func:`scores_figure` use;
:func:`verdict_lines` reads the bundle's verdict on whether distillation helped, and
:func:`provenance_items` lists where and how the result was made.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awd_studio.frontend.durations import format_seconds
from awd_studio.frontend.figures.grid import kept_initial
from awd_studio.frontend.figures.style import (
    MODEL_COLOURS,
    MODEL_LABELS,
    apply_layout,
    channel_axis_words,
    common_decimals,
    dropped_rows_words,
    empty_figure,
    fmt_decimals,
    fmt_number,
    fmt_score,
    kind_label,
    wrap_words,
)

__all__ = ["score_rows", "target_words", "scores_figure", "teacher_label", "verdict_lines", "use_line", "truth_line",
           "provenance_items"]

#: Students in the order the table lists them (others follow, sorted; the teacher comes last): a copy of
#: ``models.pipeline.model_registry.MODEL_ORDER``, held equal by tests/frontend/test_model_registry.py.
MODEL_ORDER = ["awd", "awd_no_interp", "baseline_wavelet", "laplace", "roberts_cross", "peak_heights",
               "random_search"]


def teacher_label(name: str | None) -> str:
    """The teacher's row label: ``Teacher (cnn)``; an upload without brackets in brackets (review 23: "Teacher
    (uploaded (exported program))").

    Examples
    --------
    >>> teacher_label("lstm"), teacher_label("uploaded (exported program)"), teacher_label(None)
    ('Teacher (lstm)', 'Teacher (uploaded: exported program)', 'Teacher')
    """
    if not name:
        return "Teacher"
    if name.startswith("uploaded (") and name.endswith(")"):
        name = "uploaded: " + name[len("uploaded ("):-1]
    return f"Teacher ({name})"


def _model_label(bundle: dict, key: str) -> str:
    if key == "baseline_wavelet":
        init = (bundle.get("wavelet") or {}).get("init")
        return f"Initial wavelet ({init})" if init else MODEL_LABELS[key]
    if key == "random_search":  # the teacher-free control (option random_search)
        n = ((bundle.get("selection") or {}).get("random_search") or {}).get("n")
        return f"Best of {n} random wavelets (no teacher)" if n else MODEL_LABELS[key]
    if key == "teacher":
        return teacher_label((bundle.get("teacher") or {}).get("name"))
    return MODEL_LABELS.get(key, key.replace("_", " ").capitalize())


def _score_row(bundle: dict, key: str, entry: dict) -> dict:
    """The raw numbers of one model (``bundle["models"][key]``) or of the teacher (``key="teacher"``)."""
    test, cv = entry.get("test") or {}, entry.get("cv") or {}
    return dict(key=key, model=_model_label(bundle, key), r2=test.get("r2"), rmse=test.get("rmse"), cv_r2=cv.get("r2"),
                rmse_sd=test.get("rmse_sd"), compression=None if key == "teacher" else entry.get("compression_factor"),
                n_params=entry.get("n_params"), seconds_per_sample=entry.get("predict_seconds_per_sample"),
                accuracy=test.get("accuracy"), auc=test.get("auc"))


def target_words(bundle: dict) -> str:
    """`` of <target>`` when the bundle names its target column, else empty: what an RMSE is of.

    Examples
    --------
    >>> target_words({"data": {"target_name": "sigma_8"}}), target_words({})
    (' of sigma_8', '')
    """
    name = (bundle.get("data") or {}).get("target_name")
    return f" of {name}" if name else ""


def score_rows(bundle: dict) -> list[dict]:
    """The scores table: one row per model, teacher last.

    Returns
    -------
    list of dict
        Keys ``key``, ``model``, ``r2``, ``rmse``, ``rmse_sd``, ``cv_r2`` (the training split's cross-validated R²,
        the score the selection compared; None for the teacher), ``compression``,
        ``n_params``, ``seconds_per_sample``, ``accuracy`` and ``auc`` (a two-valued target's, see
        ``data.two_values``) (raw numbers or None) and ``*_text`` formatted strings for display.
    """
    models = bundle.get("models") or {}
    keys = [k for k in MODEL_ORDER if k in models] + sorted(k for k in models if k not in MODEL_ORDER)
    rows = [_score_row(bundle, key, models[key] or {}) for key in keys]
    if bundle.get("teacher"):
        rows.append(_score_row(bundle, "teacher", bundle["teacher"]))
    decimals = common_decimals([r["rmse"] for r in rows])
    for r in rows:
        r["r2_text"] = fmt_score(r["r2"])  # three decimals, lined up: 0.550 beside 0.575
        r["cv_r2_text"] = fmt_score(r["cv_r2"])
        sd = r["rmse_sd"]
        # one number of decimals down the column, the SD's too (review 20: "± 7.9e-04" beside "± 0.0016")
        r["rmse_text"] = fmt_decimals(r["rmse"], decimals) + (
            f" ± {fmt_decimals(sd, decimals, 2)}" if sd is not None else "")
        r["compression_text"] = fmt_score(r["compression"])  # a share: three decimals, "0.770" beside "0.764"
        r["n_params_text"] = f"{int(r['n_params']):,}" if r["n_params"] is not None else "—"
        r["seconds_text"] = fmt_number(r["seconds_per_sample"], 2)
        r["accuracy_text"], r["auc_text"] = fmt_score(r["accuracy"]), fmt_score(r["auc"])
    return rows


#: Characters a line of a panel's title holds on a phone: Plotly centres it over the bars, right of the models'
#: names, with about 200 px of the 330 px figure on its right half.
NARROW_TITLE_CHARS = 30


#: What a model's name carries in the scores figure when it is the model delivered (review 40: the figure and its
#: PNG did not say which one the result delivers, the table alone did).
DELIVERED_MARK = " (delivered)"


def delivered_key(bundle: dict) -> str:
    """The key of the model a result delivers, as :func:`score_rows` keys its rows: the initial wavelet's student
    (``baseline_wavelet``) when cross-validation kept it, else AWD's (``awd``).

    Examples
    --------
    >>> delivered_key({}), delivered_key({"selection": {"choice": "initial", "initial": "db5"}})
    ('awd', 'baseline_wavelet')
    """
    return "baseline_wavelet" if kept_initial(bundle) is not None else "awd"


def scores_figure(bundle: dict, *, narrow: bool = False) -> go.Figure:
    """Bar charts of test RMSE (± bootstrap SD) and R² per model, the teacher included.

    Horizontal bars, RMSE above R², the models named on the left in the table's order: the model names stay
    readable and the two panels do not crowd each other at any width (a phone's 390 px as a desktop's).

    Parameters
    ----------
    bundle : dict
        The result bundle (the model it delivers, :func:`delivered_key`, is named with :data:`DELIVERED_MARK`).
    narrow : bool, default=False
        A phone's width: the panels' titles break into lines of :data:`NARROW_TITLE_CHARS` (Plotly cut "Test RMSE
        of auxilin ± bootstrap SD (lower is better)" after "(lower" at 390 px).

    Returns
    -------
    go.Figure
    """
    rows = score_rows(bundle)
    if not rows:
        return empty_figure("No scores in this result")
    delivered = delivered_key(bundle)  # said in the bar's name, so that the saved PNG says it too
    labels = [wrap_words(r["model"] + (DELIVERED_MARK if r["key"] == delivered else ""), 22)
              for r in rows]  # "Best of 300 random wavelets (no teacher)" was cut
    colors = [MODEL_COLOURS.get(r["key"], "#666666") for r in rows]
    # the target named and the SD said to be a bootstrap's (review 28A: the exported figure of two runs on one
    # dataset, one per parameter, could not be told apart)
    titles = [f"Test RMSE{target_words(bundle)} ± bootstrap SD (lower is better)", "Test R² (higher is better)"]
    if narrow:
        titles = [wrap_words(title, NARROW_TITLE_CHARS) for title in titles]
    extra = 15 * max(title.count("<br>") for title in titles)  # px for each title's lines after its first
    height = 2 * (70 + 26 * len(rows) + 12 * sum(label.count("<br>") for label in labels)) + 40 + 2 * extra
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.16 + extra / height, subplot_titles=titles)
    fig.update_annotations(font_size=12)
    rmse = [r["rmse"] if r["rmse"] is not None else np.nan for r in rows]
    sd = [r["rmse_sd"] if r["rmse_sd"] is not None else np.nan for r in rows]  # nan: no bar (0 drew a flat cap)
    spread = ["" if np.isnan(v) else f" ± {v:.2g} (bootstrap SD)" for v in sd]
    fig.add_trace(go.Bar(y=labels, x=rmse, orientation="h", marker_color=colors, name="RMSE", customdata=spread,
                         error_x=dict(type="data", array=sd, visible=True, color="#333"),
                         hovertemplate="%{y}<br>test RMSE %{x:.4g} (target units)%{customdata}<extra></extra>"),
                  row=1, col=1)
    r2 = [r["r2"] if r["r2"] is not None else np.nan for r in rows]
    # each bar's value written on it: 0.961 and 0.999 drew bars of the same length (review 19)
    fig.add_trace(go.Bar(y=labels, x=r2, orientation="h", marker_color=colors, name="R²",
                         text=[r["r2_text"] for r in rows], textposition="auto", insidetextanchor="end",
                         textfont=dict(size=11), cliponaxis=False,
                         hovertemplate="%{y}<br>test R² %{x:.4g}<extra></extra>"), row=2, col=1)
    fig.update_yaxes(autorange="reversed", automargin=True)  # the first model on top, as in the table
    return apply_layout(fig, height=height, showlegend=False, margin=dict(l=10, r=20, t=30 + extra, b=30))


#: What the selection's folds of tiled data held out, by ``cv.grouping``.
_FOLDS_HOLD = {"maps by cosmology": "folds hold out whole maps, stratified by cosmology",
               "maps": "folds hold out whole maps",
               "tiles": "folds take tiles: a cosmology has one training map"}


def provenance_items(bundle: dict) -> list[tuple[str, str]]:
    """The provenance block as (label, text) pairs, config last.

    Returns
    -------
    list of (str, str)
    """
    prov = bundle.get("provenance") or {}
    data = bundle.get("data") or {}
    grouping = (bundle.get("cv") or {}).get("grouping")
    items = [
        ("AWD Studio version", str(prov.get("version", "—"))),
        ("git commit", str(prov.get("git_sha") or "—")),
        ("seed", str(prov.get("seed", "—"))),
        ("device", str(prov.get("device", "—"))),
        ("started", str(prov.get("started", "—"))),
        ("finished", str(prov.get("finished", "—"))),
        ("data", f"{kind_label(data.get('kind'))} {tuple(data.get('shape', []))}, "
                 f"{data.get('n_train', '?')} train / {data.get('n_test', '?')} test"
                 + (f" (tiles of {data['train_maps']} training maps; "
                    f"{_FOLDS_HOLD.get(grouping, 'folds hold out whole maps')}"
                    + (f"; test intervals resample the {data['test_maps']} test maps whole" if data.get("test_maps")
                       else "") + ")" if data.get("train_maps") else "")),
        ("data sha256", str(data.get("sha256", "—"))),
    ]
    upload = (bundle.get("teacher") or {}).get("upload")
    if isinstance(upload, dict):  # uploaded weights: which file, so that a reader can check them (review 39A)
        items += [("teacher file", f"{upload.get('file_name', '?')} (uploaded, {upload.get('format', '?')})"),
                  ("teacher sha256", str(upload.get("sha256", "—")))]
    count, listed = dropped_rows_words(data.get("dropped_rows"))
    if count:  # rows left out for missing values when the file was read
        items.append(("rows left out", f"{count} with missing values: {listed}"))
    padded = data.get("padded_rows") or {}
    count, listed = dropped_rows_words(padded)
    if count:  # traces whose ends were filled with zeros when the file was read
        items.append(("trace ends filled", f"{count} of {padded.get('of', '?')} traces ended early (the shortest had "
                                           f"{padded.get('shortest', '?')} of {padded.get('length', '?')} values), "
                                           f"filled with zeros: {listed}"))
    if data.get("channel_axis"):  # X stored as (n, 1, L) or (n, H, W, 1), distilled without that axis
        items.append(("stored layout", channel_axis_words(data["channel_axis"])))
    timings = bundle.get("timings")
    if isinstance(timings, dict) and timings:
        items.append(("wall time", ", ".join(f"{_TIMING_WORDS.get(k, k.replace('_', ' '))} {_duration(v)}"
                                             for k, v in timings.items())))
    return items


def _duration(seconds) -> str:
    """``"0.0154 s"`` below 10 s (an epoch's seconds), ``"3 min 20 s"`` above.

    Examples
    --------
    >>> _duration(0.0154), _duration(200), _duration("?")
    ('0.0154 s', '3 min 20 s', '?')
    """
    if not isinstance(seconds, int | float):
        return str(seconds)
    return f"{fmt_number(seconds)} s" if seconds < 10 else format_seconds(seconds)


#: The bundle's ``timings`` keys in words (others are shown with spaces for underscores).
_TIMING_WORDS = {"prepare": "data and teacher", "distill_seconds_per_epoch": "distillation, per epoch",
                 "finalize": "selection and students",
                 "beside_teacher": "the teacher-free work, beside the teacher (within data and teacher)"}


#: How the verdict sentence calls a gain its interval confirms but too small to matter (the words of
#: ``models.pipeline.verdict.SMALL_WORDS``, held equal by a test): such a verdict is not shown as a success.
#: Read only for bundles written before the verdict's ``helped`` field (2026-12-05).
SMALL_GAIN = ("a small difference: under half a percent of the test target's variance and under a tenth of the "
              "larger squared error")


def verdict_lines(bundle: dict) -> dict:
    """What the bundle says about whether distillation helped, for the results page.

    Parameters
    ----------
    bundle : dict
        A result bundle; older bundles without ``verdict`` give an empty text.

    Returns
    -------
    dict
        ``text`` (the verdict sentence, ``""`` when absent; it compares AWD with its initial wavelet, so when a
        fixed-filter baseline beats both on the test set a second sentence says so: the verdict's "use db5"
        read as the page's advice beside a note recommending that baseline; when that baseline's test R² is not
        above 0, it says instead that no model beats the mean), ``helped`` (the verdict's own ``helped``:
        True when AWD was chosen and its test gain over the initial wavelet is significant and not small; read
        from the sentence in older bundles) and ``warnings``.

    Examples
    --------
    >>> bundle = {"verdict": {"text": "No significant gain over db5: use db5 (…)."}, "models": {
    ...     "awd": {"test": {"r2": 0.979}}, "baseline_wavelet": {"test": {"r2": 0.98}},
    ...     "roberts_cross": {"test": {"r2": 0.987}}}}
    >>> verdict_lines(bundle)["text"]
    'No significant gain over db5: use db5 (…). The Roberts cross baseline scored higher than both on this test set...'
    """
    verdict = bundle.get("verdict") or {}
    text = verdict.get("text") or ""
    models = bundle.get("models") or {}

    def r2(key):
        value = ((models.get(key) or {}).get("test") or {}).get("r2")
        return value if isinstance(value, int | float) else None

    fixed = [(r2(k), k) for k in FIXED_FILTER_BASELINES if r2(k) is not None]
    best_fixed = max(fixed, default=None)
    pair = [r2("awd"), r2("baseline_wavelet")]
    # since 2026-12-05 the bundle compares the best fixed filter by cross-validation itself (the verdict's
    # fixed_filter, in the notes); older bundles get this test-score sentence
    if text and best_fixed and None not in pair and best_fixed[0] > max(pair) and "fixed_filter" not in verdict:
        if best_fixed[0] > 0:
            # review 25A: "does better" had no interval behind it, unlike every other comparison on the page
            text += (f" The {MODEL_LABELS.get(best_fixed[1], best_fixed[1])} baseline scored higher than both on "
                     f"this test set (test R² {best_fixed[0]:.3f} against {pair[0]:.3f} and {pair[1]:.3f}), with no "
                     "paired interval computed for it: a lead to confirm on more data before predicting with it.")
        elif not verdict.get("no_skill"):  # the least bad of models that all lose to the mean is no advice
            text += (f" No model here predicts better than the training mean on the test set (best test R² "
                     f"{fmt_number(best_fixed[0])}).")
    helped = verdict.get("helped")  # models.pipeline.verdict.distillation_helped
    if not isinstance(helped, bool):  # bundles before 2026-12-05 carry only the sentence
        helped = ((text.startswith("AWD improves") or text.startswith("AWD lowers")) and SMALL_GAIN not in text
                  and not verdict.get("no_skill"))
    return {"text": text, "helped": helped,
            "warnings": [w for w in verdict.get("warnings") or [] if isinstance(w, str)]}


def use_line(bundle: dict, shared: bool = False) -> str:
    """Which model to use, in one sentence: the one cross-validation chose on the training data (AWD's student,
    or the initial wavelet's when it was kept), which "Predict new data" and ``awd predict`` apply by default;
    the other models are comparisons on the test set, which would overfit it if it chose among them. Empty for a
    bundle without models.

    Examples
    --------
    >>> use_line({"models": {"awd": {}}, "wavelet": {"init": "db5"}})[:62]
    'The model to use: the AWD student on the learned wavelet, chos'
    >>> "db5's student" in use_line({"models": {"awd": {}}, "selection": {"choice": "initial", "initial": "db5"}})
    True
    >>> "Predict new data" in use_line({"models": {"awd": {}}}, shared=True)  # a share link's reader has no such panel
    False
    >>> use_line({"models": {"awd": {}}, "verdict": {"no_skill": True}})[:60]
    'No model here predicts the target usefully (the verdict abov'
    """
    if not (bundle or {}).get("models"):
        return ""
    initial = kept_initial(bundle)
    model = f"{initial}'s student (the initial wavelet)" if initial is not None else \
        "the AWD student on the learned wavelet"
    others = "baselines" if any(k in bundle["models"] for k in FIXED_FILTER_BASELINES) else "models"
    control = (" The best of the random wavelets (no teacher) is a control, not a candidate: the selection weighs "
               "AWD against its initial wavelet only, so that the result says what distillation adds, and that "
               "control's cross-validated score is the best of many tries, which flatters it."
               if "random_search" in bundle["models"] else "")
    # a share link's reader has no "Predict new data" panel (review 19): only the owner's page names it
    apply = ("awd predict on the downloaded result applies it by default" if shared else
             "“Predict new data” and awd predict apply it by default")
    fixed = (bundle.get("verdict") or {}).get("fixed_filter") or {}
    # review 29A: beside a note that a fixed filter leads in cross-validation, this line alone said not to pick one
    exception = (f" The exception is the note below on the {MODEL_LABELS.get(fixed.get('name'), fixed.get('name'))}"
                 " baseline, which compares it by cross-validation on the training data, not by the test set."
                 if fixed.get("leads") else "")
    if (bundle.get("verdict") or {}).get("no_skill"):  # review 38B: "the model to use" where none predicts
        return (f"No model here predicts the target usefully (the verdict above): {model} is the one "
                f"cross-validation chose, and {apply}, but its predictions are not worth using; more data, or a "
                f"target the inputs carry, come first.")
    return (f"The model to use: {model}, chosen by cross-validation on the training data; {apply}. The other "
            f"{others} on this page are comparisons on the test set: "
            "one that scores better there tells you something about the data, but picking it by that score would "
            f"fit the test set.{exception}{control}")


def truth_line(bundle: dict) -> str:
    """For data made with a known wavelet (``wavelet.true_wavelet``, the synthetic example's db5): how far the best
    AWD point's wavelet ended from it, beside where its fit began, in the paper's distance (section 4.1: the
    smallest L2 distance over circular shifts and flips, divided by the true ψ's norm; 0 is the truth). Empty for
    other data.

    When the fit began at the start search's wavelet (``wavelet.start_distance_to_truth``), the line says how far
    that was from the truth: from sym5 (0.213) the search alone came within 0.0147 of db5, and the descent took it
    to 0.0085; crediting the whole way to distillation misled (review 51D).

    Examples
    --------
    >>> line = truth_line({"wavelet": {"true_wavelet": "db5", "init": "sym5", "distance_to_truth": 0.0412,
    ...                                "init_distance_to_truth": 0.213}})
    >>> line[:69]
    'This dataset was made with db5: the best AWD point ended 0.0412 from '
    >>> line[69:]
    'it, its start sym5 0.213 (the distance between ψs, 0 for db5 itself): closer.'
    >>> print(truth_line({"wavelet": {"true_wavelet": "db5", "init": "sym5", "distance_to_truth": 0.0085,
    ...                               "init_distance_to_truth": 0.213, "start_distance_to_truth": 0.0147}}))
    This dataset was made with db5: the best AWD point ended 0.0085 from it (the distance between ψs, 0 for db5 \
itself). Its fit began at the start search's wavelet, already 0.0147 from db5 (sym5, the initial wavelet: 0.213); \
the descent then brought it closer.
    >>> truth_line({"wavelet": {"true_wavelet": "db5", "init": "db5", "distance_to_truth": 0.00838,
    ...                         "init_distance_to_truth": 0.0}})[32:]
    'and the fit started from db5 itself: the best AWD point ended 0.00838 from it (the distance between ψs).'
    """
    wav = (bundle or {}).get("wavelet") or {}
    truth, end, start = wav.get("true_wavelet"), wav.get("distance_to_truth"), wav.get("init_distance_to_truth")
    if not truth or not isinstance(end, int | float):
        return ""
    init = wav.get("init") or "the initial wavelet"
    searched = wav.get("start_distance_to_truth")
    if isinstance(searched, int | float):
        initial = f" ({init}, the initial wavelet: {fmt_number(start)})" if isinstance(start, int | float) else ""
        moved = ("brought it closer" if end < searched else "moved it no closer" if end == searched
                 else "moved it farther")
        return (f"This dataset was made with {truth}: the best AWD point ended {fmt_number(end)} from it (the "
                f"distance between ψs, 0 for {truth} itself). Its fit began at the start search's wavelet, already "
                f"{fmt_number(searched)} from {truth}{initial}; the descent then {moved}.")
    if isinstance(start, int | float) and start < 1e-9:  # review 51D: "its start db5 0 (...): farther"
        return (f"This dataset was made with {truth}, and the fit started from {truth} itself: the best AWD point "
                f"ended {fmt_number(end)} from it (the distance between ψs).")
    began = f", its start {init} {fmt_number(start)}" if isinstance(start, int | float) else ""
    verdict = ("" if not isinstance(start, int | float) else ": closer" if end < start
               else ": no closer" if end == start else ": farther")
    return (f"This dataset was made with {truth}: the best AWD point ended {fmt_number(end)} from it{began} (the "
            f"distance between ψs, 0 for {truth} itself){verdict}.")


#: The maps' students on fixed filters (no wavelet): the baselines a verdict about AWD and its initial wavelet
#: leaves out (``models.pipeline.model_registry.FIXED_FILTER_BASELINES``, held equal by a test).
FIXED_FILTER_BASELINES = ("laplace", "roberts_cross", "peak_heights")
