"""Every page, opened first after a start, is served with the app's own scripts and styles."""

import pytest


@pytest.mark.parametrize("path", ["/results/some-share-token", "/configure?dataset=x", "/jobs", "/"])
def test_a_deep_link_as_the_first_request_gets_the_assets(settings, redis_server, path):
    """Dash's FastAPI backend finishes its set-up only on a request for "/"; the app makes that request itself."""
    from fastapi.testclient import TestClient

    from awd_studio.backend.app import create_app

    with TestClient(create_app(settings, recovery=False)) as client:  # runs the lifespan, as uvicorn does
        page = client.get(path)
    assert page.status_code == 200
    assert "/assets/awd.js" in page.text and "/assets/awd.css" in page.text
