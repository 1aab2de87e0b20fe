"""How long a distillation job will take on this machine's CPU: a cost model from measured scaling.

The constants come from ``make bench`` (bench/RESULTS.md, "Scaling") and from timing the built-in examples
on the lab's 2-core machines. The estimate is an order of magnitude, not a promise: early stopping ends most
runs sooner, and a GPU or a faster CPU runs them faster. The built-in examples' series jobs took about twice as
long on another 2-core machine as on the one the constants come from (bench/RESULTS.md), and not every stage slowed
alike, so each stage is scaled by how long that part of this server's own finished jobs took against it
(:func:`stage_calibration`; the jobs are read by :mod:`jobstate.estimates`). The API uses the result to refuse jobs
that would exceed ``AWD_JOB_TIME_LIMIT``, the configure page shows it, and the worker sizes the stages of a job's
progress bar by it.
"""

import numpy as np

from awd_studio.models.cores import job_threads
from awd_studio.models.options import AUTO_TEACHERS, resolve_grid, resolve_random_search, resolve_start_search
from awd_studio.models.start_search import search_terms
from awd_studio.models.teachers.training import TRAINING_DEFAULTS, training_threads, trains_side_by_side

__all__ = ["estimate_seconds", "stage_seconds", "estimate_job", "scattering_seconds", "calibration",
           "stage_calibration", "CALIBRATION_JOBS", "CALIBRATION_MIN_JOBS", "CALIBRATION_RANGE", "CALIBRATION_PARTS"]

