"""The job body: the ``POST /api/jobs`` (and ``/estimate``) body made of the filled form.

Pure functions (no callbacks), shared by the estimate (:mod:`.estimate`) and the submission (:mod:`.submit`):
:func:`job_payload` from the fields' values, :func:`form_body` with the grid named as its preset and, for a form
filled from a run, that run's id and the options its switches keep.
"""

from __future__ import annotations

from awd_studio.frontend.configure.presets import named_preset
from awd_studio.frontend.configure.validation import form_problems, parse_grid
from awd_studio.frontend.rerun_form import kept_options

__all__ = ["job_payload", "form_body"]


def job_payload(dataset_id, teacher, lambdas, gammas, epochs, levels, wave, attribution, seed, parametrization,
                mode, teacher_epochs=None, start_search=None, peak_response=None, random_search=None,
                series_features=None, bounds=None, target=None, scattering=False, scattering_epochs=None,
                lr=None, peak_range=None, kept=None) -> dict:
    """The ``POST /api/jobs`` body from the form values; ValueError naming the field when one is wrong (and the
    service's ``bounds``, ``GET /api/options``, when known). A blank step size (``lr``) is the grid preset's.
    ``kept``: options the page has no field for, from the run the form was filled from
    (:func:`frontend.rerun_form.kept_options`)."""
    bounds = bounds or {}
    if not dataset_id:
        raise ValueError("dataset: choose a dataset first (or upload one on the home page)")
    if not teacher:
        raise ValueError("teacher: choose an architecture or upload weights")
    problems = form_problems(dict(lambdas=lambdas, gammas=gammas, epochs=epochs, levels=levels, seed=seed, lr=lr,
                                  teacher_epochs=teacher_epochs, start_search=start_search,
                                  random_search=random_search, scattering=scattering,
                                  scattering_epochs=scattering_epochs), bounds)
    if problems:
        raise ValueError(problems[0])
    payload = {"dataset_id": dataset_id, "teacher": teacher, "lambdas": parse_grid(lambdas, "λ"),
               "gammas": parse_grid(gammas, "γ"), "epochs": int(epochs), "levels": int(levels), "wave": wave,
               "attribution": attribution, "seed": int(seed), "parametrization": parametrization, "mode": mode,
               **(kept or {})}
    if lr not in (None, ""):
        payload["lr"] = float(lr)
    if teacher_epochs not in (None, ""):
        payload["teacher_epochs"] = int(teacher_epochs)
    # counts whose blank is the server's default for the data (models.options); the server names the maximum
    for key, value in (("start_search", start_search), ("random_search", random_search)):
        if value not in (None, ""):
            payload[key] = int(value)
    for key, value in (("peak_response", peak_response), ("peak_range", peak_range),
                       ("series_features", series_features)):
        if value:  # blank until the options arrive: the server's default
            payload[key] = value
    if target:  # column 0 is the server's default
        payload["target"] = int(target)
    if scattering:
        payload["student"] = "scattering"
        if scattering_epochs not in (None, ""):
            payload["scattering_epochs"] = int(scattering_epochs)
    return payload


def _kept(prefill: dict | None, options: dict | None, keep) -> dict:
    """The options of ``?from=``'s run that the page has no field for, those whose switches keep them: ``keep`` is
    the names switched on (None or True: all, before the switches are drawn; False: none)."""
    if not prefill or keep is False:
        return {}
    kept = kept_options(prefill.get("config"), (options or {}).get("options"))
    return kept if keep is None or keep is True else {name: kept[name] for name in keep if name in kept}


def form_body(form: dict, dataset_id, *, options=None, info=None, prefill=None, keep=True) -> dict:
    """The ``POST /api/jobs`` (and ``/estimate``) body of the filled form: :func:`job_payload` of ``form`` (the
    values of :data:`~frontend.configure.ids.FORM_FIELDS`), the grid named when it is a preset's
    (:func:`~frontend.configure.presets.named_preset`), and, when the form was filled from a run (``?from=``), that
    run's id as ``rerun_of`` with the options its switches keep (``keep``: the names switched on, True or None for
    all, False for none). ValueError naming the field when one is wrong.

    Examples
    --------
    >>> form = dict(teacher="mlp", lambdas="0.001", gammas="0, 0.1", epochs=2, levels=4, wave="db5",
    ...             attribution="saliency", seed=0, parametrization="free", mode="zero")
    >>> form_body(form, "ds-1", prefill={"job_id": "j-1", "config": {}})["rerun_of"]
    'j-1'
    """
    options = options or {}
    payload = job_payload(dataset_id, bounds=options.get("bounds"), kept=_kept(prefill, options, keep), **form)
    payload = named_preset(payload, options.get("grid_presets"), (info or {}).get("kind"))
    if prefill and prefill.get("job_id"):
        payload["rerun_of"] = prefill["job_id"]
    return payload

