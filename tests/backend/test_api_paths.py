"""``/api`` paths with the pages mounted: ``/api`` and ``/api/`` answer a JSON index (they answered Dash's HTML
page, and a JSON 404), a route's path with a trailing slash is redirected to it (``GET /api/jobs/`` was a 404 that
did not say the path was right but for its slash), any other unknown ``/api`` path is a JSON 404, and the pages'
own paths (``/jobs/``) are still Dash's."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def site(settings, redis_server, tmp_path_factory):
    """The whole app, API and pages, on a data directory of its own (no owner token: as the tests' clients)."""
    from awd_studio.backend.app import create_app

    root = tmp_path_factory.mktemp("api-paths")
    own = settings.model_copy(update={"data_dir": root, "database_url": f"sqlite:///{root / 'awd.sqlite3'}",
                                      "rate_limit_per_minute": 0.0})
    with TestClient(create_app(own, recovery=False)) as client:  # the lifespan mounts Dash's catch-all
        yield client


@pytest.mark.parametrize("path", ["/api", "/api/"])
def test_the_api_root_is_a_json_index_of_the_docs_and_the_resources(site, path):
    answer = site.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    index = answer.json()
    assert index["docs"] == "/docs" and index["openapi"] == "/openapi.json" and index["version"]
    assert site.get(index["openapi"]).json()["paths"]["/api"]["get"]  # documented
    assert site.get(index["docs"]).status_code == 200
    for name, resource in index["resources"].items():  # each answers (a job's result needs its id or token)
        if "{" not in resource and name != "estimate":
            assert site.get(resource).status_code == 200, resource
    assert set(index["resources"]) >= {"datasets", "jobs", "results", "teachers", "options", "health"}


def test_a_routes_path_with_a_trailing_slash_is_redirected_to_it(site):
    redirect = site.get("/api/jobs/", params={"limit": 2}, follow_redirects=False)
    # relative, so that a client behind a TLS proxy stays on https (review 33A)
    assert redirect.status_code == 307 and redirect.headers["location"] == "/api/jobs?limit=2"
    followed = site.get("/api/jobs/", params={"limit": 2})
    assert followed.status_code == 200 and followed.json() == site.get("/api/jobs", params={"limit": 2}).json()
    # 307 keeps the method and the body: a POST gets the route's own answer
    body = {"dataset_id": "00000000-0000-4000-8000-000000000000"}
    assert site.post("/api/jobs/estimate/", json=body, follow_redirects=False).status_code == 307
    assert site.post("/api/jobs/estimate/", json=body).json() == site.post("/api/jobs/estimate", json=body).json()
    assert site.get("/api/jobs/00000000-0000-4000-8000-000000000000/").status_code == 404  # the route's 404: no job
    assert "not found" in site.get("/api/jobs/00000000-0000-4000-8000-000000000000/").json()["detail"]


@pytest.mark.parametrize("path", ["/api/nope", "/api/nope/", "/api/jobs/a/b/c", "/api/health/x"])
def test_unknown_api_paths_are_json_404s_not_the_pages(site, path):
    answer = site.get(path, follow_redirects=False)
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/json", path
    assert answer.json()["detail"].startswith("not found: no API route")


def test_the_pages_own_paths_stay_the_pages(site):
    for path in ("/jobs/", "/jobs", "/configure", "/"):
        page = site.get(path, follow_redirects=False)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path
    assert site.post("/api", json={}).status_code == 405  # the index is read-only, in JSON too
    assert site.post("/api", json={}).headers["content-type"] == "application/json"
