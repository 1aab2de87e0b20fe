"""Path pruning for scattering students: the CAR index and greedy removal with a cross-validated ridge head.

The CAR index of a path (Abbasi-Asl and Yu, 2017) is the drop of the cross-validated score when that path
is removed and the head is retrained without it. Greedy pruning removes the least important path, records
the cross-validated score of what is left, and repeats down to one path; the kept set is the smallest one
whose score is within one standard error of the best (the one-SE rule).

Everything here is numpy on precomputed features. Retraining the ridge head without a path is exact and
cheap: with ``A = (Z_K^T Z_K + alpha I)^{-1}`` for the kept columns ``K`` and ``w = A Z_K^T y``, the solution
without the columns ``g`` is ``w_rest - A[rest, g] A[g, g]^{-1} w_g`` (the block inverse), so one inverse per
fold gives every path's CAR index. "Random restarts" are repeated K-fold splits with fresh shuffles; scores
are averaged over all folds of all restarts, and the standard error of a score is the mean over restarts of
``std(fold scores) / sqrt(cv)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cv_folds", "car_importance", "greedy_prune", "one_se_choice"]


def cv_folds(n, cv=5, n_restarts=3, seed=0, sample_groups=None):
    """Shuffled K-fold splits, ``n_restarts`` times with fresh shuffles.

    Parameters
    ----------
    n : int
        Number of samples.
    cv : int, default=5
    n_restarts : int, default=3
    seed : int, default=0
    sample_groups : ndarray of shape (n,), optional
        Group of each sample (the map a tile was cut from): the folds then take whole groups, and ``cv`` is
        capped at the number of groups.

    Returns
    -------
    list of list of (ndarray, ndarray)
        ``folds[r][f] = (train_index, test_index)``.

    Examples
    --------
    >>> folds = cv_folds(10, cv=5, n_restarts=2)
    >>> len(folds), len(folds[0]), sorted(np.concatenate([t for _, t in folds[0]]).tolist()) == list(range(10))
    (2, 5, True)
    >>> maps = np.repeat(np.arange(3), 4)  # three maps of four tiles
    >>> sorted(np.unique(maps[test]).tolist() for _, test in cv_folds(12, cv=5, n_restarts=1, sample_groups=maps)[0])
    [[0], [1], [2]]
    """
    if n_restarts < 1:
        raise ValueError(f"n_restarts: must be >= 1, got {n_restarts}")
    rng = np.random.default_rng(seed)
    if sample_groups is not None:
        sample_groups = np.asarray(sample_groups)
        if sample_groups.shape != (n,):
            raise ValueError(f"sample_groups: need one group per sample ({n}), got shape {sample_groups.shape}")
        unique = np.unique(sample_groups)
        cv = min(cv, unique.size)
        if cv < 2:
            raise ValueError(f"sample_groups: need two groups or more for folds, got {unique.size}")
        out = []
        for _ in range(n_restarts):
            parts = [np.flatnonzero(np.isin(sample_groups, g)) for g in np.array_split(rng.permutation(unique), cv)]
            out.append([(np.concatenate(parts[:f] + parts[f + 1:]), parts[f]) for f in range(cv)])
        return out
    if cv < 2 or n < cv:
        raise ValueError(f"cv: need 2 <= cv <= n = {n}, got {cv}")
    out = []
    for _ in range(n_restarts):
        order = rng.permutation(n)
        parts = np.array_split(order, cv)
        out.append([(np.concatenate(parts[:f] + parts[f + 1:]), parts[f]) for f in range(cv)])
    return out


def _r2(y, pred):
    y = y.reshape(len(y), -1)
    pred = pred.reshape(len(pred), -1)
    sst = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    sse = ((y - pred) ** 2).sum(axis=0)
    return float(np.mean(1.0 - sse / np.maximum(sst, 1e-300)))


def car_importance(Z, y, groups, kept, folds, alpha):
    """Cross-validated ridge score of the kept paths and the CAR index of each of them.

    Parameters
    ----------
    Z : ndarray of shape (n, D)
        Features; the columns of path ``p`` are ``groups[p]``.
    y : ndarray of shape (n,) or (n, k)
    groups : list of ndarray of int
        Column indices of each path.
    kept : list of int
        Paths in the model.
    folds : list of list of (ndarray, ndarray)
        From :func:`cv_folds`.
    alpha : float
        Ridge penalty for standardised features and ``n`` samples (scaled by the training-fold size).

    Returns
    -------
    scores : ndarray of shape (n_restarts, cv)
        R2 (mean over outputs) of each test fold with all kept paths.
    car : ndarray of shape (n_restarts, cv, len(kept))
        Score drop on each fold when each kept path is removed and the head retrained without it.
    """
    y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    cols = np.concatenate([groups[p] for p in kept])
    spans, start = [], 0
    for p in kept:
        spans.append(np.arange(start, start + len(groups[p])))
        start += len(groups[p])
    n = Z.shape[0]
    scores = np.empty((len(folds), len(folds[0])))
    car = np.empty((len(folds), len(folds[0]), len(kept)))
    for r, restart in enumerate(folds):
        for f, (tr, te) in enumerate(restart):
            Ztr, Zte = Z[np.ix_(tr, cols)], Z[np.ix_(te, cols)]
            mu, sd = Ztr.mean(axis=0), Ztr.std(axis=0)
            sd = np.where(sd > 1e-12, sd, 1.0)
            Ztr, Zte = (Ztr - mu) / sd, (Zte - mu) / sd
            ym = y2[tr].mean(axis=0)
            gram = Ztr.T @ Ztr + alpha * len(tr) / n * np.eye(len(cols))
            A = np.linalg.inv(gram)
            w = A @ (Ztr.T @ (y2[tr] - ym))
            scores[r, f] = base = _r2(y2[te], Zte @ w + ym)
            for i, g in enumerate(spans):
                rest = np.setdiff1d(np.arange(len(cols)), g, assume_unique=True)
                w_rest = w[rest] - A[np.ix_(rest, g)] @ np.linalg.solve(A[np.ix_(g, g)], w[g])
                car[r, f, i] = base - _r2(y2[te], Zte[:, rest] @ w_rest + ym)
    return scores, car


def _standard_error(scores):
    return float(np.mean(scores.std(axis=1, ddof=1) / np.sqrt(scores.shape[1])))


def one_se_choice(n_paths, score, se):
    """Index of the smallest model whose score is within one standard error of the best.

    Parameters
    ----------
    n_paths, score, se : sequence of the same length
        Model sizes, mean CV scores (higher is better) and their standard errors.

    Returns
    -------
    int
        Index into the sequences.

    Examples
    --------
    >>> one_se_choice([4, 3, 2, 1], [0.90, 0.91, 0.89, 0.5], [0.02, 0.02, 0.02, 0.02])
    2
    """
    score, se, n_paths = np.asarray(score), np.asarray(se), np.asarray(n_paths)
    best = int(np.argmax(score))
    ok = np.nonzero(score >= score[best] - se[best])[0]
    return int(ok[np.argmin(n_paths[ok])])


def greedy_prune(Z, y, groups, *, alpha, cv=5, n_restarts=3, seed=0, step=1, min_paths=1, features=None,
                 sample_groups=None):
    """Greedy backward removal of paths by CAR index, with the score-versus-paths curve.

    Parameters
    ----------
    Z : ndarray of shape (n, D)
        Features of all paths (ignored when ``features`` is given).
    y : ndarray of shape (n,) or (n, k)
    groups : list of ndarray of int
        Column indices of each path in ``Z``.
    alpha : float
        Ridge penalty (see :func:`car_importance`).
    cv, n_restarts, seed : int
        Folds, restarts (fresh shuffles) and their seed; the same splits are used at every step.
    step : int or "auto", default=1
        Paths removed per step (the least important ones); ``"auto"`` removes ``ceil(len(kept) / 20)``, one at
        a time below 21 paths (59 steps instead of 217 for the 217 paths of a 2D bank with J = 3, L = 8).
    min_paths : int, default=1
        Stop when this many paths are left.
    features : callable or None, default=None
        ``features(kept) -> (Z, groups)`` recomputes the features of the kept paths before each removal (a
        retrained transform); ``groups`` then indexes the returned ``Z`` in the order of ``kept``.
    sample_groups : ndarray of shape (n,), optional
        The map of each sample when the samples are tiles: the folds hold out whole maps (:func:`cv_folds`).

    Returns
    -------
    dict
        ``n_paths``, ``score``, ``score_se`` (lists, one entry per step, first = all paths),
        ``kept`` (list of lists of path indices), ``removed`` (path removed after each step, in order),
        ``importance`` (mean CAR index of each removed path when it was removed, and of the last ones at
        the final step), ``chosen`` (index of the one-SE model), ``car`` (mean CAR of every path at the first
        step, the full-model importance).
    """
    P = len(groups)
    if not 1 <= min_paths <= P:
        raise ValueError(f"min_paths: must be between 1 and the number of paths {P}, got {min_paths}")
    if step != "auto" and (isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1):
        raise ValueError(f"step: must be an integer >= 1 or 'auto', got {step!r}")
    y = np.asarray(y, dtype=np.float64)
    folds = cv_folds(len(y), cv, n_restarts, seed, sample_groups)
    kept = list(range(P))
    curve = {"n_paths": [], "score": [], "score_se": [], "kept": [], "removed": [], "importance": {}}
    first_car = None
    while True:
        if features is not None:
            Zk, gk = features(kept)
            local = list(range(len(kept)))
        else:
            Zk, gk, local = Z, groups, kept
        scores, car = car_importance(Zk, y, gk, local, folds, alpha)
        mean_car = car.mean(axis=(0, 1))
        if first_car is None:
            first_car = dict(zip(kept, mean_car.tolist()))
        curve["n_paths"].append(len(kept))
        curve["score"].append(float(scores.mean()))
        curve["score_se"].append(_standard_error(scores))
        curve["kept"].append(list(kept))
        if len(kept) <= min_paths:
            curve["importance"].update({p: float(c) for p, c in zip(kept, mean_car)})
            break
        size = -(-len(kept) // 20) if step == "auto" else step
        drop = np.argsort(mean_car, kind="stable")[:min(size, len(kept) - min_paths)]
        for i in sorted(drop.tolist(), reverse=True):
            curve["removed"].append(kept[i])
            curve["importance"][kept[i]] = float(mean_car[i])
            del kept[i]
    curve["chosen"] = one_se_choice(curve["n_paths"], curve["score"], curve["score_se"])
    curve["car"] = first_car
    return curve
