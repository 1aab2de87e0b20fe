"""The options of a distillation job, defined once.

Every vocabulary (boundary modes, filter parametrizations, attributions, teacher architectures, gradient paths,
grid presets, selection rules...), every bound and every default of a job lives here, as enums and one pydantic
model, :class:`JobOptions`. The rest derives from it: the trainer and the pipeline take their vocabularies from
these enums, the CLI builds its flags from the model's fields (:func:`cli_fields`), the API's request body
extends the model (so OpenAPI shows real enums and bounds), and the configure page reads :func:`describe`
through ``GET /api/options``.

This module imports no torch: the CLI's ``--help`` and the web layers can read it cheaply.
"""

from __future__ import annotations

import json
import math
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pywt
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "Mode", "Parametrization", "Attribution", "Teacher", "TEACHER_ARCHITECTURES",
    "DEFAULT_TEACHER", "AUTO_TEACHERS", "TEACHERS_BY_KIND", "TEACHER_FILE_SUFFIXES",
    "GradientPath", "GRADIENT_PATH_ALIASES", "GridPreset", "SelectionRule", "InputScaling", "TeacherAugment",
    "StudentPenalty", "SeriesFeatures", "PeakCovariance", "PeakResponse", "PeakRange", "Kind", "MAX_EPOCHS",
    "MAX_TEACHER_EPOCHS", "MAX_GRID_POINTS",
    "Student", "MAX_SCATTERING_EPOCHS",
    "MAX_GRID_VALUES", "MAX_LEVELS", "GRID_PRESETS", "grid_preset", "resolve_grid", "grid_from_text", "JobOptions",
    "PipelineConfig",
    "options_error", "cli_fields", "describe", "DEFAULT_START_SEARCH", "START_SEARCH_MAX_LENGTH",
    "START_SEARCH_AUTO_MAX_LENGTH", "START_SEARCH_MIN_SAMPLES",
    "resolve_start_search",
    "resolve_random_search", "KIND_OPTIONS", "Whole", "OptionalWhole", "Real", "OptionalReal",
    "json_number", "ColumnOrName", "column_or_name",
]


class Kind(StrEnum):
    """What one sample is."""

    TIMESERIES = "timeseries"
    IMAGE = "image"


class Mode(StrEnum):
    """Boundary mode of the wavelet transform (PyWavelets' names); ``auto`` chooses from the signal length."""

    AUTO = "auto"
    PERIODIZATION = "periodization"
    ZERO = "zero"
    SYMMETRIC = "symmetric"


class Parametrization(StrEnum):
    """How the lowpass filter is learned: an exactly orthogonal lattice, or free taps with validity penalties."""

    ORTHOGONAL = "orthogonal"
    FREE = "free"


class Attribution(StrEnum):
    """The attribution TRIM takes in the wavelet domain."""

    SALIENCY = "saliency"
    INPUT_X_GRADIENT = "input_x_gradient"
    INTEGRATED_GRADIENTS = "integrated_gradients"


class Teacher(StrEnum):
    """A built-in teacher architecture; ``auto`` picks by data kind (:data:`AUTO_TEACHERS`)."""

    AUTO = "auto"
    MLP = "mlp"
    LSTM = "lstm"
    CNN = "cnn"
    RESNET18 = "resnet18"


TEACHER_ARCHITECTURES = tuple(t.value for t in Teacher if t is not Teacher.AUTO)
#: The extensions of the weights files a teacher loads from (:func:`models.teachers.load_teacher`): safetensors and
#: torch.save state dicts, and torch.export programs.
TEACHER_FILE_SUFFIXES = (".safetensors", ".pt", ".pth", ".pt2")
#: The architectures ``teacher="auto"`` trains, by data kind; with several, the job keeps the one with the lowest
#: validation loss (:func:`models.teachers.train_best_teacher`). On the synthetic example (fixed-position wavelet
#: coefficients) the MLP reached a validation MSE of 0.005 on standardised targets against the LSTM's 0.098; on the
#: CME example (events at any time) the LSTM 0.19 against the MLP's 0.36 (docs/science.md, "The teacher").
AUTO_TEACHERS = {Kind.TIMESERIES.value: (Teacher.LSTM.value, Teacher.MLP.value), Kind.IMAGE.value: (Teacher.CNN.value,)}
#: The first architecture ``auto`` trains, by data kind (what it is when it trains only one).
DEFAULT_TEACHER = {kind: archs[0] for kind, archs in AUTO_TEACHERS.items()}
#: The architectures offered for each data kind (the forms offer only these; the first is the kind's default):
#: sequence models for time series, image models for maps, the MLP for both.
TEACHERS_BY_KIND = {
    Kind.TIMESERIES.value: (Teacher.LSTM.value, Teacher.MLP.value),
    Kind.IMAGE.value: (Teacher.CNN.value, Teacher.RESNET18.value, Teacher.MLP.value),
}


