"""Stage 3 of a job: choose by cross-validation, fit and score the students, and write the result bundle.

:func:`finalize` reads the work directory (``prepare.json``, ``split.npz``, every chunk of the grid) and writes
``result.json`` (a :class:`models.pipeline.bundle.ResultBundle`), ``arrays.npz`` and the figures.
"""

import time
from functools import cached_property
from pathlib import Path

import numpy as np
import torch

from awd_studio.models import __version__, plots
from awd_studio.models import filters as _filters
from awd_studio.models import metrics as _metrics
from awd_studio.models import predictors as _predictors
from awd_studio.models.attributions import teacher_input_gradients
from awd_studio.models.cores import map_on_job_threads, single_threaded_blas, use_job_threads
from awd_studio.models.distill import Cancelled
from awd_studio.models.files import atomic_write_bytes
from awd_studio.models.losses import validity_terms
from awd_studio.models.pipeline.bundle import (
    Activation,
    CVInfo,
    DataInfo,
    Explain,
    FixedFilterCheck,
    GridPoint,
    ModelScores,
    Provenance,
    RandomSearch,
    ResultBundle,
    Selected,
    Selection,
    SeriesFeaturesChoice,
    Student,
    TeacherInfo,
    TestScores,
    Verdict,
    Wavelet,
    summary_text,
    write_bundle,
)
from awd_studio.models.pipeline.config import grid_points_of
from awd_studio.models.pipeline.explain_examples import explain_examples
from awd_studio.models.pipeline.explain_inputs import write_explain_inputs
from awd_studio.models.pipeline.fingerprints import sample_fingerprints
from awd_studio.models.pipeline.model_registry import MAP_BASELINES
from awd_studio.models.pipeline.random_search import random_search_control
from awd_studio.models.pipeline.scaling import resolved_input_scaling, scaled, scaling_of, teacher_on_scaled
from awd_studio.models.pipeline.scattering_student import fit_scattering_student
from awd_studio.models.pipeline.selection import (
    SplitPeaks,
    choose_series_features,
    chosen_series_features,
    cv_entry,
    cv_grouping,
    fold_scores,
    paired_cv_se,
    select_wavelet,
    selection_fold_scores,
)
from awd_studio.models.pipeline.student_params import maps_record, series_record
from awd_studio.models.pipeline.student_table import student_table_csv
from awd_studio.models.pipeline.students import (
    MIN_IN_SERIES,
    baseline_student,
    coefficients,
    column,
    flatten_coefficients,
    in_series_shares,
    saliency,
    score_model,
    student,
    unflatten_like,
)
from awd_studio.models.pipeline.teacher_free import (
    control_scorers,
    read_teacher_free,
    selection_splits,
    teacher_free_key,
)
from awd_studio.models.pipeline.trust import COMPRESSION_DEFINITION, trust_notes
from awd_studio.models.pipeline.verdict import (
    FIXED_FILTER_SES,
    N_BOOT,
    distance_to,
    distillation_helped,
    helped_by_the_teacher,
    is_small,
    no_skill_words,
    verdict_text,
    verdict_with_teacher,
    warnings_of,
)
from awd_studio.models.pipeline.workdir import (
    TEACHER_TEST_FILE,
    collect_chunks,
    git_sha,
    load_prepared,
    now_iso,
    read_npz,
    report,
    write_npz,
)
from awd_studio.models.teachers.augment import resolve_augmentation

__all__ = ["finalize", "CASCADE_LEVEL", "N_ACTIVATION_EXAMPLES"]

#: Cascade depth for phi and psi in the bundle (N = 10 gives 1153 points).
CASCADE_LEVEL = 7
#: Number of test examples whose activation maps go into the bundle.
N_ACTIVATION_EXAMPLES = 8


def config_as_run(config, info: dict, gradient_path: str | None) -> dict:
    """The job's options as the run used them (``provenance.config``): the resolved config, with the choices the
    stages made for themselves written in where the config left them to ``auto`` or to the default: the gradient
    path the fit took, the device, the epoch cap and the augmentation of a teacher trained here, and the input
    scaling (review 33A: they stayed "auto" or null, while the bundle knew each elsewhere). An uploaded teacher's
    ``teacher_path``, a file on the machine that ran the job, is null: ``teacher_file_name`` names the file
    (review 39A: the server's path reached share-link readers). The dict is a valid
    :class:`~models.options.PipelineConfig`.

    Parameters
    ----------
    config : PipelineConfig
        Resolved (:func:`~models.pipeline.config.resolve_config`).
    info : dict
        The prepared job's ``prepare.json`` (``device``, ``data.kind``, ``data.shape``, ``teacher``).
    gradient_path : str or None
        The path the fit took (the chunks' ``gradient_path``).

    Returns
    -------
    dict
    """
    used = {**config.to_dict(), "teacher_path": None}
    teacher = info.get("teacher") or {}
    trained_here = teacher.get("epoch_cap") is not None
    if used.get("gradient_path") == "auto" and gradient_path in ("eq8", "straight_through"):
        used["gradient_path"] = gradient_path
    if used.get("device") is None and info.get("device"):
        used["device"] = str(info["device"])
    if used.get("teacher_epochs") is None and trained_here:
        used["teacher_epochs"] = int(teacher["epoch_cap"])
    if used.get("teacher_augment") == "auto" and trained_here:
        used["teacher_augment"] = resolve_augmentation("auto", tuple(info["data"]["shape"]))
    if used.get("input_scaling") == "auto":
        used["input_scaling"] = resolved_input_scaling("auto", info["data"]["kind"])
    return used


