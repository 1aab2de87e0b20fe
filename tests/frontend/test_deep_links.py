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


def test_an_address_that_is_no_page_answers_404_with_the_not_found_page(settings, redis_server):
    """Dash's catch-all answered 200 for any address; the not-found page now comes with 404. Pages, templated
    pages (any job id: the page itself says when the job is missing), the API and Dash's routes are untouched."""
    from fastapi.testclient import TestClient

    from awd_studio.backend.app import create_app

    with TestClient(create_app(settings, recovery=False)) as client:
        missing = client.get("/nonexistent-page")
        assert missing.status_code == 404 and "/assets/awd.js" in missing.text  # the UI still draws its 404 card
        assert client.get("/jobs/12345/extra").status_code == 404
        for path in ("/", "/configure", "/jobs", "/jobs/", "/jobs/any-id", "/results/any-token", "/help",
                     "/compare"):
            assert client.get(path).status_code == 200, path
        assert client.get("/_dash-layout").status_code == 200
        assert client.get("/docs").status_code == 200 and client.get("/redoc").status_code == 200
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/nope").status_code == 404 and client.get("/api/nope").json()["detail"]
        # beside the pages' catch-all too, a method an API path does not take is a 405 naming the ones it takes
        wrong = client.put("/api/health")
        assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD", wrong.text
        assert client.head("/api/health").status_code == 200 and client.head("/api/nope").status_code == 404
