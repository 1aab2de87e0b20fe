"""Prefill from a past job: ``/configure?from=<job id>`` (``&teacher=<architecture>``) fills the form with that
run's settings.

:func:`load_prefill` reads the run (the page's first callback: the options and the dataset list wait for it) into
:data:`~frontend.configure.ids.ids.PREFILL`; each field's own callback takes its value from there through
:func:`prefill_for` (only on that run's dataset), :func:`fill_run_fields` sets the fields no other callback writes,
and :func:`prefill_note` says above the form which run filled it, with a switch for each of its options the page
has no field for. What each field takes from a run: :mod:`frontend.rerun_form`.
"""

from __future__ import annotations

from dash import Input, Output, State, callback, html

from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import alert_outputs, alert_value, named_update
from awd_studio.frontend.configure.ids import ids
from awd_studio.frontend.rerun_form import form_values, kept_options, kept_words, source_words

__all__ = ["PREFILL_OUTPUTS", "RUN_FIELDS", "load_prefill", "prefill_for", "prefill_note", "fill_run_fields"]


#: What reading ``?from=``'s run sets: its form values, and the dataset to preselect.
PREFILL_OUTPUTS = dict(prefill=Output(ids.PREFILL, "data"), initial=Output(ids.INITIAL_DATASET, "data"),
                       error=alert_outputs(ids.ERROR, allow_duplicate=True))


@callback(output=PREFILL_OUTPUTS, inputs=dict(job_id=Input(ids.FROM_JOB, "data")),
          state=dict(dataset=State(ids.INITIAL_DATASET, "data"), teacher=State(ids.FROM_TEACHER, "data")),
          prevent_initial_call="initial_duplicate")
async def load_prefill(job_id, dataset=None, teacher=None):
    """Read the run of ``?from=`` (``GET /api/jobs/{id}``): its settings become the form's (each field's callback
    takes its own from :data:`~frontend.configure.ids.ids.PREFILL`, so a default arriving later does not overwrite
    it) and its dataset is preselected. The first callback of the page: the options and the dataset list wait for
    it."""
    if not job_id:
        return dict(prefill=None, initial=dataset, error=alert_value(None))
    try:
        job = await get_client().get_job(job_id)
    except ApiError as err:
        return dict(prefill=None, initial=dataset, error=alert_value(
            f"Could not read the settings of job {job_id}: {err.message}. The form shows the defaults."))
    values = form_values(job)
    changed = None
    if teacher and teacher != values.get("teacher"):  # "Rerun with the MLP teacher": the run's settings but that
        changed, values = teacher, {**values, "teacher": teacher}
    teacher_deleted = False
    if job.get("teacher_id"):  # uploaded weights: still stored? (read once, here, where the run is read)
        try:
            await get_client().get_teacher(job["teacher_id"])
        except ApiError as err:
            teacher_deleted = err.not_found
    return dict(prefill={"job_id": job["id"], "source": source_words(job), "values": values,
                         "config": job.get("config") or {}, "teacher_deleted": teacher_deleted,
                         **({"teacher_changed": changed} if changed else {})},
                initial=values["dataset_id"], error=alert_value(None))


def prefill_for(prefill: dict | None, info: dict | None) -> dict:
    """The run's form values when the dataset chosen is that run's (another dataset takes the defaults).

    Parameters
    ----------
    prefill : dict or None
        :data:`~frontend.configure.ids.ids.PREFILL`'s data (:func:`load_prefill`), None without ``?from=``.
    info : dict or None
        The chosen dataset's :data:`~frontend.configure.ids.ids.DATASET_INFO` (its ``id``).

    Returns
    -------
    dict
        The run's form values (:func:`frontend.rerun_form.form_values`), empty on another dataset or without a run.

    Examples
    --------
    >>> prefill = {"values": {"dataset_id": "d1", "levels": 3}}
    >>> prefill_for(prefill, {"id": "d1"}), prefill_for(prefill, {"id": "d2"}), prefill_for(None, {"id": "d1"})
    ({'dataset_id': 'd1', 'levels': 3}, {}, {})
    """
    values = (prefill or {}).get("values") or {}
    return values if values and (info or {}).get("id") == values.get("dataset_id") else {}