#: Seconds per epoch measured by ``make bench`` (bench/RESULTS.md, "Scaling") and with the trainer on 200
#: random maps, one CPU thread, the default path (orthogonal filter, teacher gradients computed once).
#: Series: n = 1000, J = 4, one grid point, by length. Maps: n = 200, J = 3, one grid point, by pixels.
#: The maps' values were re-scaled on 2026-12-01 (x 0.25) to whole lensing jobs on the quiet 2-core machine:
#: 1200 maps of 64 x 64, 1.2 s per epoch for the default grid (15 points) and 3.4 s for the paper grid (33),
#: against 4.7 and 14.4 s from the old values, which predate the separable terms (bench/RESULTS.md, "By
#: hand"). 32 x 32 and 128 x 128 were not re-measured: they take the same factor.
_SERIES_EPOCH_S = {64: 0.0139, 128: 0.0214, 256: 0.0823, 512: 0.134}
#: The part of a series epoch that does not grow with n (steps, validation, bookkeeping), taken out of the table's
#: values at n = 1000 so that small data sets are not estimated at almost nothing: one grid point, length 64, one
#: thread, 2-core AMD EPYC (2026-12-02): 4.6 ms per epoch for 60 series and 19.4 ms for 1000, an intercept of
#: 3.7 ms (with 4 grid points 11.0 and 54.4 ms, 8.2 ms).
_SERIES_EPOCH_FIXED_S = 0.0037
_MAPS_EPOCH_S = {32 * 32: 0.0081, 64 * 64: 0.0222, 128 * 128: 0.097}
#: Cost of a vectorised grid of G points relative to one point, measured (series at length 64).
_SERIES_GRID_FACTOR = {1: 1.0, 2: 1.22, 4: 1.48, 8: 1.80, 16: 2.63, 32: 3.91}
_MAPS_GRID_FACTOR = {1: 1.0, 4: 3.75, 16: 17.3, 32: 47.2}
#: On the straight-through gradient path (``gradient_path="straight_through"``, awave's) with the free filter
#: the teacher is differentiated twice on every step: measured factor over the default path per teacher (ReLU
#: networks have no second derivative, so theirs stays small; the series factors are those of the built-in
#: examples, cme with the LSTM and synthetic with the MLP). The default path (the gradient of eq. 8) computes
#: the teacher's gradient once per data set for either filter.
_EXACT_PATH_FACTOR = {"mlp": 2.0, "lstm": 29.0, "cnn": 8.0, "resnet18": 40.0}
#: On the default path the free filter's maps still compute the reconstruction term, which the orthogonal
#: lattice skips: 3.32 against 2.54 s per epoch for the lensing paper grid in one run of bench/end_to_end.py
#: (2026-12-01). The series' dense steps cost about the same for either filter (cme defaults: 3.8 s free,
#: 5.0 s orthogonal), so they take no factor.
_FREE_MAPS_FACTOR = 1.3
#: Speed-up of a distillation epoch on N threads over one, measured on the 2D fit of the lensing grid (15 points,
#: 100 maps, OMP_WAIT_POLICY=PASSIVE) on the shared 2-core machine: 1.8x on 2 threads. Not measured beyond 2
#: threads, so more threads are counted as 2 (the estimate errs long).
_THREAD_SPEEDUP = {1: 1.0, 2: 1.8}
#: Speed-up of a series grid's epochs on two threads over one, which grows with the grid: 1.0x for the default 18
#: points, 1.5x for the paper's 105 (the CME example, one fit on the job's threads, GOMP_SPINCOUNT=10000, quiet
#: 2-core machine, 2026-12-07: 0.043 s per epoch either way for 18 points; 0.166 against 0.112 s for 105); power
#: law between, flat outside. With the 2D factor of 1.8 the default CME job's epochs were estimated at a third of
#: their time.
_SERIES_THREAD_SPEEDUP = {18: 1.0, 105: 1.5}
#: Teacher training with its default epochs, seconds per sample per input value / 30, measured on the
#: built-in examples (bench/end_to_end.py; the LSTM and the MLP train on one thread, models.teachers): LSTM on
#: cme 15-16 s (80 epochs beside the MLP, 2026-12-03; 8-9 s with the former 50), CNN on lensing 21-22 s on a quiet
#: machine (1200 maps; 2 threads; 50 epochs with symmetry augmentation, channels-last; 25-26 s with
#: OMP_WAIT_POLICY=PASSIVE), times 1.55 for its 80 epochs since 2026-12-04 (15-17 s -> 25 s, measured side by side),
#: MLP on synthetic 4.5 s. ResNet18 is a guess (about 100 times the small CNN at 50 epochs).
_TEACHER_COST = {"mlp": 1.2e-6, "lstm": 4.4e-6, "cnn": 2.5e-7, "resnet18": 2e-5}
#: Selection (cross-validation of every grid point and of the initial wavelet), seconds per candidate on 2 threads:
#: series per 3000 training series of 40 samples (in proportion to the length), maps per 1000 maps of 64 x 64.
#: From the select stage of bench/RESULTS.md's end-to-end table (Intel, 2026-12-02): cme 3.6 s for the default grid's
#: 19 candidates and 7.7 s for the paper grid's 106 (0.047 s per candidate for 2936 series of 40, the rest the
#: control), synthetic 3.2 and 9.2 s (0.069 s for 2400 series of 64); lensing 5.8 and 12.8 s for 16 and 34
#: candidates (0.39 s for 1200 maps). Until the estimate was split by stage these constants held the students too.
#: Since the series student's folds are refitted in one pass (models.students.series.fold_fits, 2026-12-07) the
#: largest-coefficients student costs less, the fixed-positions one (chosen per fold) as before: the CME paper
#: grid's select stage took 1.9 s for 106 candidates (0.018 s per candidate per 3000 series of 40), the synthetic
#: example's 19 (positions, 2400 series of 64) about 1 s beside its control (0.041); the series value sits between.
_SELECTION_COST = {"timeseries": 0.03, "image": 0.33}
#: The start search (option ``start_search``), seconds per 1000 random starts by series length, one thread: the
#: trainer with and without the search, 2026-12-01 (4.9, 8.4 and 65 s), scaled by what descending the starts in
#: chunks of 100 (``models.start_search.SEARCH_CHUNK``) saved on 2026-12-05: one thread's CPU seconds for 1000 starts
#: on the sparsity term fell from 4.4 to 3.5 (40 samples), 11.3 to 7.5 (64) and 56.7 to 34.3 (128). A job searches
#: once, before its grid's parts start (its parts and chunks share the end points,
#: ``models.pipeline.fit_grid.shared_start_search``), so it waits for one search.
_SEARCH_S_PER_1000 = {40: 3.9, 64: 5.6, 128: 39.0}
#: The teacher-free control (option ``random_search``), seconds per random wavelet on 2 threads: its student's
#: screening score and, for the best 10, the full cross-validation (:mod:`models.pipeline.random_search`); series
#: per 3000 training series, maps per 1000 maps of 64 x 64. Measured 2026-12-02 with 300 wavelets
#: (bench/end_to_end.py, interleaved with and without): the CME example's select stage grew by 6.0-6.2 CPU s
#: (3.3-3.4 s of wall time on 2 threads) with the default grid; the lensing example's 1200 maps took 59 s. Series
#: remeasured after the ridge left the students' zero padding out of its factorisation (2026-12-07, quiet 2-core
#: Xeon): the CME example's control about 2.15 s (2.3 s with the features' choice; 2936 series, the
#: largest-coefficients student: 0.0073 s per wavelet per 3000 series), the synthetic example's about 2.7 s (from a
#: profile; 2400 series, the fixed-positions student: 0.011); 0.0095 sits between.
_CONTROL_COST = {"timeseries": 0.0095, "image": 0.17}
#: Seconds the process of the teacher-free pieces (:mod:`models.pipeline.teacher_free`) takes to start (imports)
#: before it computes beside the teacher.
_BESIDE_START_S = 2.0
#: The features' choice (``series_features="auto"``), which that process computes before the control, seconds on one
#: thread per 3000 training series of 40 samples: two students' cross-validation at the initial wavelet (0.14 s on
#: 2 threads for the CME example's 2349 training series, 2026-12-07).
_FEATURES_CHOICE_COST = 0.4


