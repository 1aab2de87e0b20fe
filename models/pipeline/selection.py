"""Choosing between the distilled wavelets and the initial one by cross-validation on shared splits.

Every grid point, the initial wavelet, the fixed baselines and the mean predictor are scored on the same
``cv_repeats`` x ``cv_folds`` splits of the training data; a distilled wavelet is chosen only when its paired
gain over the initial wavelet clears the rule (docs/science.md, "Selection").
"""

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold

from awd_studio.models import metrics as _metrics
from awd_studio.models import predictors as _predictors
from awd_studio.models.pipeline.scaling import scaled
from awd_studio.models.pipeline.students import (
    baseline_student,
    coefficients,
    column,
    series_student,
    wavelet_peak_student,
)

__all__ = ["cv_splits", "cv_grouping", "SplitPeaks", "fold_scores", "series_loo_score", "choose_series_features",
           "chosen_series_features", "paired_cv_se", "select_wavelet", "cv_entry",
           "selection_fold_scores", "KEPT_BECAUSE"]


def cv_splits(n, folds, repeats, seed, groups=None, classes=None):
    """Shared cross-validation splits: ``repeats`` shuffled K-fold partitions of ``n`` samples.

    Parameters
    ----------
    n : int
    folds : int
        K.
    repeats : int
        R; repeat ``r`` shuffles with seed ``seed + 1000 r``.
    seed : int
    groups : ndarray of shape (n,), optional
        Group of each sample (the map a tile was cut from, :func:`models.data.tiles.tile_groups`): whole groups
        are then shuffled into the folds, so no group is on both sides of a split, and K is at most the number of
        groups.
    classes : ndarray of shape (n,), optional
        With ``groups``: the class of each sample (its cosmology, when the targets repeat across maps). The folds
        are then stratified by class (scikit-learn's ``StratifiedGroupKFold``), so a class with two maps or more
        is in every fold's training part; K is then at most the smallest class's number of groups.

    Returns
    -------
    list of (ndarray, ndarray)
        ``R * K`` (train indices, validation indices) pairs, repeat after repeat.
    """
    splits = []
    if groups is None:
        for r in range(repeats):
            splits.extend(KFold(n_splits=folds, shuffle=True, random_state=seed + 1000 * r).split(np.arange(n)))
        return splits
    groups = np.asarray(groups)
    if classes is not None:
        classes = np.asarray(classes)
        per_class = [np.unique(groups[classes == c]).size for c in np.unique(classes)]
        k = max(2, min(folds, min(per_class)))
        for r in range(repeats):
            splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed + 1000 * r)
            splits.extend(splitter.split(np.arange(n), classes, groups))
        return splits
    k = min(folds, np.unique(groups).size)
    for r in range(repeats):
        splits.extend(GroupKFold(n_splits=k, shuffle=True, random_state=seed + 1000 * r).split(np.arange(n),
                                                                                                 groups=groups))
    return splits


def cv_grouping(groups, y_all, y_test_all=None):
    """How a job's folds treat tiles: ``(groups, classes, how)`` for :func:`cv_splits`.

    Parameters
    ----------
    groups : ndarray of shape (n,) or None
        The map of each training tile (None for data that were not tiled).
    y_all : ndarray of shape (n, k)
        Every target column of the training samples.
    y_test_all : ndarray of shape (n_test, k), optional
        The test samples' targets: when each training map has its own target row and the test maps' rows are
        among them, the test measures new maps of known cosmologies, which whole-map folds cannot.

    Returns
    -------
    groups, classes : ndarray or None
    how : {"samples", "maps", "maps by cosmology", "tiles"}
        ``maps``: whole maps to a fold (each map its own target, the test maps' too); ``maps by cosmology``: whole
        maps, stratified by target row, when every row has two training maps or more; ``tiles``: a target row
        that the test split shares has a single training map, which whole-map folds would leave unseen by the
        fold's training part (a class student cannot predict it), so the folds take tiles and one map's tiles
        may be on both sides.
    """
    if groups is None:
        return None, None, "samples"
    rows = np.asarray(y_all).reshape(len(groups), -1)
    _, classes = np.unique(rows, axis=0, return_inverse=True)
    classes = classes.ravel()
    maps_per_class = [np.unique(groups[classes == c]).size for c in np.unique(classes)]
    if min(maps_per_class) >= 2:
        return groups, classes, "maps by cosmology"
    known = {tuple(r) for r in rows}
    test_known = y_test_all is not None and any(tuple(r) in known for r in np.asarray(y_test_all).reshape(
        len(y_test_all), -1))
    if max(maps_per_class) == 1 and not test_known:  # every map its own target, the test's too
        return groups, None, "maps"
    return None, None, "tiles"


