"""The teacher-free control of a job (option ``random_search``): what does a search without the teacher find?

AWD's wavelet comes from the teacher's attributions (eq. 8). The control asks whether they were needed: it draws
``n`` random orthogonal wavelets (:func:`models.filters.random_lowpass_filters`, uniform lattice angles), scores
each by the same student's cross-validation on the training split alone, the labels and no teacher, and keeps
the best. The final stage then scores it on the test set beside AWD (the paired interval of AWD minus the control,
:mod:`models.pipeline.trust`). The control is reported, never delivered: choosing among many candidates by CV
biases the winner's CV score upwards (in expectation), so only the test set compares the two fairly.

Cost is kept down in two rounds: every wavelet is screened by a cheaper cross-validation score (for series with
the default penalty, the student's leave-one-out R² from one closed-form ridge fit,
:func:`models.pipeline.selection.series_loo_score`; otherwise its score on the first repeat's folds), and the
:data:`SCREEN_KEEP` best of them are scored on every fold; the best of those by its mean over every fold is the
control.
"""

from __future__ import annotations

import numpy as np

from awd_studio.models.cores import map_on_job_threads
from awd_studio.models.filters import random_lowpass_filters

__all__ = ["random_search_control", "SCREEN_KEEP"]

#: Wavelets of the screening round scored again on every fold. On the lensing example (1200 maps, one thread)
#: a wavelet's student costs 0.28-0.30 s on the 5 folds of one repeat and 0.82-0.89 s on all 15. On the CME
#: example (2936 series) the leave-one-out screen cost a seventh of the 5 folds, and of 60 random wavelets it
#: ranked them like the 15-fold score (Spearman 0.998; the 5 folds 0.995), with the same 10 best.
SCREEN_KEEP = 10


def random_search_control(screen_score, full_score, n, length, seed=0, keep=SCREEN_KEEP, on_result=None):
    """The best of ``n`` random orthogonal wavelets by the student's cross-validation, in two rounds.

    Parameters
    ----------
    screen_score, full_score : callable
        ``screen_score(h)`` and ``full_score(h)`` return one wavelet's scores (higher is better, e.g. R²): a
        cheaper cross-validation (one or more values, averaged) and the fold scores on every fold; ``h`` has
        shape (length,). Called from the job's threads.
    n : int
        Random wavelets drawn (>= 1).
    length : int
        Filter length (even, >= 4).
    seed : int, default=0
        Seeds the draw (:func:`models.filters.random_lowpass_filters`).
    keep : int, default=SCREEN_KEEP
        Wavelets scored on every fold after the screening round; with ``n <= keep`` every wavelet is scored on
        every fold and there is no screening.
    on_result : callable, optional
        ``on_result(done, total)`` after each scored wavelet, ``total = n + min(keep, n)`` with screening. What it
        raises (e.g. :class:`models.distill.Cancelled`) ends the search: the wavelets not yet started are not
        scored (:func:`models.cores.map_on_job_threads`).

    Returns
    -------
    dict
        ``h`` (ndarray of shape (length,)), ``fold`` (its fold scores on every fold), ``cv_score`` (their mean),
        ``n``, ``index`` (its place in the draw) and ``screened`` (how many were scored on every fold).

    Examples
    --------
    >>> score = lambda h: np.array([-abs(h[0])])  # prefers a small first tap
    >>> control = random_search_control(score, score, 20, 6, seed=0, keep=3)
    >>> control["n"], control["screened"], control["h"].shape
    (20, 3, (6,))
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n: the control needs at least one random wavelet, got {n}")
    filters = random_lowpass_filters(n, length, seed=seed)
    screening = n > keep
    total = n + (min(keep, n) if screening else 0)
    done = [0]

    def report(_):
        done[0] += 1
        if on_result is not None:
            on_result(done[0], total)

    if screening:
        first = np.asarray(map_on_job_threads(screen_score, filters, on_result=report))
        finalists = np.argsort(-first.mean(axis=1), kind="stable")[:keep]
    else:
        finalists = np.arange(n)
    scores = np.asarray(map_on_job_threads(full_score, filters[finalists], on_result=report))
    best = int(np.argmax(scores.mean(axis=1)))
    index = int(finalists[best])
    return {"h": filters[index], "fold": scores[best], "cv_score": float(scores[best].mean()), "n": n,
            "index": index, "screened": len(finalists)}
