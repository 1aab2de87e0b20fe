"""Training of a built-in teacher: Adam on the standardised mean squared error, early stopping, seeded.

:func:`train_teacher` checks the data, holds out a validation split, fits the normalisation buffers, runs the
loop on a fixed number of CPU threads and returns the weights of the best validation epoch.
"""

import contextlib
import copy
import math
import threading
import time

import numpy as np
import torch
from torch import nn

from awd_studio.models.cores import job_threads, map_on_job_threads
from awd_studio.models.data.dataset import held_out_groups
from awd_studio.models.device import resolve_device
from awd_studio.models.distill import StopPoll
from awd_studio.models.optim import StackedAdam
from awd_studio.models.teachers.architectures import _ARCHITECTURES, TEACHERS, build_teacher
from awd_studio.models.teachers.augment import random_symmetry, resolve_augmentation
from awd_studio.models.validation import InputError, check_targets

__all__ = ["TRAINING_DEFAULTS", "GRADIENT_CLIP", "DEFAULT_THREADS", "BEHIND_RATIO", "BEHIND_MIN_EPOCHS",
           "train_teacher", "train_best_teacher", "training_threads", "trains_side_by_side", "validation_split",
           "still_improving_at_cap"]

#: Per-architecture defaults of :func:`train_teacher` (epochs, batch_size, lr, patience). On 2 CPU cores
#: the LSTM default takes 11-13 s alone (15-16 s beside the MLP) for 3000 series of length 40, the CNN about 25 s
#: for 1200 maps 64x64 (with symmetry augmentation it keeps improving for 80 epochs and more; without, it overfits
#: after about 30, docs/science.md "The teacher"). ResNet-18 costs about 0.15 GFLOP per 64x64 map and direction
#: (minutes per epoch on a CPU): meant for a GPU.
TRAINING_DEFAULTS = {
    "mlp": {"epochs": 200, "batch_size": 64, "lr": 1e-3, "patience": 20},
    # 80 epochs and patience 20, not 50 and 8: the LSTM's validation loss sits on a plateau for 10-20 epochs before
    # it falls, and is still falling at epoch 50. On the CME example (data seeds 0-4, a fifth held out) 50/8 gave
    # test R² 0.784, 0.540 (stopped at epoch 11, on the plateau), 0.764, 0.766, 0.692 in 2-9 s; 80/20 gave 0.814,
    # 0.804, 0.797, 0.772, 0.719 in 11-13 s. A cosine decay of the rate over 50 epochs was worse (0.660, 0.722 on
    # seeds 0 and 2): the plateau needs the full rate (docs/science.md, "The teacher")
    "lstm": {"epochs": 80, "batch_size": 64, "lr": 3e-3, "patience": 20},
    # patience 20, not 10: with augmentation the CNN's validation loss jumps for a few epochs before it falls
    # again; on a 2-core AMD EPYC the lensing example's seed 0 stopped at epoch 22 (test R² of Omega_m 0.46)
    # where 20 ran the 50 epochs (0.84); a run that reached epoch 50 with 10 is unchanged (docs/science.md).
    # 80 epochs, not 50 (2026-12-04): trained alone on the lensing example (1200 maps, 300 test), seeds 0-2, test R²
    # of Omega_m 0.680, 0.867, 0.762 in 15-17 s with 50 (best epochs 49, 46, 45: still improving at the limit) and
    # 0.856, 0.883, 0.793 in 25 s with 80 (best 76, 78, 67); batch 64 with 80 epochs 0.847, 0.862, 0.771 in 20-22 s
    "cnn": {"epochs": 80, "batch_size": 32, "lr": 2e-3, "patience": 20},
    "resnet18": {"epochs": 15, "batch_size": 32, "lr": 1e-3, "patience": 4},
}