class SplitPeaks:
    """The peaks of every split's training and validation maps, for many candidates on the same splits.

    Each split's peaks are cut when a candidate asks for them, as subsets that remember the whole set
    (:meth:`models.predictors.PeakPatches.subset`): one candidate's student then computes its responses at the
    peaks, and its histograms over the fixed bin ranges, once for all splits and takes each split's rows. The
    percentiles of each training split's peak heights, which every candidate's student needs, are kept from the
    first candidate that computed them.

    Parameters
    ----------
    peaks : PeakPatches
        The peaks of all training maps (:func:`models.predictors.peak_patches`).
    splits : list of (ndarray, ndarray)
    """

    def __init__(self, peaks, splits):
        self.peaks, self.splits = peaks, splits
        self.height_quantiles = [None] * len(splits)  # filled as candidates compute them

    def __iter__(self):
        """Yield ``(training indices, validation indices, training peaks, validation peaks)`` split after split."""
        for i, (tr, te) in enumerate(self.splits):
            train = self.peaks.subset(tr, height_quantiles=self.height_quantiles[i])
            yield tr, te, train, self.peaks.subset(te)
            self.height_quantiles[i] = train.height_quantiles  # computed by the student's fit, or given


def fold_scores(kind, candidate, config, X, y, y_all, splits, scaling, peaks=None):
    """R² of one student on every split, shape (R * K,).

    ``candidate``: a lowpass filter (the wavelet students), ``"mean"`` (predict the training-fold mean),
    or for maps a key of :data:`models.pipeline.model_registry.MAP_BASELINES` (the fixed peak-counting
    baselines: ``"laplace"``, ``"roberts_cross"``, ``"peak_heights"``). ``peaks``: the
    training maps' :class:`models.predictors.PeakPatches`, found once for every candidate, or a
    :class:`SplitPeaks` of them (faster when many candidates share the splits).
    """
    scores = []
    if isinstance(candidate, str) and candidate == "mean":
        for tr, te in splits:
            scores.append(_metrics.r2_score(y[te], np.full(len(te), y[tr].mean())))
    elif kind == "timeseries" and config.series_features == "positions":
        # the kept positions depend on the training fold's targets: chosen again on each fold
        bands = coefficients(scaled(X, scaling), candidate, config)
        model = series_student(config, candidate, X.shape[1])  # its candidate positions: once, not per fold
        for tr, te in splits:
            model.fit([b[tr] for b in bands], y[tr])
            scores.append(_metrics.r2_score(y[te], model.predict([b[te] for b in bands])))
    elif kind == "timeseries":
        # the student's features do not depend on the fold: compute them once, refit only the linear model
        model = series_student(config, candidate, X.shape[1])  # its candidate coefficients: once, not per fold
        features = model._features(coefficients(scaled(X, scaling), candidate, config))
        for (_, te), predicted in zip(splits, model._fold_predictions(features, y, splits)):
            scores.append(_metrics.r2_score(y[te], predicted))
    else:
        if isinstance(candidate, str):
            model = baseline_student(config, candidate)
        else:
            model = wavelet_peak_student(config, candidate)
        # chi² or ridge is decided once, on every training map, as the student delivered is: decided per fold, a
        # class of 5 or 6 maps left 4 in some folds, and their scores were a ridge's (the 2026-12-07 audit)
        model.set_params(method=_predictors.peak_student_method(y_all, model.method))
        peaks = peaks if peaks is not None else _predictors.peak_patches(X)  # peaks do not depend on the filter
        if not isinstance(peaks, SplitPeaks):
            peaks = SplitPeaks(peaks, splits)
        for tr, te, peaks_tr, peaks_te in peaks:  # the splits the peaks were cut for
            model.fit_peaks(peaks_tr, y_all[tr])
            scores.append(_metrics.r2_score(y[te], column(model.predict_peaks(peaks_te), config.target, len(te))))
    return np.nan_to_num(np.asarray(scores, dtype=float), nan=-1.0, posinf=-1.0, neginf=-1.0)


