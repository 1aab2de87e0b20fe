"""The dialog that asks before an action on a run: rerun, cancel, delete. The jobs list and the job page draw the same
one (:func:`confirm_dialog`) and ask in the same words where the action is the same (:func:`rerun_question`,
:func:`cancel_question`).

The job page asked through the browser's own confirm box, the jobs list in this dialog: two looks and two wordings
for one question.
"""

from __future__ import annotations

from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import html

__all__ = ["BACK_CLASS", "RERUN_LINK_WORDS", "cancel_question", "confirm_dialog", "dialog_text", "ok_button",
           "rerun_href", "rerun_question", "rerun_teacher_text"]

#: The class of the dialog's "Go back" button: the focus lands there when the dialog opens (assets/awd.js), the
#: choice that changes nothing, so that Enter pressed twice does not delete or rerun.
BACK_CLASS = "awd-confirm-back"

#: The confirm button's words and colour, by action: red for what cannot be undone, not for a rerun.
OK_BUTTONS = {"rerun": ("Rerun", "primary"), "cancel-job": ("Cancel the job", "warning")}

#: What follows "Cancel <the job>?" (a cancelled job keeps no result).
CANCEL_WORDS = "It stops within seconds and keeps no result; it can be rerun later."

#: The words of the link to the configure form filled with a job's settings, as the job page's button says them.
RERUN_LINK_WORDS = "Run again with changes"

def confirm_dialog(dialog_id: str, text_id: str, ok_id: str, back_id: str) -> dbc.Modal:
    """The confirmation dialog, closed: "Please confirm" above the question (``text_id``'s children), "Go back"
    (``back_id``) and the confirm button (``ok_id``; its words and colour follow the action, :func:`ok_button`).

    Escape closes it as "Go back" does; it opens with the focus on "Go back" (:data:`BACK_CLASS`); its title names
    it for a screen reader.
    """
    title_id = f"{dialog_id}-title"
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Please confirm", id=title_id)),
        dbc.ModalBody(id=text_id),
        # "Go back", not "Cancel": beside "Cancel the job" the two read alike (a reviewer said so)
        dbc.ModalFooter([dbc.Button("Go back", id=back_id, color="secondary", n_clicks=0, class_name=BACK_CLASS),
                         dbc.Button("Confirm", id=ok_id, color="danger", n_clicks=0)]),
    ], id=dialog_id, is_open=False, keyboard=True, labelledby=title_id)


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


def rerun_href(job_id: str) -> str:
    """The configure form filled with the settings of job ``job_id``, to change them and start a new job.

    Examples
    --------
    >>> rerun_href("9c098e11-7093-40dc-b3cf-463f1e02a7be")
    '/configure?from=9c098e11-7093-40dc-b3cf-463f1e02a7be'
    """
    return f"/configure?from={quote(job_id or '', safe='')}"


def dialog_text(question: str, warning=None) -> list:
    """The dialog's body: the question, and the warning under it when there is one.

    Examples
    --------
    >>> [p.children for p in dialog_text("Delete run 1a2b3c4d?")]
    ['Delete run 1a2b3c4d?']
    """
    return [html.P(question, className="mb-0"), *([warning] if warning is not None else [])]
