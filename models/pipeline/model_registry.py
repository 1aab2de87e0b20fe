"""Every model a result can hold, once: its bundle key, its name on the pages and figures, its colour, its kind.

The bundle names each model by a key (``models["awd"]``, ``models["laplace"]``, ...). What a model is called,
where it is listed and in which colour it is drawn is decided here and read by the static figures
(:mod:`models.plots`), the verdict's and the notes' lists of baselines (:mod:`models.pipeline.trust`), the fixed
map baselines the final stage fits (:data:`MAP_BASELINES`) and ``awd predict --help``'s list of students.

The copies that remain, each held equal to this table by ``tests/frontend/test_model_registry.py`` (a model added
here and forgotten there fails):

- the web pages may not import this package (layers), and neither ``GET /api/options`` nor the result bundle carries
  the models' names, so ``frontend/figures/style.py`` keeps the labels and colours (``MODEL_LABELS``,
  ``MODEL_COLOURS``) and ``frontend/figures/scores.py`` the order (``MODEL_ORDER``, ``FIXED_FILTER_BASELINES``);
  the rest of the pages read those two (the Predict panel's choices, the compare page's ``COMPARED_MODELS``);
- :data:`models.pipeline.verdict.STUDENT_NAMES` names the students inside the verdict's sentences
  ("initial-wavelet", "raw-peak"), words of their own, with the same keys.

Adding a model: one :class:`ModelInfo` row in :data:`MODELS` (in the order the results page lists them), and for a
fixed map baseline one entry in :data:`MAP_BASELINES` (how :func:`models.pipeline.students.baseline_student` builds
its student).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ModelInfo", "MODELS", "MODEL_ORDER", "MODEL_NAMES", "MODEL_COLOURS", "FIXED_FILTER_BASELINES",
           "BASELINES", "MAP_BASELINES"]

#: What a model is: the distilled students, the initial wavelet's, a fixed filter (maps), the teacher-free control,
#: another student family, the teacher.
Kind = Literal["distilled", "initial", "fixed_filter", "control", "other", "teacher"]


@dataclass(frozen=True)
class ModelInfo:
    """One model of a result.

    Attributes
    ----------
    key : str
        Its key in the bundle's ``models`` (and ``predictions``, ``students``).
    label : str
        Its name on the results page and in the saved figures.
    colour : str
        Its bar colour, ``#RRGGBB`` (Okabe-Ito, distinguishable with the common colour-vision deficiencies; no two
        models share one).
    kind : str
        One of :data:`Kind`'s values.
    """

    key: str
    label: str
    colour: str
    kind: Kind


#: Every model, in the order the results page lists them (the teacher last).
MODELS = (
    ModelInfo("awd", "AWD", "#0072B2", "distilled"),
    ModelInfo("awd_no_interp", "AWD, γ = 0 (no teacher)", "#56B4E9", "distilled"),  # review 29B: "γ = 0" alone
    ModelInfo("baseline_wavelet", "Initial wavelet", "#E69F00", "initial"),
    ModelInfo("laplace", "Laplace", "#009E73", "fixed_filter"),
    ModelInfo("roberts_cross", "Roberts cross", "#CC79A7", "fixed_filter"),
    ModelInfo("peak_heights", "Raw peak heights", "#D55E00", "fixed_filter"),
    ModelInfo("random_search", "Random search, no teacher", "#F0E442", "control"),
    ModelInfo("scattering", "Scattering student", "#000000", "other"),
    ModelInfo("teacher", "Teacher", "#999999", "teacher"),
)

#: The students in the page's order (the scattering student and the teacher are placed by the page itself).
MODEL_ORDER = [m.key for m in MODELS if m.kind not in ("other", "teacher")]
#: Each model's name on the pages and figures.
MODEL_NAMES = {m.key: m.label for m in MODELS}
#: Each model's bar colour.
MODEL_COLOURS = {m.key: m.colour for m in MODELS}
#: The maps' students on fixed filters (no wavelet): the baselines a verdict about AWD and its initial wavelet
#: leaves out.
FIXED_FILTER_BASELINES = tuple(m.key for m in MODELS if m.kind == "fixed_filter")
#: Students with a fixed (not distilled) transform: the initial wavelet's and the fixed filters.
BASELINES = tuple(m.key for m in MODELS if m.kind in ("initial", "fixed_filter"))
#: How each fixed map baseline's peak-count student is built: the keyword arguments of
#: :func:`models.pipeline.students.peak_student` (a named kernel of :mod:`models.students.peaks`, or a response).
MAP_BASELINES = {"laplace": {"kernel": "laplace"}, "roberts_cross": {"response": "roberts"},
                 "peak_heights": {"response": "raw"}}
