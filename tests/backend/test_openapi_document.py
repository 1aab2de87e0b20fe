"""The OpenAPI document says what the routes send (API review: the file routes declared a JSON 200 they never send,
an array's bounds were string keywords, and the grids' text form was accepted without being declared)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def document(client) -> dict:
    return client.get("/openapi.json").json()


def _ok_content(document, path: str) -> dict:
    return document["paths"][path]["get"]["responses"]["200"]["content"]


def test_the_file_routes_declare_the_types_they_send_and_no_json_they_do_not(document):
    """FastAPI adds ``application/json`` beside the content a route declares unless its response class says
    otherwise: the archive and a result's files listed a JSON 200 that never comes."""
    archive = _ok_content(document, "/api/results/{key}/archive")
    assert archive == {"application/zip": {"schema": {"type": "string", "format": "binary"}}}
    files = _ok_content(document, "/api/results/{key}/files/{name}")
    assert set(files) == {"application/json", "application/octet-stream", "image/png", "image/svg+xml", "text/csv"}
    assert files["application/json"]["schema"] == {"type": "object"}  # result.json, summary.json: objects
    assert files["image/png"]["schema"] == {"type": "string", "format": "binary"}
    explanation = _ok_content(document, "/api/results/{key}/explanations/{explanation}/files/{name}")
    assert set(explanation) == {"application/json", "application/octet-stream", "image/png", "image/svg+xml"}
    # no 2xx anywhere is an empty-schema JSON (FastAPI's placeholder for "whatever the route returns")
    placeholders = [(method, path) for path, operations in document["paths"].items()
                    for method, operation in operations.items()
                    for code, answer in operation["responses"].items()
                    if code.startswith("2") and answer.get("content", {}).get("application/json") == {"schema": {}}]
    assert placeholders == []


def test_the_files_list_names_the_types_the_document_declares():
    from awd_studio.backend.routes.results import ARTIFACT_MEDIA_TYPES, artifact_media_type

    names = ["result.json", "arrays.npz", "student.csv", "figures/wavelet.png", "figures/wavelet.svg",
             "teacher.safetensors", "explanations/0123456789abcdef/summary.json"]
    assert {artifact_media_type(name) for name in names} == set(ARTIFACT_MEDIA_TYPES)


def test_the_masks_bounds_are_array_bounds(document, client):
    """``mask`` is a flat list or a list of rows: pydantic wrote its length bounds as ``maxLength`` (a string's)
    beside the ``anyOf``; each list branch carries ``minItems``/``maxItems``, and they are still enforced."""
    mask = document["components"]["schemas"]["MaskBody"]["properties"]["mask"]
    assert "maxLength" not in mask and "minLength" not in mask
    assert [(branch["type"], branch["minItems"], branch["maxItems"]) for branch in mask["anyOf"]] \
        == [("array", 1, 4096), ("array", 1, 4096)]
    from awd_studio.backend.routes.explain import MaskBody

    for too_long in ([0.5] * 4097, [[0.5]] * 4097, []):
        with pytest.raises(ValueError):
            MaskBody(mask=too_long)


def test_the_grids_text_form_is_declared(document):
    """``"lambdas": "0.001,0.005"`` (the CLI's text, review 14) is taken: the schema says so beside the list."""
    job = document["components"]["schemas"]["JobCreate"]
    for name in ("lambdas", "gammas"):
        kinds = [branch["type"] for branch in job["properties"][name]["anyOf"]]
        assert kinds == ["array", "string", "null"], (name, kinds)
    assert job["examples"] == [{"dataset_id": "the id POST /api/datasets or POST /api/examples/{name} answered"}]


def test_the_examples_of_the_schema_helpers_hold():
    import doctest

    from awd_studio.backend import schemas
    from awd_studio.backend.routes import explain, results

    for module in (schemas, explain, results):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_an_explanations_times_are_iso_like_every_other(document, tmp_path):
    """API review: an explanation's ``created`` was a Unix float where every other resource gives an ISO 8601 time.
    Its ``status.json`` keeps Unix times (the worker's); the API writes them as pydantic writes the others'."""
    import datetime as dt

    from awd_studio.backend.routes.explain import _public
    from awd_studio.backend.schemas import DatasetPublic

    for name in ("created", "updated"):
        field = document["components"]["schemas"]["ExplanationPublic"]["properties"][name]
        assert {"type": "string", "format": "date-time"} in field["anyOf"], field
    shown = _public({"id": "0123456789abcdef", "state": "queued", "created": 1765000000.25,
                     "updated": 1765000001.0}, tmp_path, with_data=False)
    assert shown["created"] == "2025-12-06T05:46:40.250000Z" and shown["updated"] == "2025-12-06T05:46:41Z"
    # the same form as a stored resource's time
    made = dt.datetime.fromtimestamp(1765000001.0, dt.timezone.utc)
    dataset = DatasetPublic(id="d", name="d", source="upload", kind="timeseries", shape=[4], n=20, sha256="0",
                            size_bytes=1, summary={}, created=made)
    assert dataset.model_dump(mode="json")["created"] == shown["updated"]
    assert _public({"id": "0123456789abcdef", "state": "queued"}, tmp_path, with_data=False)["created"] is None
