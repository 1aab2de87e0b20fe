"""A run's settings as the configure page's form (``/configure?from=<job id>``): change some, run again.

Pure functions on a ``GET /api/jobs/{id}`` answer and ``GET /api/options``; the page's callbacks
(:mod:`frontend.configure.prefill`, and each field's own) put the values in their fields.
"""

from __future__ import annotations

__all__ = ["FORM_OPTIONS", "form_values", "kept_options", "kept_words", "grid_values", "source_words"]

#: The job options the configure page has a field for (the grid's through its text boxes and ``grid_preset``);
#: every other option of a run is kept as it was unless the user switches that off (:func:`kept_options`).
FORM_OPTIONS = frozenset({
    "teacher", "target", "levels", "wave", "mode", "parametrization", "lambdas", "gammas", "grid_preset", "epochs",
    "lr", "attribution", "seed", "teacher_epochs", "start_search", "random_search", "series_features",
    "peak_response", "peak_range", "student", "scattering_epochs",
})


def form_values(job: dict) -> dict:
    """The configure form's values of a run.

    Parameters
    ----------
    job : dict
        A ``GET /api/jobs/{id}`` answer (``config``, ``dataset_id``, ``teacher_id``).

    Returns
    -------
    dict
        One entry per field: ``dataset_id``, ``teacher`` (an uploaded teacher's id, else the architecture or
        ``"auto"`` asked for), ``target``, ``levels``, ``wave``, ``mode``, ``parametrization``, ``attribution``,
        ``seed``, ``teacher_epochs``, ``start_search``, ``random_search``, ``series_features``,
        ``peak_response``, ``peak_range``, ``scattering`` (bool), ``scattering_epochs``, and the grid as asked for:
        ``lambdas``, ``gammas``, ``epochs`` and ``lr`` (None where the run took the preset's) with ``grid_preset``
        (:func:`grid_values` fills them in).

    Examples
    --------
    >>> v = form_values({"dataset_id": "d1", "teacher_id": None,
    ...                  "config": {"teacher": "lstm", "lambdas": [0.01], "gammas": None, "levels": 3,
    ...                             "student": "scattering", "grid_preset": "paper"}})
    >>> v["teacher"], v["levels"], v["lambdas"], v["gammas"], v["scattering"], v["grid_preset"]
    ('lstm', 3, [0.01], None, True, 'paper')
    >>> form_values({"dataset_id": "d1", "teacher_id": "t9", "config": {"teacher": "cnn"}})["teacher"]
    't9'
    """
    config = job.get("config") or {}
    values = {name: config.get(name) for name in ("target", "levels", "wave", "mode", "parametrization",
                                                  "attribution", "seed", "teacher_epochs", "start_search",
                                                  "random_search", "series_features", "peak_response", "peak_range",
                                                  "scattering_epochs", "lambdas", "gammas", "epochs", "lr")}
    values.update(dataset_id=job.get("dataset_id"), teacher=job.get("teacher_id") or config.get("teacher") or "auto",
                  # the architecture an uploaded teacher's weights had: offered when they have been deleted since
                  teacher_arch=config.get("teacher") or "auto",
                  scattering=config.get("student") == "scattering",
                  grid_preset=config.get("grid_preset") or "default")
    return values


def grid_values(values: dict, presets: dict | None, kind: str | None) -> dict | None:
    """The grid fields of :func:`form_values`, where the run took its preset's, from that preset for the data kind
    (``GET /api/options``'s ``grid_presets``); None when the preset is not known.

    Examples
    --------
    >>> presets = {"timeseries": {"default": {"lambdas": [0.001], "gammas": [0, 1], "epochs": 50, "lr": 0.001}}}
    >>> grid_values({"lambdas": [0.5], "gammas": None, "epochs": 9, "lr": None, "grid_preset": "default"},
    ...             presets, "timeseries")
    {'lambdas': [0.5], 'gammas': [0, 1], 'epochs': 9, 'lr': 0.001}
    """
    preset = ((presets or {}).get(kind or "timeseries") or {}).get(values.get("grid_preset") or "default")
    if not preset:
        return None
    return {name: values.get(name) if values.get(name) is not None else preset.get(name)
            for name in ("lambdas", "gammas", "epochs", "lr")}


def kept_options(config: dict | None, defaults: dict | None) -> dict:
    """The options of a run the configure page has no field for, where they differ from their default
    (``defaults``: ``GET /api/options``'s ``options``, ``{name: {"default": ...}}``), sorted by name.

    Examples
    --------
    >>> kept_options({"top_k": 4, "cv_repeats": 3, "seed": 7, "device": "cuda"},
    ...              {"top_k": {"default": 6}, "cv_repeats": {"default": 3}, "device": {"default": None}})
    {'device': 'cuda', 'top_k': 4}
    """
    defaults = defaults or {}
    return {name: value for name, value in sorted((config or {}).items())
            if name not in FORM_OPTIONS and name in defaults and value != defaults[name].get("default")}


def kept_words(kept: dict) -> str:
    """The kept options in words, ``"device = cuda, top_k = 4"`` (empty without any).

    Examples
    --------
    >>> kept_words({"device": "cuda", "top_k": 4, "patience": None})
    'device = cuda, top_k = 4, patience = none'
    """
    return ", ".join(f"{name} = {'none' if value is None else value}" for name, value in kept.items())


def source_words(job: dict) -> str:
    """How the run the form was filled from ended, for the sentence above the form.

    Examples
    --------
    >>> source_words({"state": "failed", "error": "teacher: CUDA is not available on this worker\\nTraceback"})
    'failed: teacher: CUDA is not available on this worker'
    >>> source_words({"state": "succeeded"}), source_words({"state": "running"})
    ('succeeded', 'still running')
    """
    state = job.get("state") or "unknown"
    if state == "failed" and job.get("error"):
        return f"failed: {str(job['error']).strip().splitlines()[0]}"
    return {"running": "still running", "queued": "still queued"}.get(state, state)