@callback(output=dict(text=Output(ids.PREFILL_TEXT, "children"), is_open=Output(ids.PREFILL_NOTE, "is_open"),
                      keep_options=Output(ids.KEEP_OPTIONS, "options"), keep=Output(ids.KEEP_OPTIONS, "value"),
                      keep_class=Output(ids.KEEP_BOX, "className")),
          inputs=dict(prefill=Input(ids.PREFILL, "data"), options=Input(ids.OPTIONS, "data"),
                      info=Input(ids.DATASET_INFO, "data")),
          state=dict(keep=State(ids.KEEP_OPTIONS, "value")))
def prefill_note(prefill, options, info=None, keep=None):
    """Above the form: which run filled it and how that run ended (and when its uploaded teacher has been deleted
    since); the options it set that the page has no field for, one switch each, kept unless switched off (a run
    that failed on one of them drops that one and keeps the others). ``keep``: the switches on so far (None until
    they are drawn: then all of them)."""
    if not prefill:
        return dict(text=None, is_open=False, keep_options=[], keep=None, keep_class="awd-hidden")
    short = prefill["job_id"][:8]
    text = [html.Span("Settings of run "), html.A(short, href=f"/jobs/{prefill['job_id']}"),
            html.Span(f" ({prefill['source']}). Change what you need and start it: it runs as a new job, the old one "
                      "stays.")]
    if info and not prefill_for(prefill, info):  # another dataset chosen: say which fields follow it
        text.append(html.Div(f"Another dataset than run {short}'s is chosen: the grid, teacher and target are this "
                             "dataset's defaults; the other fields keep the run's settings.",
                             className="mt-1 fw-semibold"))
    if prefill.get("teacher_changed"):
        text.append(html.Div(f"The teacher is changed to {prefill['teacher_changed']}, to compare what the two "
                             "teachers read: the other settings are the run's.", className="mt-1 fw-semibold"))
    if prefill.get("teacher_deleted"):
        arch = (prefill.get("values") or {}).get("teacher_arch") or "auto"
        text.append(html.Div(f"Its uploaded teacher has been deleted since: the form trains a new {arch} teacher "
                             "instead; upload the weights again under Teacher to use them.",
                             className="mt-1 fw-semibold"))
    kept = kept_options(prefill.get("config"), (options or {}).get("options"))
    if not kept:
        return dict(text=text, is_open=True, keep_options=[], keep=None, keep_class="awd-hidden")
    return dict(text=text, is_open=True, keep_class="",
                keep_options=[{"label": kept_words({name: value}), "value": name} for name, value in kept.items()],
                keep=list(kept) if keep is None else [name for name in keep if name in kept])


#: The fields only ``?from=``'s run sets (the page's own defaults are in the layout).
RUN_FIELDS = dict(attribution=Output(ids.ATTRIBUTION, "value"), parametrization=Output(ids.PARAMETRIZATION, "value"),
                  mode=Output(ids.MODE, "value"), seed=Output(ids.SEED, "value"),
                  teacher_epochs=Output(ids.TEACHER_EPOCHS, "value"), random_search=Output(ids.RANDOM_SEARCH, "value"),
                  scattering=Output(ids.SCATTERING, "value"), scattering_epochs=Output(ids.SCATTERING_EPOCHS, "value"))


@callback(output=RUN_FIELDS, inputs=dict(prefill=Input(ids.PREFILL, "data")), prevent_initial_call=True)
def fill_run_fields(prefill):
    """The settings of ``?from=``'s run that no other callback of the page writes."""
    mine = (prefill or {}).get("values")
    if not mine:
        return named_update(RUN_FIELDS)
    return {name: mine.get(name) for name in RUN_FIELDS}