class GradientPath(StrEnum):
    """How the interpretation loss is differentiated: ``eq8`` is the gradient of eq. 8's loss,
    ``straight_through`` awave's double backpropagation; ``auto`` takes ``eq8``."""

    AUTO = "auto"
    EQ8 = "eq8"
    STRAIGHT_THROUGH = "straight_through"


#: Former names still accepted.
GRADIENT_PATH_ALIASES = {"precomputed": GradientPath.EQ8.value, "exact": GradientPath.STRAIGHT_THROUGH.value}


class GridPreset(StrEnum):
    """The (lambda, gamma) grid, epochs and step size used when none are given."""

    DEFAULT = "default"
    PAPER = "paper"
    SYNTHETIC = "synthetic"


class SelectionRule(StrEnum):
    """When a distilled wavelet is chosen over the initial one in cross-validation."""

    ONE_SE = "one_se"
    BEST = "best"


class TeacherAugment(StrEnum):
    """Symmetry augmentation while the teacher trains (``auto``: rotations and mirrors for maps, none for series)."""

    AUTO = "auto"
    NONE = "none"
    DIHEDRAL = "dihedral"


class InputScaling(StrEnum):
    """The scaling under which AWD and the series students see the data (``auto``: teacher's for series)."""

    AUTO = "auto"
    TEACHER = "teacher"
    NONE = "none"


class StudentPenalty(StrEnum):
    """The series student's ridge penalty: chosen by cross-validation, or none (ordinary least squares)."""

    CV = "cv"
    NONE = "none"


class SeriesFeatures(StrEnum):
    """Which coefficients the series student reads in each band: each series' ``top_k`` largest, wherever they
    sit (the paper's student, for events at any time), or the coefficients at the ``top_k`` positions that
    correlate most with the target on the training data, the same for every series (information at fixed times;
    docs/science.md, "Time-series student"); ``auto``: the one with the higher cross-validated R² at the initial
    wavelet. Neither reads a coefficient whose analysis filter has under 1 % of its energy on the series
    (``models.pipeline.students.series_candidates``)."""

    AUTO = "auto"
    LARGEST = "largest"
    POSITIONS = "positions"


class PeakCovariance(StrEnum):
    """The map student's chi-square covariance: pooled over classes, or one per class."""

    POOLED = "pooled"
    PER_CLASS = "per_class"


class PeakResponse(StrEnum):
    """What the map student reads at a peak through the wavelet's 3 x 3 sub-filters: two channels, the LL response
    and the detail magnitude ``sqrt(LH² + HL² + HH²)`` (the default: docs/science.md, "The detail-magnitude map
    student"), or the four responses LL, LH, HL, HH (the paper's student)."""

    KERNELS = "kernels"
    MAGNITUDE = "magnitude"


class PeakRange(StrEnum):
    """The map student's histogram range for a channel that can respond below 0 at a peak (the LL response):
    ``from_zero`` bins ``[0, b]`` as the paper does, leaving its negative responses out; ``signed`` bins
    ``[-b, b]`` (docs/science.md, "Map student")."""

    FROM_ZERO = "from_zero"
    SIGNED = "signed"


class Student(StrEnum):
    """Which students a job fits: AWD's own (top-k linear for series, peak counts for maps), or also the learned
    scattering student (``models.scattering``; its DWT bank starts from the AWD wavelet, its paths are pruned)."""

    AWD = "awd"
    SCATTERING = "scattering"


MAX_EPOCHS = 2000
MAX_SCATTERING_EPOCHS = 200
MAX_TEACHER_EPOCHS = 2000
#: Most random starts a job may search (:mod:`models.start_search`; 1000 take 5-8 s on one thread).
MAX_START_SEARCH = 20_000
#: Most random wavelets the teacher-free control may score (option ``random_search``; on the lensing example's
#: 1200 maps 300 of them took 59 s on 2 threads, :mod:`models.pipeline.random_search`).
MAX_RANDOM_SEARCH = 2000
MAX_GRID_VALUES = 64
MAX_GRID_POINTS = 400
#: Largest accepted λ or γ: the presets' largest is 50 (the synthetic γ), the loss's terms are of order 1 on the
#: scaled inputs, and λ = 1e308 was accepted, then failed the job after its teacher with a non-finite loss.
MAX_GRID_VALUE = 1e4
MAX_LEVELS = 12