#: Largest gradient norm of one step, by architecture (clipped above it; none for the others). The LSTM at its step
#: of 3e-3 diverged on 480 traces of an event at a random time (review 21: validation MSE 0.49 -> 1.01 in one epoch,
#: test R² 0.47-0.55 on two of three seeds where the user's own LSTM reached 0.97); clipped at 1.0, test R² 0.946,
#: 0.972, 0.972 against 0.466, 0.551, 0.956 (seeds 2, 1, 3). On the CME example (seeds 0-2), 0.795, 0.737, 0.784
#: against 0.788, 0.759, 0.784: level within the seeds' spread (2026-12-05, docs/science.md "The teacher").
GRADIENT_CLIP = {"lstm": 1.0}

#: CPU threads used by :func:`train_teacher` when ``num_threads=None`` (``None``: torch's setting, which a job
#: sets to its threads, :mod:`models.cores`). Measured on the quiet 2-core machine (4 epochs, 2 interleaved
#: repeats, ``OMP_WAIT_POLICY=PASSIVE``): the LSTM on the CME example took 0.53-0.56 s on one thread and
#: 2.02-2.03 s on two, the MLP on the synthetic example 0.07-0.08 s against 0.18-0.19 s (their operations are
#: too small to pay for waking a second thread), the CNN on the lensing maps 3.55-3.63 s against 2.34-2.36 s.
#: With the short spin that importing AWD Studio sets since (``GOMP_SPINCOUNT=1000``, :mod:`awd`), remeasured on a
#: 2-core AMD EPYC (3 interleaved repeats): the LSTM took 182-185 ms per epoch on one thread and 131-134 ms on two
#: with no other busy process, but 193-197 against 576-618 ms beside one (a Python loop); the MLP 31 ms either way.
#: One thread stays the LSTM's: two save a quarter when nothing else runs and are three times slower when it does.
#: With 10000 spins (since 2026-12-07) on the quiet 2-core Xeon: 0.111-0.122 s per epoch on one thread, 0.118-0.123 s
#: on two (CME example, 6 epochs, 2 interleaved repeats).
DEFAULT_THREADS = {"mlp": 1, "lstm": 1, "cnn": None, "resnet18": None}


#: :func:`train_best_teacher` stops an architecture whose lowest validation MSE is still more than ``BEHIND_RATIO``
#: times another's final one after ``BEHIND_MIN_EPOCHS`` epochs. 30 epochs: the LSTM's plateau on the CME example
#: lasts 10-20 (see TRAINING_DEFAULTS); from there it improved about twofold, far less than tenfold.
BEHIND_RATIO = 10.0
BEHIND_MIN_EPOCHS = 30

#: Held while a teacher's weights are drawn (seeded global generator), as several may train at once.
_BUILD_LOCK = threading.Lock()


def _as_float32(X, field):
    try:
        arr = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InputError(field, f"cannot be read as a float array ({exc})", "pass a numeric array") from None
    if arr.ndim not in (2, 3):
        raise InputError(field, f"has shape {arr.shape}", "pass (n, L) time series or (n, H, W) maps")
    if not np.isfinite(arr).all():
        raise InputError(field, "contains NaN or infinite values", "remove or impute them")
    return arr


def _fit_normalisation(model, X, y2):
    x_std = float(X.std())
    y_std = y2.std(axis=0)
    with torch.no_grad():
        model.x_mean.fill_(float(X.mean()))
        model.x_std.fill_(x_std if x_std > 0 else 1.0)
        model.y_mean.copy_(torch.as_tensor(y2.mean(axis=0), dtype=torch.float32))
        model.y_std.copy_(torch.as_tensor(np.where(y_std > 0, y_std, 1.0), dtype=torch.float32))