def finalize(work_dir, out_dir, progress=None, should_cancel=None) -> dict:
    """Choose (lambda, gamma) by cross-validation, fit and score the students, write the bundle.

    Selection (docs/science.md): every grid point and the initial wavelet are cross-validated on the same
    ``cv_repeats`` x ``cv_folds`` splits of the training data; the best grid point is chosen over the initial
    wavelet only when it beats it (``selection_rule``). The bundle reports the students on the best grid point
    (``awd``), the best gamma = 0 point and the initial wavelet, the paired bootstrap interval of AWD minus the
    initial wavelet on the test set, and a verdict sentence.

    Parameters
    ----------
    work_dir : str or Path
        The directory :func:`models.pipeline.prepare` and every :func:`models.pipeline.distill_chunk` filled.
    out_dir : str or Path
        Receives ``result.json``, ``arrays.npz`` and the figures.
    progress : callable, optional
        ``progress(stage, fraction, message)``.
    should_cancel : callable, optional
        Polled between the stage's pieces of work, each of a few seconds at most: every candidate's
        cross-validation (a grid point's, a baseline's, a control wavelet's), every student's fit, every epoch
        of the scattering student, and before the bundle is written. True raises
        :class:`models.distill.Cancelled` (the pieces already running on the job's other threads finish first);
        nothing is written to ``out_dir`` before the last poll.

    Returns
    -------
    dict
        The result bundle, as written to ``result.json``.

    Raises
    ------
    models.distill.Cancelled
        When ``should_cancel()`` returns True.
    """
    threads = use_job_threads()  # the cores other work leaves idle, unless AWD_JOB_THREADS says otherwise
    with single_threaded_blas():  # thousands of small fits: a threaded BLAS only adds wake-ups (models.cores)
        return _finalize(work_dir, out_dir, progress, should_cancel, threads)


