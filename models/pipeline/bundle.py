"""The result bundle as a typed object: every section of ``result.json`` and what it must hold.

:class:`ResultBundle` is what the final stage builds; pydantic checks each section as it is made (types,
required keys, no stray keys), so a bundle that reaches the disk has the shape the UI, the API and the CLI
read. ``models/schema/result-bundle.schema.json`` is the same contract for readers in other languages; the
tests validate written bundles against it.
"""

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from awd_studio.models.pipeline.workdir import write_json
from awd_studio.models.start_search import SEARCH_NAMES

__all__ = ["SCHEMA_PATH", "SCHEMA_ID", "ResultBundle", "DataInfo", "TeacherInfo", "TeacherUpload", "TestScores",
           "CVScore", "ModelScores", "GridPoint", "TestDifference", "Selected", "CVInfo", "Selection",
           "SeriesFeaturesChoice", "Verdict", "Wavelet",
           "Activation", "Provenance", "Student", "Explain", "ScatteringSection", "summary_text", "truth_lines",
           "write_bundle"]

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schema" / "result-bundle.schema.json"
SCHEMA_ID = "awd-result/1"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DataInfo(_Section):
    """The data a job read."""

    kind: Literal["timeseries", "image"]
    shape: list[int]
    n_train: int
    n_test: int
    sha256: str
    #: The target column explained (its name in the file, or "target <column>"); absent in older bundles.
    target_name: str | None = None
    #: Standard deviation of that column over the test split (0: every test R² is undefined); absent in older
    #: bundles.
    test_target_sd: float | None = None
    #: ``[lowest, highest]`` of that column over the training split: predictions and a file's targets beyond it are
    #: named as extrapolation (:func:`models.pipeline.predict.beyond_training_words`); absent in older bundles.
    train_target_range: list[float] | None = None
    #: Mean and standard deviation of the training split's raw inputs (every value of X), which predictions on
    #: new data are checked against; absent in older bundles.
    x_mean: float | None = None
    x_std: float | None = None
    #: Tiled maps: how many maps the training tiles were cut from. The teacher's validation hold-out and the
    #: selection's folds then took whole maps (at most this many folds); absent for data that were not tiled.
    train_maps: int | None = None
    #: Tiled maps: how many maps the test tiles were cut from. The test scores' SD and the paired intervals then
    #: resample whole maps (tiles of one map are not independent); absent for data that were not tiled.
    test_maps: int | None = None
    #: Time series whose file named their samples (``t=0s``, ``t=2s``, ...): each sample's value on that axis and
    #: the axis' label (``"t (s)"``), for the figures; absent otherwise.
    sample_axis: dict | None = None
    #: Maps whose file gave their pixel's size on the sky (a field of view, or the lensing example's own): the side
    #: of one pixel in arcmin, for the figures' axes; absent otherwise.
    pixel_arcmin: float | None = None
    #: Maps whose file records how they were made (the lensing example's ``galaxy_density_per_arcmin2``, None for
    #: noiseless, and ``smoothing_arcmin``; :func:`models.data.noise.map_noise`): predictions on maps made otherwise
    #: say so. Absent otherwise, and in older bundles.
    map_noise: dict | None = None
    #: The two values of a target that takes exactly two on the training split (a class label such as 0/1),
    #: ``[low, high]``: the job fitted it as a number, and the test scores add accuracy and AUC; absent otherwise.
    two_values: list[float] | None = None
    #: How many distinct target rows the training split holds when every test row is one of them and the rows
    #: repeat (3 or more: a set of cosmologies, each drawn for several maps; no limit on the count since
    #: 2026-12-06), :func:`models.metrics.seen_target_rows`; the test then measures new samples of parameters seen
    #: in training. Absent otherwise, and in older bundles.
    seen_targets: int | None = None
    #: Rows of a text file left out for missing values when the data were read (the upload's drop_incomplete,
    #: ``awd distill --drop-incomplete``): ``count``, the first ``rows`` by line and identifier, and ``of`` how many.
    dropped_rows: dict | None = None
    #: Series of a text file whose missing values after their last value were filled with zeros when the data were
    #: read (traces that ended early: the upload's pad_ends, ``awd distill --pad-ends``): ``count``, ``of`` how
    #: many, the ``shortest`` series' values, the ``length``, and the first ``rows``.
    padded_rows: dict | None = None
    #: Arrays the file stored with a channel axis of size 1 (PyTorch's ``(n, 1, L)``, Keras's ``(n, L, 1)``, maps'
    #: ``(n, 1, H, W)`` or ``(n, H, W, 1)``), read without it: each array's name (``X``, ``X_test``) and the shape
    #: it was stored in, such as ``{"X": [200, 1, 64]}``; ``shape`` is the sample's shape as distilled. Absent
    #: otherwise, and in older bundles.
    channel_axis: dict[str, list[int]] | None = None


