"""``GET /api/results/{key}`` answers 304 to an ``If-None-Match`` naming its ETag, after the visitor's access is
checked as for a full answer (the results page's callbacks keep the bundle and ask again on each click)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.backend.test_owner_access import BEARER, TOKEN, _succeeded_job


@pytest.fixture(scope="module")
def locked(settings, redis_server):
    """The API with an owner token, as `awd serve` runs it."""
    from awd_studio.backend.app import create_app

    app = create_app(settings.model_copy(update={"api_token": TOKEN}), with_ui=False, recovery=False)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_the_same_etag_gets_304_without_a_body_and_a_changed_file_a_new_answer(locked, settings, dataset):
    job_id = _succeeded_job(settings, dataset["id"])
    first = locked.get(f"/api/results/{job_id}", headers=BEARER)
    assert first.status_code == 200 and first.json() == {"schema": "awd-result/1"}
    etag = first.headers["etag"]
    again = locked.get(f"/api/results/{job_id}", headers={**BEARER, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    listed = locked.get(f"/api/results/{job_id}", headers={**BEARER, "If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304
    assert locked.get(f"/api/results/{job_id}", headers={**BEARER, "If-None-Match": '"other"'}).status_code == 200

    path = next(settings.data_dir.glob(f"jobs/{job_id}/attempt-*/result/result.json"))
    path.write_text('{"schema": "awd-result/1", "rewritten": true}')
    changed = locked.get(f"/api/results/{job_id}", headers={**BEARER, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["rewritten"] is True and changed.headers["etag"] != etag


def test_an_etag_opens_nothing_the_visitor_may_not_read(locked, settings, dataset):
    job_id = _succeeded_job(settings, dataset["id"])
    etag = locked.get(f"/api/results/{job_id}", headers=BEARER).headers["etag"]
    assert locked.get(f"/api/results/{job_id}", headers={"If-None-Match": etag}).status_code == 401
    share = locked.post(f"/api/jobs/{job_id}/share", headers=BEARER).json()
    assert locked.get(f"/api/results/{share['token']}", headers={"If-None-Match": etag}).status_code == 304
    assert locked.delete(f"/api/shares/{share['id']}", headers=BEARER).status_code == 204
    assert locked.get(f"/api/results/{share['token']}", headers={"If-None-Match": etag}).status_code == 410