def _finalize(work_dir, out_dir, progress, should_cancel, threads):
    t_start = time.perf_counter()
    job = _Job(work_dir, should_cancel)
    # what the first stage cross-validated while the teacher trained, when it did so for these very inputs
    job.beside = read_teacher_free(work_dir, teacher_free_key(job.config, job.scaling, job.cv_plan[0], job.X_train,
                                                                job.y_train))
    filters, histories, filter_epoch, starts, seconds_per_epoch, gradient_path, chunk_threads = collect_chunks(
        work_dir, len(job.grid))
    splits, grouping = job.cv_plan
    series_features, initial_fold = _choose_series_features(job, splits)  # "auto": before any student is fitted
    cross = _cross_validate(job, filters, splits, progress, initial_fold)
    if series_features is not None:  # set only when chosen: an unset section stays out of result.json
        cross["selection"].series_features = series_features
    models, predictions, students = _score_students(job, filters, cross, progress)
    verdict = _verdict(job, cross, models, predictions)
    if job.kind == "image":
        verdict.fixed_filter = _fixed_filter_check(job, cross, predictions)
    if cross["control"] is not None:
        cross["selection"].random_search = _random_search_section(job, cross["control"], predictions)
    job.stop_if_cancelled("the test intervals")
    h_sel = filters[cross["best"]]
    scattering = None
    if job.config.student == "scattering":  # the learned scattering student, from the wavelet the selection kept
        h_start = job.h_init if cross["choice"] == "initial" else h_sel
        scores, scattering, predictions["scattering"], students["scattering"] = fit_scattering_student(
            job.kind, job.X_train, job.y_train, job.X_test, job.y_test, job.scaling, job.config, h_start, progress,
            sample_groups=job.fold_grouping[0], test_groups=job.test_groups, should_stop=job.should_cancel)
        models["scattering"] = ModelScores(**scores)
    two_values, teacher_test = _two_class_scores(job, models, predictions)
    wavelet, psi0, psi_true = _wavelet_section(job, h_sel)
    grid = _grid_section(job, filters, histories, filter_epoch, starts, cross, psi0, psi_true, len(wavelet.psi))
    if grid[cross["best"]].start == "search":  # where the best point's fit began, drawn beside its wavelet
        _, phi_start, psi_start = _cascade(np.asarray(grid[cross["best"]].start_h))
        wavelet.start_phi, wavelet.start_psi = phi_start.tolist(), psi_start.tolist()
        if grid[cross["best"]].start_distance_to_truth is not None:
            wavelet.start_distance_to_truth = grid[cross["best"]].start_distance_to_truth
    grid_students = _grid_students(job, filters, grid, progress)
    # the activation maps and the per-example explanations show the model the result recommends
    kept = cross["choice"] == "initial"
    name = "baseline_wavelet" if kept else "awd"
    shown = _Shown(job, job.h_init if kept else h_sel, "initial" if kept else "awd")
    activation, maps = _activation_section(job, shown, predictions[name])
    explain = _explain_section(job, shown, students[name])
    hist_sel = histories[cross["best"]]
    history = {"epoch": list(range(1, len(hist_sel["train_loss"]) + 1))}
    history.update({k: [float(v) for v in vals] for k, vals in hist_sel.items()})
    timings = dict(job.info["timings"])
    timings.update({"distill_seconds_per_epoch": float(np.mean(seconds_per_epoch)),
                    "finalize": time.perf_counter() - t_start})
    if job.beside:  # the first stage's thread beside the teacher: its wall time, within the teacher's
        timings["beside_teacher"] = float(job.info.get("beside_teacher", {}).get("seconds", 0.0))
    config = job.config
    lam, gam = job.grid[cross["best"]]
    bundle = ResultBundle(
        data=DataInfo(**{k: job.info["data"][k] for k in ("kind", "shape", "n_train", "n_test", "sha256")},
                      target_name=job.info["data"].get("target_name"),
                      test_target_sd=0.0 if _metrics.constant_target(job.y_test) else float(np.std(job.y_test)),
                      train_target_range=[float(np.min(job.y_train)), float(np.max(job.y_train))],
                      x_mean=float(np.mean(job.X_train)),
                      x_std=float(np.std(job.X_train)), train_maps=job.info["data"].get("train_maps"),
                      test_maps=job.info["data"].get("test_maps"),
                      sample_axis=job.info["data"].get("sample_axis"), two_values=two_values,
                      seen_targets=_metrics.seen_target_rows(job.y_train_all, job.y_test_all),
                      pixel_arcmin=job.info["data"].get("pixel_arcmin"), map_noise=job.info["data"].get("map_noise"),
                      dropped_rows=job.info["data"].get("dropped_rows"),
                      padded_rows=job.info["data"].get("padded_rows"),
                      # absent from result.json, not null, when no array had a channel axis to drop
                      **({"channel_axis": job.info["data"]["channel_axis"]}
                         if job.info["data"].get("channel_axis") else {})),
        teacher=TeacherInfo(**{k: job.info["teacher"][k] for k in ("name", "n_params", "predict_seconds_per_sample",
                                                                   "validation_mse", "stopped_behind", "epochs_run",
                                                                   "epoch_cap", "best_epoch", "prediction_scale",
                                                                   "upload")
                               if k in job.info["teacher"]}, test=teacher_test),
        lambdas=config.lambdas, gammas=config.gammas, grid=grid,
        selected=Selected(**{"lambda": lam}, gamma=gam, index=cross["best"]),
        cv=CVInfo(metric="r2", folds=job.folds, repeats=config.cv_repeats, grouping=grouping,
                  constant_target_folds=sum(int(np.ptp(job.y_train[held]) == 0) for _, held in splits)),
        selection=cross["selection"], verdict=verdict, models=models, wavelet=wavelet, history=history,
        activation=activation, **({} if scattering is None else {"scattering": scattering}),
        provenance=Provenance(version=__version__, git_sha=git_sha(), seed=config.seed,
                              config=config_as_run(config, job.info, gradient_path),
                              started=job.info["started"], finished=now_iso(), device=job.info["device"],
                              gradient_path=gradient_path, threads=_stage_threads(job.info, chunk_threads, threads)),
        timings=timings, students={name: Student(**record) for name, (record, _) in students.items()},
        explain=explain)
    bundle.trust = {"notes": trust_notes(bundle.to_json()), "compression_definition": COMPRESSION_DEFINITION}
    note_keys = [n["key"] for n in bundle.trust["notes"]]
    bundle.verdict.text = verdict_with_teacher(bundle.to_json())  # led by a teacher without skill, if so
    bundle.verdict.helped = helped_by_the_teacher(bundle.verdict.helped, note_keys)
    bundle.summary = summary_text(bundle.to_json())
    job.stop_if_cancelled("the result's sections")  # the last poll: from here the bundle is written
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_npz(out_dir / "arrays.npz", filters=filters, lambdas=np.asarray(config.lambdas),
              gammas=np.asarray(config.gammas), cv_scores=cross["cv_scores"], h=h_sel, h_init=job.h_init,
              x=np.asarray(wavelet.x), phi=np.asarray(wavelet.phi), psi=np.asarray(wavelet.psi),
              X_examples=job.X_test[:len(activation.indices)], activation_maps=np.asarray(maps),
              y_test=job.y_test, train_fingerprints=sample_fingerprints(job.X_train),  # a prediction names them
              **{f"y_pred_{k}": v for k, v in predictions.items()},
              **({} if job.teacher_test_pred is None else {"y_pred_teacher": job.teacher_test_pred}),
              **{record["arrays"][f]: a for record, arrays in students.values() for f, a in arrays.items()},
              **{record["arrays"][f]: a for record, arrays in grid_students for f, a in arrays.items()})
    as_json = bundle.to_json()
    bundle.files = ["result.json", "arrays.npz"] + plots.write_figures(as_json, out_dir)
    table = student_table_csv(as_json)
    if table is not None:  # the series student's terms, for a spreadsheet or a paper's supplement
        atomic_write_bytes(out_dir / "student.csv", table.encode("utf-8"))
        bundle.files.append("student.csv")
    write_explain_inputs(out_dir, info=job.info, config=config, X_test=job.X_test, y_test=job.y_test,
                         h_learned=h_sel, student=job.students.get("awd") if job.kind == "timeseries" else None,
                         recommended_wavelet="initial" if kept else "learned")
    written = write_bundle(bundle, out_dir)
    report(progress, "done", 1.0, "result bundle written")
    return written


def _stage_threads(info, chunk_threads, finalize_threads) -> dict:
    """The torch threads of each stage, for the result's provenance (a stage whose record predates them is left
    out)."""
    threads = {"prepare": [int(info["threads"])]} if "threads" in info else {}
    if chunk_threads:
        threads["distill"] = [int(n) for n in chunk_threads]
    threads["finalize"] = [int(finalize_threads)]
    return threads