def _geom(a: float, b: float, n: int) -> list[float]:
    return [float(v) for v in np.geomspace(a, b, n)]


#: Grids, epochs and Adam's step size by data kind and preset. ``default`` finishes in minutes on two cores;
#: ``paper`` is the paper's grid of each case study (its 1e-3 step); ``synthetic`` the paper's section 4.1 grid
#: (time series only). The maps' default takes 8 epochs at 2e-3 (15 at 1e-3 until 2026-12-04): on the lensing
#: example (5 seeds, the same teachers) the selected AWD's test RMSE of Omega_m was 2.550 +- 0.210 x 1e-2 against
#: 2.544 +- 0.203, per seed within 0.07; on the independent halo maps 4.040 against 3.970 (3 seeds, one behind by
#: 0.20): about the same result in 8 epochs instead of 15 (docs/science.md, "The maps' step size").
GRID_PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    Kind.TIMESERIES.value: {
        GridPreset.DEFAULT.value: {"lambdas": [1e-4, 7e-4, 5e-3], "gammas": [0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0],
                                   "epochs": 50, "lr": 1e-3},
        GridPreset.PAPER.value: {"lambdas": _geom(1e-4, 5e-3, 5), "gammas": [0.0] + _geom(1e-4, 10, 20),
                                 "epochs": 100, "lr": 1e-3},
        GridPreset.SYNTHETIC.value: {"lambdas": _geom(1e-5, 1e-4, 5), "gammas": [0.0] + _geom(1e-5, 50, 20),
                                     "epochs": 50, "lr": 1e-3},
    },
    Kind.IMAGE.value: {
        GridPreset.DEFAULT.value: {"lambdas": [0.005, 0.01, 0.02], "gammas": [0.0, 0.001, 0.005, 0.02, 0.05],
                                   "epochs": 8, "lr": 2e-3},
        GridPreset.PAPER.value: {"lambdas": [0.005, 0.01, 0.02], "gammas": [0.0] + _geom(0.001, 0.05, 10),
                                 "epochs": 50, "lr": 1e-3},
    },
}


def grid_preset(kind: str, preset: str) -> dict[str, Any]:
    """The lambdas, gammas, epochs and Adam step size (``lr``) of a preset for a data kind.

    Raises
    ------
    ValueError
        For a preset that does not exist for this kind (``synthetic`` is for time series).
    """
    presets = GRID_PRESETS[Kind(kind).value]
    if preset not in presets:
        raise ValueError(f"grid_preset: {preset!r} has no grid for {kind} data; pass one of {', '.join(presets)}")
    return presets[preset]


def resolve_grid(kind: str | None, preset: str | None = None, *, lambdas=None, gammas=None, epochs=None,
                 lr=None) -> dict[str, Any]:
    """The grid a job runs, and its epochs and step size: each value left out (None) is the preset's, and γ = 0 is
    always among the gammas (the grid's no-interpretation baseline runs in every job).

    The one place that fills a job's grid (the pipeline's :func:`models.pipeline.config.resolve_config`, the cost
    model's :func:`models.estimate.estimate_job`, :class:`JobOptions`' bound on the grid's size and
    ``jobstate.summary.grid_size``).

    Parameters
    ----------
    kind : {"timeseries", "image"} or None
        The data's kind, which the preset depends on; None where it is not known (options not yet joined to their
        data, a job whose dataset is gone): the values left out then stay None.
    preset : str or None, default=None
        A :data:`GRID_PRESETS` name; None is ``"default"``.
    lambdas, gammas : sequence of float or None, default=None
    epochs : int or None, default=None
    lr : float or None, default=None

    Returns
    -------
    dict
        ``lambdas`` (sorted, each once), ``gammas`` (the same, with 0), ``epochs``, ``lr`` (float).

    Raises
    ------
    ValueError
        For a preset that does not exist for this kind (checked whenever the kind is known).

    Examples
    --------
    >>> resolve_grid("image", lambdas=[0.02, 0.01], gammas=[0.05])
    {'lambdas': [0.01, 0.02], 'gammas': [0.0, 0.05], 'epochs': 8, 'lr': 0.002}
    >>> resolve_grid(None, gammas=[0.1])
    {'lambdas': None, 'gammas': [0.0, 0.1], 'epochs': None, 'lr': None}
    """
    values = grid_preset(kind, preset or GridPreset.DEFAULT.value) if kind is not None else {}

    def given(value, name):
        return value if value is not None else values.get(name)

    lambdas, gammas, epochs, lr = (given(lambdas, "lambdas"), given(gammas, "gammas"), given(epochs, "epochs"),
                                   given(lr, "lr"))
    return {"lambdas": None if lambdas is None else sorted({float(v) for v in lambdas}),
            "gammas": None if gammas is None else sorted({0.0, *(float(v) for v in gammas)}),
            "epochs": epochs, "lr": None if lr is None else float(lr)}


