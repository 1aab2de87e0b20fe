"""``/api/examples``: the built-in example datasets, and turning one into a stored dataset."""

from __future__ import annotations

import math

from fastapi import APIRouter, Body, Depends, HTTPException, Response, status
from fastapi.concurrency import run_in_threadpool

from awd_studio.backend.deps import PathsDep, SessionDep, SettingsDep, require_owner
from awd_studio.backend.routes.datasets import check_quota, reused_dataset, store_dataset
from awd_studio.backend.schemas import (
    DATABASE_BUSY,
    NO_QUERY_ERROR,
    OWNER_ERRORS,
    DatasetPublic,
    ExampleCreate,
    ExamplePublic,
    ExamplesPublic,
    Problem,
)
from awd_studio.jobstate import crud
from awd_studio.jobstate.storage import sha256_file
from awd_studio.models.data import EXAMPLES, make_example, save_npz, summarize
from awd_studio.models.data.examples import EXAMPLE_INFO, LENSING_OPTIONS

__all__ = ["router"]

router = APIRouter(prefix="/examples", tags=["examples"], dependencies=[Depends(require_owner)],
                   responses=OWNER_ERRORS)

def _make(name: str, n, seed: int, paths, observed=None):
    dataset = make_example(name, n=n, seed=seed, **(observed or {}))
    path = paths.temp_file(".npz")
    try:
        save_npz(dataset, path)
        return dataset, summarize(dataset), path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@router.get("", response_model=ExamplesPublic, responses=NO_QUERY_ERROR)
def list_examples():
    """The example datasets AWD Studio can generate: each one's name, label, data kind and description
    (``models.data.examples.EXAMPLE_INFO``)."""
    data = [ExamplePublic(name=name, label=info.label, kind=info.kind, description=info.description)
            for name, info in EXAMPLE_INFO.items()]
    return ExamplesPublic(data=data, count=len(data))


@router.post("/{name}", status_code=status.HTTP_201_CREATED, response_model=DatasetPublic,
             responses={200: {"model": DatasetPublic,
                              "description": "the same example was made before: that dataset"},
                        404: {"model": Problem}, 422: {"model": Problem}, 507: {"model": Problem},
                        **DATABASE_BUSY})
async def create_example(name: str, session: SessionDep, settings: SettingsDep, paths: PathsDep,
                         response: Response, options: ExampleCreate | None = Body(default=None)):
    """Generate an example dataset (``synthetic``, ``cme`` or ``lensing``) and store it.

    The lensing example's maps are noiseless unless ``galaxy_density`` (shape noise) is given; ``smoothing_arcmin``
    smooths them after the noise. Either option on another example is a 422.

    The same example (name, ``n``, ``seed`` and for lensing the noise options) gives the same file: if it was
    stored before, that dataset is returned (200) with a ``note``, instead of a copy."""
    if name not in EXAMPLES:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"example {name!r} not found; choose one of {', '.join(EXAMPLES)}")
    options = options or ExampleCreate()
    info = EXAMPLE_INFO[name]
    n = options.n or info.default_n
    sample_bytes = math.prod(info.sample_shape) * 8  # 8 bytes a value (float64): a bound on the file's size
    if n * sample_bytes > settings.max_upload_bytes:
        largest = settings.max_upload_bytes // sample_bytes
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"n: the {name} example with {n} samples would "
                            f"be larger than AWD_MAX_UPLOAD_MB={settings.max_upload_mb:g} MB; pass n <= {largest}")
    check_quota(settings, paths)
    try:
        observed = {key: getattr(options, key) for key in LENSING_OPTIONS if key in options.model_fields_set}
        dataset, summary, path = await run_in_threadpool(_make, name, options.n, options.seed, paths, observed)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    try:
        sha256 = sha256_file(path)
        existing = crud.find_dataset_by_hash(session, sha256=sha256, source="example")
        if existing is not None:
            return reused_dataset(response, existing, "this example was made before")
        return store_dataset(session, paths, temp_path=path, suffix=".npz", dataset=dataset, summary=summary,
                             name=options.name or name, source="example", original_filename=None,
                             sha256=sha256, size_bytes=path.stat().st_size)
    finally:
        path.unlink(missing_ok=True)
