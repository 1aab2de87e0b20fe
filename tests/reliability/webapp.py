"""The uvicorn factory of the reliability tests' web process: the API without the Dash pages."""

from awd_studio.backend.app import create_app


def create():
    """``uvicorn --factory tests.reliability.webapp:create``: settings from the environment, API only."""
    return create_app(with_ui=False)
