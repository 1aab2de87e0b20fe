"""The results page's share dialog: make read-only links to a result, list them, revoke them.

The owner's results page shows :func:`open_button` among its actions and :func:`dialog` under
its header; the callbacks below (registered on import) talk to ``/api/jobs/{id}/share``,
``/api/jobs/{id}/shares`` and ``/api/shares/{id}``. A shared (read-only) view never builds either,
so none of these callbacks can fire there. Every callback reads and writes its components by
name; :class:`ids` holds their ids.
"""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from awd_studio.frontend.api_client import ApiError, get_client
from awd_studio.frontend.components import is_job_id, named_update, stack_on_phones, triggered_id

__all__ = ["ids", "SHARE_EXPIRY", "SHARE_LABEL_CHARS", "LOCAL_HINT", "SHARED_DATA", "open_button", "dialog",
           "share_rows", "toggle_share", "list_shares", "share", "revoke"]


class ids:  # noqa: N801 (a namespace of constants, read as ids.CREATE)
    """Component ids of the share dialog (the strings are what tests/e2e and assets/awd.js look for)."""

    OPEN = "results-share"
    COLLAPSE = "results-share-collapse"
    EXPIRY = "results-share-expiry"
    LABEL = "results-share-label"
    CREATE = "results-share-create"
    NEW = "results-share-new"
    URL = "results-share-url"
    COPY = "results-share-copy"
    STATUS = "results-share-status"
    LIST = "results-share-list"
    TABLE = "results-share-table"
    NONE = "results-share-none"
    #: The sentence shown when this page was opened at a loopback address (the links would carry it).
    LOCAL = "results-share-local"
    #: The sentence on what of the data a link's downloads give away (:data:`SHARED_DATA`).
    SHARED_DATA = "results-share-contents"
    #: The last link made (``POST /api/jobs/{id}/share``'s answer, with its one-time URL), or None.
    CREATED = "results-share-data"
    #: A counter: each change re-lists the links.
    REFRESH = "results-share-refresh"
    #: The ``type`` of the Revoke buttons' pattern-matching ids (see :meth:`revoke_button`).
    REVOKE = "results-share-revoke"
    #: The results page's store of its token (a job id wherever the dialog shows); the page uses this constant.
    TOKEN = "results-token"

    @staticmethod
    def revoke_button(share_id) -> dict:
        """The id of the confirm dialog around one link's Revoke button (``dash.ALL`` matches every one)."""
        return {"type": ids.REVOKE, "share": share_id}


#: Said when the page's address is this machine's own (localhost, 127.x, ::1): the links would carry it.
LOCAL_HINT = ("This page was opened at this machine's own address, so the links will point there and open only on "
              "this machine. To share with a colleague, open this page at an address they can reach (the server "
              "must listen on it: see the README, awd serve --host), or send them the page's “All files (ZIP)” download: "
              "its figures, numbers and a script that reproduces the predictions.")

#: What of the data a link gives away: ``arrays.npz`` holds ``y_test``, every ``y_pred_*`` and ``X_examples``.
SHARED_DATA = ("Its downloads include the test set's targets, every model's predictions of them and a few test "
               "inputs as raw data.")

#: What the browser asks before a link is revoked.
REVOKE_QUESTION = ("Revoke this link? Whoever has it loses access at once, and a revoked link cannot be restored "
                   "(you can make a new one).")

#: Longest name a link takes (the API's limit, ``ShareCreate.label``).
SHARE_LABEL_CHARS = 80

#: Choices of a new link's lifetime (hours; None = until revoked).
SHARE_EXPIRY = [("never (until revoked)", "never"), ("1 day", "24"), ("7 days", "168"), ("30 days", "720")]


def open_button() -> dbc.Button:
    """The "Share…" button that opens (and refreshes) or closes the dialog."""
    return dbc.Button("Share…", id=ids.OPEN, color="primary", n_clicks=0)


