"""Text answers are gzip-compressed for clients that accept it (review 26B: a phone downloaded 7.7 MB on opening a
shared result, 4.7 MB of it plotly.js); arrays are sent as they are."""

import gzip


def test_text_answers_are_compressed_for_clients_that_accept_gzip(client):
    raw = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert raw.status_code == 200 and raw.headers.get("content-encoding") == "gzip"
    plain = client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert raw.json() == plain.json()  # httpx decodes the compressed body
    assert len(gzip.compress(plain.content)) < len(plain.content) / 3  # what the compression saves on it


def test_arrays_archives_images_and_event_streams_are_sent_as_they_are(app):
    gzip_layer = next(m for m in app.user_middleware if m.cls.__name__ == "GZipMiddleware")
    excluded = gzip_layer.kwargs["exclude_content_types"]
    assert {"application/octet-stream", "application/zip", "image/png", "text/event-stream"} <= set(excluded)