def series_loo_score(candidate, config, X, y, scaling):
    """Leave-one-out R² of the time-series student on one wavelet, from its own fit on all of ``X``.

    The student with its default penalty (``student_penalty="cv"``) is a ridge on standardised top-k features whose
    penalty is chosen by leave-one-out error (:class:`models.students.ridge.LeaveOneOutRidge`); that fit's best
    leave-one-out mean squared error, over the variance of ``y``, gives ``1 - MSE / var(y)``. It costs one fit where
    K-fold costs K, so the teacher-free control screens series with it (:mod:`models.pipeline.random_search`). The
    features are standardised on all of ``X``, not per left-out sample, and with ``series_features="positions"``
    the kept positions are chosen on all of ``X`` too, left-out targets included: a screening score, which gives
    every wavelet the same head start, not the selection's. Only for that penalty (other penalties have no
    leave-one-out error to read).

    Parameters
    ----------
    candidate : ndarray of shape (N,)
        A lowpass filter.
    config : PipelineConfig
        ``levels``, ``mode`` and ``top_k`` of the student.
    X : ndarray of shape (n, L)
    y : ndarray of shape (n,)
    scaling : dict
        The job's input scaling (:func:`models.pipeline.scaling.scaled`).

    Returns
    -------
    ndarray of shape (1,)
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    model = series_student(config, candidate, X.shape[1]).set_params(alpha="cv")
    model.fit(coefficients(scaled(X, scaling), candidate, config), y)
    variance = float(np.var(y))
    score = 1.0 + model.model_.best_score_ / variance if variance > 0 else -1.0
    return np.nan_to_num(np.asarray([score], dtype=float), nan=-1.0, posinf=-1.0, neginf=-1.0)


def choose_series_features(h, config, X, y, scaling, splits):
    """What the series student reads, for ``series_features="auto"``: the kind with the higher cross-validated R² at
    filter ``h`` (the initial wavelet: chosen before, and apart from, any distilled wavelet).

    Each band's largest coefficients suit events at any time, fixed positions information at fixed times; the
    data say which. The largest win a tie.

    Parameters
    ----------
    h : ndarray of shape (N,)
    config : PipelineConfig
    X : ndarray of shape (n, L)
    y : ndarray of shape (n,)
    scaling : dict
    splits : list of (ndarray, ndarray)
        The selection's splits (:func:`cv_splits`).

    Returns
    -------
    chosen : {"largest", "positions"}
    folds : dict of str -> ndarray of shape (len(splits),)
        Each kind's fold scores at ``h`` (the chosen kind's are the selection's scores of ``h``).
    """
    folds = {kind: fold_scores("timeseries", h, config.model_copy(update={"series_features": kind}), X, y, None,
                               splits, scaling)
             for kind in ("largest", "positions")}
    return chosen_series_features(folds), folds


def chosen_series_features(folds):
    """The kind :func:`choose_series_features` chooses from each kind's fold scores: the higher mean, the largest
    coefficients on a tie.

    Parameters
    ----------
    folds : dict
        ``{"largest": ndarray, "positions": ndarray}``, fold scores on the same splits.

    Returns
    -------
    {"largest", "positions"}

    Examples
    --------
    >>> chosen_series_features({"largest": np.array([0.5, 0.7]), "positions": np.array([0.6, 0.6])})
    'largest'
    """
    return "positions" if np.mean(folds["positions"]) > np.mean(folds["largest"]) else "largest"


def paired_cv_se(diff, folds):
    """Standard error of a mean paired CV difference, corrected for overlapping training sets.

    Fold differences of repeated K-fold CV are correlated (their training sets overlap), so the naive
    ``sd / sqrt(R K)`` is too small. This uses Nadeau and Bengio's correction of the variance,
    ``(1 / (R K) + n_val / n_train) * var`` with ``n_val / n_train = 1 / (K - 1)``.

    Parameters
    ----------
    diff : ndarray of shape (R * K,)
        Per-split score differences between two models, on shared splits.
    folds : int
        K.

    Returns
    -------
    float
    """
    diff = np.asarray(diff, dtype=float)
    if diff.size < 2:
        return float("inf")
    return float(np.sqrt((1.0 / diff.size + 1.0 / (folds - 1)) * np.var(diff, ddof=1)))


def selection_fold_scores(grid_scores, folds):
    """The grid search's own score on each split: on split ``s``, the score of the grid point with the best mean over
    the other splits of ``s``'s repeat, so the point is chosen without ``s``'s scores.

    The best grid point's mean score is biased upwards: it is the largest of G noisy means. This is a
    leave-one-fold-out estimate of what choosing the best point is worth (review 26A: on pure-noise targets the
    best of 18 points beat the initial wavelet by more than one standard error on 2 of 3 datasets). It is not fully
    held out: ``s``'s validation samples are in the training part of the other folds' students, entirely so with
    K = 2, and it is optimistic there (review 27A: a data-level simulation of 18 no-better points chose AWD 3.5 %
    of the time at 3 x 5 folds, 7-9 % at 3 x 3, 24-28 % at 3 x 2, 13-15 % at 1 x 5; a nested choice, an inner CV in
    each split's training part, 0-2 %, at several times the cost). The trust note ``weak_selection_check`` says so
    when such a job delivers AWD.

    Parameters
    ----------
    grid_scores : ndarray of shape (G, R * K)
        CV scores (higher is better) of every grid point on every split, repeat after repeat
        (:func:`cv_splits`).
    folds : int
        K.

    Returns
    -------
    ndarray of shape (R * K,)

    Examples
    --------
    Point 0 has the best mean (0.3) thanks to one lucky split; the search itself scores less:

    >>> scores = np.array([[0.9, 0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2]])  # two points, two repeats of 2 folds
    >>> selection_fold_scores(scores, folds=2)
    array([0.2, 0.1, 0.2, 0.2])
    """
    grid_scores = np.asarray(grid_scores, dtype=float)
    n = grid_scores.shape[1]
    out = np.empty(n)
    for s in range(n):
        start = (s // folds) * folds
        others = [j for j in range(start, start + folds) if j != s]  # K >= 2 folds in each of the R repeats
        out[s] = grid_scores[int(np.argmax(grid_scores[:, others].mean(axis=1))), s]
    return out


#: Why the one-standard-error rule kept the initial wavelet (``Selection.kept_because``).
KEPT_BECAUSE = ("gain", "selection", "mean")


def select_wavelet(grid_scores, init_scores, gammas, folds, rule="one_se", mean_scores=None):
    """Choose between the distilled wavelets and the initial wavelet from shared-split CV scores.

    The best grid point is the one with the highest mean CV score (likewise among gamma = 0 points). It is
    chosen over the initial wavelet only if it beats it. With ``rule="one_se"``, three conditions:

    - its mean paired gain exceeds one (corrected) standard error (:func:`paired_cv_se`);
    - so does the gain of the search itself, each split scored by the point the other splits chose
      (:func:`selection_fold_scores`): the best of many noisy points beats the initial wavelet by chance;
    - its student beats predicting the training mean (``mean_scores``; :func:`cv_entry`): a model without skill
      is not delivered in place of the initial wavelet's.

    With ``rule="best"``, any positive mean gain of the best point.

    Parameters
    ----------
    grid_scores : ndarray of shape (G, R * K)
        CV scores (higher is better) of every grid point on every split.
    init_scores : ndarray of shape (R * K,)
        The initial wavelet's, on the same splits.
    gammas : sequence of float, length G
        Gamma of each grid point.
    folds : int
        K.
    rule : {"one_se", "best"}, default="one_se"
    mean_scores : ndarray of shape (R * K,), optional
        The training mean's scores on the same splits; without them the third condition is not checked.

    Returns
    -------
    dict
        ``best`` and ``best_no_interp`` (grid indices), ``choice`` (``"awd"`` or ``"initial"``),
        ``gain`` (mean paired CV gain of the best grid point over the initial wavelet) and ``gain_se``,
        ``selection_gain`` and ``selection_gain_se`` (the search's own, :func:`selection_fold_scores`), and
        ``kept_because`` (one of :data:`KEPT_BECAUSE`, the first condition that failed; None when AWD is chosen
        or by the ``best`` rule).
    """
    grid_scores = np.asarray(grid_scores, dtype=float)
    init_scores = np.asarray(init_scores, dtype=float)
    means = grid_scores.mean(axis=1)
    best = int(np.argmax(means))
    no_interp = [i for i, gam in enumerate(gammas) if gam == 0.0] or list(range(len(gammas)))
    best_no_interp = no_interp[int(np.argmax(means[no_interp]))]
    diff = grid_scores[best] - init_scores
    gain, se = float(diff.mean()), paired_cv_se(diff, folds)
    searched = selection_fold_scores(grid_scores, folds) - init_scores
    selection_gain, selection_se = float(searched.mean()), paired_cv_se(searched, folds)
    kept_because = None
    if rule != "one_se":
        choice = "awd" if gain > 0 else "initial"
    else:
        failed = [gain <= se, selection_gain <= selection_se,
                  mean_scores is not None and not cv_entry(grid_scores[best], np.asarray(mean_scores), folds)[
                      "beats_mean"]]
        kept_because = next((why for why, fails in zip(KEPT_BECAUSE, failed) if fails), None)
        choice = "initial" if kept_because else "awd"
    return {"best": best, "best_no_interp": int(best_no_interp), "choice": choice, "gain": gain, "gain_se": se,
            "selection_gain": selection_gain, "selection_gain_se": selection_se, "kept_because": kept_because}


def cv_entry(scores, mean_scores, folds):
    """A model's cross-validated R² and whether it beats predicting the training mean (paired, one SE)."""
    diff = scores - mean_scores
    return {"r2": float(scores.mean()), "r2_sd": float(scores.std()),
            "beats_mean": bool(diff.mean() > paired_cv_se(diff, folds))}