#: The scattering student (option ``student: scattering``): seconds per training sample, per epoch and per input
#: value, measured by bench/science/scattering.py on the built-in examples (DWT bank, orders 0-2, J = 4;
#: training, pruning and retraining of the kept paths, so two epochs per ``scattering_epochs``) on the shared,
#: loaded 2-core machine: synthetic and cme 18 s for about 2000 series of 40-64 samples, lensing 242 s for 960
#: maps of 64 x 64. Maps remeasured 2026-12-04 on the quiet machine through the pipeline (lensing example, 1200
#: maps, 10 epochs): 69 s of training and 73 s for the whole stage, where 3e-6 said 295 s (a user saw the job's
#: "time left" climb to 17 minutes for a job that took 4); 8e-7 says 79 s.
_SCATTERING_COST = {"timeseries": 7e-6, "image": 8e-7}


def _loglog(table: dict, x: float) -> float:
    """Piecewise power-law interpolation of ``table`` at ``x``; beyond its ends, proportional to x."""
    xs = sorted(table)
    ys = [table[v] for v in xs]
    if x <= xs[0]:
        return ys[0] * x / xs[0]
    if x >= xs[-1]:
        return ys[-1] * x / xs[-1]
    return float(np.exp(np.interp(np.log(x), np.log(xs), np.log(ys))))


def _loglog_flat(table: dict, x: float) -> float:
    """:func:`_loglog` between the table's points, flat beyond its ends (for speed-ups measured up to a point)."""
    xs = sorted(table)
    return _loglog(table, min(max(x, xs[0]), xs[-1]))


def _thread_speedup(threads: int) -> float:
    """Measured speed-up of the trainer's epochs on ``threads`` threads over one (power law between the
    table's points, flat beyond its last)."""
    return _loglog_flat(_THREAD_SPEEDUP, max(int(threads), 1))


def _series_thread_speedup(n_grid: int, threads: int) -> float:
    """Speed-up of a series grid's epochs on ``threads`` threads over one: a one-point grid's is the 2D fit's
    (:func:`_thread_speedup`); larger grids' grows with the grid (:data:`_SERIES_THREAD_SPEEDUP`)."""
    if int(threads) < 2:
        return 1.0
    if int(n_grid) < 2:
        return _thread_speedup(threads)
    return min(_loglog_flat(_SERIES_THREAD_SPEEDUP, int(n_grid)), _thread_speedup(threads))


#: The students stage, taken as fixed: the students' fits on the chosen wavelets, their timing, the figures and the
#: bundle took 2.0-7.6 s in bench/RESULTS.md's end-to-end table (until 2026-12-02, when the estimate was first split
#: by stage, a fixed 10 s stood for every part of a job the cost model did not count).
_STUDENTS_S = 5.0


