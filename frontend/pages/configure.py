"""Configure: dataset, teacher, wavelet, attribution, the λ/γ grid, epochs, seed; a run-time estimate; submit.

The page module: it registers ``/configure`` with Dash and imports the modules of :mod:`frontend.configure` that
make the page, each once, here (their callbacks are registered on import): the layout, the service's options, the
prefill from a past job (``?from=<job id>``), the dataset, the teacher, the grid presets, the fields' validation,
the job body, the estimate and the Start bar's line, the submission. Their public names stay importable from here.
"""

from __future__ import annotations

import dash

from awd_studio.frontend.api_client import get_client
from awd_studio.frontend.configure.dataset import (
    DATASETS_OUTPUTS,
    KIND_FIELDS,
    PICKED_NEWEST,
    RECOVERY_START,
    _dataset_label,
    deepest_levels,
    fields_for_kind,
    first_target,
    load_dataset_info,
    load_datasets,
    recovery_start,
    start_for_recovery,
    target_options,
)
from awd_studio.frontend.configure.estimate import (
    ESTIMATE_OUTPUTS,
    LONG_JOB_SECONDS,
    calibration_words,
    long_job_words,
    queue_ahead_words,
    stage_words,
    start_words,
    update_estimate,
)
from awd_studio.frontend.configure.ids import FORM_FIELDS, form_dependencies, ids
from awd_studio.frontend.configure.layout import action_bar, layout
from awd_studio.frontend.configure.options import (
    LABELS,
    OPTIONS_OUTPUTS,
    choice_options,
    load_options,
    scattering_epochs_enabled,
)
from awd_studio.frontend.configure.payload import form_body, job_payload
from awd_studio.frontend.configure.prefill import (
    PREFILL_OUTPUTS,
    RUN_FIELDS,
    fill_run_fields,
    load_prefill,
    prefill_for,
    prefill_note,
)
from awd_studio.frontend.configure.presets import (
    PRESET_BUTTONS,
    PRESET_OUTPUTS,
    PRESSED_OUTPUTS,
    apply_preset,
    named_preset,
    preset_button,
    preset_class,
    preset_of_fields,
    preset_of_grid,
    preset_pressed,
)
from awd_studio.frontend.configure.submit import SUBMIT_OUTPUTS, submit
from awd_studio.frontend.configure.teacher import (
    architectures_for,
    auto_teacher_option,
    load_teachers,
    rows_for_kind,
    teacher_for_source,
    teacher_options,
    teacher_warning,
    toggle_teacher_upload,
    weights_architectures,
)
from awd_studio.frontend.configure.validation import (
    FIELD_OF_MESSAGE,
    form_problems,
    format_grid,
    invalid_fields,
    parse_grid,
    problems_alert,
)

dash.register_page(__name__, path="/configure", title="AWD Studio · configure", name="Configure")

#: The name the page's tests knew :func:`frontend.configure.prefill.prefill_for` by.
_prefill_for = prefill_for

__all__ = [
    "get_client", "ids", "FORM_FIELDS", "form_dependencies", "layout", "action_bar",
    "LABELS", "OPTIONS_OUTPUTS", "choice_options", "load_options", "scattering_epochs_enabled",
    "PREFILL_OUTPUTS", "RUN_FIELDS", "load_prefill", "prefill_for", "prefill_note", "fill_run_fields",
    "PICKED_NEWEST", "DATASETS_OUTPUTS", "KIND_FIELDS", "RECOVERY_START", "load_datasets", "load_dataset_info",
    "target_options", "first_target", "deepest_levels", "fields_for_kind", "recovery_start", "start_for_recovery",
    "load_teachers", "auto_teacher_option", "architectures_for", "rows_for_kind", "weights_architectures",
    "teacher_options", "toggle_teacher_upload", "teacher_warning", "teacher_for_source",
    "PRESET_BUTTONS", "PRESET_OUTPUTS", "PRESSED_OUTPUTS", "preset_button", "preset_class", "named_preset",
    "preset_of_grid", "preset_of_fields", "apply_preset", "preset_pressed",
    "FIELD_OF_MESSAGE", "format_grid", "parse_grid", "form_problems", "invalid_fields", "problems_alert",
    "job_payload", "form_body",
    "LONG_JOB_SECONDS", "ESTIMATE_OUTPUTS", "update_estimate", "start_words", "queue_ahead_words", "long_job_words",
    "calibration_words", "stage_words",
    "SUBMIT_OUTPUTS", "submit",
    "_dataset_label", "_prefill_for",  # the names the page's tests call them by
]