def dialog() -> dbc.Collapse:
    """The dialog, closed: expiry choice, "Create link", the new link with a copy button, the list of links."""
    return dbc.Collapse(dbc.Card(dbc.CardBody([
        html.H2("Read-only links to this result", className="h6"),
        html.Div("Anyone with a link can view this result and download its files, nothing else.",
                 className="small text-muted mb-1"),
        # labs with embargoed data asked what leaves with a link (review 24b): finalize's arrays.npz holds these
        html.Div(SHARED_DATA, id=ids.SHARED_DATA, className="small text-muted mb-2"),
        html.Div(LOCAL_HINT, id=ids.LOCAL, className="small text-muted mb-2 awd-hidden"),
        dbc.InputGroup([
            dbc.InputGroupText(html.Label("Name", htmlFor=ids.LABEL, className="mb-0")),
            dbc.Input(id=ids.LABEL, type="text", maxLength=SHARE_LABEL_CHARS, debounce=False,
                      placeholder="optional, e.g. for the referee", name="share-label"),
        ], className="mb-2", style={"maxWidth": "32rem"}),
        dbc.InputGroup([
            dbc.InputGroupText(html.Label("Expires", htmlFor=ids.EXPIRY, className="mb-0")),
            dbc.Select(id=ids.EXPIRY, value="never",
                       options=[{"label": label, "value": value} for label, value in SHARE_EXPIRY]),
            dbc.Button("Create link", id=ids.CREATE, color="primary", n_clicks=0),
        ], className="mb-2", style={"maxWidth": "32rem"}),
        html.Div([
            html.Div("New link (shown once; copy it now):", className="small mb-1"),
            dbc.InputGroup([
                dbc.Input(id=ids.URL, readonly=True, name="share-link"),
                dbc.InputGroupText(dcc.Clipboard(target_id=ids.URL, title="Copy the link", id=ids.COPY,
                                                 className="awd-copy")),
            ], className="awd-share-box"),
        ], id=ids.NEW, className="mb-2 awd-hidden"),
        html.Div(id=ids.STATUS, className="small text-muted mb-2", **{"aria-live": "polite"}),
        html.Div(id=ids.LIST),
        dcc.Store(id=ids.CREATED),
        dcc.Store(id=ids.REFRESH, data=0),
    ])), id=ids.COLLAPSE, is_open=False, className="mb-3")


def share_rows(rows: list[dict]):
    """Pure: ``GET /api/jobs/{id}/shares`` rows -> a table with a Revoke button per live link."""
    if not rows:
        return html.P("No links yet.", className="small text-muted mb-0", id=ids.NONE)

    def when(value):
        return str(value)[:16].replace("T", " ") + " UTC" if value else "—"

    def status(row):
        if row.get("revoked"):
            return dbc.Badge("revoked", color="secondary")
        if row.get("expires") and str(row["expires"]) <= _now_iso():
            return dbc.Badge("expired", color="secondary")
        return dbc.Badge("live", color="success")

    # numbered by creation (oldest 1) and created to the second: two links of one minute were indistinguishable
    number = {r["id"]: k for k, r in enumerate(sorted(rows, key=lambda r: str(r.get("created") or "")), start=1)}
    head = html.Thead(html.Tr([html.Th(h, scope="col")
                               for h in ("Link", "Created", "Expires", "Last opened", "", "")]))
    body = html.Tbody([html.Tr([
        html.Td([f"#{number[r['id']]}", html.Span(f" {r['label']}", className="fw-semibold")
                 if r.get("label") else None]),
        html.Td(str(r["created"])[:19].replace("T", " ") + " UTC" if r.get("created") else "—"),
        html.Td(when(r.get("expires")) if r.get("expires") else "never"),
        html.Td(when(r.get("last_used"))), html.Td(status(r)),
        html.Td(None if r.get("revoked") else dcc.ConfirmDialogProvider(  # a revoked link cannot be restored
            dbc.Button("Revoke", color="outline-danger", size="sm", title="This link stops working at once"),
            id=ids.revoke_button(r["id"]), message=REVOKE_QUESTION)),
    ]) for r in rows])
    return stack_on_phones(dbc.Table([head, body], size="sm", className="awd-table mb-0 small", id=ids.TABLE))


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


#: What the "Share…" button changes: the dialog open or closed, and a re-listing when it opens.
TOGGLE_OUTPUTS = dict(is_open=Output(ids.COLLAPSE, "is_open"), refresh=Output(ids.REFRESH, "data"))


@callback(
    output=TOGGLE_OUTPUTS,
    inputs=dict(n_clicks=Input(ids.OPEN, "n_clicks")),
    state=dict(is_open=State(ids.COLLAPSE, "is_open"), refresh=State(ids.REFRESH, "data")),
    prevent_initial_call=True,
)
def toggle_share(n_clicks, is_open, refresh):
    """Open (and refresh) or close the share dialog."""
    if not n_clicks:
        return named_update(TOGGLE_OUTPUTS)
    return named_update(TOGGLE_OUTPUTS, is_open=not is_open, refresh=(refresh or 0) + (0 if is_open else 1))


@callback(
    output=Output(ids.LIST, "children"),
    inputs=dict(_refresh=Input(ids.REFRESH, "data")),
    state=dict(token=State(ids.TOKEN, "data")),
    prevent_initial_call=True,
)
async def list_shares(_refresh, token):
    """Every link of this job, live or not (``GET /api/jobs/{id}/shares``)."""
    if not is_job_id(token):
        return no_update
    try:
        rows = (await get_client().list_shares(token)).get("data", [])
    except ApiError as err:
        return dbc.Alert(f"Could not list the links: {err.message}", color="danger", className="py-1 small")
    return share_rows(rows)