def estimate_seconds(kind: str, shape, n: int, n_grid: int, epochs: int, attribution: str = "saliency",
                     teacher: str = "auto", parametrization: str = "orthogonal",
                     gradient_path: str = "auto", threads: int | None = None, start_search: int = 0,
                     random_search: int = 0, trains_teacher: bool = True) -> float:
    """A run-time estimate on this machine's CPU (seconds), from the measured scaling of the trainer: the sum of
    :func:`stage_seconds` over the stages (the same parameters).

    Returns
    -------
    float
    """
    return float(sum(stage_seconds(kind, shape, n, n_grid, epochs, attribution, teacher, parametrization,
                                   gradient_path, threads, start_search, random_search,
                                   trains_teacher=trains_teacher).values()))


def stage_seconds(kind: str, shape, n: int, n_grid: int, epochs: int, attribution: str = "saliency",
                  teacher: str = "auto", parametrization: str = "orthogonal",
                  gradient_path: str = "auto", threads: int | None = None, start_search: int = 0,
                  random_search: int = 0, trains_teacher: bool = True, n_searches: int = 1,
                  teacher_epochs: int | None = None, sparsity_search: bool = False) -> dict:
    """A run-time estimate on this machine's CPU, stage by stage (seconds), from the measured scaling of the trainer.

    ``epochs x seconds per epoch`` from the scaling table of ``make bench`` (linear in n, with a fixed part
    per epoch for series; power-law interpolation in length or pixels; the vectorised grid's measured cost),
    times the measured factor of the straight-through gradient path when the filter is free and that path is
    asked for (on the default path, the free filter's reconstruction term on maps), divided by the measured
    speed-up of the job's threads (:func:`models.cores.job_threads`; for a series grid, of its parts), plus teacher
    training, the start search, cross-validation and the teacher-free control (for series less what the core the
    teacher leaves idle computes, :mod:`models.pipeline.teacher_free`). An order of magnitude, not a
    promise: early stopping ends most runs sooner, and so does ``teacher="auto"`` when one architecture stops far
    behind the other (:data:`models.teachers.training.BEHIND_RATIO`; the synthetic example's LSTM, 6-8 s of
    its teacher stage), which the data decide and this estimate does not foresee; a server's finished jobs
    calibrate it (:func:`stage_calibration`).

    Parameters
    ----------
    kind : {"timeseries", "image"}
    shape : sequence of int
        Per-sample shape, ``(L,)`` or ``(H, W)``.
    n : int
        Number of training samples.
    n_grid : int
        Number of (λ, γ) points.
    epochs : int
    attribution : str
        Integrated gradients costs about 8 gradient passes where the teacher is differentiated.
    teacher : str
        Architecture, ``"auto"`` (the training of every architecture it trains,
        :data:`models.options.AUTO_TEACHERS`, is counted) or an uploaded teacher's id (then no training).
    parametrization : {"orthogonal", "free"}, default="orthogonal"
    gradient_path : {"auto", "eq8", "straight_through"}, default="auto"
    threads : int, optional
        CPU threads of the job (default: :func:`models.cores.job_threads`, every available core).
    start_search : int, default=0
        Random starts of the start search (resolved: :func:`models.options.resolve_start_search`).
    random_search : int, default=0
        Random wavelets of the teacher-free control (option ``random_search``).
    trains_teacher : bool, default=True
        False for an uploaded teacher of architecture ``teacher``: nothing is trained.
    n_searches : int, default=1
        Searches of ``start_search`` starts each: 2 for a grid with gamma = 0 and gamma > 0 points (one on each
        term, :func:`models.start_search.search_terms`).
    teacher_epochs : int, optional
        The teacher's training epochs (option ``teacher_epochs``); None: each architecture's default
        (:data:`models.teachers.training.TRAINING_DEFAULTS`), which the teacher costs were measured with. Another
        number scales each architecture's cost by it over that default (early stopping may end sooner; review 40C:
        160 and 1000 epochs were estimated as the default 80).
    sparsity_search : bool, default=False
        Whether one of the ``n_searches`` is the sparsity term's (gamma = 0 points): for series it can run on the core
        the teacher leaves idle, after the control (:func:`models.pipeline.teacher_free.sparsity_search`).

    Returns
    -------
    dict
        Seconds of each stage of :data:`models.pipeline.progress.STAGE_SPANS` that the cost model counts:
        ``teacher`` (training), ``distill`` (the teacher's gradients, the start search and the grid's epochs),
        ``select`` (cross-validation and the teacher-free control) and ``students`` (fixed, :data:`_STUDENTS_S`).
    """
    size = float(np.prod(shape)) if shape else 64.0
    n = max(int(n or 1), 1)
    grid = max(int(n_grid or 1), 1)
    trained = AUTO_TEACHERS.get(kind, ("mlp",)) if teacher == "auto" else (teacher,)  # "auto" may train several
    arch = trained[0]
    if kind == "timeseries":
        per_1000 = _loglog(_SERIES_EPOCH_S, size)
        fixed = min(_SERIES_EPOCH_FIXED_S, per_1000)
        per_epoch = (fixed + (per_1000 - fixed) * n / 1000.0) * _loglog(_SERIES_GRID_FACTOR, grid)
        cross_validation = _SELECTION_COST[kind] * (grid + 1) * n / 3000.0 * size / 40.0
        control = _CONTROL_COST[kind] * int(random_search or 0) * n / 3000.0
    else:
        per_epoch = _loglog(_MAPS_EPOCH_S, size) * n / 200.0 * _loglog(_MAPS_GRID_FACTOR, grid)
        cross_validation = _SELECTION_COST[kind] * (grid + 1) * n / 1000.0 * size / 4096.0
        control = _CONTROL_COST[kind] * int(random_search or 0) * n / 1000.0 * size / 4096.0
    if parametrization == "free" and gradient_path in ("straight_through", "exact"):
        per_epoch *= _EXACT_PATH_FACTOR.get(arch, 10.0) * (8.0 if attribution == "integrated_gradients" else 1.0)
    elif parametrization == "free" and kind != "timeseries":
        per_epoch *= _FREE_MAPS_FACTOR
    threads = job_threads() if threads is None else max(int(threads), 1)
    per_epoch /= _series_thread_speedup(grid, threads) if kind == "timeseries" else _thread_speedup(threads)
    teacher_gradients = (8.0 if attribution == "integrated_gradients" else 1.0) * 2e-6 * size * n
    costs = ([_TEACHER_COST.get(name, 0.0) * _epochs_factor(name, teacher_epochs) for name in trained]
             if trains_teacher else [0.0])
    # several one-thread teachers train side by side when the job has a core for each (train_best_teacher)
    side_by_side = trains_side_by_side(trained, threads, device="cpu")
    train = (max(costs) if side_by_side else sum(costs)) * size * n * 30
    # one thread's seconds of one start search; on all the job's threads 1.9 s for the CME example's 1000 starts on
    # 2 threads (bench/RESULTS.md, 2026-12-02)
    one_search = _loglog(_SEARCH_S_PER_1000, size) * int(start_search or 0) / 1000.0 if kind == "timeseries" else 0.0
    searches = max(int(n_searches), 1)
    if (kind == "timeseries" and trains_teacher and threads >= 2 and (control or (sparsity_search and one_search))
            and all(training_threads(name) == 1 for name in trained)):
        # the control, then the sparsity term's search, run on the core the teacher leaves idle, on one thread, after
        # the features' choice (models.pipeline.teacher_free); a piece the teacher's end interrupts is dropped and
        # computed again, whole, by its stage
        others = (sum(costs) - max(costs)) * size * n * 30 if side_by_side else 0.0  # the other architectures
        idle = train - others - _BESIDE_START_S - _FEATURES_CHOICE_COST * n / 3000.0 * size / 40.0
        if control * _thread_speedup(threads) <= idle:
            idle -= control * _thread_speedup(threads)
            control = 0.0
            if sparsity_search and 0 < one_search <= idle:
                searches -= 1
    search = one_search * searches / _thread_speedup(threads)
    return {"teacher": float(train),
            "distill": float(per_epoch * max(int(epochs or 1), 1) + teacher_gradients + search),
            "select": float(cross_validation + control),
            "students": _STUDENTS_S}


