"""Review 24A on the API's documents: /docs' example names no fixed address, the result, explanation and prediction
answers have schemas, the database's 503 is declared, and the errors say what the routes do."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

TOKEN = "review-24a-owner-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def document(client) -> dict:
    return client.get("/openapi.json").json()


def test_the_description_names_no_fixed_address(document):
    description = document["info"]["description"]
    assert not re.search(r"localhost|127\.0\.0\.1|:\d{4}\b", description), description
    code = re.search(r"```python\n(.*?)```", description, re.S).group(1)
    assert 'os.environ["AWD_URL"]' in code and 'os.environ["AWD_TOKEN"]' in code
    assert "`AWD_URL`" in description and "`AWD_TOKEN`" in description  # said once, in words


def _json_schema(document, path, method, code="200") -> dict:
    return document["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]


def test_the_result_explanation_and_prediction_answers_have_schemas(document):
    models = {("/api/results/{key}/explain", "post", "202"): "ExplanationStarted",
              ("/api/results/{key}/explain", "post", "200"): "ExplanationStarted",
              ("/api/results/{key}/explanations", "get", "200"): "ExplanationsPublic",
              ("/api/results/{key}/explanations/{explanation}", "get", "200"): "ExplanationDetail",
              ("/api/results/{key}/explain/mask", "post", "200"): "MaskEvaluationPublic",
              ("/api/results/{key}/predict", "post", "200"): "PredictionPublic"}
    for (path, method, code), name in models.items():
        assert _json_schema(document, path, method, code) == {"$ref": f"#/components/schemas/{name}"}, path
    result = _json_schema(document, "/api/results/{key}", "get")
    assert result["externalDocs"]["url"] == "/api/options/result-schema"
    assert {"data", "models", "wavelet", "verdict"} <= set(result["properties"]) and "models" in result["required"]
    prediction = document["components"]["schemas"]["PredictionPublic"]["properties"]
    assert {"model", "scores", "has_targets", "warnings", "y_pred", "y_true", "tiling", "ids"} <= set(prediction)


def test_the_routes_on_the_database_declare_its_503_with_retry_after(document):
    writes = [("/api/datasets", "post"), ("/api/datasets/{dataset_id}", "delete"), ("/api/jobs", "post"),
              ("/api/jobs/{job_id}/cancel", "post"), ("/api/teachers", "post"), ("/api/shares/{share}", "delete"),
              ("/api/examples/{name}", "post"), ("/api/jobs/{job_id}/share", "post"),
              ("/api/results/{key}/predict", "post"), ("/api/results/{key}", "get")]
    for path, method in writes:
        busy = document["paths"][path][method]["responses"].get("503")
        assert busy is not None and "Retry-After" in busy["headers"], (method, path)
    assert "503" not in document["paths"]["/api/health"]["get"]["responses"]  # health says "degraded" instead


def test_routes_without_parameters_say_what_their_422_is(document, client):
    """The 422 of a route that takes no input is the refusal of a query parameter in its URL (never ignored)."""
    for path in ("/api/health", "/api/session"):
        declared = document["paths"][path]["get"]["responses"]["422"]
        assert "takes none" in declared["description"], path
        assert client.get(path, params={"verbose": 1}).status_code == 422


def test_an_unknown_result_does_not_claim_expired_or_revoked_links(client):
    """Expired and revoked links answer 410 saying which; the 404 is for a wrong key only."""
    response = client.get("/api/results/never-a-share-token")
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert detail.startswith("key: 'never-a-share-token' is neither a job's id nor a share link; pass the job's full "
                             "id") and "expired" not in detail and "revoked" not in detail


def test_predict_answers_what_the_readme_says(settings, redis_server):
    """README: 401 without the owner token, whatever the path holds; 403 with a wrong token, or with the owner's
    token and a share link's token in the path (tests/integration/test_predict_route.py); 404 for a key that is
    neither (review 31A: a run's 8-character id was answered 403 "read-only")."""
    from awd_studio.backend.app import create_app

    app = create_app(settings.model_copy(update={"api_token": TOKEN, "rate_limit_per_minute": 0}), with_ui=False,
                     recovery=False)
    with TestClient(app) as locked:
        assert locked.post("/api/results/some-share-token/predict").status_code == 401
        assert locked.post("/api/results/some-share-token/predict",
                           headers={"Authorization": "Bearer wrong-token-of-someone"}).status_code == 403
        unknown = locked.post("/api/results/c59f8d23/predict", headers=BEARER)
        assert unknown.status_code == 404 and "the job's full id" in unknown.json()["detail"]
