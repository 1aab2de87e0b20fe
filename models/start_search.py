"""A global search for where the grid's fits start: many random orthogonal filters, each descended a little.

Eq. 8 is not convex in the filter. Gradient descent ends in the basin it starts in, and on the paper's
synthetic data (section 4.1) the basin of the true wavelet is narrow: from sym5, whose magnitude response equals
db5's, every fit stops at a filter whose loss is far above db5's (``docs/science.md``). The search below looks
for the objective's low basins without knowing the truth:

1. draw ``n_starts`` orthonormal lowpass filters of the trainer's length from uniform lattice angles
   (:mod:`models.filters.lattice`; ``sum h = sqrt 2`` exactly, so each is a valid wavelet);
2. descend each for ``steps`` Adam steps on the loss the caller gives;
3. keep the ``keep`` best distinct end points.

The trainer searches twice, from the same random starts, on a subset of the training signals: on the
interpretation term (the term that carries the teacher) for the grid points with gamma > 0, and on the sparsity
term (which never sees the teacher) for the gamma = 0 points, so that the gamma = 0 column stays the paper's
ablation without the teacher, found with the same effort. Each grid point then starts from whichever of its own
search's end points, or the user's initial wavelet, has the lowest loss *of that grid point*
(:meth:`models.distill.WaveletDistiller.fit` with ``start_search``), so a grid point leaves its initial wavelet
only for a filter its own objective prefers. The initial wavelet stays the baseline every student is compared
with.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from awd_studio.models.cores import job_threads
from awd_studio.models.filters.modules import LatticeFilter
from awd_studio.models.optim import StackedAdam

__all__ = ["StartSearch", "search_lowpass_starts", "join_searches", "search_terms", "SEARCH_TERMS", "SEARCH_NAMES",
           "SEARCH_STEPS", "SEARCH_LR", "SEARCH_KEEP"]

#: The terms a trainer's searches descend: ``"interpretation"`` for the grid points with gamma > 0 (it reads the
#: teacher's attributions), ``"sparsity"`` for the gamma = 0 points (it never sees the teacher).
SEARCH_TERMS = ("interpretation", "sparsity")
#: How the results name each search (the terminal summary here; the page's ``frontend.figures.grid.SEARCH_NAMES``,
#: held equal by tests/frontend/test_figures.py).
SEARCH_NAMES = {"interpretation": "the search on the teacher's attributions",
                "sparsity": "the search without the teacher (on sparsity alone)"}

#: Adam steps per random start, and their step size (radians): the first half at ``SEARCH_LR``, the second at a
#: fifth of it. On the synthetic data of paper section 4.1 (MLP teacher, seed 0) about 1 % of uniform starts end
#: in db5's basin; of 1000 starts descended on 32 signals in float32, the lowest end point was 0.015 from db5
#: after 100 steps at 0.1 (16 s on one thread) as after 200 steps at 0.05 (30 s).
SEARCH_STEPS = 100
SEARCH_LR = 0.1

#: Distinct end points handed back (best first).
SEARCH_KEEP = 8

#: Random starts descended together on the CPU by one thread. Every start descends on its own (the loss, its
#: gradient and Adam act row by row), so the starts are cut into chunks whose products stay in the cache. On a
#: 2-core AMD EPYC, one thread, one step of the sparsity term on 32 signals of length 40 (db5, 4 levels) for 1000
#: starts: 43.6 ms in one batch, 35.3 in chunks of 250, 25.0 of 100, 23.4 of 50, 27.7 of 25 (median of 5, 2026-12-05).
SEARCH_CHUNK = 100

#: Random starts descended together on the CPU by a job of several threads, one chunk after another on all of them.
#: The CME example's two searches of 1000 starts (``--grid paper``, quiet 2-core Xeon, GOMP_SPINCOUNT=10000,
#: 2026-12-07, interleaved): 3.15-3.35 s in chunks of 500 on both threads, 3.7-4.0 of 200, 3.8 of 300, 3.4-3.6 in
#: one batch, 4.4-4.6 in chunks of 100 one per thread (each on one torch thread, as before).
SEARCH_CHUNK_SHARED = 500

# Not adopted: after a fifth of the steps, going on with only the 10 % of starts that led then. It cut the search
# to a third, found db5's basin on the synthetic data as well, but on the CME example (3 data seeds) AWD gained
# +0.010, +0.052 and +0.027 test R² over db5 with it against +0.043, +0.050 and +0.058 without.


@dataclasses.dataclass
class StartSearch:
    """The result of :func:`search_lowpass_starts`.

    Attributes
    ----------
    filters : ndarray of shape (M, N)
        Distinct end points, lowest loss first (M <= keep), float64; orthonormal with ``sum h = sqrt 2``.
    angles : ndarray of shape (M, K - 1)
        Their free lattice angles (:class:`models.filters.LatticeFilter`).
    losses : ndarray of shape (M,)
        The searched loss at each end point.
    n_starts, steps : int
        Random starts and Adam steps of each search.
    terms : ndarray of str of shape (M,) or None
        The term each end point was descended on (one of :data:`SEARCH_TERMS`), or None when the caller's loss
        was not named (:func:`search_lowpass_starts` alone).
    """

    filters: np.ndarray
    angles: np.ndarray
    losses: np.ndarray
    n_starts: int
    steps: int
    terms: np.ndarray | None = None

    def of_term(self, term):
        """Boolean mask of shape (M,): the end points descended on ``term``."""
        if self.terms is None:
            raise ValueError("terms: this search's end points were not named by term")
        return np.asarray(self.terms) == term


def search_terms(gammas):
    """The terms the start searches descend for grid points of these gammas.

    Parameters
    ----------
    gammas : iterable of float
        The grid points' interpretation weights.

    Returns
    -------
    tuple of str
        ``"interpretation"`` when a gamma is > 0, ``"sparsity"`` when one is 0, in the order of
        :data:`SEARCH_TERMS`.

    Examples
    --------
    >>> search_terms([0.0, 0.1, 1.0])
    ('interpretation', 'sparsity')
    >>> search_terms([0.0])
    ('sparsity',)
    """
    gammas = [float(gam) for gam in gammas]
    wanted = {"interpretation": any(gam > 0 for gam in gammas), "sparsity": any(gam == 0 for gam in gammas)}
    return tuple(term for term in SEARCH_TERMS if wanted[term])


def join_searches(searches):
    """One :class:`StartSearch` holding the end points of several searches, each row named by its term.

    Parameters
    ----------
    searches : dict
        ``{term: StartSearch}``; the terms are among :data:`SEARCH_TERMS`, and the searches have the same
        ``n_starts`` and ``steps``.

    Returns
    -------
    StartSearch
        The rows of each search in the dict's order, with ``terms`` saying whose they are.

    Examples
    --------
    >>> one = StartSearch(np.zeros((2, 4)), np.zeros((2, 1)), np.array([1.0, 2.0]), 10, 5)
    >>> other = StartSearch(np.ones((1, 4)), np.ones((1, 1)), np.array([0.5]), 10, 5)
    >>> joined = join_searches({"interpretation": one, "sparsity": other})
    >>> joined.terms.tolist(), joined.of_term("sparsity").tolist()
    (['interpretation', 'interpretation', 'sparsity'], [False, False, True])
    """
    unknown = [term for term in searches if term not in SEARCH_TERMS]
    if not searches or unknown:
        raise ValueError(f"searches: expected searches named by {SEARCH_TERMS}, got {list(searches) or 'none'}")
    parts = list(searches.values())
    return StartSearch(filters=np.concatenate([p.filters for p in parts]),
                       angles=np.concatenate([p.angles for p in parts]),
                       losses=np.concatenate([p.losses for p in parts]),
                       n_starts=parts[0].n_starts, steps=parts[0].steps,
                       terms=np.concatenate([np.full(len(p.losses), term) for term, p in searches.items()]))


def search_lowpass_starts(loss_and_gradient, filter_length, n_starts, *, steps=SEARCH_STEPS, lr=SEARCH_LR,
                          keep=SEARCH_KEEP, seed=0, dtype=torch.float32, device="cpu", on_step=None):
    """Descend many random orthonormal lowpass filters on a loss and return its lowest distinct end points.

    Parameters
    ----------
    loss_and_gradient : callable
        ``loss_and_gradient(h)`` with ``h`` a Tensor of shape (S, N) returns ``(loss, grad_h)``: Tensors of
        shape (S,) and (S, N), the loss of each filter and its gradient with respect to that filter.
    filter_length : int
        N, even and at least 4.
    n_starts : int
        Random starts S (at least 1).
    steps : int, default=SEARCH_STEPS
    lr : float, default=SEARCH_LR
        Adam's step on the angles for the first half of the steps; a fifth of it afterwards.
    keep : int, default=SEARCH_KEEP
        Most end points returned. End points whose losses agree to 1e-4 (relative) count as one.
    seed : int, default=0
        Seeds the random angles.
    dtype : torch.dtype, default=torch.float32
        Of the angles and the filters passed to ``loss_and_gradient`` (the search only has to find basins;
        float32 is twice as fast as float64 here and found the same ones).
    device : str or torch.device, default="cpu"
        Where the search runs: on a GPU every start descends in one batch, on the CPU in chunks (see ``on_step``).
    on_step : callable, optional
        ``on_step(step, steps)``: the search's progress, called in the calling thread. On the CPU the starts
        descend in chunks, one after another on the job's threads (:data:`SEARCH_CHUNK` starts on one thread,
        :data:`SEARCH_CHUNK_SHARED` on several) and ``step`` is the share of them
        done, in steps (``steps`` when all are); on a GPU after each step (step counts from 1).

    Returns
    -------
    StartSearch
    """
    if filter_length % 2 or filter_length < 4:
        raise ValueError(f"filter_length: expected an even length >= 4, got {filter_length}")
    if n_starts < 1 or steps < 0:
        raise ValueError(f"n_starts and steps: need n_starts >= 1 and steps >= 0, got {n_starts} and {steps}")
    generator = torch.Generator().manual_seed(int(seed))
    free = (torch.rand(n_starts, filter_length // 2 - 1, generator=generator, dtype=torch.float64) * 2 - 1) * math.pi
    device = torch.device(device)
    if device.type == "cuda":  # one batch: the GPU wants large products
        loss, h, free = _descend(free.numpy(), loss_and_gradient, steps, lr, dtype, device, on_step)
    else:  # chunks one after another on the job's threads: small enough to stay in the cache on one thread
        threads = job_threads()
        size = SEARCH_CHUNK if threads == 1 else SEARCH_CHUNK_SHARED
        chunks = np.array_split(free.numpy(), max(1, math.ceil(n_starts / size)))
        before, ends = torch.get_num_threads(), []
        try:
            for index, chunk in enumerate(chunks):
                ends.append(_descend(chunk, loss_and_gradient, steps, lr, dtype, device, threads=threads))
                if on_step is not None:
                    on_step(round(steps * (index + 1) / len(chunks)), steps)
        finally:  # the caller's count comes back
            torch.set_num_threads(before)
        loss, h, free = (np.concatenate(parts) for parts in zip(*ends))
    chosen = _distinct_lowest(loss, keep)
    return StartSearch(filters=h[chosen], angles=free[chosen], losses=loss[chosen], n_starts=int(n_starts),
                       steps=int(steps))


def _descend(free, loss_and_gradient, steps, lr, dtype, device, on_step=None, threads=None):
    """Adam on the lattice angles ``free`` (ndarray of shape (S, K - 1)) for ``steps`` steps: the end points'
    ``(losses, filters, angles)`` as float64 arrays. ``threads`` sets torch's threads for the descent: OpenMP's
    count is per thread, torch's and MKL's are process-wide, so the caller that started the threads restores its
    own afterwards."""
    if threads is not None:
        torch.set_num_threads(threads)
    module = LatticeFilter.from_angles(free, dtype=dtype).to(device)
    (angles,) = module.parameters()
    optimizer = StackedAdam([angles], lr=lr)
    for step in range(steps):
        if step == steps // 2:
            optimizer.lr = lr / 5
        h, pullback = module.value_and_pullback()
        _, grad_h = loss_and_gradient(h)
        angles.grad = pullback(grad_h)
        optimizer.step()
        if on_step is not None:
            on_step(step + 1, steps)
    with torch.no_grad():
        h = module()
        loss, _ = loss_and_gradient(h)
    return (loss.detach().double().cpu().numpy(), h.detach().double().cpu().numpy(),
            angles.detach().double().cpu().numpy())


def _distinct_lowest(loss, keep):
    """Indices of up to ``keep`` finite losses, lowest first, skipping values within 1e-4 (relative) of one
    already taken: starts that end in the same basin end at (shifts of) the same filter with the same loss."""
    order = [i for i in np.argsort(loss, kind="stable") if np.isfinite(loss[i])]
    chosen = []
    for i in order:
        if all(abs(loss[i] - loss[j]) > 1e-4 * max(abs(loss[j]), 1e-12) for j in chosen):
            chosen.append(i)
        if len(chosen) == keep:
            break
    return np.array(chosen, dtype=int)
