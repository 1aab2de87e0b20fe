"""Submission: Start makes the job (``POST /api/jobs``, with an idempotency key) and opens its page.

A form with wrong fields is refused in the Start bar's line, which lists them already (said once: "Not started: 1
field to fix:" over the list); one with "Upload trained weights" chosen and none dropped, or one the service refuses,
under Start. The refusal's words go once the form changes.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback

from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import APP_NAV, SUBMITTED_JOB, named_update
from awd_studio.frontend.configure.ids import FORM_FIELDS, form_dependencies, ids
from awd_studio.frontend.configure.payload import form_body
from awd_studio.frontend.configure.validation import form_problems, problems_alert

__all__ = ["SUBMIT_OUTPUTS", "submit"]


# a refused submission's words go once the form changes: the estimate above says what is wrong now (review 21:
# "epochs: enter a whole number from 1 to 2000" stayed under Start after epochs was fixed); in the browser, so that
# typing does not wait on the server
clientside_callback("function () { return ''; }", Output(ids.SUBMIT_STATUS, "children", allow_duplicate=True),
                    [Input(component, "value") for component in FORM_FIELDS.values()], prevent_initial_call=True)


#: What submitting changes: the page (to the new job's), the status line under the button, the bar's line beside it
#: (the wrong fields, said refused) and the tab's record of the job it has just submitted
#: (:data:`~awd_studio.frontend.components.SUBMITTED_JOB`).
SUBMIT_OUTPUTS = dict(nav=Output(APP_NAV, "href", allow_duplicate=True), status=Output(ids.SUBMIT_STATUS, "children"),
                      start_line=Output(ids.START_LINE, "children", allow_duplicate=True),
                      submitted=Output(SUBMITTED_JOB, "data", allow_duplicate=True))


@callback(
    output=SUBMIT_OUTPUTS,
    inputs=dict(n_clicks=Input(ids.SUBMIT, "n_clicks")),
    state=dict(**form_dependencies(State), dataset_id=State(ids.DATASET, "value"),
               idem_key=State(ids.IDEMPOTENCY, "data"), source=State(ids.TEACHER_SOURCE, "value"),
               options=State(ids.OPTIONS, "data"), keep=State(ids.KEEP_OPTIONS, "value"),
               prefill=State(ids.PREFILL, "data"), info=State(ids.DATASET_INFO, "data")),
    prevent_initial_call=True,
)
async def submit(n_clicks, dataset_id, idem_key, source=None, options=None, keep=True, prefill=None, info=None,
                 **form):
    """Submit the job (with an idempotency key, so a double click makes one job) and go to its page."""
    if not n_clicks:
        return named_update(SUBMIT_OUTPUTS)
    if source == "upload" and form.get("teacher") in ("auto", *((options or {}).get("teacher_architectures") or [])):
        return named_update(SUBMIT_OUTPUTS, status=dbc.Alert(
            "teacher: drop your weights file first (or choose “Train a built-in network”)", color="warning",
            className="py-2 mb-0"))
    problems = form_problems(form, (options or {}).get("bounds"))
    if problems:  # the bar's line lists them already: it says they kept the job from starting, not a line again
        return named_update(SUBMIT_OUTPUTS, status="", start_line=problems_alert(problems, refused=True))
    try:
        payload = form_body(form, dataset_id, options=options, info=info, prefill=prefill, keep=keep)
    except ValueError as err:
        return named_update(SUBMIT_OUTPUTS, status=dbc.Alert(str(err), color="warning", className="py-2 mb-0"))
    try:
        job = await get_client().create_job(payload, idempotency_key=idem_key)
    except ApiError as err:
        return named_update(SUBMIT_OUTPUTS, status=dbc.Alert(f"The job was not accepted: {err.message}", color="danger",
                                                             className="py-2 mb-0"))
    return named_update(SUBMIT_OUTPUTS, nav=f"/jobs/{job['id']}", status="Submitted.", submitted=job["id"])

