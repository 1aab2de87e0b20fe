"""The Dash application of AWD Studio, mounted on the backend's FastAPI app.

``backend.app.create_app()`` builds FastAPI with every ``/api`` route, then calls
:func:`create_dash` to add the pages. Dash 4 registers its catch-all page route
when the server starts (ASGI lifespan), i.e. after ``/api``, so the API wins.

Bootstrap's CSS is served from ``assets/vendor`` (no CDN: the app must work
offline). Callback errors that a page does not handle itself are logged with
their traceback and shown in a dismissable alert at the top of every page.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, callback, clientside_callback, dcc, html, set_props

from awd_studio.frontend import api_client
from awd_studio.frontend.components import APP_NAV, SUBMITTED_JOB, VIEWPORT, is_job_id

__all__ = ["create_dash", "StudioDash", "PAGES_DIR", "ASSETS_DIR", "BOOTSTRAP_CSS", "report_error", "navbar", "is_share_path",
           "owner_gate"]

log = logging.getLogger("frontend")

PAGES_DIR = Path(__file__).resolve().parent / "pages"
ASSETS_DIR = Path(__file__).resolve().parent / "assets"
BOOTSTRAP_CSS = "/assets/vendor/bootstrap.min.css"


def report_error(err: BaseException) -> None:
    """Global callback error handler: log with traceback, tell the user in plain words.

    Parameters
    ----------
    err : BaseException
        The exception a callback raised.
    """
    log.error("callback failed: %s", err, exc_info=(type(err), err, err.__traceback__))
    message = getattr(err, "message", None) or str(err) or err.__class__.__name__
    set_props("app-error", {"children": f"Something went wrong: {message}", "is_open": True})


def navbar() -> dbc.Navbar:
    """The top bar: brand plus links to the owner's pages (hidden until :func:`owner_gate` shows them)."""
    links = [("Upload", "/"), ("Configure", "/configure"), ("Jobs", "/jobs"), ("Help", "/help")]
    return dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand([html.Span("ψ", className="me-2 awd-logo", **{"aria-hidden": "true"}), "AWD Studio"],
                            id="app-brand"),
            # on a phone the links fold behind a menu button (stacked, they took about 175 px of the screen)
            dbc.NavbarToggler(id="app-nav-toggle", className="awd-hidden"),
            dbc.Collapse(dbc.Nav([dbc.NavItem(dbc.NavLink(label, href=href, active="exact"))
                                  for label, href in links],
                                 navbar=True, className="ms-auto awd-hidden", id="app-nav-links"),
                         id="app-nav-collapse", navbar=True, is_open=False),
        ], fluid="lg"),
        color="dark", dark=True, expand="sm", className="mb-4", id="app-navbar",
    )


# the menu button opens and closes the links; opening a page closes them
clientside_callback(
    """function (_clicks, _pathname, isOpen) {
        const fired = (dash_clientside.callback_context.triggered || []).map(t => t.prop_id);
        return fired.includes("app-nav-toggle.n_clicks") ? !isOpen : false;
    }""",
    Output("app-nav-collapse", "is_open"),
    Input("app-nav-toggle", "n_clicks"), Input(APP_NAV, "pathname"), State("app-nav-collapse", "is_open"))


def is_share_path(pathname: str | None) -> bool:
    """``True`` for ``/results/<share token>``: a read-only page that shows no owner navigation."""
    parts = (pathname or "/").strip("/").split("/")
    return len(parts) == 2 and parts[0] == "results" and not is_job_id(parts[1])


def _owner_required_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H1("This page belongs to the owner of this AWD Studio", className="h4"),
        html.P(["Open the link that ", html.Code("awd serve"), " printed when it started (it ends in ",
                html.Code("/?token=…"), "); this browser then remembers it."]),
        html.P("Results shared with you open without it.", className="text-muted mb-0"),
    ]), className="shadow-sm mx-auto", style={"maxWidth": "40rem"}, id="app-owner-required")


@callback(
    Output("app-nav-links", "className"),
    Output("app-nav-toggle", "className"),
    Output("app-brand", "href"),
    Output("app-owner-gate", "children"),
    Output("app-main", "className"),
    Input(APP_NAV, "pathname"),
)
async def owner_gate(pathname):
    """Owner navigation for the owner; none on a share link; a short explanation instead of an owner page
    for anyone else (the API refuses their requests in any case)."""
    hidden, shown = ("ms-auto awd-hidden", "awd-hidden"), ("ms-auto", "")  # the links and the menu button
    if is_share_path(pathname):
        return *hidden, None, None, ""
    try:
        owner = (await api_client.get_client().session()).get("owner", False)
    except api_client.ApiError:
        owner = False
    if owner:
        return *shown, "/", None, ""
    if "/" + (pathname or "/").strip("/") == "/help":  # public: a share link's reader follows "?" links here
        return *hidden, None, None, ""
    return *hidden, None, _owner_required_card(), "awd-hidden"


# the window's width, for the callbacks that lay out panels (components.panel_columns); read when a page opens
clientside_callback("function (_pathname) { return window.innerWidth; }", Output(VIEWPORT, "data"),
                    Input(APP_NAV, "pathname"))


def _layout() -> html.Div:
    """The app's frame around the pages. A failure is logged with its traceback: Dash answers the browser with a
    bare HTTP 500 and logs nothing."""
    try:
        return _frame()
    except Exception:
        log.exception("the app's layout failed")
        raise


def _frame() -> html.Div:
    return html.Div([
        navbar(),
        dcc.Location(id=APP_NAV, refresh="callback-nav"),
        dcc.Store(id=SUBMITTED_JOB, storage_type="session"),
        dcc.Store(id=VIEWPORT),
        dbc.Container([
            dbc.Alert(id="app-error", color="danger", is_open=False, dismissable=True, className="mt-2"),
            html.Div(id="app-owner-gate"),
            html.Main(dash.page_container, id="app-main"),
        ], fluid="lg", className="pb-5"),
        html.Footer(dbc.Container(html.Small(
            "AWD Studio · adaptive wavelet distillation · data stay on this server", className="text-muted"),
            fluid="lg"), className="border-top py-3 mt-4"),
    ])


class StudioDash(Dash):
    """Dash as AWD Studio runs it: callbacks over HTTP only.

    On FastAPI, Dash 4 advertises a WebSocket endpoint in the page's config even with WebSocket callbacks off,
    and the browser then tries to open it on every page view (the server logs two warnings each time, or a
    connection per page where a WebSocket library is installed). The pages use no WebSocket callback, so the
    config leaves the endpoint out and the browser never asks.
    """

    def _config(self):
        config = super()._config()
        if not self._websocket_callbacks:
            config.pop("websocket", None)
        return config


def create_dash(server) -> Dash:
    """Mount the Dash pages on a FastAPI app.

    Parameters
    ----------
    server : fastapi.FastAPI
        The backend's app, with its ``/api`` routes already added.

    Returns
    -------
    dash.Dash
        The Dash app (its routes live on ``server``).
    """
    api_client.configure(app=server)
    app = StudioDash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        assets_folder=str(ASSETS_DIR),
        assets_ignore=r"bootstrap\.min\.css$",
        external_stylesheets=[BOOTSTRAP_CSS],
        title="AWD Studio",
        update_title=None,
        suppress_callback_exceptions=True,
        on_error=report_error,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = _layout
    # the pages' language, for screen readers and the browser's spelling and hyphenation
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)
    return app