#: Random starts of the start search when ``start_search`` is left out (:func:`resolve_start_search`). On the CME
#: example (3 data seeds) the search turned AWD from no gain over db5 into significant gains (docs/science.md).
DEFAULT_START_SEARCH = 1000
#: Longest time series the start search takes: the trainer's closed-form steps end there
#: (``models.distill.CLOSED_FORM_MAX_LENGTH``, held equal by a test).
START_SEARCH_MAX_LENGTH = 128
#: Longest time series searched when the option is left out. 1000 starts took 4.9 s at 40 samples, 8.4 s at 64
#: and 65 s at 128 on one thread (2026-12-01; about 3.9, 5.6 and 39 s since the starts descend in chunks,
#: 2026-12-05): beyond 64 samples the search is asked for, not assumed.
START_SEARCH_AUTO_MAX_LENGTH = 64
#: Fewest series searched when the option is left out. The search costs the same seconds whatever the data's
#: size, so on a few hundred series it would be most of the job, and there the cross-validation can rarely tell
#: a gain from noise; the built-in examples (2400 and 2936 training series) are searched.
START_SEARCH_MIN_SAMPLES = 1000


#: Random wavelets of the teacher-free control when ``random_search`` is left out (:func:`resolve_random_search`).
DEFAULT_RANDOM_SEARCH = 300
#: Fewest time series that get the control when the option is left out: on the CME example's 2936 training series
#: its 300 wavelets cost about 6 CPU seconds (3.4 s on 2 threads; models.estimate); maps are asked for (about 60 s
#: for the lensing example's 1200 maps on 2 threads).
RANDOM_SEARCH_MIN_SAMPLES = 1000


def resolve_random_search(random_search, kind: str, n_samples: int) -> int:
    """The number of random wavelets of a job's teacher-free control (:mod:`models.pipeline.random_search`).

    ``None`` (the option left out) gives :data:`DEFAULT_RANDOM_SEARCH` for at least
    :data:`RANDOM_SEARCH_MIN_SAMPLES` time series and 0 (off) otherwise; a number is kept.

    Parameters
    ----------
    random_search : int or None
    kind : {"timeseries", "image"}
    n_samples : int
        The dataset's samples (``Dataset.n``).

    Examples
    --------
    >>> resolve_random_search(None, "timeseries", 3000), resolve_random_search(None, "image", 3000)
    (300, 0)
    >>> resolve_random_search(50, "image", 100)
    50
    """
    if random_search is None:
        return DEFAULT_RANDOM_SEARCH if kind == Kind.TIMESERIES.value and n_samples >= RANDOM_SEARCH_MIN_SAMPLES else 0
    return int(random_search)


def resolve_start_search(start_search, kind: str, shape, gammas, n_samples: int) -> int:
    """The number of random starts a job searches (:mod:`models.start_search`).

    ``None`` (the option left out) gives :data:`DEFAULT_START_SEARCH` for at least
    :data:`START_SEARCH_MIN_SAMPLES` time series of up to :data:`START_SEARCH_AUTO_MAX_LENGTH` samples whose
    grid has a gamma > 0 (the search is for the teacher's term; the gamma = 0 points' own search on sparsity comes
    with it), else 0; a number is kept (series of up to :data:`START_SEARCH_MAX_LENGTH` samples).

    Parameters
    ----------
    start_search : int or None
    kind : {"timeseries", "image"}
    shape : sequence of int
        One sample's shape.
    gammas : iterable of float
        The grid's interpretation weights.
    n_samples : int
        The dataset's series (``Dataset.n``: its training part, which for a file without a fixed test set still
        includes the share a job holds out for testing).

    Raises
    ------
    ValueError
        For starts asked on data the search does not take (maps, longer series).
    """
    searchable = kind == Kind.TIMESERIES.value and len(shape) == 1 and shape[0] <= START_SEARCH_MAX_LENGTH
    if start_search is None:
        auto = (searchable and shape[0] <= START_SEARCH_AUTO_MAX_LENGTH and max(gammas, default=0.0) > 0
                and n_samples >= START_SEARCH_MIN_SAMPLES)
        return DEFAULT_START_SEARCH if auto else 0
    if start_search and not searchable:
        raise ValueError(f"start_search: the start search is for time series of up to {START_SEARCH_MAX_LENGTH} "
                         f"samples, not {kind} samples of shape {tuple(shape)}; pass 0 or leave it out")
    return int(start_search)