def _epoch_loss(model, X, Y, batch_size):
    """Mean squared error on the standardised scale, evaluation mode, no gradients."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, X.shape[0], batch_size):
            xb, yb = X[start:start + batch_size], Y[start:start + batch_size]
            pred = model.standardized(xb)
            total += float(((pred - (yb - model.y_mean) / model.y_std) ** 2).sum())
    return total / (X.shape[0] * Y.shape[1])


def validation_split(n, val_fraction, seed, groups=None):
    """The samples :func:`train_teacher` holds out for early stopping, and those it trains on.

    Parameters
    ----------
    n : int
    val_fraction : float
    seed : int
    groups : array-like of shape (n,), optional
        Group of each sample (the map a tile was cut from): whole groups are then held out.

    Returns
    -------
    val_idx, train_idx : ndarray of int
        ``val_idx`` is empty below 10 samples (the training loss is monitored instead).

    Examples
    --------
    >>> val, train = validation_split(12, 0.25, 0, groups=np.repeat(np.arange(4), 3))
    >>> val.tolist(), len(train)
    ([6, 7, 8], 9)
    """
    rng = np.random.default_rng(seed)
    n_val = int(round(val_fraction * n)) if n >= 10 else 0
    if groups is not None and len(groups) != n:
        raise InputError("groups", f"has {len(groups)} entries for {n} samples", "pass one group per sample")
    if groups is not None and n_val > 0 and np.unique(groups).size >= 2:
        return held_out_groups(groups, val_fraction, rng)
    perm = rng.permutation(n)
    return perm[:n_val], perm[n_val:]


def still_improving_at_cap(epochs_run: int, epoch_cap: int, best_epoch: int) -> bool:
    """Whether a teacher ran every epoch it was allowed and its best validation loss came in the last tenth of them
    (at least the last 3): it stopped at the cap, not by early stopping, and more epochs may have helped.

    Parameters
    ----------
    epochs_run, epoch_cap : int
        Epochs trained and the most allowed.
    best_epoch : int
        The epoch (1-based) of the lowest validation loss.

    Examples
    --------
    >>> still_improving_at_cap(50, 50, 49), still_improving_at_cap(50, 50, 30), still_improving_at_cap(31, 50, 31)
    (True, False, False)
    """
    return epochs_run >= epoch_cap and best_epoch > epoch_cap - max(3, epoch_cap // 10)


def train_teacher(name, X, y, *, X_val=None, y_val=None, epochs=None, batch_size=None, lr=None,
                  patience=None, seed=0, device=None, progress=None, weight_decay=0.0, val_fraction=0.15,
                  num_threads=None, on_epoch=None, augment="auto", give_up=None, groups=None, should_stop=None,
                  on_build=None):
    """Train a built-in teacher with Adam on the mean squared error, with early stopping.

    Inputs are standardised by one global mean and standard deviation, targets per column; both are
    stored in the model's buffers, so the returned model takes raw data and predicts in target units.
    The loss is computed on the standardised targets. The weights with the lowest validation loss are
    restored at the end. On CPU the result is deterministic given ``seed``.

    Parameters
    ----------
    name : {"mlp", "lstm", "cnn", "resnet18"}
        Architecture (see :data:`TEACHERS`).
    X : array-like of shape (n, L) or (n, H, W)
        Training signals.
    y : array-like of shape (n,) or (n, k)
        Targets; ``n_outputs`` is 1 or ``k``.
    X_val, y_val : array-like, optional
        Validation data for early stopping. Without them a seeded ``val_fraction`` of ``X`` is held out
        (no hold-out when fewer than 10 samples: the training loss is monitored instead).
    epochs, batch_size, lr, patience : optional
        ``None`` takes :data:`TRAINING_DEFAULTS` for the architecture. ``patience`` counts epochs without
        improvement of the validation loss before stopping (``0`` disables early stopping).
    seed : int, default=0
        Seeds the weights, the split and the batch order.
    device : str or torch.device, optional
        See :func:`models.device.resolve_device`. The returned model lives on this device.
    progress : callable, optional
        ``progress(stage, fraction, message)`` with ``stage="teacher"`` after each epoch.
    weight_decay : float, default=0
        Adam's L2 penalty.
    val_fraction : float, default=0.15
        Share of ``X`` held out when no validation data are given.
    num_threads : int, optional
        CPU threads during training (restored afterwards); ``None`` takes :data:`DEFAULT_THREADS`.
    on_epoch : callable, optional
        ``on_epoch(epoch, {"train": float, "val": float})`` after each epoch (epoch counts from 1; MSE on the
        standardised targets, as in ``teacher.history``), e.g. to draw the training curve live.
    augment : {"auto", "none", "dihedral"}, default="auto"
        Symmetry augmentation (:mod:`models.teachers.augment`): ``"dihedral"`` shows each training batch
        rotated by a random multiple of 90 degrees and maybe mirrored; ``"auto"`` does so for maps and not for
        time series. Validation data are never transformed. The choice is stored as ``teacher.augment``.
    give_up : callable, optional
        ``give_up(epoch, best_val)`` after each epoch (epoch counts from 1, ``best_val`` the lowest validation MSE
        so far): ``True`` ends the training there, as early stopping does, and records the epoch as
        ``teacher.gave_up_at`` (``None`` otherwise). :func:`train_best_teacher` uses it to stop an architecture
        far behind another one that has finished.
    groups : array-like of shape (n,), optional
        Group of each sample (the map a tile was cut from): the held-out ``val_fraction`` is then whole groups
        (:func:`models.data.dataset.held_out_groups`), so early stopping never scores a map whose other tiles
        the teacher trained on.
    should_stop : callable, optional
        Polled between batches, every :data:`models.distill.STOP_POLL_SECONDS` of training, and after each epoch:
        True raises :class:`models.distill.Cancelled`. May be called from a training thread
        (:func:`train_best_teacher`).
    on_build : callable, optional
        ``on_build(model)`` once the network is built and its normalisation buffers are fitted, before the first
        epoch (the input scaling of :func:`models.pipeline.scaling.input_scaling` is then known). May be called from
        a training thread.

    Returns
    -------
    teacher : nn.Module
        Trained, in evaluation mode; ``teacher.history`` holds ``{"train": [...], "val": [...]}`` (MSE
        on the standardised scale per epoch) and ``teacher.best_epoch``.
    """
    if name not in _ARCHITECTURES:
        raise InputError("teacher", f"unknown architecture {name!r}", f"use one of {', '.join(TEACHERS)}")
    defaults = TRAINING_DEFAULTS[name]
    epochs = defaults["epochs"] if epochs is None else int(epochs)
    batch_size = defaults["batch_size"] if batch_size is None else int(batch_size)
    lr = defaults["lr"] if lr is None else float(lr)
    patience = defaults["patience"] if patience is None else int(patience)
    if epochs < 1 or batch_size < 1 or lr <= 0:
        raise InputError("epochs", f"epochs={epochs}, batch_size={batch_size}, lr={lr} must be positive",
                         "pass positive values or leave them as None for the defaults")

    X = _as_float32(X, "X")
    augment = resolve_augmentation(augment, X.shape[1:])
    y2 = check_targets(y, X.shape[0]).astype(np.float32)
    y2 = y2.reshape(X.shape[0], -1)
    if X_val is not None:
        if y_val is None:
            raise InputError("y_val", "is missing while X_val is given", "pass both or neither")
        X_val = _as_float32(X_val, "X_val")
        if X_val.shape[1:] != X.shape[1:]:
            raise InputError("X_val", f"has sample shape {X_val.shape[1:]} but X has {X.shape[1:]}",
                             "pass validation signals of the same shape")
        yv2 = check_targets(y_val, X_val.shape[0], "y_val").astype(np.float32).reshape(X_val.shape[0], -1)
        if yv2.shape[1] != y2.shape[1]:
            raise InputError("y_val", f"has {yv2.shape[1]} columns but y has {y2.shape[1]}",
                             "pass the same targets")
        X_tr, y_tr = X, y2
    else:
        val_idx, train_idx = validation_split(X.shape[0], val_fraction, seed, groups)
        if val_idx.size:
            X_val, yv2 = X[val_idx], y2[val_idx]
            X_tr, y_tr = X[train_idx], y2[train_idx]
        else:
            X_tr, y_tr = X, y2
            X_val, yv2 = X, y2

    dev = resolve_device(device)
    threads = training_threads(name, num_threads)
    with _cpu_threads(threads if dev.type == "cpu" else None):
        return _train(name, X_tr, y_tr, X_val, yv2, dev, epochs, batch_size, lr, patience, seed, progress,
                      weight_decay, on_epoch, augment, give_up, StopPoll(should_stop), on_build)


def train_best_teacher(names, X, y, *, progress=None, on_epoch=None, on_core_free=None, **kwargs):
    """Train several architectures on the same split and keep the one with the lowest validation loss.

    What ``teacher="auto"`` does for time series (:data:`models.options.AUTO_TEACHERS`): a recurrent network
    suits events that may happen at any time, a fully connected one values at fixed positions, and only the data
    say which they are. Every architecture is trained by :func:`train_teacher` with the same arguments, so with
    the same seed they hold out the same validation samples and are scored on the same standardised scale.

    On a CPU with a core for each, architectures that train on one thread (:data:`DEFAULT_THREADS`: the LSTM and
    the MLP) train at the same time, each on its own thread, and the stage takes about as long as the longest
    one (on the CME example 7.5 s instead of 9.0 s; the MLP's 1.4 s fits beside the LSTM). The teachers are the
    same to the bit as one after the other; the callbacks are called one at a time, from the training threads.
    If one architecture fails, the others stop after their current epoch and its error is raised.

    An architecture that is still more than :data:`BEHIND_RATIO` times another's final validation loss after
    :data:`BEHIND_MIN_EPOCHS` epochs stops there (``teacher.gave_up_at``; its validation loss so far is reported):
    it would have to improve more than tenfold to be kept. On the synthetic example the LSTM's best stayed between
    0.80 and 0.85 for the 49 epochs it trained, against the MLP's 0.0049 (14.6 s of training for nothing); on the
    CME example its best is about 1.1 times the MLP's final one when the MLP finishes, and it ends ahead. Side by
    side, whether the other architecture has finished by then depends on their speeds, so the epoch of the stop
    (never the teacher kept) may vary between runs.

    Parameters
    ----------
    names : sequence of str
        Architectures, in the order they are trained; the first wins a tie.
    X, y : array-like
        As for :func:`train_teacher`.
    progress : callable, optional
        ``progress("teacher", fraction, message)``; the message holds each architecture's latest line (joined by
        "; "). Side by side the fraction is the least advanced architecture's (the stage lasts as long as the
        slowest one: one that stops early does not move it), one after another each fills an equal share.
    on_epoch : callable, optional
        ``on_epoch(epoch, {"<name>_train": float, "<name>_val": float})`` after each epoch of each architecture
        (epochs count from 1 for each; with one architecture the keys are ``train`` and ``val``, as for
        :func:`train_teacher`).
    on_core_free : callable, optional
        ``on_core_free()``, called once on a CPU when a core of the job's (:func:`models.cores.job_threads`) idles
        while training goes on: when the first of the architectures side by side finishes and another still
        trains (from its training thread), or at the start when they train one after another, each on fewer
        threads than the job has. :mod:`models.pipeline.teacher_free` computes there.
    **kwargs
        Passed to :func:`train_teacher` (``seed``, ``device``, ``epochs``, ``should_stop``, ...).

    Returns
    -------
    teacher : nn.Module
        The architecture with the lowest validation loss (its best epoch's weights), as :func:`train_teacher`
        returns it; ``teacher.stopped_behind`` maps each architecture stopped far behind to its epochs.
    validation : dict of str -> float
        Every architecture's lowest validation MSE on the standardised targets (the training loss when the
        data are too few for a hold-out, see :func:`train_teacher`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 8)).astype(np.float32)
    >>> teacher, validation = train_best_teacher(["mlp"], X, X[:, 2], epochs=2)
    >>> teacher.name, sorted(validation)
    ('mlp', ['mlp'])
    """
    names = list(names)
    if not names:
        raise InputError("teacher", "no architecture to train", f"pass one or more of {', '.join(TEACHERS)}")
    several = len(names) > 1
    lock = threading.Lock()  # the callbacks are called one at a time, whichever thread trains
    fractions = dict.fromkeys(names, 0.0)
    messages = dict.fromkeys(names, "")
    halt, failures = threading.Event(), []
    side_by_side = trains_side_by_side(names, job_threads(), num_threads=kwargs.get("num_threads"),
                                       device=kwargs.get("device"))
    finished = {}  # architecture -> its final (lowest) validation MSE
    core_free = threading.Event()  # on_core_free called

    def free_a_core():
        if on_core_free is not None and not core_free.is_set():
            core_free.set()
            on_core_free()

    def far_behind(epoch, best_val):
        with lock:
            return (bool(finished) and epoch >= BEHIND_MIN_EPOCHS
                    and best_val > BEHIND_RATIO * min(finished.values()))

    def train(name):
        def share(stage, fraction, message):
            if halt.is_set():
                raise _Halted()
            if progress is not None:
                with lock:
                    fractions[name], messages[name] = fraction, message
                    # side by side the stage ends with the slowest architecture (an early stop does not end it);
                    # one after another each fills an equal share
                    done = min(fractions.values()) if side_by_side else sum(fractions.values()) / len(names)
                    # every architecture's latest line, so that side by side neither hides the other
                    progress(stage, done, "; ".join(m for m in messages.values() if m))

        def epoch_of(epoch, losses):
            if on_epoch is not None:
                with lock:
                    on_epoch(epoch, {f"{name}_{key}": value for key, value in losses.items()} if several else losses)

        try:
            teacher = train_teacher(name, X, y, progress=share, on_epoch=epoch_of,
                                    give_up=far_behind if several else None, **kwargs)
            with lock:
                finished[name] = float(min(teacher.history["val"]))
                others_train = side_by_side and len(finished) < len(names)
            if others_train:  # this architecture's core idles while the others train on
                free_a_core()
            return teacher
        except _Halted:
            raise
        except BaseException as exc:  # the others stop after their epoch; this error is the one raised
            failures.append(exc)
            halt.set()
            raise

    if side_by_side:
        before = torch.get_num_threads()
        try:
            teachers = map_on_job_threads(train, names, halt=halt)
        except _Halted:  # another architecture's failure stopped this one: raise that failure
            if failures:
                raise failures[0] from None
            raise
        finally:  # each thread restores the count it found, partly process-wide: the last to end could leave 1
            torch.set_num_threads(before)
    else:
        if (resolve_device(kwargs.get("device")).type == "cpu"
                and all((training_threads(n, kwargs.get("num_threads")) or job_threads()) < job_threads()
                        for n in names)):
            free_a_core()  # one architecture at a time, each on fewer threads than the job has
        teachers = [train(name) for name in names]
    validation = {teacher.name: float(min(teacher.history["val"])) for teacher in teachers}
    best = min(teachers, key=lambda teacher: validation[teacher.name])  # the first of equals
    best.stopped_behind = {teacher.name: teacher.gave_up_at for teacher in teachers if teacher.gave_up_at}
    return best, validation


class _Halted(Exception):
    """Raised in a teacher's training thread when another one failed (see :func:`train_best_teacher`)."""


