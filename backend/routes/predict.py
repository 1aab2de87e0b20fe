"""``POST /api/results/{job id}/predict``: a result's distilled model applied to an uploaded data file.

Owner-only: a prediction reads data the owner uploads and runs on the server, and share links stay read-only
(they open ``GET /api/results/{token}`` and its files, nothing else; a collaborator downloads the bundle and
predicts locally with ``awd predict`` or the page's Python snippet). The upload goes through the datasets'
streamed receiver (same size limit, ``AWD_MAX_UPLOAD_MB``, same formats) and is read by the same readers, so
the errors are the datasets' errors (targets optional: a file without them gets predictions only); nothing of
it is kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response

from awd_studio.backend.deps import PathsDep, SessionDep, SettingsDep, require_owner
from awd_studio.backend.routes.datasets import _pair_npy_targets
from awd_studio.backend.routes.results import check_job_key, result_dir_for_key, run_file_name
from awd_studio.backend.schemas import DATABASE_BUSY, OWNER_ERRORS, PredictionPublic, Problem, UploadProblem
from awd_studio.backend.uploads import (
    UploadRefusal,
    multipart_openapi,
    reading_data_file,
    receive_upload,
    upload_problem,
)
from awd_studio.jobstate.storage import DATASET_SUFFIXES
from awd_studio.models.pipeline.predict import predict_file, predictions_csv, predictions_npz

__all__ = ["router"]

router = APIRouter(prefix="/results", tags=["results"], dependencies=[Depends(require_owner)],
                   responses={**OWNER_ERRORS, **DATABASE_BUSY})

_ERRORS = {401: {"model": Problem}, 403: {"model": Problem}, 404: {"model": Problem}, 409: {"model": Problem},
           413: {"model": Problem}, 415: {"model": Problem}, 422: {"model": UploadProblem}}


#: The route's query parameters, which a script may send as form fields by mistake (the upload says where they go).
QUERY_PARAMETERS = ("model", "format", "drop_incomplete")


def _json_numbers(values) -> list[float | None]:
    """Numbers for the JSON answer: NaN (a row without a target's ``y_true``) as None, null in JSON, which has no
    NaN.

    Examples
    --------
    >>> _json_numbers([0.5, float("nan")])
    [0.5, None]
    """
    return [None if v != v else float(v) for v in values]


def _predict(result_dir, path, model, max_bytes, sha256=None, drop_incomplete=False):
    """:func:`models.pipeline.predict.predict_file`, any failure to read the file becoming a ValueError
    (``sha256``: the upload's, hashed as it arrived, so that the file is not read once more for it)."""
    with reading_data_file():
        return predict_file(result_dir, path, model, max_bytes=max_bytes, data_sha256=sha256,
                            drop_incomplete=drop_incomplete)


@router.post("/{key}/predict", responses={200: {"model": PredictionPublic,  # the JSON's shape, for the docs only
                                                "description": "the predictions: JSON, or with ?format= a CSV "
                                                               "(split,row[,id],y_pred[,y_class][,y_true]"
                                                               "[,y_pred_<name>...]) or an npz",
                                                "content": {"text/csv": {}, "application/octet-stream": {}}},
                                          **_ERRORS},
             openapi_extra=multipart_openapi({"y": {"type": "string", "format": "binary",
                                                    "description": "targets of an .npy X (another .npy)"}}))
async def predict_result(key: str, request: Request, session: SessionDep, settings: SettingsDep, paths: PathsDep,
                         model: str | None = Query(None, max_length=40,
                                                   description="which student of the result (default: the one "
                                                               "it delivers, chosen by cross-validation)"),
                         format: str = Query("json", pattern="^(json|csv|npz)$",  # noqa: A002 (the query name)
                                             description="json, csv (split,row,y_pred,y_true; split: file, or "
                                                         "test for a fixed test split; an id column after row, "
                                                         "y_class for a two-valued target, y_pred_<name> for a map "
                                                         "student's class rows) or npz"),
                         drop_incomplete: bool = Query(False, description="delimited text, or an array file's "
                                                       "series: leave out the rows with missing values (for a "
                                                       "result trained on filled traces, those still missing one "
                                                       "once the ended traces are filled), named in dropped_rows "
                                                       "(row_numbers: their numbers in the row column, which the "
                                                       "warnings name first); rows gives each prediction's row in "
                                                       "the file, the CSV's row column too; a row lacking only its "
                                                       "target is predicted, not scored (unscored_rows)")):
    """Predict the rows of an uploaded data file (multipart field ``file``, any dataset format, targets
    optional) with the result's student ``model`` (default: the one the result delivers, chosen by
    cross-validation: ``baseline_wavelet`` when cross-validation kept the initial wavelet, else ``awd``).

    JSON answer: ``model``, ``target``, ``has_targets``, ``scores`` (R² and RMSE against the file's targets, with
    accuracy and AUC for a two-valued target, per ``X`` and ``X_test``; empty without targets, and ``note`` says
    so; R² null when every target is equal),
    ``warnings`` (inputs unlike the training data, constant targets, a map student answering with its classes'
    targets, the rows not scored for lack of a target), ``y_pred`` and, when the file has a fixed test split,
    ``y_pred_test``; with targets also ``y_true`` (``y_true_test``; null for a row whose target cell is blank,
    kept with ``drop_incomplete``: predicted, named in ``unscored_rows``, and not counted in ``scores``' ``n``); a
    map student of several target columns also gives ``y_pred_rows`` (its whole class row per map,
    ``y_pred_rows_test``) and ``target_names``; ``tiling`` when maps larger than the result's training tiles
    were cut into tiles (a map's prediction is then the mean of its tiles'); ``y_class`` (``y_class_test``) for a
    two-valued target. Owner-only: 401 without the owner's token (whatever the path holds), 403 with a wrong token,
    or with the owner's token and a share link's token in the path; 404 for a key that is neither a job's full id
    nor a share link.
    """
    check_job_key(key, session, "share links are read-only: download the result and run `awd predict`, or ask the "
                                "owner to predict")
    result_dir = result_dir_for_key(key, request, session, paths)
    try:
        upload = await receive_upload(request, paths=paths, max_bytes=settings.max_upload_bytes,
                                      allowed=DATASET_SUFFIXES, extra_file_fields=("y",),
                                      query_parameters=QUERY_PARAMETERS)
    except UploadRefusal as exc:  # an empty file, an unknown field: no remedy, but the key all the same
        return upload_problem(exc.detail)
    try:
        _pair_npy_targets(upload)
        result = await run_in_threadpool(_predict, result_dir, upload.path, model, settings.max_decoded_bytes,
                                         upload.sha256 if len(upload.files) == 1 else None, drop_incomplete)
    except ValueError as exc:  # remedies: drop_incomplete when leaving rows out would let the file through
        return upload_problem(str(exc), getattr(exc, "remedies", ()))
    finally:
        upload.discard()
    if format == "csv":
        return PlainTextResponse(predictions_csv(result), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{run_file_name(key, "predictions.csv")}"'})
    if format == "npz":
        return Response(predictions_npz(result), media_type="application/octet-stream", headers={
            "Content-Disposition": f'attachment; filename="{run_file_name(key, "predictions.npz")}"'})
    return {"model": result["model"], "target": result["target"], "scores": result["scores"],
            "has_targets": result["has_targets"], **({"note": result["note"]} if "note" in result else {}),
            **({"tiling": result["tiling"]} if "tiling" in result else {}),
            "warnings": result.get("warnings", []),
            **({"ids": result["ids"], "id_name": result["id_name"]} if "ids" in result else {}),
            **({"rows": result["rows"], "dropped_rows": result["dropped_rows"]} if "rows" in result else {}),
            **{k: result[k] for k in ("unscored_rows", "unscored_rows_test") if k in result},
            **{k: _json_numbers(result[k]) for k in ("y_pred", "y_pred_test", "y_true", "y_true_test",
                                                     "y_class", "y_class_test") if k in result},
            **{k: [[float(v) for v in row] for row in result[k]] for k in ("y_pred_rows", "y_pred_rows_test")
               if k in result},
            **({"target_names": result["target_names"]} if "target_names" in result else {})}