_DEVICE = re.compile(r"^(cpu|cuda(:\d+)?)$")


def json_number(value):
    """A numeric option's value as sent, refused when it is a boolean or a string (review 39B: ``"seed": true`` ran
    with seed 1, and ``"seed": "3"`` was taken); numbers go on to pydantic's ``int`` or ``float`` (for an integer
    option a whole float such as 3.0 is 3, and 3.5 is refused).

    Raises
    ------
    ValueError
        For ``True``/``False`` and for any string.

    Examples
    --------
    >>> json_number(3), json_number(0.5)
    (3, 0.5)
    >>> json_number(True)
    Traceback (most recent call last):
    ...
    ValueError: true is not a number; pass a number such as 3 (not true/false, not a string)
    """
    if isinstance(value, bool | str):
        raise ValueError(f"{json.dumps(value)} is not a number; pass a number such as 3 (not true/false, not a "
                         "string)")
    return value


def column_or_name(value):
    """A target column as sent, by its number or its name, refused when it is a boolean (``true`` is no column).

    Examples
    --------
    >>> column_or_name(1), column_or_name("sigma_8")
    (1, 'sigma_8')
    """
    if isinstance(value, bool):
        raise ValueError(f"{json.dumps(value)} is not a column; pass its number from 0 or its name")
    return value


#: A target column by number or name (``POST /api/jobs``; ``--target``), with :func:`column_or_name`'s check.
ColumnOrName = Annotated[int | str, BeforeValidator(column_or_name)]
#: The types of the numeric options: a number, never a boolean nor a string (:func:`json_number`), one rule for
#: all; ``Whole``/``Real``, and ``OptionalWhole``/``OptionalReal`` where None means a default (the check wraps the
#: union, so that the fields' bounds stay plain ``minimum``/``maximum`` in the JSON Schema).
Whole = Annotated[int, BeforeValidator(json_number)]
OptionalWhole = Annotated[int | None, BeforeValidator(json_number)]
Real = Annotated[float, BeforeValidator(json_number)]
OptionalReal = Annotated[float | None, BeforeValidator(json_number)]