class TargetScore(_Section):
    """One target column's test scores (maps whose student predicts every parameter); ``r2`` None when the column
    holds one value on the test set (R² undefined)."""

    name: str
    r2: float | None
    rmse: float


class TestScores(_Section):
    """Scores on the held-out test split."""

    r2: float
    rmse: float
    rmse_sd: float | None = None
    #: A two-valued target (``data.two_values``): the share of predictions on the right side of the midpoint,
    #: and the ROC AUC of the predictions as scores (:func:`models.metrics.two_class_scores`); absent otherwise.
    accuracy: float | None = None
    auc: float | None = None
    #: Maps with several target columns: every column's scores, the reported one among them (the map student's
    #: classes are whole parameter rows, so it predicts them all); absent otherwise.
    by_target: list[TargetScore] | None = None


class TeacherUpload(_Section):
    """Uploaded teacher weights: the name their owner gave the file (never its path on the server), what they are,
    and the file's SHA-256, the hash ``GET /api/teachers`` shows for it."""

    file_name: str
    #: ``"exported program"`` for a ``.pt2``, else the built-in architecture the weights are for.
    format: str
    sha256: str


class TeacherInfo(_Section):
    """The teacher that was distilled; ``validation_mse`` when ``teacher="auto"`` trained several architectures
    (each one's lowest validation MSE on the standardised targets; ``name`` is the lowest), ``stopped_behind``
    the epochs of those stopped far behind another (:func:`models.teachers.train_best_teacher`), for a
    teacher the job trained ``epochs_run``, ``epoch_cap`` and ``best_epoch``, and for uploaded weights ``upload``."""

    name: str
    n_params: int
    test: TestScores
    predict_seconds_per_sample: float
    validation_mse: dict[str, float] | None = None
    stopped_behind: dict[str, int] | None = None
    #: A teacher trained by the job: epochs it ran, the most it was allowed, and its best (1-based) by validation.
    epochs_run: int | None = None
    epoch_cap: int | None = None
    best_epoch: int | None = None
    #: Uploaded weights: mean and SD of their test predictions and of the test targets (``mean``, ``sd``,
    #: ``target_mean``, ``target_sd``) and the R² of a straight line through the predictions (``affine_r2``),
    #: which tell a teacher fed or answering in other units (:mod:`models.teachers.units`).
    prediction_scale: dict[str, float] | None = None
    #: Uploaded weights: their file's name, format and SHA-256; absent for a teacher the job trained, and in bundles
    #: written before it was kept.
    upload: TeacherUpload | None = None


class CVScore(_Section):
    """A student's cross-validated R² and whether it beats predicting the training mean."""

    r2: float
    r2_sd: float
    beats_mean: bool


class ModelScores(_Section):
    """One student's scores, size and speed."""

    test: TestScores
    compression_factor: float | None
    n_params: int
    predict_seconds_per_sample: float
    cv: CVScore | None = None


class GridPoint(_Section):
    """One (lambda, gamma) point of the grid and the filter it learned."""

    index: int
    lambda_: float = Field(alias="lambda")
    gamma: float
    i_lambda: int
    i_gamma: int
    cv_score: float
    cv_score_sd: float
    losses: dict[str, float]
    h: list[float]
    g: list[float]
    psi: list[float]
    distance_to_init: float
    distance_to_truth: float | None = None
    start: Literal["initial", "search"] | None = None
    start_h: list[float] | None = None
    start_distance_to_init: float | None = None
    start_distance_to_truth: float | None = None
    test: TestScores | None = None
    student: "Student | None" = None


class Selected(_Section):
    """The best grid point in cross-validation."""

    lambda_: float = Field(alias="lambda")
    gamma: float
    index: int


