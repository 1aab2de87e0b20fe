"""The teacher choices: a built-in architecture (or ``auto``) for the dataset's kind, or uploaded weights.

The dropdown of teachers (``GET /api/teachers``, those valid for the chosen dataset), the architectures uploaded
weights may have, the switch between training a built-in network and uploading weights (the upload itself is
assets/awd.js's, which sets :data:`~frontend.configure.ids.ids.UPLOADED_TEACHER`), and the upload's warning.
"""

from __future__ import annotations

from dash import Input, Output, State, callback, html, no_update

from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import items, triggered_id
from awd_studio.frontend.configure.ids import ids
from awd_studio.frontend.configure.prefill import prefill_for

__all__ = ["load_teachers", "auto_teacher_option", "architectures_for", "rows_for_kind", "weights_architectures",
           "teacher_options", "toggle_teacher_upload", "teacher_warning", "teacher_for_source"]


@callback(
    output=dict(options=Output(ids.TEACHER, "options"), value=Output(ids.TEACHER, "value")),
    inputs=dict(info=Input(ids.DATASET_INFO, "data"), uploaded=Input(ids.UPLOADED_TEACHER, "data"),
                options=Input(ids.OPTIONS, "data")),
    state=dict(current=State(ids.TEACHER, "value"), prefill=State(ids.PREFILL, "data")),
)
async def load_teachers(info, uploaded, options, current, prefill=None):
    """Teacher choices: built-in architectures plus uploaded weights; the kind's default preselected (on the
    dataset of ``?from=``'s run, that run's teacher while it is one of the choices)."""
    service = options or {}
    try:
        rows = items(await get_client().list_teachers())
    except ApiError:
        rows = [{"id": a, "name": a, "arch": a, "builtin": True} for a in service.get("teacher_architectures", [])]
    kind = (info or {}).get("kind")
    auto = auto_teacher_option(service, kind)
    choices = ([auto] if auto else []) + teacher_options(rows_for_kind(rows, service, info))
    values = [o["value"] for o in choices]
    if uploaded and uploaded.get("id"):
        if uploaded["id"] not in values:
            choices.append({"label": f"uploaded: {uploaded.get('name', uploaded['id'])}", "value": uploaded["id"]})
        return dict(options=choices, value=uploaded["id"])
    if triggered_id() == ids.DATASET_INFO or current not in values:
        default = "auto" if auto else (service.get("default_teacher") or {}).get(kind, "mlp")
        mine = prefill_for(prefill, info)
        for asked in (mine.get("teacher"), mine.get("teacher_arch")):  # uploaded weights deleted: their architecture
            if asked in values:
                default = asked
                break
        return dict(options=choices, value=default if default in values else (values[0] if values else None))
    return dict(options=choices, value=current)


def auto_teacher_option(options: dict | None, kind: str | None) -> dict | None:
    """The dropdown's ``auto`` entry when ``teacher="auto"`` trains several architectures for this data kind
    (``GET /api/options``'s ``auto_teachers``), or when no dataset is chosen yet (``kind`` None), else None (then the
    kind's default architecture is preselected)."""
    by_kind = (options or {}).get("auto_teachers") or {}
    if kind is None and by_kind:  # no dataset chosen yet: "auto" is the default whatever the data turns out to be
        return {"label": "auto — chosen for the data", "value": "auto"}
    archs = list(by_kind.get(kind) or [])
    if len(archs) < 2:
        return None
    return {"label": f"auto — the better of {' and '.join(archs)}",
            "value": "auto"}


def architectures_for(options: dict | None, kind: str | None) -> list[str]:
    """The built-in architectures offered for a data kind (``GET /api/options``'s
    ``teacher_architectures_by_kind``; every architecture while the kind is unknown)."""
    options = options or {}
    by_kind = options.get("teacher_architectures_by_kind") or {}
    return list(by_kind.get(kind) or options.get("teacher_architectures") or [])


def rows_for_kind(rows: list[dict], options: dict | None, info: dict | None) -> list[dict]:
    """Teacher rows valid for the chosen dataset: built-ins of its kind (:func:`architectures_for`), and uploaded
    weights whose input shape is the dataset's sample shape: of such a built-in architecture, or an exported
    program (a ``.pt2`` carries its own architecture; review 39A: it was never offered again, and "Run again with
    changes" silently trained a built-in CNN instead).

    Examples
    --------
    >>> rows = [{"id": "cnn", "arch": "cnn"}, {"id": "lstm", "arch": "lstm"},
    ...         {"id": "t1", "arch": "exported program", "builtin": False, "input_shape": [64, 64]},
    ...         {"id": "t2", "arch": "exported program", "builtin": False, "input_shape": [32, 32]},
    ...         {"id": "t3", "arch": "lstm", "builtin": False, "input_shape": [64, 64]}]
    >>> options = {"teacher_architectures": ["cnn", "lstm"], "teacher_architectures_by_kind": {"image": ["cnn"]}}
    >>> [r["id"] for r in rows_for_kind(rows, options, {"kind": "image", "shape": [64, 64]})]
    ['cnn', 't1']
    """
    info = info or {}
    allowed = set(architectures_for(options, info.get("kind")))
    built_in = set((options or {}).get("teacher_architectures") or allowed)
    shape = info.get("shape")
    out = []
    for r in rows:
        arch = r.get("arch", r.get("id"))
        if allowed and arch not in allowed and (r.get("builtin", True) or arch in built_in):
            continue
        if not r.get("builtin", True) and shape and r.get("input_shape") and list(r["input_shape"]) != list(shape):
            continue
        out.append(r)
    return out


