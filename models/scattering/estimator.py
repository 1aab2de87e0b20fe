"""The scattering student: a learned scattering transform and a ridge head, trained end to end.

:class:`ScatteringRegressor` is a scikit-learn estimator on raw signals ``(n, L)`` or maps ``(n, H, W)``:

1. builds the transform (``bank="morlet"``: :mod:`.transform`; ``bank="dwt"``: the filter-bank
   scattering of :mod:`.dwt_bank` started from an orthogonal wavelet such as the AWD one);
2. trains the filter parameters with Adam (cosine decay to a tenth of ``lr``). Each minibatch is split in
   two halves; the ridge head is solved in closed form on one half (differentiably) and scored on the
   other, both ways, so the loss is the held-out error of the kind of head the final model uses
   (standardised features and targets; the in-batch penalty is the grid value that minimises this loss
   on the initial features); optionally plus the AWD interpretation penalty (``bank="dwt"`` only, see
   below). The epoch whose head scores best on ``val_fraction`` held-out rows is kept (epoch 0 = the
   initial filters);
3. optionally prunes paths (:mod:`.pruning`) and retrains the kept ones;
4. fits the final ridge head (penalty chosen again by cross-validation) on all training samples.

AWD interpretation penalty
    With ``interpretation_weight > 0`` and a teacher, the loss gains ``weight * mean_i ||W(h) a_i||_1``
    where ``W(h)`` is the first layer's DWT and ``a_i`` the teacher's input-gradient field
    (:func:`models.attributions.teacher_input_gradients`, evaluated once): for an orthonormal ``h`` this
    is the L1 norm of the teacher's TRIM attributions on the first-layer wavelet coefficients, AWD's
    interpretation loss (times the coefficients for ``"input_x_gradient"`` and ``"integrated_gradients"``).
    A Morlet bank is not an orthonormal basis, so the penalty is refused there.

This module is long (about 600 lines) for one job: the steps above share the estimator's state; the
transforms, the banks and the pruning live in their own modules.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GroupKFold
from sklearn.utils.validation import check_is_fitted
from torch.utils.checkpoint import checkpoint

from awd_studio.models import attributions as attr
from awd_studio.models import validation as val
from awd_studio.models import wavelets as wv
from awd_studio.models.data.dataset import held_out_groups
from awd_studio.models.device import resolve_device
from awd_studio.models.distill import StopPoll
from awd_studio.models.optim import StackedAdam
from awd_studio.models.scattering.dwt_bank import DWTScattering1D, DWTScattering2D
from awd_studio.models.scattering.pruning import greedy_prune
from awd_studio.models.scattering.transform import MorletScattering1D, MorletScattering2D

__all__ = ["ScatteringRegressor", "make_transform", "ridge_heldout_loss", "BANKS"]

BANKS = ("morlet", "dwt")
DEFAULT_ALPHAS = tuple(np.logspace(-3, 4, 15))


def make_transform(bank, signal_shape, J, *, Q=1, L=8, max_order=2, wave="db5", h0=None,
                   parametrization="orthogonal", learn=True, oversampling=0, paths=None, dtype=torch.float32):
    """Build a scattering transform for signals of ``signal_shape``.

    Parameters
    ----------
    bank : {"morlet", "dwt"}
    signal_shape : (L,) or (H, W)
    J : int
    Q : int or (int, int), default=1
        Morlet 1D: wavelets per octave.
    L : int, default=8
        Morlet 2D: orientations.
    max_order : {0, 1, 2}, default=2
    wave : str, default="db5"
        DWT: initial wavelet when ``h0`` is None.
    h0 : array-like of shape (N,) or None
        DWT: initial lowpass filter (the AWD wavelet).
    parametrization : {"orthogonal", "free"}, default="orthogonal"
        DWT only.
    learn : bool, default=True
    oversampling : int, default=0
        Morlet only.
    paths : iterable of tuple or None
    dtype : torch.dtype, default=torch.float32

    Returns
    -------
    nn.Module
        ``module(x (B, *signal_shape)) -> (B, P, *out)``, with ``.paths``.
    """
    signal_shape = tuple(signal_shape)
    if bank == "morlet":
        if len(signal_shape) == 1:
            return MorletScattering1D(signal_shape[0], J, Q=Q, max_order=max_order, learn=learn,
                                      oversampling=oversampling, paths=paths, dtype=dtype)
        return MorletScattering2D(signal_shape, J, L=L, max_order=max_order, learn=learn,
                                  oversampling=oversampling, paths=paths, dtype=dtype)
    if bank == "dwt":
        start = wave if h0 is None else h0
        cls = DWTScattering1D if len(signal_shape) == 1 else DWTScattering2D
        arg = signal_shape[0] if len(signal_shape) == 1 else signal_shape
        return cls(arg, J, h0=start, max_order=max_order, parametrization=parametrization, learn=learn,
                   paths=paths, dtype=dtype)
    raise ValueError(f"bank: use one of {', '.join(BANKS)}, got {bank!r}")


def _solve_ridge(Fa, ya, alpha, Fb):
    """Predictions on ``Fb`` of the ridge fit on (Fa, ya); Fa (b, D) centred, ya (b, k) centred."""
    b, D = Fa.shape
    if D <= b:
        gram = Fa.T @ Fa + alpha * torch.eye(D, dtype=Fa.dtype, device=Fa.device)
        return Fb @ torch.linalg.solve(gram, Fa.T @ ya)
    kernel = Fa @ Fa.T + alpha * torch.eye(b, dtype=Fa.dtype, device=Fa.device)
    return (Fb @ Fa.T) @ torch.linalg.solve(kernel, ya)


def ridge_heldout_loss(F, y, alpha):
    """Mean squared error of a ridge head fitted on one half of a batch and scored on the other, both ways.

    Parameters
    ----------
    F : Tensor of shape (B, D)
        Features (part of the autograd graph); standardised with the fitting half's mean and std.
    y : Tensor of shape (B, k)
        Standardised targets.
    alpha : float
        Ridge penalty for the half's size.

    Returns
    -------
    Tensor of shape ()
    """
    half = F.shape[0] // 2
    total = 0.0
    for a, b in ((slice(0, half), slice(half, None)), (slice(half, None), slice(0, half))):
        mu, sd = F[a].mean(dim=0), F[a].std(dim=0) + 1e-6
        ym = y[a].mean(dim=0)
        pred = _solve_ridge((F[a] - mu) / sd, y[a] - ym, alpha, (F[b] - mu) / sd) + ym
        total = total + ((pred - y[b]) ** 2).mean()
    return total / 2


class ScatteringRegressor(RegressorMixin, BaseEstimator):
    """Learned scattering transform + ridge head (see the module docstring).

    Parameters
    ----------
    bank : {"morlet", "dwt"}, default="morlet"
    J : int, default=3
        Scale: Morlet 1D log2 of the largest wavelet scale (= averaging scale); Morlet 2D number of scales;
        DWT number of levels. Outputs are sampled every ``2**J``.
    Q : int, default=1
        Morlet 1D wavelets per octave (first order; the second order has one).
    L : int, default=8
        Morlet 2D orientations.
    max_order : {0, 1, 2}, default=2
    wave : str, default="db5"
        DWT bank: initial wavelet when ``h0`` is None.
    h0 : array-like of shape (N,) or None, default=None
        DWT bank: initial lowpass filter, e.g. the distilled AWD wavelet.
    parametrization : {"orthogonal", "free"}, default="orthogonal"
        DWT bank.
    learn_filters : bool, default=True
        False keeps the initial filters (fixed scattering + ridge, the baseline).
    pooling : {"none", "mean"}, default="none"
        Keep every output position as a feature, or average them (full translation invariance).
    epochs : int, default=20
    batch_size : int, default=128
    lr : float, default=0.05
        Adam step on the raw parameters (logits of frequencies and widths, log widths, angles).
    alphas : sequence of float or None, default=None
        Ridge penalties tried by cross-validation (``logspace(-3, 4, 15)`` when None).
    interpretation_weight : float, default=0.0
        Weight of the AWD interpretation penalty (``bank="dwt"`` and a teacher only).
    attribution : {"saliency", "input_x_gradient", "integrated_gradients"}, default="saliency"
    target : int, default=0
        Teacher output explained by the penalty.
    paths : iterable of tuple or None, default=None
        Start from a subset of the transform's paths.
    prune : bool, default=False
        Greedy CAR pruning after training, then retraining of the kept paths.
    prune_cv, prune_restarts : int, default=5, 3
        Folds and restarts (fresh shuffles) of the pruning cross-validation.
    prune_retrain : {"head", "full"}, default="head"
        Before each removal retrain the ridge head only (exact, fast) or the whole transform from
        ``prune_restarts`` perturbed starts (``restart_noise``), keeping the best.
    prune_step : int or "auto", default="auto"
        Paths removed per pruning step (see :func:`.pruning.greedy_prune`).
    restart_noise : float, default=0.1
        Standard deviation of the noise added to every raw parameter at a restart.
    init_noise : float, default=0.0
        The same noise at the start of :meth:`fit`.
    val_fraction : float, default=0.2
        Rows held out while the filters are trained; the epoch (0 = the initial filters) whose ridge head
        scores best on them is kept. All rows fit the final head. 0 keeps the last epoch.
    oversampling : int, default=0
        Morlet bank.
    seed : int, default=0
    device : str or None, default=None
        ``None`` follows :func:`models.device.resolve_device`.
    dtype : {"float32", "float64"}, default="float32"

    Attributes
    ----------
    transform_ : nn.Module
        The trained transform restricted to the kept paths (CPU, eval mode).
    paths_ : list of tuple
        Kept paths, in feature order.
    all_paths_ : list of tuple
        Paths before pruning.
    coef_ : ndarray of shape (n_features,) or (k, n_features)
        Ridge weights on standardised features.
    intercept_ : float or ndarray of shape (k,)
    alpha_ : float
    feature_mean_, feature_scale_ : ndarray of shape (n_features,)
    filters_init_, filters_ : dict of ndarray
        Filter parameters at the start and the end (``transform.parameters_dict()``).
    history_ : dict
        See ``_train``: ``loss``, ``penalty``, ``val_score``, ``best_epoch``, ``alpha``, ``alpha_batch``,
        ``epoch_seconds``.
    pruning_ : dict or None
        :func:`.pruning.greedy_prune`'s curve, paths as tuples (``kept``, ``removed``,
        ``importance`` keyed by path).
    signal_shape_ : tuple
    n_features_out_ : int
        Number of features of the head.
    """

    def __init__(self, bank="morlet", J=3, Q=1, L=8, max_order=2, wave="db5", h0=None,
                 parametrization="orthogonal", learn_filters=True, pooling="none", epochs=20, batch_size=128,
                 lr=0.05, alphas=None, interpretation_weight=0.0, attribution="saliency", target=0, paths=None,
                 prune=False, prune_cv=5, prune_restarts=3, prune_retrain="head", prune_step="auto",
                 restart_noise=0.1,
                 init_noise=0.0, val_fraction=0.2, oversampling=0, seed=0, device=None, dtype="float32"):
        self.bank = bank
        self.J = J
        self.Q = Q
        self.L = L
        self.max_order = max_order
        self.wave = wave
        self.h0 = h0
        self.parametrization = parametrization
        self.learn_filters = learn_filters
        self.pooling = pooling
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.alphas = alphas
        self.interpretation_weight = interpretation_weight
        self.attribution = attribution
        self.target = target
        self.paths = paths
        self.prune = prune
        self.prune_cv = prune_cv
        self.prune_restarts = prune_restarts
        self.prune_retrain = prune_retrain
        self.prune_step = prune_step
        self.restart_noise = restart_noise
        self.init_noise = init_noise
        self.val_fraction = val_fraction
        self.oversampling = oversampling
        self.seed = seed
        self.device = device
        self.dtype = dtype

    # ------------------------------------------------------------------------------------------ checks
    def _check_params(self):
        if self.bank not in BANKS:
            raise ValueError(f"bank: use one of {', '.join(BANKS)}, got {self.bank!r}")
        if self.pooling not in ("none", "mean"):
            raise ValueError(f"pooling: use 'none' or 'mean', got {self.pooling!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype: use 'float32' or 'float64', got {self.dtype!r}")
        for name, low in (("epochs", 0), ("batch_size", 4), ("prune_cv", 2), ("prune_restarts", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name}: must be an integer >= {low}, got {value!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"lr: must be a positive number, got {self.lr!r}")
        if not (isinstance(self.interpretation_weight, (int, float)) and self.interpretation_weight >= 0):
            raise ValueError(f"interpretation_weight: must be >= 0, got {self.interpretation_weight!r}")
        if self.interpretation_weight > 0 and self.bank != "dwt":
            raise ValueError("interpretation_weight: the AWD penalty needs an orthonormal first layer; "
                             "use bank='dwt' or set interpretation_weight=0")
        if self.prune_retrain not in ("head", "full"):
            raise ValueError(f"prune_retrain: use 'head' or 'full', got {self.prune_retrain!r}")
        attr.check_method(self.attribution)

    # ------------------------------------------------------------------------------------------ pieces
    def _torch_dtype(self):
        return torch.float64 if self.dtype == "float64" else torch.float32

    def _build(self, paths):
        return make_transform(self.bank, self.signal_shape_, self.J, Q=self.Q, L=self.L,
                              max_order=self.max_order, wave=self.wave, h0=self.h0,
                              parametrization=self.parametrization, learn=self.learn_filters,
                              oversampling=self.oversampling, paths=paths, dtype=self._torch_dtype())

    def _flatten(self, s):
        if self.pooling == "mean":
            return s.flatten(2).mean(dim=2)
        return s.flatten(1)

    def _forward(self, transform, xb):
        """Flattened features of a batch, in micro-batches that stay in cache (2D: 32 maps).

        While training 2D transforms each micro-batch is checkpointed: its intermediate spectra are
        recomputed during the backward pass instead of kept (the same gradients, less memory).
        """
        micro = 32 if xb.ndim == 3 else 256

        def run(chunk):
            return self._flatten(transform(chunk))

        if xb.ndim == 3 and torch.is_grad_enabled():
            def run(chunk):  # noqa: F811
                return checkpoint(lambda c: self._flatten(transform(c)), chunk, use_reentrant=False)
        if xb.shape[0] <= micro:
            return run(xb)
        return torch.cat([run(xb[i:i + micro]) for i in range(0, xb.shape[0], micro)])

    def _features(self, transform, X, device, batch=256):
        """Features of all rows of X (numpy), without gradients."""
        out = []
        with torch.no_grad():
            for start in range(0, X.shape[0], batch):
                xb = torch.as_tensor(X[start:start + batch], dtype=self._torch_dtype(), device=device)
                out.append(self._forward(transform, xb).cpu().numpy())
        return np.concatenate(out).astype(np.float64)

    def _groups(self, n_paths, n_features):
        per = n_features // n_paths
        return [np.arange(p * per, (p + 1) * per) for p in range(n_paths)]

    def _alpha_cv(self, Z, y, sample_groups=None):
        """A ridge head on standardised ``Z`` with its penalty chosen by cross-validation: efficient leave-one-out,
        or whole groups out (up to 5 folds) when ``sample_groups`` names each row's map (tiles of one map are
        alike: leaving one tile out chose too small a penalty)."""
        alphas = DEFAULT_ALPHAS if self.alphas is None else tuple(float(a) for a in self.alphas)
        mu, sd = Z.mean(axis=0), Z.std(axis=0)
        sd = np.where(sd > 1e-12, sd, 1.0)
        cv = None
        if sample_groups is not None and np.unique(sample_groups).size >= 2:  # one map left: leave-one-out
            cv = list(GroupKFold(n_splits=min(5, np.unique(sample_groups).size)).split(Z, groups=sample_groups))
        head = RidgeCV(alphas=alphas, cv=cv).fit((Z - mu) / sd, y)
        return head, mu, sd

    def _penalty_fn(self, X, teacher, device):
        """The AWD interpretation penalty as a function of (transform, batch index), or None."""
        if not self.interpretation_weight:
            return None
        if teacher is None:
            raise ValueError("teacher: interpretation_weight > 0 needs the teacher (a callable on signals)")
        Xt = torch.as_tensor(X, dtype=self._torch_dtype(), device=device)
        grads = attr.teacher_input_gradients(teacher, Xt, self.attribution, self.target)
        weight, two_d, J = float(self.interpretation_weight), len(self.signal_shape_) == 2, self.J

        def coefficients(z, h):
            if two_d:
                cs = wv.wavedec2d(z, h, J)
                return torch.cat([cs[0].flatten(1)] + [b.flatten(1) for lvl in cs[1:] for b in lvl], dim=1)
            return torch.cat(wv.wavedec1d(z, h, J), dim=1)

        def penalty(transform, index):
            index = torch.as_tensor(index, device=device)
            h = transform.lowpass()
            a = coefficients(grads[index], h)
            if self.attribution != "saliency":
                a = a * coefficients(Xt[index], h)
            return weight * a.abs().sum(dim=1).mean()

        return penalty

    def _batch_alpha(self, Z, y_std, bs, seed, n_batches=16):
        """Ridge penalty of the in-batch head: the grid value with the smallest held-out batch loss."""
        alphas = DEFAULT_ALPHAS if self.alphas is None else tuple(float(a) for a in self.alphas)
        rng = np.random.default_rng(seed)
        Zt, yt = torch.as_tensor(Z), torch.as_tensor(y_std, dtype=torch.float64)
        batches = [torch.as_tensor(rng.choice(len(Z), size=bs, replace=False)) for _ in range(n_batches)]
        losses = [np.mean([float(ridge_heldout_loss(Zt[i], yt[i], a)) for i in batches]) for a in alphas]
        return float(alphas[int(np.argmin(losses))])

    def _split(self, n, seed, sample_groups=None):
        """Training and validation indices (no validation below 10 samples or with val_fraction = 0); whole
        groups (maps) to the validation part when ``sample_groups`` is given."""
        n_val = int(round(self.val_fraction * n))
        rng = np.random.default_rng(int(seed) + 1)
        if n_val < 10 or n - n_val < 8:
            return np.arange(n), None
        if sample_groups is not None:
            va, tr = held_out_groups(sample_groups, self.val_fraction, rng)
            return tr, va
        order = rng.permutation(n)
        return np.sort(order[n_val:]), np.sort(order[:n_val])

    def _val_score(self, transform, X, y_std, tr, va, alpha, device):
        """R2 on the validation rows of a ridge head (penalty ``alpha``) fitted on the training rows."""
        Z = self._features(transform, X, device)
        mu, sd = Z[tr].mean(axis=0), Z[tr].std(axis=0)
        sd = np.where(sd > 1e-12, sd, 1.0)
        ym = y_std[tr].mean(axis=0)
        with torch.no_grad():
            pred = _solve_ridge(torch.as_tensor((Z[tr] - mu) / sd), torch.as_tensor(y_std[tr] - ym), alpha,
                                torch.as_tensor((Z[va] - mu) / sd)).numpy() + ym
        sse = ((pred - y_std[va]) ** 2).sum(axis=0)
        sst = ((y_std[va] - y_std[va].mean(axis=0)) ** 2).sum(axis=0)
        return float(np.mean(1 - sse / np.maximum(sst, 1e-300)))

    def _train(self, transform, X, y_std, device, penalty, seed, progress=None, should_stop=None,
               sample_groups=None):
        """Adam on the transform's parameters, keeping the epoch with the best validation score.

        Returns the history dict: ``loss`` and ``penalty`` (training means per epoch), ``val_score`` (R2 of
        the ridge head on the validation rows, index 0 = before training), ``best_epoch`` (0 = the start),
        ``alpha_batch`` (in-batch penalty), ``alpha`` (penalty of the validation head), ``epoch_seconds``.
        ``should_stop`` is polled between batches (:class:`models.distill.StopPoll`) and after every epoch.
        """
        poll = StopPoll(should_stop)
        history = {"loss": [], "penalty": [], "val_score": [], "epoch_seconds": [], "best_epoch": 0}
        tr, va = self._split(X.shape[0], seed, sample_groups)
        Z0 = self._features(transform, X, device)
        head0, _, _ = self._alpha_cv(Z0[tr], y_std[tr], None if sample_groups is None else sample_groups[tr])
        alpha = history["alpha"] = float(head0.alpha_)
        params = [p for p in transform.parameters() if p.requires_grad]
        if not params or self.epochs == 0:
            return history
        bs = min(self.batch_size, len(tr))
        alpha_batch = history["alpha_batch"] = self._batch_alpha(Z0[tr], y_std[tr], bs, seed)
        opt = StackedAdam(params, lr=self.lr)
        steps = self.epochs * (len(tr) // bs)
        step = 0  # the step size follows a cosine from lr to lr / 10 over the steps
        gen = torch.Generator().manual_seed(int(seed))
        Xt = torch.as_tensor(X[tr], dtype=self._torch_dtype(), device=device)
        yt = torch.as_tensor(y_std[tr], dtype=self._torch_dtype(), device=device)
        best = None
        if va is not None:
            history["val_score"].append(self._val_score(transform, X, y_std, tr, va, alpha, device))
            best = copy.deepcopy(transform.state_dict())
        for epoch in range(self.epochs):
            t0 = time.perf_counter()
            order = torch.randperm(len(tr), generator=gen).to(device)
            losses, pens = [], []
            for start in range(0, len(tr) - bs + 1, bs):
                index = order[start:start + bs]
                F = self._forward(transform, Xt[index])
                loss = ridge_heldout_loss(F, yt[index], alpha_batch)
                pen = penalty(transform, tr[index.cpu().numpy()]) if penalty is not None else torch.zeros(())
                opt.zero_grad()
                (loss + pen).backward()
                opt.lr = self.lr * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * step / steps)))
                opt.step()
                step += 1
                losses.append(float(loss.detach()))
                pens.append(float(pen.detach()))
                poll(f"epoch {epoch + 1}")
            history["loss"].append(float(np.mean(losses)))
            history["penalty"].append(float(np.mean(pens)))
            history["epoch_seconds"].append(time.perf_counter() - t0)
            if va is not None:
                history["val_score"].append(self._val_score(transform, X, y_std, tr, va, alpha, device))
                if history["val_score"][-1] > max(history["val_score"][:-1]):
                    best, history["best_epoch"] = copy.deepcopy(transform.state_dict()), epoch + 1
            if progress is not None:
                progress("scattering", (epoch + 1) / self.epochs,
                         f"epoch {epoch + 1}/{self.epochs}: held-out loss {history['loss'][-1]:.4f}")
            poll(f"epoch {epoch + 1}", force=True)
        if best is not None:
            transform.load_state_dict(best)
        else:
            history["best_epoch"] = self.epochs
        return history

    def _perturb(self, transform, noise, seed):
        if noise <= 0:
            return
        gen = torch.Generator().manual_seed(int(seed) + 7919)
        with torch.no_grad():
            for p in transform.parameters():
                p.add_(noise * torch.randn(p.shape, generator=gen, dtype=p.dtype).to(p.device))

    def _fit_transform(self, X, y_std, device, penalty, paths, start, noise, seed, **kw):
        """A transform on ``paths`` started from ``start`` (a state dict of the full transform, or None)."""
        transform = self._build(None)
        if start is not None:
            transform.load_state_dict(start)
        transform = self._restrict(transform, paths).to(device)
        self._perturb(transform, noise, seed)
        history = self._train(transform, X, y_std, device, penalty, seed, **kw)
        return transform, history

    def _restrict(self, transform, paths):
        """The same transform (same parameters) computing only ``paths``."""
        restricted = copy.deepcopy(transform)
        restricted.paths = [p for p in transform.available_paths if p in set(paths)]
        return restricted

    # ------------------------------------------------------------------------------------------ API
    def fit(self, X, y, teacher=None, *, sample_groups=None, progress=None, should_stop=None):
        """Train the transform and the head.

        Parameters
        ----------
        X : array-like of shape (n, L) or (n, H, W)
        y : array-like of shape (n,) or (n, k)
        teacher : callable or None, default=None
            ``teacher(x (B, *signal_shape)) -> (B,) or (B, n_outputs)``; used by the interpretation penalty.
        sample_groups : array-like of shape (n,), optional
            The map each sample (a tile) was cut from: the validation part, the head's penalty and the pruning's
            folds then hold out whole maps, as the job's selection does.
        progress : callable or None
            ``progress("scattering", fraction, message)`` after every epoch.
        should_stop : callable or None
            Polled between batches every :data:`models.distill.STOP_POLL_SECONDS` and after every epoch, of the
            training and of the kept paths' retraining; :class:`models.distill.Cancelled` is raised when it returns
            True.

        Returns
        -------
        self
        """
        self._check_params()
        X = val.check_signals(X, "X")
        y = val.check_targets(y, X.shape[0], "y")
        if sample_groups is not None:
            sample_groups = np.asarray(sample_groups)
            if sample_groups.shape != (X.shape[0],) or np.unique(sample_groups).size < 2:
                raise ValueError(f"sample_groups: need one group per sample ({X.shape[0]}) and two groups or more, "
                                 f"got shape {sample_groups.shape}")
        device = resolve_device(self.device)
        self.signal_shape_ = tuple(X.shape[1:])
        torch.manual_seed(int(self.seed))
        y_mean, y_sd = y.mean(axis=0), y.std(axis=0)
        y_std = ((y - y_mean) / np.where(y_sd > 0, y_sd, 1.0)).reshape(len(y), -1)

        transform = self._build(self.paths).to(device)
        self._perturb(transform, float(self.init_noise), self.seed)
        self.all_paths_ = list(transform.paths)
        self.filters_init_ = transform.parameters_dict()
        penalty = self._penalty_fn(X, teacher, device)
        t0 = time.perf_counter()
        history = self._train(transform, X, y_std, device, penalty, self.seed,
                              progress=progress, should_stop=should_stop, sample_groups=sample_groups)
        self.pruning_ = None
        if self.prune:
            transform = self._prune(transform, X, y_std, history["alpha"], device, penalty, sample_groups,
                                    should_stop)
        self.train_seconds_ = time.perf_counter() - t0
        self.history_ = history
        Z = self._features(transform, X, device)
        head, mu, sd = self._alpha_cv(Z, y, sample_groups)
        self.transform_ = transform.cpu().eval()
        self.paths_ = list(transform.paths)
        self.filters_ = transform.parameters_dict()
        self.coef_, self.intercept_, self.alpha_ = head.coef_, head.intercept_, float(head.alpha_)
        self.feature_mean_, self.feature_scale_ = mu, sd
        self.n_features_out_ = Z.shape[1]
        self._y_ndim = y.ndim
        return self

    def _prune(self, transform, X, y_std, alpha, device, penalty, sample_groups=None, should_stop=None):
        full = {k: v.detach().clone() for k, v in transform.state_dict().items()}
        paths = list(transform.paths)
        kw = dict(cv=self.prune_cv, n_restarts=self.prune_restarts, seed=self.seed, step=self.prune_step,
                  sample_groups=sample_groups)
        if self.prune_retrain == "head":
            Z = self._features(transform, X, device)
            curve = greedy_prune(Z, y_std, self._groups(len(paths), Z.shape[1]), alpha=alpha, **kw)
        else:
            def features(kept):
                best, best_score = None, -np.inf
                for r in range(self.prune_restarts):
                    cand, _ = self._fit_transform(X, y_std, device, penalty, [paths[i] for i in kept],
                                                  full, self.restart_noise, self.seed + 1 + r,
                                                  sample_groups=sample_groups, should_stop=should_stop)
                    Zc = self._features(cand, X, device)
                    head, _, _ = self._alpha_cv(Zc, y_std, sample_groups)
                    score = float(head.best_score_) if hasattr(head, "best_score_") else 0.0
                    if best is None or score > best_score:
                        best, best_score = Zc, score
                return best, self._groups(len(kept), best.shape[1])

            curve = greedy_prune(None, y_std, [None] * len(paths), alpha=alpha, features=features, **kw)
        kept = [paths[i] for i in curve["kept"][curve["chosen"]]]
        self.pruning_ = {
            "n_paths": curve["n_paths"], "score": curve["score"], "score_se": curve["score_se"],
            "kept": [[paths[i] for i in k] for k in curve["kept"]], "removed": [paths[i] for i in curve["removed"]],
            "importance": {paths[i]: v for i, v in curve["importance"].items()},
            "car": {paths[i]: v for i, v in curve["car"].items()}, "chosen": curve["chosen"],
        }
        if not self.learn_filters or self.epochs == 0:
            return self._restrict(transform, kept)
        retrained, _ = self._fit_transform(X, y_std, device, penalty, kept, full, 0.0, self.seed,
                                           sample_groups=sample_groups, should_stop=should_stop)
        return retrained

    def transform(self, X):
        """Features of the head (before standardisation).

        Parameters
        ----------
        X : array-like of shape (n, *signal_shape)

        Returns
        -------
        ndarray of shape (n, n_features_out_)
        """
        check_is_fitted(self, "coef_")
        X = val.check_signals(X, "X", min_samples=1)
        if tuple(X.shape[1:]) != self.signal_shape_:
            raise ValueError(f"X: expected signals of shape {self.signal_shape_}, got {tuple(X.shape[1:])}")
        return self._features(self.transform_, X, torch.device("cpu"))

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n, *signal_shape)

        Returns
        -------
        ndarray of shape (n,) or (n, k)
        """
        Z = (self.transform(X) - self.feature_mean_) / self.feature_scale_
        return Z @ np.asarray(self.coef_).T + self.intercept_
