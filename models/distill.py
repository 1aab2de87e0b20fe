"""The AWD trainer: learn wavelet filters for one (lambda, gamma) or a whole grid at once.

A grid of G = len(lambdas) x len(gammas) filters is one batched parameter tensor. Each grid point has its own
loss (the objective of paper eq. 8 with its own lambda and gamma, see :mod:`models.losses` for the
normalisation), and Adam's state is elementwise, so one optimiser over the batch equals G separate fits with the
same seed, up to floating-point rounding; one pass over the data serves all of them.

The interpretation loss is differentiated along one of two gradient paths (see :mod:`models.attributions`
and ``docs/science.md``):

* ``"eq8"``, the gradient of eq. 8's loss. TRIM evaluates the teacher at ``x`` itself whatever the filter (the
  residual trick), so the loss's value is ``gamma * ||S(h)^T grad f(x)||_1`` and its gradient runs through
  ``S(h)`` only: the teacher's input gradient is computed once per dataset and the teacher leaves the training
  loop. True for any teacher (piecewise linear or not, for saliency and input x gradient; for integrated
  gradients see :func:`models.attributions.teacher_input_gradients`).
* ``"straight_through"``, the awave-compatible straight-through gradient: double backpropagation through the
  teacher, as the reference implementation does. It adds a teacher-Hessian term ``H_f(x) d(S W x)/dh`` that the
  loss's value does not contain; the two paths agree when that term vanishes, i.e. for the exact orthogonal
  parametrisation (``S(h) W(h) = I`` for every ``h``) or a piecewise-linear teacher (zero Hessian almost
  everywhere).

``"auto"`` takes ``"eq8"``. The former names ``"precomputed"`` (= ``"eq8"``) and ``"exact"``
(= ``"straight_through"``) are still accepted; :attr:`WaveletDistiller.gradient_path_` reports the new name.

Where the objective is a handful of dense matrix products (1D signals up to :data:`CLOSED_FORM_MAX_LENGTH`
samples,
precomputed teacher gradients) a training step writes its gradient out in closed form
(:func:`models.losses.dense_data_terms`, :func:`models.losses.validity_terms_and_gradient`,
:func:`models.wavelets.analysis_matrix_pullback` and :func:`models.wavelets.synthesis_matrix_pullback`, and
the filter module's ``value_and_pullback`` for the lattice angles) instead of recording an autograd graph:
the same numbers (the tests hold the two paths equal over whole fits) with fewer operations; the speed-up is
measured in ``bench/``.

The module is long (about 1000 lines) for one job, the trainer: :class:`TransformOperator` (the transform a fit
uses), :class:`WaveletDistiller` (its parameters, the loss of one step, the epoch loop) and the small state
holders of one fit. The transforms, losses, attributions and filters it combines live in their own modules.
"""

import dataclasses
import time

import numpy as np
import torch

from awd_studio.models import filters as _filters
from awd_studio.models import wavelets as _wavelets
from awd_studio.models.attributions import check_method, teacher_input_gradients, trim_attributions
from awd_studio.models.device import resolve_device
from awd_studio.models.losses import (
    VALIDITY_TERMS,
    analysis_l1_and_gradient,
    dense_data_terms,
    l1_per_filter,
    reconstruction_loss,
    saliency_l1_and_gradient,
    validity_terms,
    validity_terms_and_gradient,
)
from awd_studio.models.optim import StackedAdam
from awd_studio.models.options import GRADIENT_PATH_ALIASES, GradientPath
from awd_studio.models.separable_terms import separable_data_terms, separable_level_operators
from awd_studio.models.start_search import join_searches, search_lowpass_starts, search_terms
from awd_studio.models.wavelets.paths import _use_matrix

__all__ = ["WaveletDistiller", "Cancelled", "StopPoll", "STOP_POLL_SECONDS", "grid_points", "TransformOperator",
           "epoch_message"]

#: 1D signals up to this length train with closed-form steps: W(h) is built once per step and its pullback
#: written out (a different question from :data:`models.wavelets.DENSE_MAX_LENGTH`, which picks the path of
#: one transform call). Measured on whole 6-point fits: closed form is 4x (orthogonal) / 1.8x (free) faster at
#: L = 64, 2.2x / 1.4x at 128 and 1.8x / 1.5x at 192.
CLOSED_FORM_MAX_LENGTH = 128
GRADIENT_PATHS = tuple(p.value for p in GradientPath)

#: Signals the start search descends on (:mod:`models.start_search`), and the larger sample its end points are
#: scored on for each grid point.
SEARCH_SIGNALS = 32
SEARCH_SCORE_SIGNALS = 1024

#: The rows of a step's loss values and the keys of ``history_`` (``"total"`` is recorded as ``"train_loss"``).
TERM_NAMES = ("reconstruction",) + VALIDITY_TERMS + ("sparsity", "interpretation", "total")


class Cancelled(Exception):
    """Raised when a ``should_stop()`` (a job's ``should_cancel``) polled between two pieces of work returns True."""


#: Most seconds of training between two polls of a :class:`StopPoll` inside an epoch: an epoch of a ResNet18
#: teacher, or of the scattering student, on maps can take from seconds to minutes on a CPU.
STOP_POLL_SECONDS = 2.0


class StopPoll:
    """A ``should_stop()`` polled inside a loop of short steps (a training epoch's batches): at most every ``every``
    seconds (default :data:`STOP_POLL_SECONDS`), or now with ``force=True``; ``should_stop=None`` never stops.

    Examples
    --------
    >>> poll = StopPoll(lambda: True, every=3600)
    >>> poll("the first batch")  # not yet due
    >>> poll("epoch 1", force=True)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    Cancelled: stopped during epoch 1
    """

    def __init__(self, should_stop=None, every=None):
        self.should_stop, self.last = should_stop, time.monotonic()
        self.every = STOP_POLL_SECONDS if every is None else float(every)

    def __call__(self, where: str, force: bool = False) -> None:
        """Raise :class:`Cancelled` (``"stopped during <where>"``) when a poll is due and ``should_stop()`` is True."""
        if self.should_stop is None:
            return
        now = time.monotonic()
        if force or now - self.last >= self.every:
            self.last = now
            if self.should_stop():
                raise Cancelled(f"stopped during {where}")


def grid_points(lambdas, gammas):
    """All (lambda, gamma) pairs, lambda-major: index = i_lambda * len(gammas) + i_gamma.

    Parameters
    ----------
    lambdas, gammas : sequence of float

    Returns
    -------
    list of tuple (float, float)
    """
    return [(float(lam), float(gam)) for lam in lambdas for gam in gammas]