def _epochs_factor(arch: str, teacher_epochs: int | None) -> float:
    """``teacher_epochs`` over architecture ``arch``'s default epochs (1 when None or unknown).

    Examples
    --------
    >>> _epochs_factor("lstm", 160), _epochs_factor("lstm", None), _epochs_factor("uploaded", 10)
    (2.0, 1.0, 1.0)
    """
    default = (TRAINING_DEFAULTS.get(arch) or {}).get("epochs")
    return float(teacher_epochs) / default if teacher_epochs and default else 1.0


def estimate_job(config, kind: str, shape, n: int, trains_teacher: bool | None = None) -> dict:
    """The cost model's estimate of a job's options on data of this kind, sample shape and size.

    Parameters
    ----------
    config : models.options.JobOptions
    kind : {"timeseries", "image"}
    shape : sequence of int
    n : int
    trains_teacher : bool, optional
        Whether the job trains its teacher; ``None``: unless the config names an uploaded teacher's weights
        (``teacher_path``). A finished job's stored options name no file: pass False for an uploaded teacher.

    Returns
    -------
    dict
        ``{"seconds", "grid_points", "epochs", "threads", "stages"}``, with the grid preset's values where the
        options give none; ``threads`` is what one job uses on this machine (:func:`models.cores.job_threads`);
        ``stages`` splits ``seconds`` by stage (:func:`stage_seconds`; the scattering student counts in
        ``students``).
    """
    grid = resolve_grid(kind, config.grid_preset, lambdas=config.lambdas, gammas=config.gammas, epochs=config.epochs)
    gammas, epochs = grid["gammas"], grid["epochs"]
    n_points = len(grid["lambdas"]) * len(gammas)
    threads = job_threads()
    try:
        starts = resolve_start_search(getattr(config, "start_search", None), kind, shape, gammas, n)
    except ValueError:  # asked on data it does not take: the API refuses that job before estimating it
        starts = 0
    stages = stage_seconds(kind, shape, n, n_points, epochs, config.attribution, config.teacher,
                           config.parametrization, config.gradient_path, threads, starts,
                           resolve_random_search(getattr(config, "random_search", 0), kind, n),
                           trains_teacher=(not getattr(config, "teacher_path", None) if trains_teacher is None
                                           else bool(trains_teacher)), n_searches=len(search_terms(gammas)),
                           teacher_epochs=getattr(config, "teacher_epochs", None),
                           sparsity_search="sparsity" in search_terms(gammas))
    if getattr(config, "student", "awd") == "scattering":  # runs within the students stage
        stages["students"] += scattering_seconds(kind, shape, n, config.scattering_epochs)
    return {"seconds": float(sum(stages.values())), "grid_points": n_points, "epochs": epochs, "threads": threads,
            "stages": stages}


