"""The dataset and what follows from it: the dataset dropdown, its facts and target columns, the fields shown for
its kind (and the deepest levels it allows), and the wavelet start for data made with a known wavelet.
"""

from __future__ import annotations

import math

import dash
from dash import Input, Output, State, callback

from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import alert_outputs, alert_value, items, named_update
from awd_studio.frontend.configure.ids import ids
from awd_studio.frontend.configure.prefill import prefill_for
from awd_studio.frontend.figures.style import kind_label, size_words

__all__ = ["PICKED_NEWEST", "DATASETS_OUTPUTS", "KIND_FIELDS", "RECOVERY_START", "load_datasets",
           "load_dataset_info", "target_options", "first_target", "deepest_levels", "fields_for_kind",
           "recovery_start", "start_for_recovery"]


#: Said under the dataset when the page was opened without one: the newest is preselected.
PICKED_NEWEST = "Your newest dataset, preselected: choose another above if it is not the one."


#: What loading the dataset list changes, by name.
DATASETS_OUTPUTS = dict(options=Output(ids.DATASET, "options"), value=Output(ids.DATASET, "value"),
                        error=alert_outputs(ids.ERROR, allow_duplicate=True),
                        picked=Output(ids.DATASET_PICKED, "children"))


def _dataset_label(d: dict) -> str:
    """A dataset's line in the dropdown: name, kind, size, the file it came from and when it was stored (two
    uploads may share a name: traces.csv and traces.npz both read "traces").

    Examples
    --------
    >>> _dataset_label({"id": "x", "name": "traces", "kind": "timeseries", "n": 300,
    ...                 "original_filename": "traces.csv", "created": "2026-12-03T15:24:01"})
    'traces · time series · n = 300 · traces.csv · 2026-12-03 15:24'
    >>> _dataset_label({"id": "x", "name": "cme", "kind": "timeseries", "n": 2936, "n_test": 1005})
    'cme · time series · n = 2936 + 1005 test'
    """
    kind = kind_label(d.get("kind"))
    created = str(d.get("created") or "")[:16].replace("T", " ")
    # the training count and the fixed test split's (review 15: "n = 2936" read as the whole example's size)
    size = f"n = {d.get('n', '?')}" + (f" + {d['n_test']} test" if d.get("n_test") else "")
    return " · ".join(part for part in (str(d.get("name", d["id"])), kind, size,
                                        d.get("original_filename") or "", created) if part)


@callback(
    output=DATASETS_OUTPUTS,
    inputs=dict(initial=Input(ids.INITIAL_DATASET, "data")),
    prevent_initial_call="initial_duplicate",
)
async def load_datasets(initial):
    """Fill the dataset dropdown (``GET /api/datasets``), preselecting ``?dataset=``."""
    try:
        rows = items(await get_client().list_datasets())
    except ApiError as err:
        return dict(options=[], value=None, error=alert_value(f"Could not list datasets: {err.message}"))
    options = [{"label": _dataset_label(d), "value": d["id"]} for d in rows]
    known = [o["value"] for o in options]
    value = initial if initial in known else (known[0] if known else None)
    if initial and initial not in known:
        return dict(options=options, value=value, error=alert_value("That dataset no longer exists; pick another one."),
                    picked=PICKED_NEWEST)
    # none named (the top bar's Configure): the newest, said so (review 18: a 416 000-series upload was preselected,
    # a 52-minute job one click from Start)
    return named_update(DATASETS_OUTPUTS, options=options, value=value,
                        picked=PICKED_NEWEST if value is not None and value != initial else "")


