"""The dialog that asks before an action on a run: rerun, cancel, delete. The jobs list and the job page draw the same
one (:func:`confirm_dialog`) and ask in the same words where the action is the same (:func:`rerun_question`,
:func:`cancel_question`); a rerun of a job that its time limit stopped says it will very likely stop there again,
and links to the configure form filled with its settings (:func:`time_limit_warning`).

The job page asked through the browser's own confirm box, the jobs list in this dialog: two looks and two wordings
for one question.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import dcc, html

from awd_studio.frontend.durations import format_seconds

__all__ = ["BACK_CLASS", "RERUN_LINK_WORDS", "cancel_question", "confirm_dialog", "dialog_text", "ok_button",
           "rerun_href", "rerun_question", "rerun_teacher_text", "stopped_by_time_limit", "time_limit_warning"]

#: The class of the dialog's "Go back" button: the focus lands there when the dialog opens (assets/awd.js), the
#: choice that changes nothing, so that Enter pressed twice does not delete or rerun.
BACK_CLASS = "awd-confirm-back"

#: The confirm button's words and colour, by action: red for what cannot be undone, not for a rerun.
OK_BUTTONS = {"rerun": ("Rerun", "primary"), "cancel-job": ("Cancel the job", "warning")}

#: What follows "Cancel <the job>?" (a cancelled job keeps no result).
CANCEL_WORDS = "It stops within seconds and keeps no result; it can be rerun later."

#: The words of the link to the configure form filled with a job's settings, as the job page's button says them.
RERUN_LINK_WORDS = "Run again with changes"

#: How a job's ``error`` begins its account of a stop on the time limit (``worker.runner.describe_error``; the
#: frontend does not import the worker, tests/frontend/test_confirm_dialog.py holds the two together), with the
#: limit in seconds and what to change.
_TIME_LIMIT = re.compile(r"exceeded its time limit of (?P<seconds>\d+) s[^;]*(?:; use (?P<advice>.+))?")


def confirm_dialog(dialog_id: str, text_id: str, ok_id: str, back_id: str) -> dbc.Modal:
    """The confirmation dialog, closed: "Please confirm" above the question (``text_id``'s children), "Go back"
    (``back_id``) and the confirm button (``ok_id``; its words and colour follow the action, :func:`ok_button`).

    Escape closes it as "Go back" does; it opens with the focus on "Go back" (:data:`BACK_CLASS`); its title names
    it for a screen reader. It neither fades in nor out: closed during its fade-in (Escape 50 ms after it opened),
    it stayed in the page, invisible and mounted, and "Go back" no longer closed it (2 of 2 browser scripts of
    repeated openings; the e2e test of the job page's Rerun failed on it about 1 run in 8).
    """
    title_id = f"{dialog_id}-title"
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Please confirm", id=title_id)),
        dbc.ModalBody(id=text_id),
        # "Go back", not "Cancel": beside "Cancel the job" the two read alike (a reviewer said so)
        dbc.ModalFooter([dbc.Button("Go back", id=back_id, color="secondary", n_clicks=0, class_name=BACK_CLASS),
                         dbc.Button("Confirm", id=ok_id, color="danger", n_clicks=0)]),
    ], id=dialog_id, is_open=False, keyboard=True, labelledby=title_id, fade=False)


def ok_button(action: str) -> tuple[str, str]:
    """The confirm button's words and colour for ``action`` (``rerun``, ``cancel-job``, ``delete-…``).

    Examples
    --------
    >>> ok_button("rerun"), ok_button("cancel-job"), ok_button("delete-dataset")
    (('Rerun', 'primary'), ('Cancel the job', 'warning'), ('Delete', 'danger'))
    """
    return OK_BUTTONS.get(action, ("Delete", "danger"))


def rerun_teacher_text(job: dict) -> str:
    """Pure: what a rerun does about the teacher, for the confirmation dialog.

    An uploaded teacher is used again. A built-in one is trained anew; a run submitted with ``teacher="auto"``
    lists the architecture it trained, but its rerun asks for ``auto`` again, not for that architecture.

    Examples
    --------
    >>> rerun_teacher_text({"teacher_name": "lstm", "config": {"teacher": "auto"}})
    ', a new teacher chosen by auto (last time: lstm)'
    >>> rerun_teacher_text({"teacher_name": "mlp", "config": {"teacher": "mlp"}})
    ', a new mlp teacher'
    >>> rerun_teacher_text({"teacher_name": "uploaded: cnn.pt (resnet18)", "config": {"teacher": "resnet18"}})
    ', the same uploaded teacher'
    """
    name, requested = job.get("teacher_name") or "", (job.get("config") or {}).get("teacher")
    if name.startswith("uploaded"):
        return ", the same uploaded teacher"
    if requested == "auto":
        return ", a new teacher chosen by auto" + (f" (last time: {name})" if name and name != "auto" else "")
    return f", a new {requested or name or 'built-in'} teacher"


def rerun_question(what: str, job: dict | None = None) -> str:
    """What the dialog asks before a rerun of ``what`` ("this job", or the run named on the jobs list), with what it
    does about the teacher when ``job`` (its ``GET /api/jobs`` answer) is known.

    Examples
    --------
    >>> rerun_question("this job")
    'Rerun this job with the same dataset and settings? A new job is queued.'
    >>> rerun_question("this job", {"teacher_name": "mlp", "config": {"teacher": "mlp"}})
    'Rerun this job with the same dataset and settings, a new mlp teacher? A new job is queued.'
    """
    teacher = rerun_teacher_text(job) if job else ""
    return f"Rerun {what} with the same dataset and settings{teacher}? A new job is queued."


def cancel_question(what: str) -> str:
    """What the dialog asks before cancelling ``what``.

    Examples
    --------
    >>> cancel_question("this job")
    'Cancel this job? It stops within seconds and keeps no result; it can be rerun later.'
    """
    return f"Cancel {what}? {CANCEL_WORDS}"


def stopped_by_time_limit(job: dict | None) -> bool:
    """Whether ``job`` (a ``GET /api/jobs`` answer, or a row of it) failed on its time limit (``AWD_JOB_TIME_LIMIT``),
    as its ``error`` says: run again as it was, it will very likely stop there again.

    Examples
    --------
    >>> stopped_by_time_limit({"state": "failed", "error": "the job exceeded its time limit of 60 s "
    ...                        "(AWD_JOB_TIME_LIMIT); use fewer epochs or grid points, or raise the limit"})
    True
    >>> stopped_by_time_limit({"state": "failed", "error": "the worker ran out of memory; use a smaller grid"})
    False
    >>> stopped_by_time_limit({"state": "cancelled"}), stopped_by_time_limit(None)
    (False, False)
    """
    return bool(job) and job.get("state") == "failed" and bool(_TIME_LIMIT.search(job.get("error") or ""))


def rerun_href(job_id: str) -> str:
    """The configure form filled with the settings of job ``job_id``, to change them and start a new job.

    Examples
    --------
    >>> rerun_href("9c098e11-7093-40dc-b3cf-463f1e02a7be")
    '/configure?from=9c098e11-7093-40dc-b3cf-463f1e02a7be'
    """
    return f"/configure?from={quote(job_id or '', safe='')}"


def time_limit_warning(job: dict | None, job_id: str, name: str = "This job"):
    """Pure: for a job its time limit stopped (:func:`stopped_by_time_limit`), the dialog's warning under the rerun
    question, ``name`` naming the job: the limit, that the same settings will very likely stop there again, what
    its error advises to change, and a link to the configure form filled with its settings (:func:`rerun_href`);
    else None.

    Examples
    --------
    >>> job = {"state": "failed", "error": "the job exceeded its time limit of 600 s (AWD_JOB_TIME_LIMIT) in its "
    ...        "teacher stage; use fewer teacher training epochs, or upload a trained teacher, or raise the limit"}
    >>> warning = time_limit_warning(job, "j1")
    >>> print(warning.children[0].replace("\u00a0", " "))
    This job was stopped by its time limit of 10 min 00 s: rerun as it was, it will very likely be stopped there ...
    >>> warning.children[0].split("Its error says what to change: ")[1]
    'use fewer teacher training epochs, or upload a trained teacher, or raise the limit. '
    >>> warning.children[2].href
    '/configure?from=j1'
    >>> time_limit_warning({"state": "failed", "error": "teacher: bad weights"}, "j1") is None
    True
    """
    if not stopped_by_time_limit(job):
        return None
    found = _TIME_LIMIT.search(job["error"])
    limit = format_seconds(int(found["seconds"])).replace(" ", "\u00a0")  # "10 min 00 s", on one line
    advice = f" Its error says what to change: use {found['advice'].rstrip('.')}." if found["advice"] else ""
    return dbc.Alert([
        f"{name} was stopped by its time limit of {limit}: rerun as it was, it will very likely be stopped there "
        f"again.{advice} ",
        # a link within the app: the dialog goes with the page it was on
        "To change its settings first: ", dcc.Link(RERUN_LINK_WORDS, href=rerun_href(job_id),
                                                    className="alert-link"), ".",
    ], color="warning", className="small mt-3 mb-0")


def dialog_text(question: str, warning=None) -> list:
    """The dialog's body: the question, and the warning under it when there is one.

    Examples
    --------
    >>> [p.children for p in dialog_text("Delete run 1a2b3c4d?")]
    ['Delete run 1a2b3c4d?']
    """
    return [html.P(question, className="mb-0"), *([warning] if warning is not None else [])]
