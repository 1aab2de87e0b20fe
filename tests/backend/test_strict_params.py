"""Parameters a route does not read are refused by name, in the URL and in uploads, as in JSON bodies; a method
a path does not take is a 405 naming the ones it does; HEAD is served wherever GET is.

A reviewer's script sent ``tile_size`` instead of ``tile`` (the maps were stored untiled) and ``model`` as a
form field of predict (another model's predictions came back), both with a 200."""

from __future__ import annotations

import io

import torch

from tests.backend.conftest import example_npz


def test_an_unknown_query_parameter_is_refused_with_the_routes_own(client):
    assert client.get("/api/jobs", params={"limit": 3}).status_code == 200
    response = client.get("/api/jobs", params={"limitt": 3})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("query.limitt: is not a parameter of this request") and "limit" in detail
    none = client.get("/api/health", params={"verbose": 1})  # a route without query parameters says so
    assert none.status_code == 422 and none.json()["detail"].endswith("its query parameters: none")


def test_an_unknown_upload_field_is_refused_and_nothing_is_stored(client, data_dir):
    before = client.get("/api/datasets").json()["count"]
    response = client.post("/api/datasets", files={"file": ("maps.npz", example_npz(), "application/octet-stream")},
                           data={"tile_size": "64"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("tile_size: is not a field of this upload") and "'tile'" in detail, detail
    assert client.get("/api/datasets").json()["count"] == before
    assert not any((data_dir / "tmp").glob("**/*.npz"))  # the received file went with the refusal
    # a field the route reads still works
    named = client.post("/api/datasets", files={"file": ("maps.npz", example_npz(), "application/octet-stream")},
                        data={"name": "named"})
    assert named.status_code in (200, 201), named.text


def test_a_teacher_upload_refuses_a_misspelt_field(client):
    from awd_studio.models.teachers import build_teacher

    buffer = io.BytesIO()
    torch.save(build_teacher("mlp", (64,)).state_dict(), buffer)
    response = client.post("/api/teachers", files={"file": ("w.pt", buffer.getvalue(), "application/octet-stream")},
                           data={"architecture": "mlp"})
    assert response.status_code == 422 and response.json()["detail"].startswith("architecture: is not a field")
    assert "'arch'" in response.json()["detail"]


def test_the_openapi_document_declares_the_errors_the_api_sends(client):
    """Every /api operation's 422 is a Problem (one sentence), as sent, not FastAPI's list of validation errors (the
    upload's and the prediction's are an UploadProblem: a Problem with the remedies that would let the file through);
    the owner's routes
    declare 401 and 403; every route 429 (a script user's generated client failed on these)."""
    document = client.get("/openapi.json").json()
    problem = "#/components/schemas/Problem"
    for path, operations in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            for code in ("422", "429"):
                schema = responses[code]["content"]["application/json"]["schema"]
                # the upload's and the prediction's (an uploaded file too, with drop_incomplete as its remedy)
                uploads = {("post", "/api/datasets", "422"), ("post", "/api/results/{key}/predict", "422")}
                expected = "#/components/schemas/UploadProblem" if (method, path, code) in uploads else problem
                assert schema == {"$ref": expected}, (method, path, code, schema)
    upload_problem = document["components"]["schemas"]["UploadProblem"]["properties"]
    assert set(upload_problem) == {"detail", "remedies"} and "drop_incomplete" in upload_problem["remedies"][
        "description"]
    owner_paths = ["/api/jobs", "/api/datasets", "/api/teachers", "/api/shares/{share}", "/api/examples/{name}"]
    for path in owner_paths:
        for operation in document["paths"][path].values():
            assert {"401", "403"} <= set(operation["responses"]), path
    # the upload's and the job's refusals say which checks they are (review 21: "Unprocessable Entity")
    upload = document["paths"]["/api/datasets"]["post"]["responses"]
    assert "pickle" in upload["415"]["description"] and "upload limit" in upload["413"]["description"]
    submit = document["paths"]["/api/jobs"]["post"]["responses"]
    assert "Idempotency-Key" in submit["422"]["description"]
    job = document["components"]["schemas"]["JobCreate"]["properties"]
    assert "each from 0 to 10000" in job["lambdas"]["description"]


def test_a_method_the_path_does_not_take_is_405_with_the_methods_it_takes(client):
    """Review 10: ``PUT /api/jobs`` was a 404 "no API route /api/jobs", as if the path did not exist."""
    response = client.put("/api/jobs", json={})
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD, POST"
    assert response.json()["detail"] == "/api/jobs does not take PUT; it takes GET, HEAD, POST"
    wrong = client.get("/api/jobs/00000000-0000-4000-8000-000000000000/cancel")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    assert client.patch("/api/datasets/x").headers["allow"] == "DELETE, GET, HEAD"
    unknown = client.put("/api/nothing-here")
    assert unknown.status_code == 404 and "no API route /api/nothing-here" in unknown.json()["detail"]


def test_every_method_a_path_does_not_take_gets_all_the_methods_it_takes(client):
    """A method none of a path's routes took (OPTIONS, TRACE, WebDAV's) was answered by the path's first route,
    whose ``Allow`` named its own methods: ``OPTIONS /api/jobs`` said ``Allow: POST``, though GET is served there."""
    for method in ("OPTIONS", "TRACE", "PROPFIND"):
        response = client.request(method, "/api/jobs")
        assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD, POST", (method, response.text)
        assert response.json()["detail"] == f"/api/jobs does not take {method}; it takes GET, HEAD, POST"
    assert client.options("/api/datasets").headers["allow"] == "GET, HEAD, POST"
    index = client.post("/api", json={})  # the index itself, outside the resources' router
    assert index.status_code == 405 and index.headers["allow"] == "GET, HEAD"
    assert client.options("/api/nothing-here").status_code == 404


def test_head_is_served_wherever_get_is(client, dataset):
    """HEAD of an API path that serves GET was a 405 (FastAPI's routes take only the methods they name); it is the
    GET's status and headers without the body, on every GET path of the OpenAPI document."""
    paths = [path.replace("{dataset_id}", dataset["id"])
             for path, operations in client.get("/openapi.json").json()["paths"].items()
             if "get" in operations and ("{" not in path or path == "/api/datasets/{dataset_id}")]
    assert "/api/jobs" in paths and f"/api/datasets/{dataset['id']}" in paths
    for path in [*paths, "/api/"]:
        got, head = client.get(path), client.head(path)
        assert got.status_code == 200 and head.status_code == 200, (path, head.headers)
        # the same headers but the length: a list of jobs another test's worker moves on changes between requests
        same = {k: v for k, v in got.headers.items() if k != "content-length"}
        assert head.content == b"" and {k: v for k, v in head.headers.items() if k != "content-length"} == same, path
        assert int(head.headers["content-length"]) > 0, path
    # on a path whose answer does not move, the length too
    assert client.head("/api/options").headers["content-length"] == client.get("/api/options").headers[
        "content-length"]
    gone = client.head("/api/datasets/00000000-0000-4000-8000-000000000000")
    assert gone.status_code == 404 and gone.content == b""
    post_only = client.head("/api/jobs/00000000-0000-4000-8000-000000000000/cancel")
    assert post_only.status_code == 405 and post_only.headers["allow"] == "POST"
    assert client.head("/api/nothing-here").status_code == 404