def grid_from_text(text: str) -> list[float]:
    """λ or γ values written as text, separated by commas or semicolons (``awd distill --lambdas 1e-3,5e-3``, or
    the same string through the API).

    Raises
    ------
    ValueError
        When a value is not a number.

    Examples
    --------
    >>> grid_from_text("1e-3, 5e-3;0.01")
    [0.001, 0.005, 0.01]
    """
    try:
        return [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{text!r}: give a list of numbers, e.g. [0.001, 0.005] (or the text "
                         "\"0.001,0.005\")") from None


class JobOptions(BaseModel):
    """Every option of a distillation job, with its default, bound and meaning.

    ``None`` for ``lambdas``, ``gammas``, ``epochs`` and ``lr`` means "the grid preset's" (:data:`GRID_PRESETS`).
    A gamma of 0 is always added to the grid: it is the "AWD without interpretation loss" baseline. Values
    are normalised when the model is built (grids sorted, duplicates removed, former gradient-path names
    mapped); validation changes nothing afterwards.
    """

    model_config = ConfigDict(extra="forbid", use_enum_values=True, validate_default=True)

    teacher: Teacher = Field(Teacher.AUTO, description="teacher architecture to train; auto: for series an LSTM "
                                                       "and an MLP, keeping the one with the lower validation "
                                                       "loss; for maps a CNN")
    target: Whole = Field(0, ge=0, le=10_000, description="target column to explain")
    levels: Whole = Field(4, ge=1, le=MAX_LEVELS, description="decomposition levels J (at most what the signal "
                                                            "length allows)")
    wave: str = Field("db5", max_length=20, description="initial wavelet: any orthogonal PyWavelets wavelet")
    mode: Mode = Field(Mode.AUTO, description="boundary mode; auto: periodization unless it would pad the "
                                              "student's features, else zero")
    parametrization: Parametrization = Field(Parametrization.ORTHOGONAL, description="orthogonal: exact lattice; "
                                             "free: taps with the validity penalties of eq. 8")
    lambdas: list[Real] | None = Field(None, min_length=1, max_length=MAX_GRID_VALUES,
                                        description=f"sparsity weights (lambda), each from 0 to {MAX_GRID_VALUE:g}; "
                                                    "none: the grid preset's")
    gammas: list[Real] | None = Field(None, min_length=1, max_length=MAX_GRID_VALUES,
                                       description=f"interpretation weights (gamma), each from 0 to "
                                                   f"{MAX_GRID_VALUE:g}; 0 is always added")
    grid_preset: GridPreset = Field(GridPreset.DEFAULT, description="grid when lambdas/gammas are not given")
    epochs: OptionalWhole = Field(None, ge=1, le=MAX_EPOCHS, description="distillation epochs; none: the preset's")
    batch_size: Whole = Field(100, ge=1, le=100_000, description="samples per step")
    lr: OptionalReal = Field(None, gt=0, le=10, description="Adam's step size; none: the preset's")
    warmup_epochs: Whole = Field(0, ge=0, le=MAX_EPOCHS, description="epochs without the interpretation loss")
    patience: OptionalWhole = Field(None, ge=1, le=MAX_EPOCHS, description="early stopping on the validation loss")
    attribution: Attribution = Field(Attribution.SALIENCY, description="attribution TRIM takes")
    ig_steps: Whole = Field(8, ge=1, le=256, description="integrated-gradients steps")
    init_noise: Real = Field(0.0, ge=0, le=10, description="SD of Gaussian noise added to the initial filter's "
                              "taps (the paper's 'db5 + 0.3 N(0, 1)'; the orthogonal filter is then fitted to the "
                              "noisy taps by least squares)")
    start_search: OptionalWhole = Field(None, ge=0, le=MAX_START_SEARCH, description="random orthogonal starts "
                                        "searched before the fit; each grid point starts from the best of them or "
                                        "the initial wavelet; 0: off; none: 1000 for 1000 or more time series of up "
                                        "to 64 samples with a gamma > 0, else off")
    random_search: OptionalWhole = Field(None, ge=0, le=MAX_RANDOM_SEARCH, description="a control for what the "
                                      "teacher adds: this many random orthogonal wavelets are scored by the "
                                      "student's cross-validation alone, without the teacher, and the best is "
                                      "compared with AWD on the test set; 0: off; none: 300 for 1000 or more time "
                                      "series, else off")
    seed: Whole = Field(0, ge=0, le=2**31 - 1, description="random seed")
    device: str | None = Field(None, max_length=20, description="cpu, cuda or cuda:N; none: CUDA when available")
    test_fraction: Real = Field(0.2, ge=0.05, le=0.5, description="share held out for testing (when the data "
                                                                    "carries no test set)")
    cv_folds: Whole = Field(5, ge=2, le=20, description="cross-validation folds of the selection")
    cv_repeats: Whole = Field(3, ge=1, le=20, description="repeats of the cross-validation")
    top_k: Whole = Field(6, ge=1, le=1000, description="coefficients per band the series student keeps")
    gradient_path: GradientPath = Field(GradientPath.AUTO, description="eq8: the loss's gradient; "
                                        "straight_through: awave's double backpropagation")
    teacher_epochs: OptionalWhole = Field(None, ge=1, le=MAX_TEACHER_EPOCHS, description="teacher training epochs")
    teacher_augment: TeacherAugment = Field(TeacherAugment.AUTO, description="symmetry augmentation of the "
                                            "teacher's training; auto: random quarter turns and mirrors for "
                                            "maps, none for series")
    selection_rule: SelectionRule = Field(SelectionRule.ONE_SE, description="one_se: AWD must beat the initial "
                                          "wavelet by one standard error in cross-validation, as a grid search "
                                          "too, and beat the training mean; best: any positive CV gain")
    input_scaling: InputScaling = Field(InputScaling.AUTO, description="scaling AWD and the series students "
                                        "see; auto: the teacher's for series, none for maps")
    student_penalty: StudentPenalty = Field(StudentPenalty.CV, description="series student's ridge penalty")
    series_features: SeriesFeatures = Field(SeriesFeatures.AUTO, description="what the series student reads in "
                                            "each band; largest: each series' top_k largest coefficients, "
                                            "wherever they sit (events at any time); positions: the coefficients "
                                            "at the top_k positions that correlate most with the target on the "
                                            "training data (values at fixed times); auto: the one with the "
                                            "higher cross-validated R2 at the initial wavelet; neither reads a "
                                            "coefficient with under 1 % of its filter on the series")
    peak_covariance: PeakCovariance = Field(PeakCovariance.POOLED, description="map student's chi-square "
                                            "covariance")
    peak_response: PeakResponse = Field(PeakResponse.MAGNITUDE, description="what the map student reads at a "
                                        "peak through the wavelet's 3 x 3 sub-filters; magnitude: the LL response "
                                        "and the detail magnitude sqrt(LH² + HL² + HH²), each scaled by its "
                                        "training 99th percentile; kernels: the four responses (the paper's)")
    peak_range: PeakRange = Field(PeakRange.FROM_ZERO, description="map student's histogram range for a "
                                  "channel that can respond below 0 at a peak (the LL response); from_zero: "
                                  "[0, b], the paper's, its negative responses in no bin; signed: [-b, b]")
    student: Student = Field(Student.AWD, description="awd: AWD's students only; scattering: also a learned "
                             "scattering student started from the AWD wavelet, its paths pruned")
    scattering_epochs: Whole = Field(10, ge=1, le=MAX_SCATTERING_EPOCHS, description="training epochs of the "
                                   "scattering student (student: scattering)")

    @field_validator("wave")
    @classmethod
    def _orthogonal_wave(cls, value: str) -> str:
        try:
            wavelet = pywt.Wavelet(value)
        except (ValueError, TypeError):  # pywt raises TypeError for an empty name
            raise ValueError(f"{value!r} is not a PyWavelets wavelet; pass e.g. db5, sym8 or coif2") from None
        if not wavelet.orthogonal:
            raise ValueError(f"{value!r} is not orthogonal; pass an orthogonal wavelet such as db5, sym8 or coif2")
        return value

    @field_validator("lambdas", "gammas")
    @classmethod
    def _grid_values(cls, values: list[float] | None) -> list[float] | None:
        if values is None:
            return None
        if not all(math.isfinite(v) and 0 <= v <= MAX_GRID_VALUE for v in values):
            raise ValueError(f"every value must be a number from 0 to {MAX_GRID_VALUE:g}; the presets' reach 50")
        return sorted(set(float(v) for v in values))

    @field_validator("lambdas", "gammas", mode="before")
    @classmethod
    def _grid_text(cls, values):
        """A comma-separated string, as the CLI takes it ("1e-3,5e-3"), is that list (review 14: the API answered
        "Input should be a valid list")."""
        return grid_from_text(values) if isinstance(values, str) else values

    @field_validator("grid_preset", mode="before")
    @classmethod
    def _quick_is_default(cls, value):
        """"quick", as the configure page's Quick grid button reads, is the preset ``default`` (review 14)."""
        return "default" if isinstance(value, str) and value.strip().lower() == "quick" else value

    @field_validator("gradient_path", mode="before")
    @classmethod
    def _former_names(cls, value):
        return GRADIENT_PATH_ALIASES.get(value, value) if isinstance(value, str) else value

    @field_validator("device")
    @classmethod
    def _device_name(cls, value: str | None) -> str | None:
        if value is not None and not _DEVICE.match(value):
            raise ValueError(f"{value!r} is not a device; pass cpu, cuda or cuda:N")
        return value

    @model_validator(mode="after")
    def _grid_size(self):
        grid = resolve_grid(None, lambdas=self.lambdas, gammas=self.gammas)  # the data, so the preset, unknown here
        n_points = len(grid["lambdas"] or [1]) * len(grid["gammas"] or [0.0])
        if n_points > MAX_GRID_POINTS:
            raise ValueError(f"lambdas x gammas: {n_points} grid points exceed the bound of {MAX_GRID_POINTS}; "
                             "use fewer values")
        return self


def options_error(error: ValidationError) -> ValueError:
    """One readable ``ValueError`` ("field: problem; what to pass") from a pydantic validation error.

    Examples
    --------
    >>> try:
    ...     JobOptions.model_validate({"student": "tree"})
    ... except ValidationError as error:
    ...     print(options_error(error))
    student: 'tree' is not one of its choices; pass one of 'awd' or 'scattering'
    """
    first = error.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ())) or "options"
    message = first.get("msg", "invalid value").removeprefix("Value error, ")
    if first.get("type") == "enum":
        message = f"{first.get('input')!r} is not one of its choices; pass one of {first['ctx']['expected']}"
    elif first.get("type") == "extra_forbidden":
        message = "unknown option; see `awd distill --help` or GET /api/options for the options"
    return ValueError(f"{field}: {message}")


