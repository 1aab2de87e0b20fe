"""Owner access: without the owner's token or cookie, every owner route and page is refused; share links
still open their one result; revoking any link of a job, including an earlier one, closes it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from awd_studio.backend.auth import OWNER_COOKIE, cookie_value
from awd_studio.jobstate import crud
from awd_studio.jobstate.db import get_sessionmaker

TOKEN = "owner-token-for-the-tests-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
#: Routes anyone may call: the API's index (links to the docs and the resources), liveness, "am I the owner?", and
#: results by share token (checked per key).
PUBLIC = {("/api", "get"), ("/api/health", "get"), ("/api/session", "get")}
SHARE_READ = re.compile(r"^/api/results/\{key\}")
SOME_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def locked(settings, redis_server):
    """The whole app (API and pages) with an owner token, as `awd serve` runs it."""
    from awd_studio.backend.app import create_app

    app = create_app(settings.model_copy(update={"api_token": TOKEN}), with_ui=True, recovery=False)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", SOME_ID, path)


def test_every_owner_route_in_openapi_refuses_a_stranger(locked):
    spec = locked.get("/openapi.json").json()
    checked = 0
    for path, methods in spec["paths"].items():
        for method in methods:
            if (path, method) in PUBLIC:
                continue
            url = _fill(path)
            stranger = locked.request(method.upper(), url)
            wrong = locked.request(method.upper(), url, headers={"Authorization": "Bearer not-the-token-at-all"})
            if SHARE_READ.match(path):  # a job id needs the owner; a share token does not
                assert stranger.status_code == 401, (method, path, stranger.text)
                if method == "get":  # (a POST's body is checked first: 422 without one)
                    unknown_share = path.replace("{key}", "no-such-share").replace("{name}", "x")
                    assert locked.get(unknown_share).status_code == 404, path
            else:
                assert stranger.status_code == 401, (method, path, stranger.status_code, stranger.text)
                assert stranger.headers.get("www-authenticate") == "Bearer"
                assert "awd serve" in stranger.json()["detail"]
            assert wrong.status_code == 403, (method, path, wrong.status_code)
            if method == "get":  # HEAD is the GET without its body: refused alike
                head = locked.head(url)
                assert (head.status_code, head.content) == (stranger.status_code, b""), (path, head.status_code)
            checked += 1
    assert checked >= 20, "the OpenAPI document lists fewer owner routes than expected"
    assert locked.get("/api/jobs", headers=BEARER).status_code == 200
    assert locked.get("/api/jobs", cookies={OWNER_COOKIE: cookie_value(TOKEN)}).status_code == 200


def test_public_routes_stay_public(locked):
    assert locked.get("/api").status_code == locked.get("/api/").status_code == 200
    assert locked.get("/api/jobs/").status_code == 307 and locked.get("/api/jobs").status_code == 401  # redirected
    assert locked.get("/api/health").status_code == 200
    assert locked.get("/api/session").json() == {"owner": False, "token_required": True}
    assert locked.get("/api/session", headers=BEARER).json()["owner"] is True


@pytest.mark.parametrize("path", ["/", "/configure", "/jobs", f"/jobs/{SOME_ID}", f"/results/{SOME_ID}",
                                  "/no/such/page"])
def test_owner_pages_need_the_cookie(locked, path):
    page = locked.get(path)
    assert page.status_code == 401 and "awd serve" in page.text and "_dash-renderer" not in page.text
    owner = locked.get(path, cookies={OWNER_COOKIE: cookie_value(TOKEN)})
    expected = 404 if path == "/no/such/page" else 200  # the owner sees the not-found page, with its status
    assert owner.status_code == expected and ("_dash-renderer" in owner.text or "dash_renderer" in owner.text)


def test_the_printed_link_sets_an_httponly_cookie_and_drops_the_token(locked):
    response = locked.get(f"/jobs?token={TOKEN}&x=1")
    assert response.status_code == 303 and response.headers["location"] == "/jobs?x=1"
    cookie = response.headers["set-cookie"]
    assert f"{OWNER_COOKIE}={cookie_value(TOKEN)}" in cookie and TOKEN not in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert locked.get("/?token=wrong-token").status_code == 403


def test_a_share_page_opens_without_the_cookie(locked):
    page = locked.get("/results/some-share-token")
    assert page.status_code == 200 and ("_dash-renderer" in page.text or "dash_renderer" in page.text)


def _succeeded_job(settings, dataset_id) -> str:
    """A job row moved to succeeded with a result directory (the share routes only need that)."""
    factory = get_sessionmaker(settings.sqlalchemy_url)
    with factory() as session:
        job = crud.create_job(session, dataset_id=dataset_id, teacher_id=None, config={})
        attempt = crud.claim_job(session, job_id=job.id, worker="test@host")
        result = settings.data_dir / "jobs" / job.id / f"attempt-{attempt}" / "result"
        result.mkdir(parents=True)
        (result / "result.json").write_text('{"schema": "awd-result/1"}')
        assert crud.finish_job(session, job_id=job.id, attempt=attempt, state="succeeded",
                               result_dir=str(result.relative_to(settings.data_dir)))
        return job.id


def test_revoking_an_earlier_link_closes_it(locked, settings, dataset):
    job_id = _succeeded_job(settings, dataset["id"])
    first = locked.post(f"/api/jobs/{job_id}/share", headers=BEARER).json()
    second = locked.post(f"/api/jobs/{job_id}/share", headers=BEARER, json={"expires_in_hours": 24}).json()
    assert locked.get(f"/api/results/{first['token']}").status_code == 200
    listed = locked.get(f"/api/jobs/{job_id}/shares", headers=BEARER).json()["data"]
    assert {s["id"] for s in listed} == {first["id"], second["id"]}
    used = {s["id"]: s["last_used"] for s in listed}
    assert used[first["id"]] is not None and used[second["id"]] is None
    assert "token" not in listed[0]

    assert locked.delete(f"/api/shares/{first['id']}", headers=BEARER).status_code == 204
    gone = locked.get(f"/api/results/{first['token']}")
    assert gone.status_code == 410 and "revoked" in gone.json()["detail"]
    assert locked.get(f"/api/results/{second['token']}").status_code == 200



def test_a_link_to_a_deleted_result_says_it_was_deleted(locked, settings, dataset):
    """Review 13: after the owner deleted the job, its links answered 404 "unknown job, or a share link that is
    wrong, expired or revoked", a revoked one included; they now say the result was deleted (410)."""
    job_id = _succeeded_job(settings, dataset["id"])
    live = locked.post(f"/api/jobs/{job_id}/share", headers=BEARER).json()
    revoked = locked.post(f"/api/jobs/{job_id}/share", headers=BEARER).json()
    assert locked.delete(f"/api/shares/{revoked['id']}", headers=BEARER).status_code == 204
    assert locked.delete(f"/api/jobs/{job_id}", headers=BEARER).status_code == 204
    for link in (live, revoked):
        gone = locked.get(f"/api/results/{link['token']}")
        assert gone.status_code == 410 and "deleted this result" in gone.json()["detail"], gone.text
    assert locked.get("/api/results/never-a-link").status_code == 404  # an unknown token stays unknown