class TransformOperator:
    """Analysis, synthesis and adjoint synthesis for a batch of G filters.

    Coefficients are a list of tensors of shape ``(G, B, ...)`` in PyWavelets order with each 2D level's
    ``(cH, cV, cD)`` spread out: ``[cA_J, cD_J, ..., cD_1]`` in 1D, ``[cA_J, cH_J, cV_J, cD_J, ...,
    cD_1]`` in 2D. Short 1D signals use the dense multi-level matrix ``W(h)`` and give one tensor
    ``(G, B, M)`` with every band concatenated. Keeping bands apart elsewhere avoids copies: slicing one big
    tensor costs a full-size zero fill per slice in the backward pass.

    Parameters
    ----------
    h : Tensor of shape (G, N)
        Lowpass filters (part of the autograd graph).
    signal_shape : tuple of int
        ``(L,)`` for time series, ``(H, W)`` for maps.
    level : int
    mode : str
    """

    def __init__(self, h, signal_shape, level, mode):
        self.h, self.signal_shape, self.level, self.mode = h, tuple(signal_shape), level, mode
        self.dense = self.is_dense(self.signal_shape)
        self.self_adjoint = self.is_self_adjoint(self.signal_shape, level, mode)
        if self.dense:
            length = self.signal_shape[0]
            self.W = _wavelets.analysis_matrix(h, length, level, mode)  # (G, M, L)
            self.S = (self.W.transpose(-1, -2) if self.self_adjoint
                      else _wavelets.synthesis_matrix(h, length, level, mode))  # (G, L, M)

    @staticmethod
    def is_dense(signal_shape):
        """Whether signals of this shape use the dense multi-level matrix ``W(h)``."""
        return len(signal_shape) == 1 and signal_shape[0] <= CLOSED_FORM_MAX_LENGTH

    @staticmethod
    def is_self_adjoint(signal_shape, level, mode):
        """Whether the synthesis is the transpose of the analysis for any filter, not only orthogonal ones.

        True in zero mode, and in periodization when ``2^J`` divides every side.
        """
        return mode == "zero" or (mode == "periodization" and all(n % 2**level == 0 for n in signal_shape))

    @property
    def n_bands(self):
        """Number of bands, ``J + 1`` (a 2D level counts as one band)."""
        return self.level + 1

    def analysis(self, x):
        """Coefficients of x of shape (B, *signal_shape): a list of (G, B, ...) tensors."""
        if self.dense:
            return [x @ self.W.transpose(-1, -2)]
        if len(self.signal_shape) == 1:
            return list(_wavelets.wavedec1d(x, self.h, self.level, self.mode))
        coeffs = _wavelets.wavedec2d(x, self.h, self.level, self.mode)
        return [coeffs[0]] + [band for detail in coeffs[1:] for band in detail]

    def synthesis(self, coeffs):
        """Signals from a coefficient list (or, for the dense path, one tensor): (G, B, *signal_shape)."""
        if isinstance(coeffs, torch.Tensor):
            coeffs = [coeffs]
        if self.dense:
            return coeffs[0] @ self.S.transpose(-1, -2)
        if len(self.signal_shape) == 1:
            return _wavelets.waverec1d(list(coeffs), self.h, self.mode, length=self.signal_shape[0])
        nested = [coeffs[0]] + [tuple(coeffs[i:i + 3]) for i in range(1, len(coeffs), 3)]
        return _wavelets.waverec2d(nested, self.h, self.mode, shape=self.signal_shape)

    def adjoint(self, gx):
        """Adjoint synthesis ``S(h)^T gx`` of a field gx of shape (B, *signal_shape), as a coefficient list.

        Differentiable with respect to the filters.
        """
        if self.dense:
            return [gx @ self.S]
        if self.self_adjoint:
            return self.analysis(gx)
        keep_graph = torch.is_grad_enabled()
        with torch.enable_grad():  # the adjoint of a linear map is the gradient of its output
            shapes = [c.shape for c in self.analysis(gx[:1])]
            dummies = [torch.zeros((self.h.shape[0], gx.shape[0]) + tuple(shape[2:]), dtype=gx.dtype,
                                   device=gx.device, requires_grad=True) for shape in shapes]
            out = self.synthesis(dummies)
            adjoint = torch.autograd.grad(out, dummies, grad_outputs=gx.unsqueeze(0).expand_as(out),
                                          create_graph=keep_graph)
        return list(adjoint) if keep_graph else [a.detach() for a in adjoint]

    @staticmethod
    def flatten(coeffs):
        """One tensor (G, B, M) with every band concatenated in PyWavelets order."""
        return torch.cat([c.flatten(start_dim=2) for c in coeffs], -1)


#: Values (grid points x signals x samples or pixels) of one recorded step's micro-batch: a batch bigger than
#: this is cut, so that the autograd graph of a large 2D grid stays within memory (16 MiB per float32 tensor).
MICRO_BATCH_VALUES = 2**22

#: Training data up to this size is shuffled with one gather per epoch (batches are then views); above it,
#: each batch is gathered on its own so that no second copy of the data is made.
EPOCH_GATHER_MAX_BYTES = 256 * 2**20


def _shuffled_batches(perm, batch_size, X, grads=None):
    """Yield ``(x_batch, grads_batch or None)`` in the order ``perm``, batch after batch."""
    tensors = [t for t in (X, grads) if t is not None]
    if sum(t.numel() * t.element_size() for t in tensors) <= EPOCH_GATHER_MAX_BYTES:
        X = X.index_select(0, perm)
        grads = grads.index_select(0, perm) if grads is not None else None
        for start in range(0, len(perm), batch_size):
            yield X[start:start + batch_size], (grads[start:start + batch_size] if grads is not None else None)
    else:
        for start in range(0, len(perm), batch_size):
            idx = perm[start:start + batch_size]
            yield X.index_select(0, idx), (grads.index_select(0, idx) if grads is not None else None)


