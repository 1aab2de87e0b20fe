"""Celery tasks of explanations: one explanation of one test example of a result, and the teacher's expected
output under a hand-drawn mask. They call :mod:`models.pipeline.explain_result`; the state of an explanation
lives in its folder (:mod:`jobstate.explanations`), not in the database.
"""

from __future__ import annotations

import logging

from awd_studio.jobstate import explanations as store
from awd_studio.jobstate.config import get_settings
from awd_studio.jobstate.storage import Paths
from awd_studio.models.pipeline import explain_result
from awd_studio.models.validation import InputError
from awd_studio.worker.celery_app import celery_app

__all__ = ["explain_example", "evaluate_drawn_mask"]

log = logging.getLogger(__name__)


def _result_dir(relative: str):
    paths = Paths(get_settings().data_dir)
    path = (paths.root / relative).resolve()
    if paths.root not in path.parents:
        raise InputError("result", "is not under the data directory", "send a result directory of this server")
    return paths, path


@celery_app.task(name=store.TASK_EXPLAIN, bind=True)
def explain_example(self, relative_result_dir: str, explanation_id: str) -> str:
    """Compute one explanation whose ``status.json`` the web process wrote (state ``queued``)."""
    paths, result_dir = _result_dir(relative_result_dir)
    folder = paths.explanation_dir(result_dir, explanation_id)
    status = store.read_status(folder)
    if status is None:
        return "missing"
    if status.get("state") == "succeeded":
        return "cached"
    store.write_status(folder, state="running", fraction=0.0, message="starting", worker=self.request.hostname)

    def progress(_stage, fraction, message):
        store.write_status(folder, state="running", fraction=round(float(fraction), 4), message=message)

    try:
        e, baseline, facts = explain_result.explain_example(result_dir, status["request"], progress=progress)
        store.write_status(folder, state="running", fraction=1.0, message="drawing the figure")
        explain_result.save_explanation(folder, e, baseline, facts, status["request"])
    except InputError as exc:
        store.write_status(folder, state="failed", error=str(exc), message="failed")
        return "failed"
    except Exception as exc:  # noqa: BLE001 - every failure is reported to the reader, with its type
        log.exception("explanation %s of %s failed", explanation_id, relative_result_dir)
        store.write_status(folder, state="failed", error=f"the explanation failed: {type(exc).__name__}: {exc}",
                           message="failed")
        return "failed"
    store.write_status(folder, state="succeeded", fraction=1.0, message="done", error=None)
    return "succeeded"


@celery_app.task(name=store.TASK_MASK)
def evaluate_drawn_mask(relative_result_dir: str, request: dict) -> dict:
    """The teacher's expected output under a hand-drawn mask, or ``{"error": sentence}``."""
    try:
        _, result_dir = _result_dir(relative_result_dir)
        return explain_result.evaluate_drawn_mask(result_dir, request)
    except (InputError, ValueError) as exc:
        return {"error": str(exc)}
    except Exception as exc:  # noqa: BLE001
        log.exception("mask evaluation on %s failed", relative_result_dir)
        return {"error": f"the mask evaluation failed: {type(exc).__name__}: {exc}"}