class CVInfo(_Section):
    """How the cross-validation was done (``grouping``: what a fold holds out); ``constant_target_folds``: how many of the splits' validation parts
    hold a single target value, where a fold's R² is undefined (tiles: a fold of whole maps of one cosmology)."""

    metric: str
    folds: int
    repeats: int
    constant_target_folds: int | None = None
    #: What a fold holds out (:func:`models.pipeline.selection.cv_grouping`): ``samples``; for tiles ``maps``,
    #: ``maps by cosmology`` or ``tiles`` (a cosmology with one training map); absent in older bundles.
    grouping: str | None = None


class TestDifference(_Section):
    """A paired bootstrap interval of a score difference on the test set
    (:func:`models.metrics.paired_bootstrap_difference`)."""

    estimate: float
    low: float
    high: float
    sd: float
    level: float
    n_boot: int
    metric: Literal["r2", "rmse"]


class FixedFilterCheck(_Section):
    """Maps: the best fixed-filter baseline by cross-validation against the model delivered (review 28A: the
    scores table ranked students by one test split while the training maps' CV said the opposite)."""

    #: The baseline's key in ``models`` (``laplace``, ``roberts_cross``, ``peak_heights``).
    name: str
    #: The model delivered (``awd``, or ``baseline_wavelet`` when cross-validation kept the initial wavelet).
    delivered: str
    cv_score: float
    delivered_cv_score: float
    #: Mean CV R² of the baseline minus the delivered model's, on the shared splits, and its corrected SE.
    cv_gain: float
    cv_gain_se: float
    #: The choice among the fixed filters' own gain and its SE: each split scored by the baseline the other folds of
    #: its repeat chose (:func:`models.pipeline.selection.selection_fold_scores`).
    search_cv_gain: float
    search_cv_gain_se: float
    #: Whether the baseline leads by more than two standard errors, and the choice among them too
    #: (:data:`models.pipeline.verdict.FIXED_FILTER_SES`).
    leads: bool
    #: The paired test interval of the delivered model minus the baseline (the verdict's metric).
    test_difference: TestDifference


class RandomSearch(_Section):
    """The teacher-free control (option ``random_search``): the best of ``n`` random orthogonal wavelets by the
    student's own cross-validation, compared with AWD (the best grid point) on the test set."""

    n: int
    seed: int
    cv_score: float
    h: list[float]
    test_difference: TestDifference


class SeriesFeaturesChoice(_Section):
    """What the series student reads when ``series_features="auto"`` chose it: the kind with the higher
    cross-validated R² at the initial wavelet (``initial_cv_r2``, both kinds), and the standard error of their
    paired fold difference (``difference_se``; a gap below it is within cross-validation's noise)."""

    chosen: Literal["largest", "positions"]
    initial_cv_r2: dict[str, float]
    difference_se: float | None = None


class Selection(_Section):
    """The choice between the best distilled wavelet and the initial one."""

    rule: str
    folds: int
    repeats: int
    n_candidates: int
    choice: Literal["awd", "initial"]
    initial: str
    initial_cv_score: float
    awd_cv_score: float
    cv_gain: float
    cv_gain_se: float
    #: The grid search's own CV gain over the initial wavelet and its standard error: each split scored by the
    #: point the other splits of its repeat chose (:func:`models.pipeline.selection.selection_fold_scores`).
    search_cv_gain: float | None = None
    search_cv_gain_se: float | None = None
    #: Why the one-standard-error rule kept the initial wavelet: ``gain`` (the best point's gain within its standard
    #: error), ``selection`` (the search's own gain within its), ``mean`` (the best point's student does not beat
    #: the training mean); None when AWD was chosen.
    kept_because: Literal["gain", "selection", "mean"] | None = None
    mean_predictor_cv_score: float
    random_search: RandomSearch | None = None
    series_features: SeriesFeaturesChoice | None = None


