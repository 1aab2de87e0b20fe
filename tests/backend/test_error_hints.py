"""Errors that say what to do (API review): a result asked by the 8 characters of a run's file names."""

from __future__ import annotations


def test_a_result_asked_by_its_ids_first_8_characters_says_to_pass_the_full_id(client):
    """The predict route explained the 8-character trap; GET /api/results/<8 characters> said only "no result here".
    Every route of a result (its files, its explanations) answers with the same sentence."""
    for path in ("/api/results/1a2b3c4d", "/api/results/1a2b3c4d/files", "/api/results/1a2b3c4d/explanations"):
        response = client.get(path)
        assert response.status_code == 404, path
        detail = response.json()["detail"]
        assert detail.startswith("key: '1a2b3c4d' is neither a job's id nor a share link; pass the job's full id")
        assert "the 8 characters in a result's file names are only its start" in detail
        assert detail.endswith("or a share link's whole token"), detail
    gone = client.get("/api/results/00000000-0000-4000-8000-000000000000")
    assert gone.status_code == 404 and "GET /api/jobs lists them" in gone.json()["detail"]