#: A calibration reads the latest ``CALIBRATION_JOBS`` finished jobs and needs at least ``CALIBRATION_MIN_JOBS`` of
#: them; its factor is kept within ``CALIBRATION_RANGE`` (a job that waited for a busy machine, or a cost model
#: far off for one unusual job, must not swing every later estimate).
CALIBRATION_JOBS = 20
CALIBRATION_MIN_JOBS = 3
CALIBRATION_RANGE = (0.25, 4.0)


def calibration(measured, estimated) -> tuple[float, int]:
    """The factor that scales the cost model to this machine: the median of measured over estimated seconds.

    The median of the ratios, not the ratio of the sums, so that one long job does not outweigh the others,
    and one job slowed by a busy machine moves the factor by at most one rank.

    Parameters
    ----------
    measured, estimated : sequence of float
        Wall seconds of finished jobs (claim to finish) and the cost model's estimate of each, same order.
        Pairs with a non-positive or non-finite value are left out.

    Returns
    -------
    factor : float
        Within :data:`CALIBRATION_RANGE`; 1.0 (the cost model as it stands) with fewer than
        :data:`CALIBRATION_MIN_JOBS` usable pairs.
    n_jobs : int
        The number of jobs the factor comes from (0 when it is 1.0 for want of jobs).

    Examples
    --------
    >>> calibration([60.0, 80.0, 45.0], [30.0, 40.0, 30.0])
    (2.0, 3)
    >>> calibration([60.0], [30.0])
    (1.0, 0)
    """
    measured = np.asarray(measured, dtype=float).ravel()
    estimated = np.asarray(estimated, dtype=float).ravel()
    if measured.shape != estimated.shape:
        raise ValueError(f"calibration: {measured.size} measured and {estimated.size} estimated times")
    usable = np.isfinite(measured) & np.isfinite(estimated) & (measured > 0) & (estimated > 0)
    if int(usable.sum()) < CALIBRATION_MIN_JOBS:
        return 1.0, 0
    factor = float(np.median(measured[usable] / estimated[usable]))
    return float(np.clip(factor, *CALIBRATION_RANGE)), int(usable.sum())