@callback(
    output=dict(info=Output(ids.DATASET_INFO, "data"), facts=Output(ids.DATASET_FACTS, "children"),
                hidden=Output(ids.DATASET_HIDDEN, "value"), targets=Output(ids.TARGET, "options"),
                target=Output(ids.TARGET, "value"), target_field=Output(ids.TARGET_FIELD, "className")),
    inputs=dict(dataset_id=Input(ids.DATASET, "value")),
    state=dict(prefill=State(ids.PREFILL, "data")),
    prevent_initial_call=True,
)
async def load_dataset_info(dataset_id, prefill=None):
    """Kind, shape and size of the chosen dataset, and its target columns (a choice when there are several; the
    run's of ``?from=`` on that run's dataset)."""
    no_targets = dict(targets=[], target=0, target_field="awd-hidden")
    if not dataset_id:
        return dict(info=None, facts="No dataset yet: upload one or use an example on the home page.", hidden="",
                    **no_targets)
    try:
        ds = await get_client().get_dataset(dataset_id)
    except ApiError as err:
        return dict(info=None, facts=f"Could not load the dataset: {err.message}", hidden=dataset_id, **no_targets)
    info = {"id": ds["id"], "kind": ds.get("kind"), "shape": ds.get("shape"), "n": ds.get("n"),
            # the wavelet a simulated dataset was made with (the synthetic example's db5), when it names one
            "true_wavelet": ((ds.get("summary") or {}).get("meta") or {}).get("true_wavelet")}
    count, each = size_words(info["kind"], info["n"], info["shape"])
    targets = target_options(ds.get("summary"))
    target = prefill_for(prefill, info).get("target")
    if target not in [o["value"] for o in targets if not o.get("disabled")]:
        target = first_target(targets)
    facts = f"{kind_label(info['kind'])}, {count} of {each}{several_targets_words(targets)}"
    return dict(info=info, facts=facts, hidden=dataset_id,
                targets=targets, target=target, target_field="" if len(targets) > 1 else "awd-hidden")


def several_targets_words(options: list[dict]) -> str:
    """The end of the dataset's facts when it has several target columns (review 40C: a file's first extra column,
    the traces' maximum, was explained without a word, where the user meant another): ``""`` for one.

    Examples
    --------
    >>> several_targets_words(target_options({"target_names": ["max_intensity", "auxilin_peak", "abortive"]}))
    '; 3 target columns: choose the one to explain below'
    >>> several_targets_words(target_options({"target_names": ["y"]}))
    ''
    """
    return f"; {len(options)} target columns: choose the one to explain below" if len(options) > 1 else ""


def target_options(summary: dict | None) -> list[dict]:
    """The dropdown's target columns of a dataset summary (``GET /api/datasets/{id}``), by name and column.

    Examples
    --------
    >>> target_options({"target_names": ["Omega_m", "sigma_8"]})
    [{'label': 'Omega_m (column 0)', 'value': 0}, {'label': 'sigma_8 (column 1)', 'value': 1}]
    >>> target_options({"n_targets": 2})
    [{'label': 'column 0', 'value': 0}, {'label': 'column 1', 'value': 1}]

    A column that holds one value is listed, disabled, with the reason.
    """
    summary = summary or {}
    names = [str(n) for n in summary.get("target_names") or []]
    columns = summary.get("targets") or []
    count = max(len(names), int(summary.get("n_targets") or 0))
    options = []
    for i in range(count):
        label = f"{names[i]} (column {i})" if i < len(names) else f"column {i}"
        if i < len(columns) and columns[i].get("n_unique") == 1:
            options.append({"label": f"{label}: {columns[i].get('min'):g} in every sample, nothing to predict",
                            "value": i, "disabled": True})
        else:
            options.append({"label": label, "value": i})
    return options


def first_target(options: list[dict]) -> int:
    """The column the dropdown opens on: the first that can be predicted (0 when none can)."""
    return next((o["value"] for o in options if not o.get("disabled")), 0)


#: The fields shown for one data kind only, and what clears a hidden one.
KIND_FIELDS = dict(start_field=Output(ids.START_SEARCH_FIELD, "className"),
                   start_search=Output(ids.START_SEARCH, "value"),
                   peak_field=Output(ids.PEAK_RESPONSE_FIELD, "className"),
                   series_field=Output(ids.SERIES_FEATURES_FIELD, "className"),
                   levels=Output(ids.LEVELS, "value"))


def deepest_levels(shape) -> int | None:
    """The most levels the shortest side of a sample allows, ``ceil(log2(side))`` (periodization's limit, down to
    one coefficient; the service checks the mode it uses); None without a shape.

    Examples
    --------
    >>> deepest_levels([8]), deepest_levels([64, 64]), deepest_levels(None)
    (3, 6, None)
    """
    sides = [int(s) for s in shape or [] if isinstance(s, (int, float)) and s >= 2]
    return max(1, math.ceil(math.log2(min(sides)))) if sides else None


