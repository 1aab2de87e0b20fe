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
from dash import Dash, dcc, html, set_props

from frontend import api_client

__all__ = ["create_dash", "PAGES_DIR", "ASSETS_DIR", "BOOTSTRAP_CSS", "report_error", "navbar"]

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
    """The top bar: brand plus links to the main pages."""
    links = [("Upload", "/"), ("Configure", "/configure"), ("Jobs", "/jobs")]
    return dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand([html.Span("ψ", className="me-2 awd-logo", **{"aria-hidden": "true"}), "AWD Studio"], href="/"),
            dbc.Nav([dbc.NavItem(dbc.NavLink(label, href=href, active="exact")) for label, href in links],
                    navbar=True, className="ms-auto"),
        ], fluid="lg"),
        color="dark", dark=True, className="mb-4", id="app-navbar",
    )


def _layout() -> html.Div:
    return html.Div([
        navbar(),
        dcc.Location(id="app-nav", refresh="callback-nav"),
        dbc.Container([
            dbc.Alert(id="app-error", color="danger", is_open=False, dismissable=True, className="mt-2"),
            html.Main(dash.page_container, id="app-main"),
        ], fluid="lg", className="pb-5"),
        html.Footer(dbc.Container(html.Small(
            "AWD Studio · adaptive wavelet distillation · data stay on this server", className="text-muted"),
            fluid="lg"), className="border-top py-3 mt-4"),
    ])


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
    app = Dash(
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
    return app