class Verdict(_Section):
    """Whether distillation helped, in one sentence, with the paired test interval behind it."""

    text: str
    choice: Literal["awd", "initial"]
    metric: Literal["r2", "rmse"]
    test_difference: TestDifference
    warnings: list[str]
    #: Whether no model, the teacher included, predicts the target (best test R² below
    #: :data:`models.pipeline.verdict.NO_SKILL_R2`): the text then says so first.
    no_skill: bool = False
    #: Whether the verdict shows distillation helping (:func:`models.pipeline.verdict.distillation_helped`: AWD
    #: delivered, significantly and not only slightly better on enough test samples, some model with skill), and a
    #: teacher fit to be explained (:func:`models.pipeline.verdict.helped_by_the_teacher`; since 2026-12-06); None
    #: in bundles written before 2026-12-05.
    helped: bool | None = None
    #: Maps: the best fixed-filter baseline by CV against the model delivered; absent for series and in bundles
    #: written before 2026-12-05.
    fixed_filter: FixedFilterCheck | None = None
    #: The paired test interval of AWD minus AWD (γ = 0), the best γ = 0 point: whether the teacher's attributions
    #: (γ > 0) gave a better wavelet than sparsity alone; absent when the best point has γ = 0 itself.
    interpretation_difference: TestDifference | None = None


class Wavelet(_Section):
    """The selected wavelet beside the initial one (filters, cascade, validity, distances)."""

    init: str
    parametrization: str
    mode: str
    levels: int
    h: list[float]
    g: list[float]
    x: list[float]
    phi: list[float]
    psi: list[float]
    init_h: list[float]
    init_g: list[float]
    init_phi: list[float]
    init_psi: list[float]
    validity: dict[str, float]
    mode_choice: str
    input_scaling: dict[str, Any]
    distance_to_init: float
    nearest_known: dict[str, Any] | None = None
    true_wavelet: str | None = None
    distance_to_truth: float | None = None
    init_distance_to_truth: float | None = None
    start_distance_to_truth: float | None = None
    start_phi: list[float] | None = None
    start_psi: list[float] | None = None
    filters_2d: dict[str, list[list[float]]] | None = None
    subfilters_3x3: dict[str, list[list[float]]] | None = None
    init_subfilters_3x3: dict[str, list[list[float]]] | None = None


class Activation(_Section):
    """Attribution-weighted coefficients of a few test examples, each spread over the input samples it reads
    (:func:`models.metrics.activation_map_1d`), with the recommended model's wavelet: ``wavelet`` says whose (the
    selected AWD point's, or the initial one's when cross-validation kept it), ``y_pred`` is that model's
    prediction."""

    kind: Literal["timeseries", "image"]
    indices: list[int]
    x: list
    maps: list
    y_true: list[float]
    y_pred: list[float]
    wavelet: Literal["awd", "initial"] = "awd"
    #: series: the teacher's mean |input gradient| per sample over the test series, largest 1
    #: (:func:`models.metrics.sensitivity_profile`), and the end where it stands out
    #: (:func:`models.metrics.sensitive_end`)
    teacher_sensitivity: list[float] | None = None
    sensitive_end: dict[str, Any] | None = None


class Student(_Section):
    """One fitted student written down (:mod:`models.pipeline.student_params`): its settings and the meaning
    of its features here, its arrays in ``arrays.npz`` under the keys of ``arrays``."""

    kind: Literal["series_topk_linear", "peak_count", "dwt_scattering_ridge"]
    definition: str
    target_column: int
    n_params: int
    arrays: dict[str, str]
    parameters: dict[str, Any]


class Explain(_Section):
    """How the recommended model's student reads the activation examples (:mod:`models.pipeline.explain_examples`):
    series, per band the attribution-weighted coefficients and the positions of the kept ones; maps, the peaks,
    the peak-count histogram and its chi² distance to every class template. ``wavelet`` as in
    :class:`Activation`. ``centres``: where each coefficient reads the input, its energy centroid in samples or
    pixels (:func:`models.pipeline.explain_examples.coefficient_centres`); absent in bundles written before.
    ``in_series``: series in zero or symmetric mode, each coefficient's share of its filter on the series
    (:func:`models.pipeline.explain_examples.coefficient_in_series`)."""

    kind: Literal["timeseries", "image"]
    examples: list[dict[str, Any]]
    wavelet: Literal["awd", "initial"] = "awd"
    centres: dict[str, Any] | None = None
    in_series: dict[str, list[float]] | None = None