def _two_class_scores(job, models, predictions):
    """A target of two values (a 0/1 label) is fitted as a number; its test scores add the accuracy at the
    midpoint and the ROC AUC (:func:`models.metrics.two_class_scores`), set on each model's ``test`` here. Returns
    ``[low, high]`` (None for any other target) and the teacher's test scores with the same two added."""
    teacher_test = dict(job.info["teacher"]["test"])
    values = _metrics.two_values(job.y_train)
    if values is None:
        return None, teacher_test
    for name, scores in models.items():
        for key, value in _metrics.two_class_scores(job.y_test, predictions[name], values).items():
            setattr(scores.test, key, value)
    if job.teacher_test_pred is not None:
        teacher_test.update(_metrics.two_class_scores(job.y_test, job.teacher_test_pred, values))
    return list(values), teacher_test


class _Job:
    """What the final stage reads once: the prepared work directory, in the shapes the steps below use, and the
    ``should_cancel`` its steps poll (:meth:`stop_if_cancelled`)."""

    def __init__(self, work_dir, should_cancel=None):
        self.should_cancel = should_cancel
        self.beside = {}  # the pieces done beside the teacher (models.pipeline.teacher_free), once read
        self.info, self.config, split, self.teacher = load_prepared(work_dir)
        self.kind = self.info["data"]["kind"]
        self.target = self.info["teacher"]["attribution_target"]
        self.scaling = scaling_of(self.info)
        self.X_train, self.y_train = split["X_train"], split["y_train"]
        self.X_test, self.y_test = split["X_test"], split["y_test"]
        self.y_train_all = split.get("y_train_all", self.y_train.reshape(len(self.y_train), -1))
        self.y_test_all = split.get("y_test_all", self.y_test.reshape(len(self.y_test), -1))
        self.groups = split.get("groups")  # the map of each training tile; None for untiled data
        self.test_groups = split.get("test_groups")  # the map of each test tile: the test intervals draw maps
        teacher_test = Path(work_dir) / TEACHER_TEST_FILE  # absent in work directories of older versions
        self.teacher_test_pred = read_npz(teacher_test)["y_pred"] if teacher_test.exists() else None
        # map classes are full parameter rows; the reported column is the config's target
        self.fit_y = self.y_train if self.kind == "timeseries" else self.y_train_all
        self.column = self.config.target if self.kind == "image" and self.y_train_all.shape[1] > 1 else 0
        self.grid = grid_points_of(self.config)
        self.students = {}
        self.h_init = _filters.lowpass_filter(self.config.wave)
        orthogonal = self.config.parametrization == "orthogonal"
        self.n_filter_params = len(self.h_init) - (len(self.h_init) // 2 + 1 if orthogonal else 0)
        # compression and activation maps on what the student reads: the scaled series, the raw maps
        series = self.kind == "timeseries"
        self.X_view = scaled(self.X_test, self.scaling) if series else self.X_test
        self.teacher_view = teacher_on_scaled(self.teacher, self.scaling) if series else self.teacher

    @cached_property
    def fold_grouping(self):
        """``(groups, classes, how)`` of :func:`cv_grouping`: what a fold holds out (tiles: whole maps, stratified
        by cosmology when the targets repeat across maps; ``groups`` is None when folds take samples)."""
        return cv_grouping(self.groups, self.y_train_all, self.y_test_all)

    @cached_property
    def cv_plan(self):
        """``(splits, grouping)``: the selection's shared splits (:func:`cv_splits`) and what a fold holds out
        (:attr:`fold_grouping`'s ``how``)."""
        splits, (_, _, grouping) = selection_splits(self.config, len(self.X_train), self.groups, self.y_train_all,
                                                    self.y_test_all)
        return splits, grouping

    @property
    def every_target(self) -> dict:
        """Keyword arguments of :func:`score_model` that score every target column (maps with several), else none."""
        if self.kind != "image" or self.y_test_all.shape[1] < 2:
            return {}
        return {"y_test_all": self.y_test_all, "target_names": self.info["data"].get("target_names")}

    @property
    def folds(self) -> int:
        """K of the splits: ``cv_folds``, or fewer when tiles come from fewer training maps."""
        return len(self.cv_plan[0]) // self.config.cv_repeats

    @cached_property
    def peaks_train(self):
        """The training maps' peaks, found once for the selection and every grid point's student."""
        return _predictors.peak_patches(self.X_train)

    @cached_property
    def peaks_test(self):
        """The test maps' peaks."""
        return _predictors.peak_patches(self.X_test)

    def stop_if_cancelled(self, done: str) -> None:
        """Poll ``should_cancel`` between two pieces of work (``done``: the one just finished, for the message).

        Raises
        ------
        models.distill.Cancelled
            When ``should_cancel()`` returns True.
        """
        if self.should_cancel is not None and self.should_cancel():
            raise Cancelled(f"stopped during the final stage, after {done}")

    def fold_scores(self, candidate, splits, peaks=None):
        return fold_scores(self.kind, candidate, self.config, self.X_train, self.y_train, self.y_train_all, splits,
                           self.scaling, peaks)


def _choose_series_features(job: _Job, splits):
    """Resolve ``series_features="auto"`` in ``job.config`` (:func:`choose_series_features` at the initial wavelet,
    on the selection's splits): ``(choice for the bundle, the initial wavelet's fold scores under it)``, or
    ``(None, None)`` when the config named the kind (or for maps)."""
    config = job.config
    if job.kind != "timeseries" or config.series_features != "auto":
        return None, None
    if "series_features" in job.beside:
        folds = job.beside["series_features"]
        chosen = chosen_series_features(folds)
    else:
        chosen, folds = choose_series_features(job.h_init, config, job.X_train, job.y_train, job.scaling, splits)
    job.config = config.model_copy(update={"series_features": chosen})
    scores = {kind: float(fold.mean()) for kind, fold in folds.items()}
    first, second = folds.values()
    se = paired_cv_se(np.asarray(first) - np.asarray(second), job.folds)
    return (SeriesFeaturesChoice(chosen=chosen, initial_cv_r2=scores,
                                 difference_se=float(se) if np.isfinite(se) else None), folds[chosen])


def _cross_validate(job: _Job, filters, splits, progress, initial_fold=None) -> dict:
    """CV scores of every candidate on shared splits, and the choice between AWD and the initial wavelet
    (``initial_fold``: the initial wavelet's fold scores when already computed)."""
    config = job.config
    peaks = SplitPeaks(job.peaks_train, splits) if job.kind == "image" else None
    fold = {"mean": job.fold_scores("mean", splits)}
    # the candidates' students are independent: one per core (their BLAS calls are single-threaded here), the
    # fixed map baselines in the same pool
    baselines = list(MAP_BASELINES) if job.kind == "image" else []
    candidates = [*([] if initial_fold is not None else [job.h_init]), *filters, *baselines]
    n_control = int(config.random_search or 0)  # resolved by prepare (None: a work directory from before it)
    control = job.beside.get("control") if n_control else None  # found while the teacher trained
    n_left = 0 if control is not None else n_control
    share = len(candidates) / (len(candidates) + 1 + 0.35 * n_left)  # a control wavelet costs ~a third

    def scored(i):
        message = f"cross-validated student {i + 1}/{len(candidates)}"
        report(progress, "select", share * (i + 1) / len(candidates), message)
        job.stop_if_cancelled(message)

    scores = map_on_job_threads(lambda c: job.fold_scores(c, splits, peaks), candidates, on_result=scored)
    if initial_fold is not None:
        scores = [initial_fold, *scores]
    fold["baseline_wavelet"], grid_fold = scores[0], np.asarray(scores[1:len(filters) + 1])
    for name, score in zip(baselines, scores[len(filters) + 1:]):
        fold[name] = score
    if n_left:  # the teacher-free control, finally on the same splits, screened by a cheaper CV score
        screen_score, full_score = control_scorers(job.kind, config, job.X_train, job.y_train, job.y_train_all,
                                                   splits, job.scaling, job.folds,
                                                   job.peaks_train if job.kind == "image" else None)

        def control_scored(done, total):
            message = f"control without the teacher: wavelet {done}/{total}"
            report(progress, "select", share + (1 - share) * done / (total + 1), message)
            job.stop_if_cancelled(message)

        control = random_search_control(screen_score, full_score, n_control, len(job.h_init), seed=config.seed,
                                        on_result=control_scored)
    if control is not None:
        fold["random_search"] = control["fold"]
    sel = select_wavelet(grid_fold, fold["baseline_wavelet"], [g for _, g in job.grid], job.folds,
                         config.selection_rule, mean_scores=fold["mean"])
    fold["awd"], fold["awd_no_interp"] = grid_fold[sel["best"]], grid_fold[sel["best_no_interp"]]
    cv_scores = grid_fold.mean(axis=1)
    selection = Selection(rule=config.selection_rule, folds=job.folds, repeats=config.cv_repeats,
                          n_candidates=len(job.grid) + 1, choice=sel["choice"], initial=config.wave,
                          initial_cv_score=float(fold["baseline_wavelet"].mean()),
                          awd_cv_score=float(cv_scores[sel["best"]]), cv_gain=sel["gain"], cv_gain_se=sel["gain_se"],
                          search_cv_gain=sel["selection_gain"], search_cv_gain_se=sel["selection_gain_se"],
                          kept_because=sel["kept_because"],
                          mean_predictor_cv_score=float(fold["mean"].mean()))
    return {"best": sel["best"], "best_no_interp": sel["best_no_interp"], "choice": sel["choice"], "fold": fold,
            "grid_fold": grid_fold, "cv_scores": cv_scores, "selection": selection, "control": control}


#: The students stage's fraction once the chosen points' students are scored; each grid point's own student
#: (:func:`_grid_students`) fills the rest.
STUDENTS_SCORED = 0.25


def _score_students(job: _Job, filters, cross, progress):
    """Every student fitted on the training split and scored on the test split, with its CV entry."""
    report(progress, "students", 0.0, "fitting the interpretable students")
    models, predictions, students = {}, {}, {}
    candidates = {"awd": filters[cross["best"]], "awd_no_interp": filters[cross["best_no_interp"]],
                  "baseline_wavelet": job.h_init}
    if cross["control"] is not None:
        candidates["random_search"] = cross["control"]["h"]
    for name, h in candidates.items():
        model, make_input, deploy = student(job.kind, h, job.config, job.scaling, job.X_train.shape[-1])
        coeffs_test = flatten_coefficients(coefficients(job.X_view, h, job.config))
        saliency_test = saliency(job.teacher_view, job.X_view, h, job.config, job.target)
        # the job's filter parameters (taps, or lattice angles); the control's lattice has len(h) / 2 - 1 free
        params = {"baseline_wavelet": 0, "random_search": len(h) // 2 - 1}.get(name, job.n_filter_params)
        models[name], predictions[name] = score_model(model, make_input, job.X_train, job.fit_y, job.X_test,
                                                      job.y_test, job.column, params, coeffs_test, saliency_test,
                                                      deploy, test_groups=job.test_groups, **job.every_target)
        job.students[name] = model  # fitted in place; the AWD one is kept for explanations
        students[name] = _student_record(job, name, model, h)
        job.stop_if_cancelled(f"the {name} student")
    if job.kind == "image":
        for name in MAP_BASELINES:
            model = baseline_student(job.config, name)
            models[name], predictions[name] = score_model(model, lambda X: X, job.X_train, job.fit_y, job.X_test,
                                                          job.y_test, job.column, 0, test_groups=job.test_groups,
                                                          **job.every_target)
            students[name] = _student_record(job, name, model, None)
            job.stop_if_cancelled(f"the {name} student")
    for name in models:
        models[name]["cv"] = cv_entry(cross["fold"][name], cross["fold"]["mean"], job.folds)
    report(progress, "students", STUDENTS_SCORED, "students scored")
    return {name: ModelScores(**entry) for name, entry in models.items()}, predictions, students


def _grid_students(job: _Job, filters, grid, progress):
    """Each grid point's own student, fitted on the training split and scored on the test split, so that the
    results page can show the student of any point it inspects; sets ``grid[i].test`` and ``grid[i].student``
    and returns each point's ``(record, arrays)``."""
    def fit_one(h):
        model, make_input, _ = student(job.kind, h, job.config, job.scaling, job.X_train.shape[-1])
        if job.kind == "image":  # the peaks do not depend on the filter: found once (_Job)
            return model, model.fit_peaks(job.peaks_train, job.fit_y).predict_peaks(job.peaks_test), None
        bands = make_input(job.X_train)  # read once: the fit, the features' in-series shares and their terms
        model.fit(bands, job.fit_y)
        return model, model.predict(make_input(job.X_test)), (_in_series(job, model, h, bands),
                                                              model._features(bands))

    def done(i):
        message = f"student of grid point {i + 1}/{len(filters)}"
        report(progress, "students", STUDENTS_SCORED + (1 - STUDENTS_SCORED) * (i + 1) / len(filters), message)
        job.stop_if_cancelled(message)

    out = []
    fitted = map_on_job_threads(fit_one, filters, on_result=done)  # independent fits: one per core
    for i, (model, pred, series_facts) in enumerate(fitted):
        y_pred = column(pred, job.column, len(job.y_test))
        grid[i].test = TestScores(r2=float(_metrics.r2_score(job.y_test, y_pred)),
                                  rmse=float(_metrics.rmse(job.y_test, y_pred)))
        in_series, features = series_facts or (None, None)
        record, arrays = _student_record(job, f"grid{i}", model, filters[i], in_series, features, predicts=False)
        grid[i].student = Student(**record)
        out.append((record, arrays))
    return out


def _in_series(job: _Job, model, h, bands=None):
    """A series student's in-series shares (:func:`in_series_shares`; ``bands``: the training series'
    coefficients under ``h`` when already computed)."""
    if model.by == "position":  # only the series' length is read
        return in_series_shares(job.X_train, h, job.config, model.k, "position", positions=model.positions_)
    X = job.X_train if bands is not None else scaled(job.X_train, job.scaling)  # with bands: only its length read
    return in_series_shares(X, h, job.config, model.k, model.by, bands=bands, candidates=model.candidates)


def _student_record(job: _Job, name, model, h, in_series=None, features=None, predicts=True):
    """A fitted student written down: ``(record, arrays)`` (:mod:`models.pipeline.student_params`);
    ``in_series`` and ``features``: a series student's :func:`_in_series` and training features, computed here
    when not given; ``predicts``: a student ``awd predict`` can name, whose map student keeps how far its
    training maps lie from their templates (chi²) or from their mean histogram (ridge); a grid point's does not
    (0.26 s a chi² student on the lensing example)."""
    if job.kind == "timeseries":
        shares = in_series if in_series is not None else _in_series(job, model, h)
        if features is None:
            features = model._features(coefficients(scaled(job.X_train, job.scaling), h, job.config))
        return series_record(name, model, h=h, levels=job.config.levels, mode=job.config.mode,
                             length=job.X_test.shape[1], scaling=job.scaling, in_series=shares,
                             training_features=features, min_in_series=MIN_IN_SERIES)
    return maps_record(name, model, target_column=job.column, target_names=job.info["data"].get("target_names"),
                       training=(job.X_train, job.fit_y) if predicts else None)


class _Shown:
    """The recommended model's wavelet coefficients and saliencies of the first test examples, computed once
    for the activation maps and the explanations. ``wavelet`` is "awd" or "initial"."""

    def __init__(self, job: _Job, h, wavelet):
        self.wavelet, self.m, self.h = wavelet, min(N_ACTIVATION_EXAMPLES, len(job.X_test)), np.asarray(h)
        self.coeffs = coefficients(job.X_view[:self.m], h, job.config)
        self.saliency = unflatten_like(saliency(job.teacher_view, job.X_view[:self.m], h, job.config, job.target),
                                       self.coeffs)


def _explain_section(job: _Job, shown: _Shown, fitted_student) -> Explain:
    """How the shown model's student reads the first test examples (:mod:`models.pipeline.explain_examples`)."""
    record, arrays = fitted_student
    m = shown.m
    return Explain(**explain_examples(job.kind, record, arrays, job.X_test[:m], shown.coeffs, shown.saliency,
                                      job.config.levels, h=shown.h, mode=job.config.mode), wavelet=shown.wavelet)


def _verdict(job: _Job, cross, models, predictions) -> Verdict:
    """Did distillation help? The paired test interval of AWD minus the initial wavelet, in one sentence."""
    metric = "r2" if job.kind == "timeseries" else "rmse"
    difference = _metrics.paired_bootstrap_difference(job.y_test, predictions["awd"], predictions["baseline_wavelet"],
                                                      metric=metric, n_boot=N_BOOT, seed=job.config.seed,
                                                      groups=job.test_groups)
    awd_test = models["awd"].test
    small = is_small(difference["estimate"], metric, awd_test.r2 if metric == "r2" else awd_test.rmse,
                     float(np.std(job.y_test)))
    n_test = len(job.y_test) if job.test_groups is None else int(job.test_groups.max()) + 1
    text = verdict_text(cross["choice"], difference, job.config.wave, metric, job.info["data"].get("target_name"),
                        small, n_test=n_test)
    scores = [m.test.r2 for m in models.values()] + [(job.info["teacher"].get("test") or {}).get("r2")]
    best_r2 = max((r2 for r2 in scores if isinstance(r2, int | float) and np.isfinite(r2)), default=None)
    # every R² is undefined on a constant test target (shown as 0): no "no model predicts" from it (review 39D)
    no_skill = "" if _metrics.constant_target(job.y_test) else no_skill_words(best_r2)
    text = no_skill + text
    if job.test_groups is not None:  # tiles of one map share its field: the interval draws whole maps
        text += (f" The interval resamples the {n_test} test map{'s' if n_test > 1 else ''} whole, not their "
                 f"{len(job.y_test)} tiles one by one.")
    interpretation = None
    if cross["best"] != cross["best_no_interp"] and job.grid[cross["best"]][1] > 0:  # γ > 0 against γ = 0 alone
        interpretation = _metrics.paired_bootstrap_difference(
            job.y_test, predictions["awd"], predictions["awd_no_interp"], metric=metric, n_boot=N_BOOT,
            seed=job.config.seed, groups=job.test_groups)
    return Verdict(text=text, choice=cross["choice"], metric=metric, test_difference=difference,
                   no_skill=bool(no_skill),
                   helped=distillation_helped(cross["choice"], difference, metric, small, n_test, bool(no_skill)),
                   warnings=warnings_of({name: m.cv.model_dump() for name, m in models.items()},
                                        mean_score=float(np.mean(cross["fold"]["mean"]))),
                   interpretation_difference=interpretation)


def _fixed_filter_check(job: _Job, cross, predictions) -> FixedFilterCheck:
    """Maps: the fixed-filter baseline with the best CV score against the model delivered, on the same splits (the
    paired CV gain and its corrected SE, :func:`models.pipeline.selection.paired_cv_se`) and on the test set (the
    paired interval of the delivered model minus it)."""
    fold = cross["fold"]
    delivered = "awd" if cross["choice"] == "awd" else "baseline_wavelet"
    delivered_fold = cross["grid_fold"][cross["best"]] if delivered == "awd" else fold["baseline_wavelet"]
    name = max(MAP_BASELINES, key=lambda key: float(np.mean(fold[key])))
    diff = np.asarray(fold[name]) - np.asarray(delivered_fold)
    gain, se = float(diff.mean()), paired_cv_se(diff, job.folds)
    # the best of several baselines leads by chance more often than one would: as for the grid (select_wavelet),
    # the choice among them must gain too, each split scored by the baseline the other folds of its repeat chose
    searched = selection_fold_scores(np.stack([fold[key] for key in MAP_BASELINES]), job.folds) - delivered_fold
    search_gain, search_se = float(searched.mean()), paired_cv_se(searched, job.folds)
    test = _metrics.paired_bootstrap_difference(job.y_test, predictions[delivered], predictions[name], metric="rmse",
                                                n_boot=N_BOOT, seed=job.config.seed, groups=job.test_groups)
    return FixedFilterCheck(name=name, delivered=delivered, cv_score=float(np.mean(fold[name])),
                            delivered_cv_score=float(np.mean(delivered_fold)), cv_gain=gain, cv_gain_se=se,
                            search_cv_gain=search_gain, search_cv_gain_se=search_se,
                            leads=bool(gain > FIXED_FILTER_SES * se and search_gain > FIXED_FILTER_SES * search_se),
                            test_difference=test)


def _random_search_section(job: _Job, control, predictions) -> RandomSearch:
    """The teacher-free control in the bundle: its filter, CV score, and the paired test interval of AWD (the best
    grid point) minus it."""
    metric = "r2" if job.kind == "timeseries" else "rmse"
    difference = _metrics.paired_bootstrap_difference(job.y_test, predictions["awd"], predictions["random_search"],
                                                      metric=metric, n_boot=N_BOOT, seed=job.config.seed,
                                                      groups=job.test_groups)
    return RandomSearch(n=control["n"], seed=job.config.seed, h=np.asarray(control["h"]).tolist(),
                        cv_score=control["cv_score"], test_difference=difference)


def _cascade(h):
    x, phi, psi = _filters.scaling_and_wavelet(h, level=CASCADE_LEVEL)
    return np.asarray(x), np.asarray(phi), np.asarray(psi)


def _as_lists(kernels: dict) -> dict:
    return {k: np.asarray(v).tolist() for k, v in kernels.items()}


def _wavelet_section(job: _Job, h_sel):
    """The selected wavelet beside the initial one; also ``psi`` of the initial and the true wavelet."""
    config, h_init = job.config, job.h_init
    x_grid, phi, psi = _cascade(h_sel)
    _, phi0, psi0 = _cascade(h_init)
    section = {
        "init": config.wave, "parametrization": config.parametrization, "mode": config.mode,
        "levels": config.levels, "h": h_sel.tolist(), "g": _filters.highpass_from_lowpass(h_sel).tolist(),
        "x": x_grid.tolist(), "phi": phi.tolist(), "psi": psi.tolist(), "init_h": h_init.tolist(),
        "init_g": _filters.highpass_from_lowpass(h_init).tolist(), "init_phi": phi0.tolist(),
        "init_psi": psi0.tolist(), "validity": _validity(h_sel, config, job.info["data"]["shape"]),
        "mode_choice": job.info.get("mode_choice", config.mode), "input_scaling": dict(job.scaling),
        "distance_to_init": distance_to(psi, psi0),
        "nearest_known": dict(zip(("name", "distance"), _filters.nearest_known_wavelet(h_sel, level=CASCADE_LEVEL))),
    }
    psi_true = None
    true_name = job.info["data"].get("true_wavelet")
    if true_name:
        psi_true = _cascade(_filters.lowpass_filter(true_name))[2]
        section.update(true_wavelet=true_name, distance_to_truth=distance_to(psi, psi_true),
                       init_distance_to_truth=distance_to(psi0, psi_true))
    if job.kind == "image":
        g_sel = _filters.highpass_from_lowpass(h_sel)
        section["filters_2d"] = {"LL": np.outer(h_sel, h_sel).tolist(), "LH": np.outer(g_sel, h_sel).tolist(),
                                 "HL": np.outer(h_sel, g_sel).tolist(), "HH": np.outer(g_sel, g_sel).tolist()}
        section["subfilters_3x3"] = _as_lists(_filters.subfilters_3x3(h_sel))
        section["init_subfilters_3x3"] = _as_lists(_filters.subfilters_3x3(h_init))
    return Wavelet(**section), psi0, psi_true


def _grid_section(job: _Job, filters, histories, filter_epoch, starts, cross, psi0, psi_true,
                  psi_len) -> list[GridPoint]:
    """Every grid point: its filter, psi, CV score, the losses of the epoch its filter comes from, and the
    filter its fit started from."""
    n_gamma = len(job.config.gammas)
    points = []
    for i, (lam, gam) in enumerate(job.grid):
        psi_i = _cascade(filters[i])[2]
        epoch = filter_epoch[i]
        losses = {k: float(v[epoch]) for k, v in histories[i].items() if np.isfinite(v[epoch])}
        truth = {} if psi_true is None else {"distance_to_truth": distance_to(psi_i, psi_true)}
        start = {}
        if i in starts:
            searched, h_start = starts[i]
            psi_start = _cascade(h_start)[2]
            start = dict(start="search" if searched else "initial", start_h=h_start.tolist(),
                         start_distance_to_init=distance_to(psi_start, psi0))
            if psi_true is not None:  # how far the start search brought it before the descent (review 51D)
                start["start_distance_to_truth"] = distance_to(psi_start, psi_true)
        points.append(GridPoint(
            index=i, **{"lambda": lam}, gamma=gam, i_lambda=i // n_gamma, i_gamma=i % n_gamma,
            cv_score=float(cross["cv_scores"][i]), cv_score_sd=float(cross["grid_fold"][i].std()), losses=losses,
            h=filters[i].tolist(), g=_filters.highpass_from_lowpass(filters[i]).tolist(),
            psi=psi_i[:psi_len].tolist(), distance_to_init=distance_to(psi_i, psi0), **start, **truth))
    return points


def _activation_section(job: _Job, shown: _Shown, y_pred):
    """Attribution-weighted coefficients of the first test examples with the shown model's wavelet, each spread
    over the input samples it reads (by its analysis weights); ``y_pred`` the predictions of its student."""
    m = shown.m
    if job.kind == "timeseries":
        maps = _metrics.activation_map_1d(shown.coeffs, shown.saliency, job.X_test.shape[1], shown.h, job.config.mode)
    else:
        maps = _metrics.activation_map_2d(shown.coeffs, shown.saliency, job.X_test.shape[1:], shown.h, job.config.mode)
    sensitivity = {}
    if job.kind == "timeseries":  # what the maps' attributions weigh by: the teacher's sensitivity per sample
        gradients = teacher_input_gradients(job.teacher_view, torch.as_tensor(job.X_view, dtype=torch.float32),
                                            "saliency", job.target)
        profile = _metrics.sensitivity_profile(gradients.numpy())
        sensitivity = {"teacher_sensitivity": profile.tolist(), "sensitive_end": _metrics.sensitive_end(profile)}
    section = Activation(kind=job.kind, indices=list(range(m)), x=job.X_test[:m].tolist(),
                         maps=np.asarray(maps).tolist(), y_true=job.y_test[:m].tolist(),
                         y_pred=np.asarray(y_pred[:m]).tolist(), wavelet=shown.wavelet, **sensitivity)
    return section, maps


def _validity(h, config, shape) -> dict:
    """The validity penalties of eq. 8 and the orthonormality and reconstruction errors of a filter."""
    terms = {k: float(v[0]) for k, v in validity_terms(torch.as_tensor(np.asarray(h)[None], dtype=torch.float64)).items()}
    terms["orthonormality_error"] = float(_filters.orthonormality_error(h))
    length = int(shape[0]) if len(shape) == 1 else int(min(shape))
    terms["reconstruction_error"] = float(_filters.reconstruction_error(h, length=length, level=config.levels,
                                                                         mode=config.mode))
    return terms