class PipelineConfig(JobOptions):
    """A job as the pipeline runs it: the options plus where an uploaded teacher's weights are, and the name their
    owner gave the file.

    ``teacher`` then names the uploaded weights' architecture, or is ``auto`` for an exported program (``.pt2``),
    which carries its own. A result's ``provenance.config`` is one of these without ``teacher_path`` (a file on the
    machine that ran the job), with ``teacher_file_name`` in its place.
    """

    teacher_path: str | None = Field(None, description="weights file of an uploaded teacher")
    teacher_file_name: str | None = Field(None, max_length=255, description="the uploaded teacher's file name as "
                                          "its owner gave it, without folders; none: the name of teacher_path")

    @field_validator("teacher_path")
    @classmethod
    def _existing_file(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(f"no file at {value}")
        return value

    @field_validator("teacher_file_name")
    @classmethod
    def _bare_name(cls, value: str | None) -> str | None:
        if value is not None and ("/" in value or "\\" in value):
            raise ValueError(f"{value!r} is a path; pass the file's name alone, e.g. mynet.pt2")
        return value

    @classmethod
    def from_dict(cls, d: dict | None) -> "PipelineConfig":
        """Build and validate a config; unknown keys and bad values raise ValueError naming the field."""
        try:
            return cls.model_validate(dict(d or {}))
        except ValidationError as error:
            raise options_error(error) from None

    def to_dict(self) -> dict:
        """A JSON-able dict of every field."""
        return self.model_dump(mode="json")


#: The options that apply to one kind of data only; every other option applies to both. The time-series student's
#: (what it reads, how many coefficients a band, its penalty) and the start search, which is for time series; the
#: map student's (what it reads at a peak, its range, its covariance). The job page shows a job the options of its
#: kind (the frontend's copy, ``frontend/option_words.py``, is held to this one by tests/frontend/test_option_words.py).
KIND_OPTIONS = {
    Kind.TIMESERIES.value: ("start_search", "series_features", "top_k", "student_penalty"),
    Kind.IMAGE.value: ("peak_response", "peak_range", "peak_covariance"),
}


#: Options a new user sets most; the CLI lists them first and the configure page shows them.
_COMMON = ("teacher", "target", "levels", "wave", "mode", "parametrization", "lambdas", "gammas", "grid_preset",
           "epochs", "attribution", "seed", "device")


def cli_fields() -> list[tuple[str, Any]]:
    """``(name, pydantic FieldInfo)`` of every job option, the common ones first (the CLI's flags)."""
    fields = JobOptions.model_fields
    return [(n, fields[n]) for n in _COMMON] + [(n, f) for n, f in fields.items() if n not in _COMMON]


def _choices(field) -> list[str] | None:
    annotation = field.annotation
    enum = annotation if isinstance(annotation, type) and issubclass(annotation, StrEnum) else None
    return [e.value for e in enum] if enum else None


def describe() -> dict[str, Any]:
    """Everything a form needs, JSON-able: each option's default, bounds, choices and meaning; the grid
    presets by data kind; the default teacher by kind; the bounds of a job."""
    fields = {}
    for name, field in JobOptions.model_fields.items():
        entry: dict[str, Any] = {"default": (field.default.value if isinstance(field.default, StrEnum)
                                             else field.default),
                                 "description": field.description}
        for meta in field.metadata:
            for bound in ("ge", "gt", "le", "lt", "min_length", "max_length"):
                if getattr(meta, bound, None) is not None:
                    entry[bound] = getattr(meta, bound)
        choices = _choices(field)
        if choices:
            entry["choices"] = choices
        fields[name] = entry
    return {
        "options": fields,
        "grid_presets": GRID_PRESETS,
        "default_teacher": DEFAULT_TEACHER,
        "auto_teachers": {kind: list(archs) for kind, archs in AUTO_TEACHERS.items()},
        "teacher_architectures": list(TEACHER_ARCHITECTURES),
        "teacher_architectures_by_kind": {kind: list(archs) for kind, archs in TEACHERS_BY_KIND.items()},
        "bounds": {"epochs": MAX_EPOCHS, "teacher_epochs": MAX_TEACHER_EPOCHS, "grid_points": MAX_GRID_POINTS,
                   "grid_values": MAX_GRID_VALUES, "levels": MAX_LEVELS, "start_search": MAX_START_SEARCH,
                   "random_search": MAX_RANDOM_SEARCH, "scattering_epochs": MAX_SCATTERING_EPOCHS},
        "wavelets": [w for family in ("db", "sym", "coif") for w in pywt.wavelist(family)],
    }