def training_threads(name, num_threads=None):
    """CPU threads :func:`train_teacher` trains architecture ``name`` on: ``num_threads``, else
    :data:`DEFAULT_THREADS` (``None``: torch's setting, the job's threads)."""
    return DEFAULT_THREADS.get(name) if num_threads is None else int(num_threads)


def trains_side_by_side(names, threads, *, num_threads=None, device=None) -> bool:
    """Whether :func:`train_best_teacher` trains ``names`` at once, each on its own thread: several architectures,
    on a CPU, with a core for each of the job's ``threads``, when every one trains on one thread
    (:func:`training_threads`: the LSTM's and the MLP's steps are too small to share between cores, so two of them
    side by side take about the time of the longer one). The time estimate (:mod:`models.estimate`) asks too."""
    return (len(names) > 1 and int(threads) >= len(names) and resolve_device(device).type == "cpu"
            and all(training_threads(name, num_threads) == 1 for name in names))


@contextlib.contextmanager
def _cpu_threads(n):
    """Run with ``n`` torch CPU threads (``None``: unchanged), restoring the previous count."""
    if n is None or n < 1:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@torch.enable_grad()  # also when called under torch.no_grad()
def _train(name, X_tr, y_tr, X_val, yv2, dev, epochs, batch_size, lr, patience, seed, progress, weight_decay,
           on_epoch=None, augment="none", give_up=None, stop_poll=None, on_build=None):
    """The training loop of :func:`train_teacher` on checked arrays (gradients clipped per
    :data:`GRADIENT_CLIP`; ``stop_poll``: a :class:`models.distill.StopPoll`, called between batches and after each
    epoch; ``on_build(model)`` once the normalisation is fitted)."""
    stop_poll = stop_poll or StopPoll()
    clip = GRADIENT_CLIP.get(name)
    with _BUILD_LOCK:  # the weights are drawn from torch's global generator: one teacher at a time
        torch.manual_seed(seed)
        model = build_teacher(name, X_tr.shape[1:], y_tr.shape[1])
    _fit_normalisation(model, X_tr, y_tr)
    if on_build is not None:
        on_build(model)
    model.to(dev)
    # maps on a CPU: channels-last convolutions train the CNN 1.5 (2 threads) to 1.7 (1 thread) times as fast
    # (bench/RESULTS.md, "By hand"); the model goes back to the default layout before it is returned
    channels_last = dev.type == "cpu" and X_tr.ndim == 3
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = StackedAdam(model.parameters(), lr=lr, weight_decay=weight_decay)

    xt = torch.as_tensor(X_tr, device=dev)
    yt = torch.as_tensor(y_tr, device=dev)
    xv = torch.as_tensor(X_val, device=dev)
    yv = torch.as_tensor(yv2, device=dev)
    generator = torch.Generator().manual_seed(seed)
    symmetry_generator = torch.Generator().manual_seed(seed + 1)
    has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())

    best_loss, best_state, best_epoch, stale = math.inf, None, 0, 0
    gave_up_at = None
    history = {"train": [], "val": []}
    n_tr = xt.shape[0]
    started = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n_tr, generator=generator).to(dev)
        running = 0.0
        for start in range(0, n_tr, batch_size):
            idx = order[start:start + batch_size]
            if has_bn and idx.numel() < 2:
                continue  # batch norm cannot train on one sample
            xb, yb = xt[idx], yt[idx]
            if augment == "dihedral":
                xb = random_symmetry(xb, symmetry_generator)
            target = (yb - model.y_mean) / model.y_std
            loss = ((model.standardized(xb) - target) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            running += float(loss.detach()) * idx.numel()
            stop_poll(f"the teacher's epoch {epoch + 1}")
        history["train"].append(running / n_tr)
        val_loss = _epoch_loss(model, xv, yv, 4 * batch_size)
        history["val"].append(val_loss)
        if val_loss < best_loss:
            best_loss, best_epoch, stale = val_loss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
        if on_epoch is not None:
            on_epoch(epoch + 1, {"train": history["train"][-1], "val": val_loss})
        if progress is not None:
            elapsed = time.perf_counter() - started
            progress("teacher", (epoch + 1) / epochs,
                     f"{name} epoch {epoch + 1}/{epochs}: validation MSE {val_loss:.4g} ({elapsed:.0f} s)")
        stop_poll(f"the teacher's epoch {epoch + 1}", force=True)
        if patience > 0 and stale >= patience:
            break
        if give_up is not None and give_up(epoch + 1, best_loss):
            gave_up_at = epoch + 1
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    if channels_last:
        model.to(memory_format=torch.contiguous_format)
    model.eval()
    model.history = history
    model.best_epoch = best_epoch
    model.augment = augment
    model.gave_up_at = gave_up_at
    model.epoch_cap = epochs
    if progress is not None:
        capped = still_improving_at_cap(len(history["val"]), epochs, best_epoch + 1)
        progress("teacher", 1.0, f"{name} trained: best validation MSE {best_loss:.4g} at epoch {best_epoch + 1}"
                 + (f", stopped at epoch {gave_up_at}, far behind" if gave_up_at else "")
                 + (f" of {epochs}, near the last allowed: it may still have been improving, and more teacher "
                    "epochs may give a better teacher" if capped else ""))
    return model