#: The measured parts of a finished job (its bundle's ``timings``, ``jobstate.summary``) and the stages of
#: :func:`stage_seconds` each is set against by :func:`stage_calibration`: ``prepare`` (the data and the teacher),
#: ``distill`` (the job's wall time less the other two) and ``finalize`` (selection and students).
CALIBRATION_PARTS = {"prepare": ("teacher",), "distill": ("distill",), "finalize": ("select", "students")}


def stage_calibration(jobs) -> tuple[dict, int]:
    """Factors that scale each stage of the cost model to this machine, from finished jobs.

    The stages do not speed up alike from one machine to another (on a 2-core AMD EPYC the LSTM teacher took
    about three times as long as on the Intel machine the constants come from, the distillation twice), so each
    part of a job is calibrated on its own (:func:`calibration` on that part's measured and estimated seconds). A
    part with too few measured jobs (jobs that finished before their parts were recorded) takes the factor of the
    whole job.

    Parameters
    ----------
    jobs : sequence of (dict, dict)
        Per finished job: what was measured, ``{"total": s, "prepare": s, "finalize": s}`` (``total`` the wall
        time from claim to finish; ``prepare`` and ``finalize`` may be missing or None), and its estimated stages
        (:func:`estimate_job`'s ``stages``).

    Returns
    -------
    factors : dict of str to float
        One factor per stage of :func:`stage_seconds`.
    n_jobs : int
        The number of jobs the whole job's factor comes from (0: none, the cost model as it stands).

    Examples
    --------
    >>> stages = {"teacher": 10.0, "distill": 10.0, "select": 4.0, "students": 1.0}
    >>> measured = {"total": 55.0, "prepare": 30.0, "finalize": 5.0}
    >>> factors, n = stage_calibration([(measured, stages)] * 3)
    >>> factors, n
    ({'teacher': 3.0, 'distill': 2.0, 'select': 1.0, 'students': 1.0}, 3)
    """
    jobs = list(jobs)
    overall, n_jobs = calibration([m.get("total", np.nan) for m, _ in jobs], [sum(st.values()) for _, st in jobs])
    factors = {}
    for part, stages in CALIBRATION_PARTS.items():
        measured = [_measured_part(m, part) for m, _ in jobs]
        estimated = [sum(float(st.get(stage, 0.0)) for stage in stages) for _, st in jobs]
        factor, used = calibration(measured, estimated)
        factors.update({stage: factor if used else overall for stage in stages})
    return factors, n_jobs


def _measured_part(measured: dict, part: str) -> float:
    """Seconds of one part of a finished job (NaN when not recorded): ``distill`` is what the others leave."""
    def value(key):
        number = measured.get(key)
        return float(number) if number is not None else np.nan

    if part == "distill":
        return value("total") - value("prepare") - value("finalize")
    return value(part)


def scattering_seconds(kind: str, shape, n: int, epochs: int) -> float:
    """Run-time estimate of the scattering student (seconds): ``2 x epochs`` passes over ``n`` samples.

    Parameters
    ----------
    kind : {"timeseries", "image"}
    shape : sequence of int
        Per-sample shape.
    n : int
        Number of training samples.
    epochs : int
        ``scattering_epochs``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(scattering_seconds("image", (64, 64), 960, 10))
    63
    """
    return _SCATTERING_COST[kind] * float(np.prod(shape)) * n * 2 * max(int(epochs), 1)
