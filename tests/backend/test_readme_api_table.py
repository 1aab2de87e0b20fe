"""README's API table names every field of the answers it lists (review 30A: the prediction's answer had grown
seven fields the table did not name)."""

import re
from pathlib import Path

import pytest

from awd_studio.backend import schemas

README = Path(__file__).resolve().parents[2] / "README.md"

#: The README rows that list an answer's fields in braces, and the schema of that answer.
ANSWERS = {"GET /api": schemas.ApiIndexPublic, "GET /api/health": schemas.HealthPublic,
           "GET /api/session": schemas.SessionPublic,
           "POST /api/jobs/estimate": schemas.JobEstimate,
           "POST /api/results/{job id}/predict": schemas.PredictionPublic}


def _listed_fields(route: str) -> set[str]:
    row = next(line for line in README.read_text().splitlines() if line.startswith(f"| `{route}`"))
    listed = re.search(r"`\{([^`]*)\}`", row.split("|")[2]).group(1)
    return {name.strip().rstrip("?") for name in listed.split(",")}


@pytest.mark.parametrize("route", list(ANSWERS))
def test_the_readme_names_every_field_of_the_answer(route):
    assert _listed_fields(route) == set(ANSWERS[route].model_fields)