def test_links_carry_the_owners_name(locked, settings, dataset):
    job_id = _succeeded_job(settings, dataset["id"])
    named = locked.post(f"/api/jobs/{job_id}/share", headers=BEARER, json={"label": "  for the referee "}).json()
    blank = locked.post(f"/api/jobs/{job_id}/share", headers=BEARER, json={"label": "   "}).json()
    assert named["label"] == "for the referee" and blank["label"] is None
    listed = {s["id"]: s["label"] for s in locked.get(f"/api/jobs/{job_id}/shares", headers=BEARER).json()["data"]}
    assert listed == {named["id"]: "for the referee", blank["id"]: None}
    too_long = locked.post(f"/api/jobs/{job_id}/share", headers=BEARER, json={"label": "x" * 81})
    assert too_long.status_code == 422 and "label" in too_long.text
    assert "for the referee" not in locked.get(f"/api/results/{named['token']}").text  # the reader never sees it


def test_an_expired_link_says_so(locked, settings, dataset):
    job_id = _succeeded_job(settings, dataset["id"])
    share = locked.post(f"/api/jobs/{job_id}/share", headers=BEARER, json={"expires_in_hours": 1}).json()
    with get_sessionmaker(settings.sqlalchemy_url)() as session:
        row = crud.find_share_by_token(session, token=share["token"])
        row.expires = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
        session.commit()
    response = locked.get(f"/api/results/{share['token']}")
    assert response.status_code == 410 and "expired" in response.json()["detail"]


def test_the_api_docs_say_how_to_authenticate(locked):
    """/docs had no Authorize button and openapi.json no word of the owner token: "Try it out" only got 401."""
    spec = locked.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["owner token"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer" and "awd serve" in scheme["description"]
    assert {"owner token": []} in spec["paths"]["/api/jobs"]["post"]["security"]
    assert "security" not in spec["paths"]["/api/health"]["get"]  # public routes ask for nothing
