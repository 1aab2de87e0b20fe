"""README's API table names every field of the answers it lists (review 30A: the prediction's answer had grown
seven fields the table did not name)."""

import re
from pathlib import Path

import pytest

from awd_studio.backend import schemas
from awd_studio.models.estimate import CALIBRATION_RANGE

README = Path(__file__).resolve().parents[2] / "README.md"

#: The README rows that list an answer's fields in braces, and the schema of that answer.
ANSWERS = {"GET /api": schemas.ApiIndexPublic, "GET /api/health": schemas.HealthPublic,
           "GET /api/session": schemas.SessionPublic,
           "POST /api/jobs/estimate": schemas.JobEstimate,
           "POST /api/results/{job id}/predict": schemas.PredictionPublic}


def _row(route: str) -> str:
    """The README's API table row of ``route``."""
    return next(line for line in README.read_text().splitlines() if line.startswith(f"| `{route}`"))


def _listed_fields(route: str) -> set[str]:
    listed = re.search(r"`\{([^`]*)\}`", _row(route).split("|")[2]).group(1)
    return {name.strip().rstrip("?") for name in listed.split(",")}


@pytest.mark.parametrize("route", list(ANSWERS))
def test_the_readme_names_every_field_of_the_answer(route):
    assert _listed_fields(route) == set(ANSWERS[route].model_fields)


def test_the_estimate_says_how_far_the_calibration_may_scale_the_cost_model():
    """The calibration factors are clamped to ``models.estimate.CALIBRATION_RANGE``; neither the README's row nor
    the OpenAPI fields said so."""
    bounds = "[{:g}, {:g}]".format(*CALIBRATION_RANGE)
    row = _row("POST /api/jobs/estimate")
    assert bounds in row and "CALIBRATION_RANGE" in row
    for field in ("stage_factors", "calibration_factor"):
        assert bounds in schemas.JobEstimate.model_fields[field].description, field