@callback(output=KIND_FIELDS, inputs=dict(info=Input(ids.DATASET_INFO, "data")),
          state=dict(levels=State(ids.LEVELS, "value"), prefill=State(ids.PREFILL, "data")))
def fields_for_kind(info, levels=None, prefill=None):
    """Show the options that apply to the dataset's kind: the start search and what the series student reads for
    time series (a search on maps is refused, so its field is emptied when hidden), what the map student reads for
    maps; all until a dataset is chosen. Levels J deeper than the data allows come down to its deepest (series of
    8 samples opened with J = 4, in red, and the job was refused). On the dataset of ``?from=``'s run, its levels
    and start search."""
    kind = (info or {}).get("kind")
    mine = prefill_for(prefill, info)
    if mine:
        return dict(start_field="awd-hidden" if kind == "image" else "",
                    start_search=None if kind == "image" else mine.get("start_search"),
                    peak_field="awd-hidden" if kind == "timeseries" else "",
                    series_field="awd-hidden" if kind == "image" else "", levels=mine.get("levels") or levels)
    deepest = deepest_levels((info or {}).get("shape"))
    too_deep = deepest is not None and isinstance(levels, (int, float)) and levels > deepest
    return dict(start_field="awd-hidden" if kind == "image" else "",
                start_search=None if kind == "image" else dash.no_update,
                peak_field="awd-hidden" if kind == "timeseries" else "",
                series_field="awd-hidden" if kind == "image" else "",
                levels=deepest if too_deep else dash.no_update)


#: Where the form starts on a dataset made with a known wavelet, when that wavelet is the one selected: the paper's
#: recovery test starts from sym5 or coif2 (section 4.1), and a start at the truth leaves nothing to recover.
RECOVERY_START = "sym5"


def recovery_start(info: dict | None, wave: str | None, prefill: dict | None = None) -> tuple:
    """``(wave, note)`` for a dataset made with a known wavelet (``info["true_wavelet"]``): the start moves to
    :data:`RECOVERY_START` when the form holds the true wavelet itself (not on ``?from=``'s own dataset: that run's
    start stays), and the note says why; ``(no_update, "")`` for other data.

    Review 16: the synthetic example's card said "start from sym5 or coif2", the form started from db5, and the run
    reported only that AWD was worse than db5.

    Examples
    --------
    >>> recovery_start({"true_wavelet": "db5"}, "db5")[0]
    'sym5'
    >>> recovery_start({"true_wavelet": "db5"}, "coif2")[1][:35]
    'This dataset was made with db5: the'
    >>> recovery_start({"kind": "timeseries"}, "db5")[1]
    ''
    """
    truth = (info or {}).get("true_wavelet")
    if not truth:
        return dash.no_update, ""
    if wave == truth and not prefill_for(prefill, info) and truth != RECOVERY_START:
        return RECOVERY_START, (f"This dataset was made with {truth}: the form starts from {RECOVERY_START}, so "
                                f"that the result shows whether the start search and distillation find "
                                f"{truth} (the paper's recovery test; coif2 is its other start). Choose {truth} to "
                                "start at the truth.")
    return dash.no_update, (f"This dataset was made with {truth}: the result reports how far the learned wavelet "
                            f"ends from {truth}.")


@callback(output=dict(wave=Output(ids.WAVE, "value", allow_duplicate=True), note=Output(ids.WAVE_NOTE, "children")),
          inputs=dict(info=Input(ids.DATASET_INFO, "data"), _options=Input(ids.OPTIONS, "data")),
          state=dict(wave=State(ids.WAVE, "value"), prefill=State(ids.PREFILL, "data")), prevent_initial_call=True)
def start_for_recovery(info, _options, wave, prefill=None):
    """:func:`recovery_start` when the dataset, or the options that set the wavelet's choices, arrive."""
    new, note = recovery_start(info, wave, prefill)
    return dict(wave=new, note=note)

