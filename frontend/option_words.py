"""The options of a job in words, one table for every page that names them.

The configure page labels its fields with these words; the compare page's settings table and the job page's
settings name each option with them, beside the option's name in the API (``grid_preset``), which API users know.
``tests/frontend/test_option_words.py`` holds the table to the options of ``models.options`` (the frontend may not
import it) and to the configure page's labels.
"""

from __future__ import annotations

__all__ = ["OPTION_WORDS", "option_words"]

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