class ScatteringSection(_Section):
    """The scattering student (option ``student: scattering``; ``models.scattering.panel``): its settings, the
    paths before and after pruning, the filter parameters before and after training, and ``panel``: the
    filters in space and frequency, the path tree and the score-versus-paths curve. Its scores are
    ``models["scattering"]``."""

    bank: Literal["morlet", "dwt"]
    settings: dict[str, Any]
    paths_all: list[str]
    paths_kept: list[str]
    filters: dict[str, list[float]]
    filters_init: dict[str, list[float]]
    alpha: float
    best_epoch: int
    val_score: list[float]
    loss: list[float]
    n_filter_parameters: int
    n_head_parameters: int
    train_seconds: float
    panel: dict[str, Any]


class Provenance(_Section):
    """What made the result: versions, seed, the full config, times, device."""

    version: str
    git_sha: str | None
    seed: int
    config: dict[str, Any]
    started: str
    finished: str
    device: str
    gradient_path: str | None = None
    #: Torch CPU threads of each stage ("prepare", "distill": one per chunk, "finalize"); a rerun on other threads
    #: can differ at float rounding (models.cores); None in results of earlier versions.
    threads: dict[str, list[int]] | None = None


class ResultBundle(_Section):
    """``result.json``: everything a job found, in the shape of ``awd-result/1``."""

    schema_: Literal["awd-result/1"] = Field(SCHEMA_ID, alias="schema")
    data: DataInfo
    teacher: TeacherInfo
    lambdas: list[float]
    gammas: list[float]
    grid: list[GridPoint]
    selected: Selected
    cv: CVInfo
    selection: Selection
    verdict: Verdict
    models: dict[str, ModelScores]
    wavelet: Wavelet
    history: dict[str, list[int | float]]
    activation: Activation
    scattering: ScatteringSection | None = None
    provenance: Provenance
    timings: dict[str, float]
    summary: str | None = None
    files: list[str] = Field(default_factory=list)
    students: dict[str, Student] | None = None
    explain: Explain | None = None
    trust: dict[str, Any] | None = None

    def to_json(self) -> dict:
        """The bundle as the JSON-able dict ``result.json`` holds: optional keys only when they were given (a
        required key given as None stays, as null)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return {"schema": self.schema_, **data}


def write_bundle(bundle: ResultBundle, out_dir) -> dict:
    """Write ``result.json`` atomically; return what was written."""
    data = bundle.to_json()
    write_json(Path(out_dir) / "result.json", data)
    return data


def truth_lines(bundle: dict) -> list[str]:
    """For data made with a known wavelet (``wavelet.true_wavelet``): one line on how far the best AWD point's
    wavelet ended from it and where its fit began (the paper's distance between ψs, section 4.1): the initial
    wavelet, or the start search's wavelet and how far that already was (``start_distance_to_truth``); none
    otherwise.

    Examples
    --------
    >>> print(*truth_lines({"wavelet": {"true_wavelet": "db5", "init": "sym5", "distance_to_truth": 0.304,
    ...                                 "init_distance_to_truth": 0.213}}))  # doctest: +NORMALIZE_WHITESPACE
    known wavelet db5: the best AWD point ended 0.304 from it, its start sym5 0.213: farther
    (distance between ψs, 0 = db5)
    >>> print(*truth_lines({"wavelet": {"true_wavelet": "db5", "init": "sym5", "distance_to_truth": 0.0085,
    ...                                 "init_distance_to_truth": 0.213, "start_distance_to_truth": 0.0147}}))
    ... # doctest: +NORMALIZE_WHITESPACE
    known wavelet db5: the best AWD point ended 0.0085 from it; its fit began at the start search's wavelet, 0.0147
    from it (sym5 0.213), and the descent brought it closer (distance between ψs, 0 = db5)
    >>> print(*truth_lines({"wavelet": {"true_wavelet": "db5", "init": "db5", "distance_to_truth": 0.0084,
    ...                                 "init_distance_to_truth": 0.0}}))
    known wavelet db5: the best AWD point ended 0.0084 from it, its start db5 itself (distance between ψs, 0 = db5)
    """
    wavelet = bundle.get("wavelet") or {}
    truth, end, start = wavelet.get("true_wavelet"), wavelet.get("distance_to_truth"), wavelet.get(
        "init_distance_to_truth")
    if not truth or not isinstance(end, int | float):
        return []
    init = wavelet.get("init") or "the initial wavelet"
    searched = wavelet.get("start_distance_to_truth")
    began = ""
    if isinstance(searched, int | float):
        moved = "brought it closer" if end < searched else "moved it no closer" if end == searched else \
            "moved it farther"
        initial = f" ({init} {start:.3g})" if isinstance(start, int | float) else ""
        began = (f"; its fit began at the start search's wavelet, {searched:.3g} from it{initial}, and the descent "
                 f"{moved}")
    elif isinstance(start, int | float) and start < 1e-9:
        began = f", its start {init} itself"
    elif isinstance(start, int | float):
        side = "closer" if end < start else "no closer" if end == start else "farther"
        began = f", its start {init} {start:.3g}: {side}"
    return [f"known wavelet {truth}: the best AWD point ended {end:.3g} from it{began} (distance between ψs, 0 = "
            f"{truth})"]


def summary_text(bundle: dict) -> str:
    """A few lines a scientist reads first: the verdict, the selected point and the test scores of every model."""
    sel = bundle["selected"]
    verdict = bundle.get("verdict") or {}
    lines = [f"AWD on {bundle['data']['kind']} data {tuple(bundle['data']['shape'])}: "
             f"n_train={bundle['data']['n_train']}, n_test={bundle['data']['n_test']}"]
    if verdict.get("text"):
        lines.append(verdict["text"])
    lines += [f"  warning: {w}" for w in verdict.get("warnings", [])]
    # every note, for and against AWD alike (review 19: a filter by key printed "Distillation beat a search without
    # the teacher" but dropped "A search without the teacher did better" and "every grid point ended at one filter")
    lines += [f"  {n['level']}: {n['text']}" for n in (bundle.get("trust") or {}).get("notes", [])]
    best = bundle["grid"][sel["index"]]
    ended = (f", ended at relative distance {best['distance_to_init']:.3f} from it"
             if best.get("distance_to_init") is not None else "")
    search = SEARCH_NAMES["sparsity" if sel["gamma"] == 0 else "interpretation"]
    started = (f", its fit started from a filter {search} found, at relative distance "
               f"{best['start_distance_to_init']:.3f} from the initial wavelet{ended}"
               if best.get("start") == "search" else "")
    kept = (bundle.get("selection") or {}).get("choice") == "initial"
    lines += [f"best grid point{' (not delivered: cross-validation kept the initial wavelet)' if kept else ''} "
              f"lambda={sel['lambda']:.3g}, gamma={sel['gamma']:.3g} "
              f"(cross-validated R2 {best['cv_score']:.3f}{started})",
              *truth_lines(bundle)]
    teacher = bundle["teacher"]
    rows = [(f"teacher ({teacher['name']})", teacher["test"]["r2"], teacher["test"]["rmse"], None, None, None,
             teacher["n_params"], teacher["predict_seconds_per_sample"])]
    for name, m in bundle["models"].items():
        cv = (m.get("cv") or {}).get("r2")
        rows.append((name, m["test"]["r2"], m["test"]["rmse"], m["test"].get("rmse_sd"), cv,
                     m.get("compression_factor"), m["n_params"], m["predict_seconds_per_sample"]))
    cells = [[name, f"{r2:.3f}", f"{rmse:.4g}", "" if sd is None else f"{sd:.3g}", "" if cv is None else f"{cv:.3f}",
              "" if comp is None else f"{comp:.3f}", f"{params:d}", f"{secs:.2e}"]
             for name, r2, rmse, sd, cv, comp, params, secs in rows]
    header = ["model", "test R2", "RMSE", "RMSE SD", "CV R2", "compression", "params", "s/sample"]
    # each column as wide as its widest cell, two spaces apart (review 44: "teacher (uploaded (lstm))" pushed its row
    # right; a CV R² of -397.741 ran into the RMSE SD before it)
    widths = [max(len(row[k]) for row in [header, *cells]) for k in range(len(header))]
    widths[0] = max(widths[0], 16)
    for row in [header, *cells]:
        lines.append(row[0].ljust(widths[0]) + "".join(cell.rjust(w + 2) for cell, w in zip(row[1:], widths[1:])))
    # review 26A: the "+-" column and what "params" counts were unsaid
    lines.append("(RMSE SD: bootstrap SD of the test RMSE; CV R2: on the training split's folds; params: the "
                 "student's fitted numbers plus its filter's free parameters, e.g. AWD's lattice angles; s/sample: "
                 "prediction time)")
    return "\n".join(lines)


GridPoint.model_rebuild()