class WaveletDistiller:
    """Adaptive wavelet distillation of a teacher into wavelet filters, over a lambda x gamma grid.

    Parameters
    ----------
    wave : str or array-like of shape (N,), default="db5"
        Orthogonal PyWavelets wavelet to start from, or an initial lowpass filter (for "orthogonal", a filter
        that is not orthonormal is replaced by the lattice filter fitted to it, see
        :func:`models.filters.make_filter`).
    levels : int, default=4
        Number of decomposition levels J.
    mode : {"periodization", "zero", "symmetric"}, default="periodization"
    parametrization : {"free", "orthogonal"}, default="free"
        ``"free"``: the lowpass filter itself, kept valid by the penalties (the paper's); ``"orthogonal"``:
        lattice angles, orthonormal by construction.
    lambdas, gammas : sequence of float, default=(1e-3,), (0.0,)
        The grid axes (sparsity and interpretation weights).
    grid : sequence of (float, float) or None, default=None
        Explicit (lambda, gamma) pairs; overrides the product of ``lambdas`` and ``gammas``.
    epochs : int, default=50
    batch_size : int, default=100
    lr : float, default=1e-3
        Adam's learning rate.
    warmup_epochs : int, default=0
        Epochs at the start trained without the interpretation loss.
    patience : int or None, default=None
        Early stopping: a grid point stops after this many epochs without a better validation loss and keeps
        its best filter. ``None`` trains every point for all epochs and keeps the last filter. Either way
        :attr:`filter_epoch_` says which epoch the kept filter comes from.
    val_fraction : float, default=0.1
        Share of X held out for the validation loss.
    attribution : {"saliency", "input_x_gradient", "integrated_gradients"}, default="saliency"
    target : int, default=0
        Teacher output to explain.
    ig_steps : int, default=8
        Riemann points for integrated gradients.
    init_noise : float, default=0.0
        Standard deviation of Gaussian noise added to the initial filter (the same for every grid point).
    init_noise_on : {"taps", "angles"} or None, default=None
        Where that noise goes (:func:`models.filters.make_filter`): ``"taps"`` is the paper's "db5 + 0.3 N(0, 1)"
        (for "orthogonal", made orthogonal by the lattice fit); ``None`` takes ``"taps"`` for "free" and
        ``"angles"`` for "orthogonal".
    seed : int, default=0
    device : str or None, default=None
        ``None`` uses CUDA when available.
    gradient_path : {"auto", "eq8", "straight_through"}, default="auto"
        How the interpretation loss is differentiated (module docstring): ``"eq8"`` is its gradient,
        ``"straight_through"`` awave's double backpropagation; ``"auto"`` takes ``"eq8"``. ``"precomputed"`` and
        ``"exact"`` are accepted as the former names of ``"eq8"`` and ``"straight_through"``.
    dtype : {"float32", "float64"}, default="float32"
    validity_weights : dict of str to float or None, default=None
        Weight of each wavelet-validity penalty (keys from :data:`models.losses.VALIDITY_TERMS`); missing
        keys, and ``None``, mean 1. The training history records the weighted values.
    start_search : int, default=0
        Random orthogonal starts of a global search before the fit (:mod:`models.start_search`); 0 turns it off.
        The grid points with gamma > 0 search on the interpretation term (the teacher's), the gamma = 0 points on
        the sparsity term (never the teacher), from the same random starts; each point then starts from
        whichever of its own search's best end points, or the initial wavelet, has the lowest loss of that grid
        point. Time series up to :data:`CLOSED_FORM_MAX_LENGTH` samples only.
    start_candidates : models.start_search.StartSearch or None, default=None
        End points of an earlier search of the same data and teacher (:meth:`search_starts`, e.g. by another part
        of the grid or the whole grid) to start from instead of searching again; used only when
        ``start_search`` is on. Each grid point takes only the rows of its own term (``StartSearch.terms``): a
        search without sparsity rows leaves the gamma = 0 points at the initial wavelet.

    Attributes
    ----------
    filters_ : ndarray of shape (G, N)
        Learned lowpass filters, one per grid point.
    grid_ : list of (float, float)
    initial_filter_ : ndarray of shape (N,)
    history_ : dict of str to ndarray of shape (n_epochs, G)
        ``train_loss``, ``val_loss`` and the mean training value of each term per epoch: the training rows
        average the steps of the epoch, ``val_loss`` is the loss of the filter at the end of the epoch.
    filter_epoch_ : ndarray of int of shape (G,)
        The epoch (0-based) at whose end each stored filter was reached: the last epoch without ``patience``,
        the best validation epoch with it. ``history_[key][filter_epoch_[g], g]`` are that filter's losses
        (``val_loss`` exactly; the training terms as their mean over that epoch).
    best_epoch_ : ndarray of int of shape (G,)
        The same as :attr:`filter_epoch_` (the name the pipeline reads).
    gradient_path_ : {"eq8", "straight_through"}
        The gradient path used.
    seconds_per_epoch_ : float
    start_filters_ : ndarray of shape (G, N)
        The filter each grid point started from (every row the initial wavelet without ``start_search``).
    start_search_ : models.start_search.StartSearch or None
        The searches' end points, each row named by its term (``terms``), or None without a search.
    start_choice_ : ndarray of int of shape (G,)
        Per grid point, the row of ``start_search_.filters`` it started from, or -1 for the initial wavelet.
    """

    def __init__(self, *, wave="db5", levels=4, mode="periodization", parametrization="free",
                 lambdas=(1e-3,), gammas=(0.0,), grid=None, epochs=50, batch_size=100, lr=1e-3,
                 warmup_epochs=0, patience=None, val_fraction=0.1, attribution="saliency", target=0,
                 ig_steps=8, init_noise=0.0, seed=0, device=None, gradient_path="auto", dtype="float32",
                 validity_weights=None, init_noise_on=None, start_search=0, start_candidates=None):
        self.wave = wave
        self.levels = levels
        self.mode = mode
        self.parametrization = parametrization
        self.lambdas = lambdas
        self.gammas = gammas
        self.grid = grid
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.warmup_epochs = warmup_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.attribution = attribution
        self.target = target
        self.ig_steps = ig_steps
        self.init_noise = init_noise
        self.seed = seed
        self.device = device
        self.gradient_path = gradient_path
        self.dtype = dtype
        self.validity_weights = validity_weights
        self.init_noise_on = init_noise_on
        self.start_search = start_search
        self.start_candidates = start_candidates

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        if self.parametrization not in _filters.PARAMETRIZATIONS:
            raise ValueError(f"parametrization: {self.parametrization!r}; pass 'free' or 'orthogonal'")
        if self.mode not in _wavelets.MODES:
            raise ValueError(f"mode: {self.mode!r}; pass one of {', '.join(_wavelets.MODES)}")
        if self.gradient_path not in GRADIENT_PATHS and self.gradient_path not in GRADIENT_PATH_ALIASES:
            raise ValueError(f"gradient_path: {self.gradient_path!r}; pass one of {', '.join(GRADIENT_PATHS)}")
        check_method(self.attribution)
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype: {self.dtype!r}; pass 'float32' or 'float64'")
        for name in ("epochs", "batch_size", "levels"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        if not 0 <= self.warmup_epochs <= self.epochs:
            raise ValueError(f"warmup_epochs: must be in [0, epochs], got {self.warmup_epochs}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction: must be in [0, 1), got {self.val_fraction}")
        if self.patience is not None and (self.patience < 1 or self.val_fraction == 0):
            raise ValueError("patience: needs a positive value and val_fraction > 0")
        if not self.lr > 0:
            raise ValueError(f"lr: must be positive, got {self.lr}")
        if not isinstance(self.start_search, (int, np.integer)) or self.start_search < 0:
            raise ValueError(f"start_search: must be a non-negative integer, got {self.start_search!r}")
        weights = dict(self.validity_weights or {})
        unknown = sorted(set(weights) - set(VALIDITY_TERMS))
        if unknown:
            raise ValueError(f"validity_weights: unknown terms {unknown}; the terms are {', '.join(VALIDITY_TERMS)}")
        if any(not (np.isfinite(v) and v >= 0) for v in weights.values()):
            raise ValueError("validity_weights: every weight must be finite and >= 0")
        grid = self.grid if self.grid is not None else grid_points(self.lambdas, self.gammas)
        if len(grid) == 0:
            raise ValueError("lambdas/gammas: the grid is empty; give at least one lambda and one gamma")
        grid = [(float(lam), float(gam)) for lam, gam in grid]
        if any(not (np.isfinite(v) and v >= 0) for pair in grid for v in pair):
            raise ValueError("lambdas/gammas: every value must be finite and >= 0")
        return grid

    def _resolve_path(self):
        path = GRADIENT_PATH_ALIASES.get(self.gradient_path, self.gradient_path)
        return "eq8" if path == "auto" else path

    # ------------------------------------------------------------------ model
    def _make_filter(self, n_filters, device, dtype):
        first = _filters.make_filter(self.parametrization, self.wave, 1, noise=self.init_noise,
                                     seed=self.seed, noise_on=self.init_noise_on, dtype=torch.float64)
        with torch.no_grad():
            h0 = first().detach().to(torch.float64).cpu().numpy()[0]
        if self.parametrization == "free":
            module = _filters.FreeFilter(np.repeat(h0[None], n_filters, axis=0))
        else:
            angles = first.angles.detach().to(torch.float64).cpu().numpy()
            module = _filters.LatticeFilter.from_angles(np.repeat(angles[:1], n_filters, axis=0))
        return module.to(device=device, dtype=dtype), h0

    def search_starts(self, X, teacher, on_step=None, gammas=None):
        """Only the start search of :meth:`fit` (the same training signals, seed and settings), for fits of other
        parts of one grid to share through ``start_candidates`` instead of each searching again.

        Parameters
        ----------
        X, teacher
            As in :meth:`fit`.
        on_step : callable, optional
            ``on_step(step, steps)`` after each step of the searches, counted over all of them
            (:func:`models.start_search.search_lowpass_starts`).
        gammas : iterable of float, optional
            The gammas of every point that will take these end points (the whole grid, when this trainer fits a
            part of it); this trainer's own by default. Gamma > 0 asks for the search on the interpretation term,
            gamma = 0 for the one on the sparsity term.

        Returns
        -------
        models.start_search.StartSearch
            Each row named by its term (``terms``).
        """
        grid = self._check_params()
        device = resolve_device(self.device)
        dtype = torch.float64 if self.dtype == "float64" else torch.float32
        X_train, _ = self._split(self._check_signals(X, dtype), device)
        terms = search_terms([gam for _, gam in grid] if gammas is None else gammas)
        teacher = self._prepare_teacher(teacher, device, dtype) if "interpretation" in terms else None
        xs, gs = self._search_signals(X_train, None, teacher, with_gradients="interpretation" in terms)
        return self._search(xs, gs, terms, on_step)

    def _search_signals(self, X_train, grads_train, teacher, with_gradients=True):
        """``(xs, gs)``: a seeded sample of up to :data:`SEARCH_SCORE_SIGNALS` training signals and their teacher
        gradients (None without ``with_gradients``), float64 (the searches descend on the first
        :data:`SEARCH_SIGNALS` of them)."""
        if not TransformOperator.is_dense(X_train.shape[1:]):
            raise ValueError(f"start_search: searches time series of up to {CLOSED_FORM_MAX_LENGTH} samples only, "
                             f"got signals of shape {tuple(X_train.shape[1:])}; pass start_search=0")
        order = torch.randperm(X_train.shape[0], generator=torch.Generator().manual_seed(self.seed))
        scored = order[:SEARCH_SCORE_SIGNALS].to(X_train.device)
        if not with_gradients:
            return X_train[scored].double(), None
        gs = (grads_train[scored] if grads_train is not None else
              teacher_input_gradients(teacher, X_train[scored], self.attribution, self.target, self.ig_steps))
        return X_train[scored].double(), gs.double()

    def _search(self, xs, gs, terms, on_step=None):
        """The start searches (:func:`models.start_search.search_lowpass_starts`), one per term of ``terms``,
        from the same random starts, joined (:func:`models.start_search.join_searches`)."""
        searches = {}
        for k, term in enumerate(terms):
            def counted(step, steps, done=k):  # one progress count over all the searches
                on_step(done * steps + step, len(terms) * steps)

            loss = (self._interpretation_loss(xs, gs) if term == "interpretation" else
                    self._sparsity_loss(xs))
            searches[term] = search_lowpass_starts(loss, self._filter_length(), int(self.start_search),
                                                   seed=self.seed, device=xs.device,
                                                   on_step=counted if on_step is not None else None)
        return join_searches(searches)

    def _sparsity_loss(self, xs):
        """``loss_and_gradient(h)`` of the sparsity term alone (lambda = 1) on the first :data:`SEARCH_SIGNALS`
        signals, in closed form: what the gamma = 0 points' search descends (it never sees the teacher)."""
        length, x_search = xs.shape[-1], xs[:SEARCH_SIGNALS].float()

        def sparsity(h):
            return analysis_l1_and_gradient(h, x_search, length, self.levels, self.mode)

        return sparsity

    def _interpretation_loss(self, xs, gs):
        """``loss_and_gradient(h)`` of the interpretation term alone (gamma = 1) on the first
        :data:`SEARCH_SIGNALS` signals and their teacher gradients, in closed form."""
        length = xs.shape[-1]
        x_search, g_search = xs[:SEARCH_SIGNALS].float(), gs[:SEARCH_SIGNALS].float()
        if self.attribution == "saliency":
            def interpretation(h):
                return saliency_l1_and_gradient(h, g_search, length, self.levels, self.mode,
                                                TransformOperator.is_self_adjoint((length,), self.levels, self.mode))
        else:  # the attributions need the coefficients too: the trainer's own closed-form terms, lambda = 0
            def interpretation(h):
                zeros = h.new_zeros(h.shape[0])
                values, grad = self._closed_form_losses(h, x_search, g_search, zeros, zeros + 1,
                                                        h.new_zeros(len(VALIDITY_TERMS)), True, with_gradient=True)
                return values[TERM_NAMES.index("interpretation")], grad

        return interpretation

    def _searched_starts(self, module, X_train, grads_train, teacher, lam, gam, weights):
        """The filter module with each grid point moved to its best start (``start_search``, module docstring of
        :mod:`models.start_search`): the initial wavelet and the end points of the point's own search (the
        interpretation term's for gamma > 0, the sparsity term's for gamma = 0; ``start_candidates`` when given)
        are scored with every grid point's own loss on up to :data:`SEARCH_SCORE_SIGNALS` training signals, and
        each point takes its lowest."""
        interpreted = gam.cpu().numpy() > 0
        terms = search_terms(gam.cpu().numpy())
        xs, gs = self._search_signals(X_train, grads_train, teacher, with_gradients="interpretation" in terms)
        search = self.start_candidates if self.start_candidates is not None else self._search(xs, gs, terms)
        with torch.no_grad():
            h_now = module().detach().double()
        candidates = torch.cat([h_now[:1], torch.as_tensor(search.filters, device=X_train.device)])
        n_grid = lam.shape[0]
        totals = self._candidate_losses(candidates, xs, gs, lam, gam, weights).cpu().numpy()
        # each point chooses among its own search's end points only: the gamma = 0 points never start where the
        # teacher's attributions led (a search without named rows, from before there were two, is the teacher's)
        own = (search.of_term("interpretation") if search.terms is not None else
               np.ones(len(search.filters), dtype=bool))
        allowed = np.where(interpreted[None, :], own[:, None], ~own[:, None])
        totals[1:][~allowed] = np.inf
        best = np.argmin(totals[1:], axis=0)
        # a grid point leaves the initial wavelet only for a clearly lower loss (not for rounding, e.g. a flat one)
        better = totals[1 + best, np.arange(n_grid)] < totals[0] - (1e-6 * np.abs(totals[0]) + 1e-12)
        choice = np.where(better, best, -1)  # -1: the initial wavelet
        self.start_search_, self.start_choice_ = search, choice
        dtype, device = next(module.parameters()).dtype, next(module.parameters()).device
        if self.parametrization == "free":
            starts = np.where(choice[:, None] < 0, h_now[:1].cpu().numpy(), search.filters[np.maximum(choice, 0)])
            return _filters.FreeFilter(starts).to(device=device, dtype=dtype)
        own = module.angles.detach().double().cpu().numpy()[:1]
        starts = np.where(choice[:, None] < 0, own, search.angles[np.maximum(choice, 0)])
        return _filters.LatticeFilter.from_angles(starts).to(device=device, dtype=dtype)

    def _candidate_losses(self, candidates, xs, gs, lam, gam, weights):
        """Every grid point's loss (the total of :data:`TERM_NAMES`) at every candidate filter, Tensor of shape
        (C, G), float64. A point's loss is linear in its (lambda, gamma), so each candidate's terms are computed
        once with unit weights (not once per grid point: a 105-point grid would hold 105 copies of each
        candidate's coefficients)."""
        ones = xs.new_ones(len(candidates))
        rows = self._closed_form_losses(candidates.double(), xs, gs, ones, ones, weights.double(), gs is not None,
                                        with_gradient=False)[0]  # (len(TERM_NAMES), C); no gs: gamma = 0 only
        sparsity, interpretation = rows[TERM_NAMES.index("sparsity")], rows[TERM_NAMES.index("interpretation")]
        rest = rows[-1] - sparsity - interpretation  # reconstruction and the weighted validity terms
        return rest[:, None] + sparsity[:, None] * lam.double()[None, :] + interpretation[:, None] * gam.double()

    def _validity_weights(self, dtype, device):
        given = self.validity_weights or {}
        return torch.tensor([float(given.get(name, 1.0)) for name in VALIDITY_TERMS], dtype=dtype, device=device)

    def _closed_form_applies(self, signal_shape, gxb, use_interp):
        """Whether a step's gradient can be written out (:meth:`_closed_form_losses`) instead of recorded."""
        return TransformOperator.is_dense(signal_shape) and (gxb is not None or not use_interp)

    def _closed_form_losses(self, h, xb, gxb, lam, gam, weights, use_interp, with_gradient):
        """``(values, grad_h)``: the rows of :meth:`_step_losses` and the gradient of their summed total with
        respect to h (None without ``with_gradient``), in closed form (see
        :func:`models.losses.dense_data_terms`): no autograd graph, a fraction of the operations."""
        length, n = xb.shape[-1], h.shape[-1]
        with torch.no_grad():
            h = h.detach()
            W, analysis_chain = _wavelets.analysis_matrix_factors(h, length, self.levels, self.mode)
            S = synthesis_chain = None
            if not TransformOperator.is_self_adjoint((length,), self.levels, self.mode):
                S, synthesis_chain = _wavelets.synthesis_matrix_factors(h, length, self.levels, self.mode)
            data, grad_W, grad_S = dense_data_terms(
                W, xb, gxb if use_interp else None, lam, gam, self.levels + 1,
                times_coeffs=self.attribution != "saliency", with_gradient=with_gradient, S=S,
                reconstruction=not self._reconstruction_is_exact())
            validity, grad_h = validity_terms_and_gradient(h, weights)
            values = _loss_rows(data["reconstruction"], (validity * weights).T, data["sparsity"],
                                data["interpretation"])
            if not with_gradient:
                return values, None
            grad_h = grad_h + _wavelets.analysis_matrix_pullback(analysis_chain, grad_W, length, n, self.mode)
            if S is not None:
                grad_h = grad_h + _wavelets.synthesis_matrix_pullback(synthesis_chain, grad_S, length, n, self.mode)
            return values, grad_h

    def _step_losses(self, h, xb, gxb, teacher, lam, gam, weights, use_interp, create_graph):
        """Loss terms of one batch, Tensor of shape (len(TERM_NAMES), G): every term per grid point in the
        order of :data:`TERM_NAMES` (the last row is the total), differentiable with respect to h unless
        the closed form applies (then without a graph)."""
        if self._closed_form_applies(xb.shape[1:], gxb, use_interp):
            return self._closed_form_losses(h, xb, gxb, lam, gam, weights, use_interp, with_gradient=False)[0]
        if self._separable_terms_apply(xb.shape[1:], gxb, use_interp):
            return self._separable_losses(h, xb, gxb, lam, gam, weights, use_interp)
        op = TransformOperator(h, xb.shape[1:], self.levels, self.mode)
        c = op.analysis(xb)
        if self._reconstruction_is_exact():
            # S(h) W(h) = I for every filter of the lattice: the reconstruction term is 0 and has no gradient
            reconstruction = xb.new_zeros(h.shape[0])
        else:
            reconstruction = reconstruction_loss(xb, op.synthesis(c))
        sparsity = lam * l1_per_filter(c, op.n_bands)
        if use_interp:
            if gxb is not None:
                attr = op.adjoint(gxb)
                if self.attribution != "saliency":
                    attr = [a * ci for a, ci in zip(attr, c)]
            else:
                attr = trim_attributions(teacher, xb, c, op.synthesis, self.attribution, self.target,
                                         self.ig_steps, create_graph=create_graph)
            interpretation = gam * l1_per_filter(attr, op.n_bands)
        else:
            interpretation = torch.zeros_like(sparsity)
        return _loss_rows(reconstruction, _weighted_validity(h, weights), sparsity, interpretation)

    #: Use :func:`models.separable_terms.separable_data_terms` where it applies (see
    #: :meth:`_separable_terms_apply`); False records the generic transform instead (for comparisons).
    separable_terms = True

    def _separable_terms_apply(self, signal_shape, gxb, use_interp):
        """Whether a 2D step's data terms come from :func:`models.separable_terms.separable_data_terms` (a
        hand-written backward): maps, a transform that is its own adjoint synthesis for any filter (zero mode,
        or periodization with ``2^J`` dividing both sides), sides short enough for per-level operator matrices
        (:data:`models.wavelets.paths._MATRIX_MAX_LENGTH`), and the teacher's input gradients computed
        beforehand (or no interpretation term)."""
        return (self.separable_terms and len(signal_shape) == 2
                and TransformOperator.is_self_adjoint(signal_shape, self.levels, self.mode)
                and all(_use_matrix("auto", n) for n in signal_shape)  # dense level operators pay off
                and (gxb is not None or not use_interp))

    def _separable_losses(self, h, xb, gxb, lam, gam, weights, use_interp):
        """The rows of :meth:`_step_losses` for the case of :meth:`_separable_terms_apply` (differentiable
        with respect to h). The reconstruction term is computed unless it is exact by construction."""
        ops = separable_level_operators(h, xb.shape[1:], self.levels, self.mode)
        options = dict(n_bands=self.levels + 1, times_coeffs=self.attribution != "saliency",
                       reconstruction=not self._reconstruction_is_exact())
        interpreted = (gam > 0).nonzero().flatten() if use_interp else gam.new_zeros(0, dtype=torch.long)
        if len(interpreted) in (0, len(gam)):
            sparsity, interpretation, reconstruction = separable_data_terms(
                xb, gxb if len(interpreted) else None, ops, **options)
        else:  # the teacher's gradients are transformed only for the grid points with gamma > 0
            plain = (gam == 0).nonzero().flatten()
            with_interp = separable_data_terms(xb, gxb, [op.index_select(0, interpreted) for op in ops], **options)
            without = separable_data_terms(xb, None, [op.index_select(0, plain) for op in ops], **options)
            order = torch.argsort(torch.cat((interpreted, plain)))  # back to the grid's order
            sparsity, interpretation, reconstruction = (torch.cat((a, b))[order] for a, b in zip(with_interp, without))
        return _loss_rows(reconstruction, _weighted_validity(h, weights), lam * sparsity, gam * interpretation)

    #: Skip the synthesis where the reconstruction is exact by construction (see :meth:`_reconstruction_is_exact`);
    #: False recomputes it (bench/profile_2d.py times both).
    skip_exact_reconstruction = True

    def _reconstruction_is_exact(self):
        """Whether ``S(h) W(h) = I`` holds for every filter the trainer can reach, so the reconstruction loss is
        identically 0.

        True for the orthogonal lattice in every mode: periodization (any length: odd lengths are extended, as
        PyWavelets does), zero and symmetric (their redundant coefficients keep what the borders need): every
        orthogonal filter reconstructs exactly there (tests/models/test_exact_reconstruction.py). Computing the
        term only adds rounding noise (about 1e-13 in float64, 1e-7 relative in float32) and a synthesis forward
        and backward; the loss's gradient is the same up to that noise. Never for the free filter.
        """
        return self.skip_exact_reconstruction and self.parametrization == "orthogonal"

    def _filter_length(self):
        if isinstance(self.wave, str):
            return len(_filters.lowpass_filter(self.wave))
        return int(np.asarray(self.wave).shape[-1])

    def _check_signals(self, X, dtype):
        X = torch.as_tensor(np.asarray(X), dtype=dtype)
        if X.ndim not in (2, 3):
            raise ValueError(f"X: expected (n, L) or (n, H, W), got shape {tuple(X.shape)}")
        for length in X.shape[1:]:
            _wavelets.check_level(length, self._filter_length(), self.levels, self.mode)
        return X

    @staticmethod
    def _prepare_teacher(teacher, device, dtype):
        if isinstance(teacher, torch.nn.Module):
            teacher = teacher.to(device=device, dtype=dtype).eval()
            for p in teacher.parameters():
                p.requires_grad_(False)
        return teacher

    # ------------------------------------------------------------------ objective
    def objective(self, h, X, teacher):
        """The loss terms of one batch for given filters, and the gradient a training step follows.

        The same computation as a step of :meth:`fit` (same normalisation, grid, attribution and gradient
        path), exposed so the gradient paths can be checked, e.g. against finite differences of the loss.

        Parameters
        ----------
        h : array-like of shape (G, N)
            Lowpass filters, one per grid point (G = the grid's size).
        X : array-like of shape (B, L) or (B, H, W)
            One batch of signals.
        teacher : torch.nn.Module or callable
            As in :meth:`fit`.

        Returns
        -------
        values : ndarray of shape (len(TERM_NAMES), G)
            Every term per grid point in the order of :data:`TERM_NAMES`; the last row is the total.
        grad : ndarray of shape (G, N)
            The derivative of the total (per grid point) with respect to ``h`` along :attr:`gradient_path`:
            the loss's gradient for ``"eq8"``, awave's straight-through gradient for ``"straight_through"``.
        """
        grid = self._check_params()
        path = self._resolve_path()
        device = resolve_device(self.device)
        dtype = torch.float64 if self.dtype == "float64" else torch.float32
        X = self._check_signals(X, dtype).to(device)
        teacher = self._prepare_teacher(teacher, device, dtype)
        h = torch.as_tensor(np.asarray(h), dtype=dtype, device=device)
        if h.ndim != 2 or h.shape[0] != len(grid):
            raise ValueError(f"h: expected shape ({len(grid)}, N), one filter per grid point, got {tuple(h.shape)}")
        lam = torch.tensor([p[0] for p in grid], dtype=dtype, device=device)
        gam = torch.tensor([p[1] for p in grid], dtype=dtype, device=device)
        use_interp = bool((gam > 0).any())
        weights = self._validity_weights(dtype, device)
        gx = (teacher_input_gradients(teacher, X, self.attribution, self.target, self.ig_steps)
              if use_interp and path == "eq8" else None)
        if self._closed_form_applies(X.shape[1:], gx, use_interp):
            values, grad = self._closed_form_losses(h, X, gx, lam, gam, weights, use_interp, with_gradient=True)
        else:
            h = h.clone().requires_grad_(True)
            values = self._step_losses(h, X, gx, teacher, lam, gam, weights, use_interp, create_graph=True)
            (grad,) = torch.autograd.grad(values[-1].sum(), h)
        return values.detach().double().cpu().numpy(), grad.detach().double().cpu().numpy()

    # ------------------------------------------------------------------ fit
    @torch.enable_grad()  # also when called under torch.no_grad()
    def fit(self, X, teacher, *, progress=None, should_stop=None, on_epoch=None):
        """Learn the filters of every grid point.

        Parameters
        ----------
        X : array-like of shape (n, L) or (n, H, W)
            Training signals (already validated; see :mod:`models.validation`).
        teacher : torch.nn.Module or callable
            Maps ``(B, *signal_shape)`` to ``(B,)`` or ``(B, n_outputs)``; put in evaluation mode here.
        progress : callable, optional
            ``progress(stage, fraction, message)`` after every epoch, stage ``"distill"``.
        should_stop : callable, optional
            Polled after every epoch; when it returns True, :class:`Cancelled` is raised.
        on_epoch : callable, optional
            ``on_epoch(epoch, losses)`` with the grid's mean train and validation loss.

        Returns
        -------
        self
        """
        grid = self._check_params()
        path = self._resolve_path()
        device = resolve_device(self.device)
        dtype = torch.float64 if self.dtype == "float64" else torch.float32
        X = self._check_signals(X, dtype)
        teacher = self._prepare_teacher(teacher, device, dtype)
        X_train, X_val = self._split(X, device)

        torch.manual_seed(self.seed)
        module, h0 = self._make_filter(len(grid), device, dtype)
        lam = torch.tensor([p[0] for p in grid], dtype=dtype, device=device)
        gam = torch.tensor([p[1] for p in grid], dtype=dtype, device=device)
        weights = self._validity_weights(dtype, device)
        any_interp = bool((gam > 0).any())
        grads_train = grads_val = None
        if any_interp and path == "eq8":
            grads_train = teacher_input_gradients(teacher, X_train, self.attribution, self.target, self.ig_steps)
            grads_val = (teacher_input_gradients(teacher, X_val, self.attribution, self.target, self.ig_steps)
                         if X_val.shape[0] else None)
        self.start_search_, self.start_choice_ = None, np.full(len(grid), -1, dtype=int)
        if self.start_search:
            module = self._searched_starts(module, X_train, grads_train, teacher, lam, gam, weights)
        with torch.no_grad():
            self.start_filters_ = module().detach().to(torch.float64).cpu().numpy()
        (parameter,) = module.parameters()  # the filters or their lattice angles, stacked over the grid
        run = _FitState(module=module, parameter=parameter, optimizer=StackedAdam([parameter], lr=self.lr),
                        teacher=teacher, lam=lam, gam=gam, weights=weights, X_train=X_train, X_val=X_val,
                        grads_train=grads_train, grads_val=grads_val)

        best = _BestEpochs.start(module, len(grid))
        history = {}
        shuffle = torch.Generator().manual_seed(self.seed)
        started = time.perf_counter()
        epochs_run = 0
        for epoch in range(self.epochs):
            use_interp = any_interp and epoch >= self.warmup_epochs
            train_means = self._train_one_epoch(run, use_interp, best.stopped, shuffle)
            if not np.isfinite(train_means).all():
                raise ValueError(_diverged_message(epoch, train_means, grid))
            for k, v in zip(TERM_NAMES, train_means):
                history.setdefault("train_loss" if k == "total" else k, []).append(v)
            val = self._validation_loss(module, X_val, run.grads_val, teacher, run.lam, gam, run.weights,
                                        use_interp)
            if val is not None:
                history.setdefault("val_loss", []).append(val.numpy())
                best.update(module, val, epoch, self.patience)
            epochs_run = epoch + 1
            self._report_epoch(epoch, history, val, progress, on_epoch)
            if should_stop is not None and should_stop():
                raise Cancelled(f"stopped after epoch {epochs_run}")
            if bool(best.stopped.all()):
                break

        if self.patience is not None:
            best.restore(module)
        with torch.no_grad():  # the lattice evaluated in float64 at the fitted angles: orthonormal to 1e-16, where
            # the float32 filter was to about 4e-8 (review 22); a free filter's float32 values, exactly
            self.filters_ = module.to(torch.float64)().detach().cpu().numpy()
        self.grid_ = grid
        self.initial_filter_ = h0
        self.history_ = {k: np.stack(v) for k, v in history.items()}
        # the epoch each stored filter comes from: the restored best one with early stopping, else the last
        self.filter_epoch_ = (best.epoch.copy() if self.patience is not None
                              else np.full(len(grid), epochs_run - 1, dtype=int))
        self.best_epoch_ = self.filter_epoch_
        self.n_epochs_ = epochs_run
        self.gradient_path_ = path
        self.seconds_per_epoch_ = (time.perf_counter() - started) / max(epochs_run, 1)
        return self

    def _split(self, X, device):
        """(training, validation) signals: a seeded shuffle, ``val_fraction`` of them held out."""
        order = np.random.default_rng(self.seed).permutation(X.shape[0])
        n_val = int(round(self.val_fraction * X.shape[0]))
        X_val, X_train = X[order[:n_val]].to(device), X[order[n_val:]].to(device)
        if X_train.shape[0] == 0:
            raise ValueError("X: no training samples left after the validation split")
        return X_train, X_val

    def _train_one_epoch(self, run, use_interp, stopped, shuffle):
        """One shuffled pass over the training signals; the per-term mean losses, shape (n_terms, G).

        Grid points in ``stopped`` (early stopping) keep their parameters: the step is undone for them.
        """
        X_train, module, parameter = run.X_train, run.module, run.parameter
        perm = torch.randperm(X_train.shape[0], generator=shuffle).to(X_train.device)
        sums, count = None, 0
        closed_form = self._closed_form_applies(X_train.shape[1:], run.grads_train, use_interp)
        for xb, gxb in _shuffled_batches(perm, self.batch_size, X_train, run.grads_train):
            before = ([p.detach().clone() for p in module.parameters()]
                      if self.patience is not None and bool(stopped.any()) else None)
            run.optimizer.zero_grad()
            if closed_form:
                h, pullback = module.value_and_pullback()
                values, grad_h = self._closed_form_losses(h, xb, gxb, run.lam, run.gam, run.weights, use_interp,
                                                          with_gradient=True)
                parameter.grad = pullback(grad_h)
            else:
                values = self._recorded_step(module, xb, gxb, run, use_interp)
            run.optimizer.step()
            if before is not None:
                with torch.no_grad():
                    for p, old in zip(module.parameters(), before):
                        p[stopped.to(p.device)] = old[stopped.to(p.device)]
            stacked = values.detach() * len(xb)
            sums = stacked if sums is None else sums + stacked
            count += len(xb)
        return (sums / count).double().cpu().numpy()

    def _recorded_step(self, module, xb, gxb, run, use_interp):
        """Loss terms of one batch, their gradient accumulated into the filter's parameters by autograd.

        The batch is cut into micro-batches of at most :data:`MICRO_BATCH_VALUES` values over the whole grid
        (``G x b x signal size``), each weighted by its share of the batch. Every term is a batch mean or does
        not depend on the batch (validity), so the weighted sum is the batch's loss and its gradient the
        batch's gradient (up to rounding): only the memory of the recorded graph shrinks.
        """
        step = _micro_batch_size(run.lam.shape[0], xb.shape[1:])
        values = None
        for start in range(0, xb.shape[0], step):
            part = slice(start, start + step)
            share = (min(start + step, xb.shape[0]) - start) / xb.shape[0]
            terms = self._step_losses(module(), xb[part], None if gxb is None else gxb[part], run.teacher, run.lam,
                                      run.gam, run.weights, use_interp, create_graph=True) * share
            terms[-1].sum().backward()
            values = terms.detach() if values is None else values + terms.detach()
        return values

    def _report_epoch(self, epoch, history, val, progress, on_epoch):
        """Call ``on_epoch`` and ``progress`` with the grid's mean losses after ``epoch``."""
        train_mean = float(np.mean(history["train_loss"][-1]))
        val_mean = float(val.mean()) if val is not None else None
        if on_epoch is not None:
            on_epoch(epoch, {"train_loss": train_mean, "val_loss": val_mean})
        if progress is not None:
            progress("distill", (epoch + 1) / self.epochs, epoch_message(epoch, self.epochs, train_mean, val_mean))

    def _validation_loss(self, module, X_val, grads_val, teacher, lam, gam, weights, use_interp):
        """Mean total loss per grid point over the validation signals, in batches of at most
        :data:`MICRO_BATCH_VALUES` values over the grid (as the recorded steps), or None without them."""
        if X_val.shape[0] == 0:
            return None
        total, count = 0.0, 0
        exact_interp = use_interp and grads_val is None
        step = min(max(self.batch_size, 256), _micro_batch_size(lam.shape[0], X_val.shape[1:]))
        for start in range(0, X_val.shape[0], step):
            xb = X_val[start:start + step]
            gxb = grads_val[start:start + xb.shape[0]] if grads_val is not None else None
            with torch.set_grad_enabled(exact_interp):
                values = self._step_losses(module(), xb, gxb, teacher, lam, gam, weights, use_interp,
                                           create_graph=False)
            total = total + values[-1].detach().double().cpu() * xb.shape[0]
            count += xb.shape[0]
        return total / count


def _micro_batch_size(n_grid, sample_shape):
    """Signals per micro-batch: at most :data:`MICRO_BATCH_VALUES` values over the grid, at least one."""
    return max(1, MICRO_BATCH_VALUES // max(1, n_grid * int(np.prod(sample_shape))))


def _weighted_validity(h, weights):
    """The validity penalties of filters h (G, N), weighted: shape (len(VALIDITY_TERMS), G)."""
    terms = validity_terms(h)
    return torch.stack([terms[name] for name in VALIDITY_TERMS]) * weights.unsqueeze(1)


def _loss_rows(reconstruction, validity, sparsity, interpretation):
    """The rows of :data:`TERM_NAMES`, shape (len(TERM_NAMES), G): the terms (reconstruction, sparsity and
    interpretation of shape (G,), the weighted validity penalties (len(VALIDITY_TERMS), G)), then their total."""
    values = torch.cat((reconstruction.unsqueeze(0), validity, sparsity.unsqueeze(0), interpretation.unsqueeze(0)))
    return torch.cat((values, values.sum(0, keepdim=True)))


def epoch_message(epoch, epochs, train_mean, val_mean=None):
    """The progress message after an epoch (0-based ``epoch``), with the grid's mean losses."""
    return (f"epoch {epoch + 1}/{epochs}: mean train loss {train_mean:.4g}"
            + (f", mean validation loss {val_mean:.4g}" if val_mean is not None else ""))


def _diverged_message(epoch, train_means, grid):
    """What a non-finite loss says: the epoch, the grid points it hit (at most three), and what to lower."""
    bad = [grid[g] for g in np.flatnonzero(~np.isfinite(train_means).all(axis=0))]
    points = "; ".join(f"λ = {lam:g}, γ = {gam:g}" for lam, gam in bad[:3]) + ("; …" if len(bad) > 3 else "")
    return (f"training diverged: the loss is not finite at epoch {epoch + 1} at {len(bad)} of {len(grid)} grid "
            f"points ({points}); lower those λ (lambdas) or γ (gammas), or the step size lr, or standardise the data")


@dataclasses.dataclass
class _FitState:
    """What one fit's epochs share: the stacked filter module, its optimiser, the teacher, the per-grid-point
    lambda and gamma, the validity weights, the split signals and (eq8 path) the teacher's input gradients."""

    module: torch.nn.Module
    parameter: torch.Tensor
    optimizer: StackedAdam
    teacher: object
    lam: torch.Tensor
    gam: torch.Tensor
    weights: object
    X_train: torch.Tensor
    X_val: torch.Tensor
    grads_train: torch.Tensor | None = None
    grads_val: torch.Tensor | None = None


@dataclasses.dataclass
class _BestEpochs:
    """Per grid point: the best validation loss so far, its epoch and parameters, and early stopping."""

    loss: torch.Tensor
    epoch: np.ndarray
    state: list
    stopped: torch.Tensor

    @classmethod
    def start(cls, module, n_grid):
        return cls(loss=torch.full((n_grid,), float("inf"), dtype=torch.float64),
                   epoch=np.zeros(n_grid, dtype=int), state=[p.detach().clone() for p in module.parameters()],
                   stopped=torch.zeros(n_grid, dtype=torch.bool))

    def update(self, module, val, epoch, patience):
        """Record the grid points whose validation loss ``val`` improved at ``epoch``; stop those that have not
        improved for ``patience`` epochs."""
        improved = (val < self.loss) & ~self.stopped
        self.loss = torch.where(improved, val, self.loss)
        self.epoch[improved.numpy()] = epoch
        with torch.no_grad():
            for saved, p in zip(self.state, module.parameters()):
                saved[improved.to(p.device)] = p.detach()[improved.to(p.device)]
        if patience is not None:
            self.stopped |= torch.as_tensor(epoch - self.epoch >= patience)

    def restore(self, module):
        """Put every grid point's best parameters back into ``module``."""
        with torch.no_grad():
            for p, saved in zip(module.parameters(), self.state):
                p.copy_(saved)