#: What creating or revoking a link changes: the last link made, the status line, the list (re-listed), the name
#: box (emptied once its link is made).
CHANGE_OUTPUTS = dict(created=Output(ids.CREATED, "data", allow_duplicate=True),
                      label=Output(ids.LABEL, "value", allow_duplicate=True),
                      status=Output(ids.STATUS, "children", allow_duplicate=True),
                      refresh=Output(ids.REFRESH, "data", allow_duplicate=True))


@callback(
    output=CHANGE_OUTPUTS,
    inputs=dict(n_clicks=Input(ids.CREATE, "n_clicks")),
    state=dict(token=State(ids.TOKEN, "data"), expiry=State(ids.EXPIRY, "value"), label=State(ids.LABEL, "value"),
               refresh=State(ids.REFRESH, "data")),
    prevent_initial_call=True,
)
async def share(n_clicks, token, expiry, label, refresh):
    """Create a read-only share link (``POST /api/jobs/{id}/share``) with the chosen lifetime and name."""
    if not n_clicks or not is_job_id(token):
        return named_update(CHANGE_OUTPUTS)
    hours = None if expiry in (None, "never") else float(expiry)
    label = (label or "").strip()[:SHARE_LABEL_CHARS] or None
    try:
        created = await get_client().create_share(token, expires_in_hours=hours, label=label)
    except ApiError as err:
        return named_update(CHANGE_OUTPUTS, created=None, status=f"Could not create a link: {err.message}")
    expires = created.get("expires")
    made = str(created.get("created") or "")[:19].replace("T", " ")
    at = f" at {made} UTC" if made else ""
    named = f" “{created['label']}”" if created.get("label") else ""
    note = (f"Link{named} created{at}; it expires {str(expires)[:16].replace('T', ' ')} UTC." if expires
            else f"Link{named} created{at}; it works until you revoke it.")
    return named_update(CHANGE_OUTPUTS, created=created, status=note, label="", refresh=(refresh or 0) + 1)


@callback(
    output=CHANGE_OUTPUTS,
    inputs=dict(n_clicks=Input(ids.revoke_button(ALL), "submit_n_clicks")),
    state=dict(refresh=State(ids.REFRESH, "data"), created=State(ids.CREATED, "data")),
    prevent_initial_call=True,
)
async def revoke(n_clicks, refresh, created):
    """Revoke the link whose Revoke was confirmed, whichever it is (``DELETE /api/shares/{id}``)."""
    trig = triggered_id()
    if not trig or not any(n_clicks or []):
        return named_update(CHANGE_OUTPUTS)
    try:
        await get_client().revoke_share(trig["share"])
    except ApiError as err:
        return named_update(CHANGE_OUTPUTS, status=f"Could not revoke: {err.message}")
    change = named_update(CHANGE_OUTPUTS, status="Link revoked: it no longer opens this result.",
                          refresh=(refresh or 0) + 1)
    if created and created.get("id") == trig["share"]:
        change["created"] = None  # the new-link box goes with the link it showed
    return change


# The new link (absolute, once) in the box, and the box shown while there is one.
clientside_callback(
    """function (created) {
        if (!created || !created.url) { return ""; }
        return created.url.indexOf("http") === 0 ? created.url : window.location.origin + created.url;
    }""",
    Output(ids.URL, "value"),
    Input(ids.CREATED, "data"),
)
clientside_callback(
    """function (isOpen) {
        var host = window.location.hostname;
        var local = host === "localhost" || host === "[::1]" || host === "::1" || host.indexOf("127.") === 0;
        return local ? "small text-muted mb-2" : "small text-muted mb-2 awd-hidden";
    }""",
    Output(ids.LOCAL, "className"),
    Input(ids.COLLAPSE, "is_open"),
)
clientside_callback(  # opened with the keyboard, the panel takes the focus at its first field (review 20: the next
    # Tab stops were the buttons beside "Share…", not the panel it had opened)
    """function (isOpen) {
        if (isOpen) {
            setTimeout(function () {
                var field = document.getElementById("results-share-label");
                if (field) { field.focus(); }
            }, 350);
        }
        return window.dash_clientside.no_update;
    }""",
    Output(ids.LABEL, "placeholder"),
    Input(ids.COLLAPSE, "is_open"),
)
clientside_callback(
    """function (created) { return created && created.url ? "mb-2" : "mb-2 awd-hidden"; }""",
    Output(ids.NEW, "className"),
    Input(ids.CREATED, "data"),
)
