"""The scattering student of a job (option ``student: scattering``): fitted beside AWD's students, scored the same way.

The transform is the filter-bank scattering on the orthogonal DWT (:class:`models.scattering.DWTScattering1D`
/ ``2D``), orders 0-2, started from the selected AWD wavelet and trained end to end with a ridge head
(:class:`models.scattering.ScatteringRegressor`); its paths are then pruned greedily by the CAR index with the
one-SE rule, and the kept paths retrained. It reads what AWD's students read: the teacher-scaled series, the
raw maps. Series keep every output position as a feature; maps average them (translation invariance), as peak
counts do.

Cost: ``2 x scattering_epochs`` epochs of the transform (training, then retraining the kept paths) and the
pruning on precomputed features (head retraining only, exact and cheap); nothing runs unless the option is on.
"""

import numpy as np

from awd_studio.models.pipeline.bundle import ScatteringSection
from awd_studio.models.pipeline.scaling import scaled
from awd_studio.models.pipeline.student_params import scattering_record
from awd_studio.models.pipeline.students import score_model
from awd_studio.models.pipeline.workdir import report
from awd_studio.models.scattering import ScatteringRegressor, scattering_panel, scattering_summary

__all__ = ["fit_scattering_student", "scattering_estimator", "BATCH_SIZE", "LEARNING_RATE"]

#: Minibatch of the scattering student's training (each half fits the in-batch ridge head for the other).
BATCH_SIZE = 128
#: Adam's step on the lattice angles of the DWT bank.
LEARNING_RATE = 0.01


def _levels(config, shape):
    """The job's levels, at most what the DWT scattering allows for this signal shape."""
    return int(max(1, min(config.levels, int(np.log2(min(shape))))))


def scattering_estimator(config, h_start, signal_shape):
    """The unfitted scattering student of a job.

    Parameters
    ----------
    config : PipelineConfig
        ``levels``, ``parametrization``, ``scattering_epochs``, ``cv_folds``, ``cv_repeats``, ``seed``,
        ``device`` are read.
    h_start : ndarray of shape (N,)
        Initial lowpass filter of the DWT bank (the selected AWD wavelet).
    signal_shape : (L,) or (H, W)

    Returns
    -------
    ScatteringRegressor
    """
    return ScatteringRegressor(
        bank="dwt", J=_levels(config, signal_shape), max_order=2, h0=np.asarray(h_start, dtype=np.float64),
        parametrization=config.parametrization, pooling="none" if len(signal_shape) == 1 else "mean",
        epochs=int(config.scattering_epochs), batch_size=BATCH_SIZE, lr=LEARNING_RATE, prune=True,
        prune_cv=int(config.cv_folds), prune_restarts=int(config.cv_repeats), prune_retrain="head",
        seed=int(config.seed), device=config.device)


class _ReportingFit:
    """The estimator as :func:`score_model` fits it (``fit(X, y)``), its epochs reported to the job's progress and
    followed by a poll of ``should_stop``."""

    def __init__(self, model, progress, sample_groups=None, should_stop=None):
        self.model, self.progress, self.sample_groups, self.should_stop = model, progress, sample_groups, should_stop

    def fit(self, X, y):
        self.model.fit(X, y, sample_groups=self.sample_groups, should_stop=self.should_stop,
                       progress=lambda _stage, fraction, message: report(self.progress, "scattering", 0.9 * fraction,
                                                                         message))
        return self

    def predict(self, X):
        return self.model.predict(X)


def fit_scattering_student(kind, X_train, y_train, X_test, y_test, scaling, config, h_start, progress=None, *,
                           sample_groups=None, test_groups=None, should_stop=None):
    """Fit, score and describe the scattering student.

    Parameters
    ----------
    kind : {"timeseries", "image"}
    X_train, X_test : ndarray of shape (n, L) or (n, H, W)
        Raw inputs (series are scaled here with ``scaling``, as for AWD's students).
    y_train, y_test : ndarray of shape (n,)
        The reported target column.
    scaling : dict
        ``offset`` and ``scale`` of the series (the teacher's).
    config : PipelineConfig
    h_start : ndarray of shape (N,)
        The lowpass filter the selection kept: the best AWD point's, or the initial wavelet's when cross-validation
        kept that one.
    progress : callable, optional
        ``progress(stage, fraction, message)``.
    sample_groups : ndarray of shape (n_train,), optional
        The map of each training tile when the job's folds hold out whole maps: the student's own validation,
        penalty choice and pruning folds do the same (None: samples).
    test_groups : ndarray of shape (n_test,), optional
        The map of each test tile: the test RMSE's bootstrap SD resamples whole maps (None: samples).
    should_stop : callable, optional
        Polled after every training epoch; True raises :class:`models.distill.Cancelled`.

    Returns
    -------
    scores : dict
        A :class:`models.pipeline.bundle.ModelScores` entry (test R2, RMSE, parameters, prediction time).
    section : ScatteringSection
        The bundle's ``scattering`` section: settings, kept paths, filters before and after, the path tree,
        the score-versus-paths curve, the filters in space and frequency.
    y_pred : ndarray of shape (n_test,)
    student : (dict, dict)
        Its record and arrays (:func:`models.pipeline.student_params.scattering_record`), which predict new data
        without the fitted object (``awd predict --model scattering``).
    """
    report(progress, "scattering", 0.0, "fitting the scattering student")
    series = kind == "timeseries"

    def make_input(X):
        return scaled(X, scaling) if series else np.asarray(X)

    model = scattering_estimator(config, h_start, X_train.shape[1:])
    scores, y_pred = score_model(_ReportingFit(model, progress, sample_groups, should_stop), make_input, X_train,
                                 y_train, X_test, y_test, 0, 0, test_groups=test_groups)
    summary = scattering_summary(model)
    scores["n_params"] = summary["n_filter_parameters"] + summary["n_head_parameters"]
    section = ScatteringSection(**summary, panel=scattering_panel(model))
    report(progress, "scattering", 1.0, f"scattering student: {len(model.paths_)} of {len(model.all_paths_)} "
                                        "paths kept")
    student = scattering_record("scattering", model, n_params=scores["n_params"], scaling=scaling if series else None)
    return scores, section, y_pred, student