@callback(
    output=dict(options=Output(ids.TEACHER_ARCH, "options"), value=Output(ids.TEACHER_ARCH, "value")),
    inputs=dict(info=Input(ids.DATASET_INFO, "data"), options=Input(ids.OPTIONS, "data")),
    state=dict(current=State(ids.TEACHER_ARCH, "value")),
)
def weights_architectures(info, options, current):
    """The architectures an uploaded weights file may have: those of the dataset's kind, the kind's default
    (its first: the LSTM for series, the CNN for maps, as for ``awd distill --teacher FILE``) chosen until the
    user picks another (review 14: mlp was preselected for maps, and CNN weights were refused)."""
    archs = architectures_for(options, (info or {}).get("kind"))
    value = current if current in archs else (archs[0] if archs else None)
    return dict(options=[{"label": a, "value": a} for a in archs], value=value)


def teacher_options(rows: list[dict]) -> list[dict]:
    """Dropdown options from ``GET /api/teachers`` rows (built-ins first)."""
    built = [r for r in rows if r.get("builtin", True)]
    uploaded = [r for r in rows if not r.get("builtin", True)]
    opts = [{"label": f"{r.get('name', r['id'])}" + (f" — {r['description']}" if r.get("description") else ""),
             "value": r["id"]} for r in built]
    opts += [{"label": f"uploaded: {r.get('name', r['id'])} ({r.get('arch', '?')})", "value": r["id"]}
             for r in uploaded]
    return opts


@callback(output=dict(upload=Output(ids.TEACHER_UPLOAD, "className"),
                      builtin=Output(ids.TEACHER_BUILTIN, "className")),
          inputs=dict(source=Input(ids.TEACHER_SOURCE, "value")))
def toggle_teacher_upload(source):
    """Show either the weights upload (with its architecture) or the built-in architecture, never both."""
    upload = source == "upload"
    return dict(upload="mt-3" if upload else "mt-3 awd-hidden", builtin="mt-3 awd-hidden" if upload else "mt-3")


@callback(output=dict(text=Output(ids.TEACHER_WARNING, "children"), is_open=Output(ids.TEACHER_WARNING, "is_open")),
          inputs=dict(uploaded=Input(ids.UPLOADED_TEACHER, "data"), teacher=Input(ids.TEACHER, "value")))
def teacher_warning(uploaded, teacher):
    """The upload's warning (``POST /api/teachers``: predictions at another scale than the targets) while those
    weights are the chosen teacher.

    Examples
    --------
    >>> teacher_warning({"id": "t1", "warning": "On 256 samples ..."}, "t1")["is_open"]
    True
    >>> teacher_warning({"id": "t1", "warning": "On 256 samples ..."}, "auto")["is_open"]
    False
    """
    text = (uploaded or {}).get("warning")
    shown = bool(text) and teacher == (uploaded or {}).get("id")
    # named: after a refused upload the warning stays with the weights still chosen (review 23: "this teacher"
    # read as the refused file)
    named = [html.Strong(f"“{uploaded.get('name') or 'the uploaded weights'}”: "), text] if shown else None
    return dict(text=named, is_open=shown)


@callback(Output(ids.TEACHER, "value", allow_duplicate=True), Input(ids.TEACHER_SOURCE, "value"),
          State(ids.TEACHER, "value"), State(ids.TEACHER, "options"), State(ids.OPTIONS, "data"),
          State(ids.UPLOADED_TEACHER, "data"), prevent_initial_call=True)
def teacher_for_source(source, current, choices, options, uploaded=None):
    """Back to "Train a built-in network": a built-in choice ("auto" first), not the weights just uploaded (review
    23: the uploaded teacher stayed chosen, its warning hidden with the upload block, and would have been sent);
    back to "Upload trained weights": the weights uploaded on this page, if any.

    Examples
    --------
    >>> choices = [{"value": "auto"}, {"value": "mlp"}, {"value": "t-1"}]
    >>> teacher_for_source("builtin", "t-1", choices, {"teacher_architectures": ["mlp", "lstm"]})
    'auto'
    >>> teacher_for_source("builtin", "mlp", choices, {"teacher_architectures": ["mlp"]}) is no_update
    True
    >>> teacher_for_source("upload", "auto", choices, {}, {"id": "t-1"})
    't-1'
    """
    if source == "upload":
        mine = (uploaded or {}).get("id")
        return mine if mine and mine != current and any(o.get("value") == mine for o in choices or []) else no_update
    built_in = {"auto", *((options or {}).get("teacher_architectures") or [])}
    if source != "builtin" or current in built_in:
        return no_update
    return next((o["value"] for o in choices or [] if o.get("value") in built_in), no_update)

