"""The configure page's component ids, and the form's fields that make a job.

:class:`ids` names every component of the page (the strings are what tests/e2e and assets/awd.js look for);
:data:`FORM_FIELDS` names the fields the job body is made of, which the estimate and the submission both read.
"""

from __future__ import annotations

__all__ = ["ids", "FORM_FIELDS", "form_dependencies"]


class ids:  # noqa: N801 (a namespace of constants, read as ids.SUBMIT)
    """Component ids of the configure page (the strings are what tests/e2e and assets/awd.js look for)."""

    #: A key per page load, so a double click on submit makes one job.
    IDEMPOTENCY = "configure-idempotency"
    #: Kind, shape and size of the chosen dataset.
    DATASET_INFO = "configure-dataset-info"
    #: The teacher weights just uploaded (set by assets/awd.js).
    UPLOADED_TEACHER = "configure-uploaded-teacher"
    #: ``GET /api/options``: choices, defaults, bounds and grid presets.
    OPTIONS = "configure-options"
    #: ``?dataset=``, to preselect (or the dataset of ``?from=``'s run).
    INITIAL_DATASET = "configure-initial-dataset"
    #: ``?from=<job id>``: the run whose settings fill the form.
    FROM_JOB = "configure-from-job"
    #: ``?teacher=<architecture>`` with ``?from=``: that run's settings with another teacher (the results page's
    #: "Rerun with the MLP teacher").
    FROM_TEACHER = "configure-from-teacher"
    #: That run's form values and options (:func:`frontend.rerun_form.form_values`), None without ``?from=``.
    PREFILL = "configure-prefill"
    #: The sentence above the form saying which run filled it, and the switch keeping its other options.
    PREFILL_NOTE = "configure-prefill-note"
    PREFILL_TEXT = "configure-prefill-text"
    KEEP_OPTIONS = "configure-keep-options"
    KEEP_LABEL = "configure-keep-label"
    KEEP_BOX = "configure-keep-box"
    ERROR = "configure-error"
    DATASET = "configure-dataset"
    DATASET_HIDDEN = "configure-dataset-hidden"
    DATASET_FACTS = "configure-dataset-facts"
    TARGET = "configure-target"
    TARGET_FIELD = "configure-target-field"
    TEACHER_SOURCE = "configure-teacher-source"
    TEACHER = "configure-teacher"
    #: The built-in architecture's block (hidden while uploading weights: one architecture selector at a time).
    TEACHER_BUILTIN = "configure-teacher-builtin"
    TEACHER_EPOCHS = "configure-teacher-epochs"
    TEACHER_ARCH = "configure-teacher-arch"
    TEACHER_DROPZONE = "configure-teacher-dropzone"
    UPLOAD_BAR = "configure-upload-bar"
    UPLOAD_PROGRESS = "configure-upload-progress"
    UPLOAD_STATUS = "configure-upload-status"
    #: The upload's warning that the weights predict at another scale than the dataset's targets.
    TEACHER_WARNING = "configure-teacher-warning"
    TEACHER_UPLOAD = "configure-teacher-upload"
    WAVE = "configure-wave"
    #: Under "Start from": what a dataset made with a known wavelet (the synthetic example) asks of the start.
    WAVE_NOTE = "configure-wave-note"
    LEVELS = "configure-levels"
    ATTRIBUTION = "configure-attribution"
    PARAMETRIZATION = "configure-parametrization"
    MODE = "configure-mode"
    START_SEARCH = "configure-start-search"
    START_SEARCH_FIELD = "configure-start-search-field"
    RANDOM_SEARCH = "configure-random-search"
    #: "Also fit a learned scattering student" and its training epochs (option ``student: scattering``).
    SCATTERING = "configure-scattering"
    SCATTERING_EPOCHS = "configure-scattering-epochs"
    PEAK_RESPONSE = "configure-peak-response"
    PEAK_RESPONSE_FIELD = "configure-peak-response-field"
    PEAK_RANGE = "configure-peak-range"
    SERIES_FEATURES = "configure-series-features"
    SERIES_FEATURES_FIELD = "configure-series-features-field"
    PRESET_QUICK = "configure-preset-quick"
    PRESET_PAPER = "configure-preset-paper"
    LAMBDAS = "configure-lambdas"
    GAMMAS = "configure-gammas"
    EPOCHS = "configure-epochs"
    LR = "configure-lr"
    SEED = "configure-seed"
    GRID_SIZE = "configure-grid-size"
    ZERO_ADDED = "configure-zero-added"
    #: The data kind the grid's fields were filled for (a grid of one's own stays on data of that kind).
    GRID_KIND = "configure-grid-kind"
    ESTIMATE = "configure-estimate"
    #: Under the dataset: "your newest dataset, preselected" when the page named none.
    DATASET_PICKED = "configure-dataset-picked"
    #: Under the estimate: a long job (over :data:`~frontend.configure.estimate.LONG_JOB_SECONDS`) is said to be
    #: one.
    LONG_JOB = "configure-long-job"
    #: The estimate's card when the server did not answer (:func:`~frontend.configure.estimate.server_side`).
    ESTIMATE_UNANSWERED = "configure-estimate-unanswered"
    #: The sentence on jobs queued or running ahead of this one
    #: (:func:`~frontend.configure.estimate.queue_ahead_words`).
    QUEUE_AHEAD = "configure-queue-ahead"
    #: Under the estimate: the machine's other work, which slows the job (the estimate's ``busy_machine``).
    BUSY_MACHINE = "configure-busy-machine"
    #: Under the estimate: the caution for a split with few samples (the estimate's ``few_samples``).
    FEW_SAMPLES = "configure-few-samples"
    SUBMIT = "configure-submit"
    SUBMIT_STATUS = "configure-submit-status"
    #: The bar at the bottom of the window holding Start (:func:`~frontend.configure.layout.action_bar`), and its
    #: line: the estimate in short.
    ACTION_BAR = "configure-action-bar"
    START_LINE = "configure-start-line"


#: The form's fields the job body is made of (:func:`~frontend.configure.payload.job_payload`'s arguments, the
#: dataset apart): name -> component id, each read from its ``value``. The estimate and the submission read the same
#: ones.
FORM_FIELDS = dict(teacher=ids.TEACHER, lambdas=ids.LAMBDAS, gammas=ids.GAMMAS, epochs=ids.EPOCHS, levels=ids.LEVELS,
                   wave=ids.WAVE, attribution=ids.ATTRIBUTION, seed=ids.SEED, parametrization=ids.PARAMETRIZATION,
                   mode=ids.MODE, teacher_epochs=ids.TEACHER_EPOCHS, start_search=ids.START_SEARCH,
                   peak_response=ids.PEAK_RESPONSE, random_search=ids.RANDOM_SEARCH,
                   series_features=ids.SERIES_FEATURES, target=ids.TARGET, scattering=ids.SCATTERING,
                   scattering_epochs=ids.SCATTERING_EPOCHS, lr=ids.LR, peak_range=ids.PEAK_RANGE)


def form_dependencies(kind) -> dict:
    """:data:`FORM_FIELDS` as Dash dependencies of one kind (``Input`` or ``State``)."""
    return {name: kind(component, "value") for name, component in FORM_FIELDS.items()}

