"""The options of a job in words, one table for every page that names them.

The configure page labels its fields with these words; the compare page's settings table and the job page's
settings name each option with them, beside the option's name in the API (``grid_preset``), which API users know.
The job page lists only the options of the job's kind of data (:data:`KIND_OPTIONS`).
``tests/frontend/test_option_words.py`` holds both tables to ``models.options`` (the frontend may not import it)
and the words to the configure page's labels.
"""

from __future__ import annotations

import json

__all__ = ["OPTION_WORDS", "option_words", "KIND_OPTIONS", "applies_to", "options_for_kind", "VALUE_WORDS",
           "UNSET_WORDS", "used_value", "value_text"]

#: Option -> how the pages name it: the configure page's label where it has a field, else words in its manner.
OPTION_WORDS = {
    # the configure page's fields
    "target": "Target to explain",
    "teacher": "Teacher architecture",
    "teacher_epochs": "Teacher training epochs",
    "wave": "Start from",
    "levels": "Levels J",
    "attribution": "Attribution",
    "parametrization": "Filter parametrisation",
    "mode": "Boundary mode",
    "start_search": "Random starts searched",
    "series_features": "Series student reads",
    "peak_response": "Map student reads",
    "peak_range": "Map student's range",
    "random_search": "Control: random wavelets without the teacher",
    "student": "Scattering student",
    "scattering_epochs": "Scattering student training epochs",
    "lambdas": "λ values (sparsity)",
    "gammas": "γ values (interpretation)",
    "epochs": "Epochs",
    "lr": "Step size (Adam)",
    "seed": "Seed",
    # set by the grid buttons ("Quick grid", "Paper's grid"), or through the API and the command line only
    "grid_preset": "Grid preset",
    "batch_size": "Batch size",
    "warmup_epochs": "Epochs without the interpretation loss",
    "patience": "Early-stopping patience",
    "ig_steps": "Integrated-gradients steps",
    "init_noise": "Noise on the initial filter",
    "device": "Device",
    "test_fraction": "Test share",
    "cv_folds": "Cross-validation folds",
    "cv_repeats": "Cross-validation repeats",
    "top_k": "Coefficients kept per band",
    "gradient_path": "Gradient path",
    "teacher_augment": "Teacher augmentation",
    "selection_rule": "Selection rule",
    "input_scaling": "Input scaling",
    "student_penalty": "Series student's penalty",
    "peak_covariance": "Map student's covariance",
}


def option_words(name: str) -> str:
    """How the pages name a job option; its own name when the table has none (an option newer than the table).

    Examples
    --------
    >>> option_words("start_search"), option_words("no_such_option")
    ('Random starts searched', 'no_such_option')
    """
    return OPTION_WORDS.get(name, name)


#: The options that apply to one kind of data only (every other applies to both): the time-series student's and the
#: start search, the map student's. A copy of ``models.options.KIND_OPTIONS``.
KIND_OPTIONS = {
    "timeseries": ("start_search", "series_features", "top_k", "student_penalty"),
    "image": ("peak_response", "peak_range", "peak_covariance"),
}


def applies_to(name: str, kind: str | None) -> bool:
    """Whether a job option applies to data of ``kind`` (``"timeseries"`` or ``"image"``; every option while the
    kind is not known).

    Examples
    --------
    >>> applies_to("peak_response", "timeseries"), applies_to("peak_response", "image"), applies_to("seed", "image")
    (False, True, True)
    >>> applies_to("start_search", None)
    True
    """
    return kind is None or all(name not in names for other, names in KIND_OPTIONS.items() if other != kind)


def options_for_kind(config: dict | None, kind: str | None) -> dict:
    """The options of a job's config that apply to its kind of data, in the order of :data:`OPTION_WORDS` (the
    configure page's fields first), any option the table does not know after them by name.

    Examples
    --------
    >>> options_for_kind({"seed": 0, "peak_response": "magnitude", "wave": "db5", "top_k": 6}, "image")
    {'wave': 'db5', 'peak_response': 'magnitude', 'seed': 0}
    """
    order = {name: i for i, name in enumerate(OPTION_WORDS)}
    names = sorted((config or {}), key=lambda name: (order.get(name, len(order)), name))
    return {name: config[name] for name in names if applies_to(name, kind)}


#: Values whose API spelling misleads on a page, by option (review 31B: "Scattering student: awd" read as if a
#: scattering student had been fitted).
VALUE_WORDS = {"student": {"awd": "off (AWD's students only)", "scattering": "on"},
               # the configure page's buttons ("default" read as an option left unset)
               "grid_preset": {"default": "Quick grid", "paper": "Paper's grid", "synthetic": "Paper's synthetic grid"},
               "peak_range": {"from_zero": "from 0 (the paper's)", "signed": "both signs"}}


#: An option left to the default whose value the run does not say (a job not finished, or an option whose default is
#: none, such as ``patience``), in the job page's settings list and the compare page's settings table alike (the
#: table said "—", which reads as unknown or not applying, the list "default").
UNSET_WORDS = "default"


def used_value(name: str, given, used):
    """A job option as a run used it: the value given, the run's own when it was left to the default
    (``"50 (default)"``) or to ``auto`` (``"auto: zero"``), :data:`UNSET_WORDS` when it was left to the default and
    the run does not say its value, in words where its API spelling misleads.

    Parameters
    ----------
    name : str
        The option.
    given
        The value the job was submitted with (None: the default).
    used
        The value the run resolved (the result's ``provenance.config``), None when unknown (a job still running).

    Examples
    --------
    >>> used_value("epochs", None, 50), used_value("mode", "auto", "zero"), used_value("seed", 0, 0)
    ('50 (default)', 'auto: zero', 0)
    >>> used_value("student", "awd", "awd"), used_value("epochs", None, None)
    ("off (AWD's students only)", 'default')
    >>> used_value("grid_preset", None, "default"), used_value("grid_preset", "paper", "paper")
    ('Quick grid (default)', "Paper's grid")
    """
    if given is None:  # left to the default: the value the run used, when it says
        return UNSET_WORDS if used is None else f"{_value_words(name, used)} (default)"
    if given == "auto" and used not in (None, "auto"):  # chosen from the data: what was chosen
        return f"auto: {value_text(used)}"
    return _value_words(name, given) if isinstance(given, str) else given


def _value_words(name: str, value) -> str:
    """A value of option ``name`` in :data:`VALUE_WORDS`' words where it has some, else :func:`value_text`."""
    words = VALUE_WORDS.get(name, {})
    return words[value] if isinstance(value, str) and value in words else value_text(value)


def value_text(value) -> str:
    """A setting's value in a table cell: a float in 4 significant digits, a list or dict as JSON, else as text.

    Examples
    --------
    >>> value_text(0.00026591), value_text([0.001, 0.01]), value_text("zero")
    ('0.0002659', '[0.001, 0.01]', 'zero')
    """
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(", ", ": "))
    return str(value)
