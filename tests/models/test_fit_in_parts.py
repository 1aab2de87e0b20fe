"""A series grid fitted in parts on several threads equals one fit of the whole grid, and reports like one.

``models.pipeline.fit_grid.fit_in_parts`` runs one :class:`WaveletDistiller` per part of the grid, each on its
own thread; ``distill_chunk`` uses it for time series on the CPU.
"""

import threading

import numpy as np
import pytest
import torch

from awd_studio.models.distill import Cancelled, WaveletDistiller
from awd_studio.models.pipeline import fit_grid
from awd_studio.models.pipeline.fit_grid import fit_in_parts

GRID = [(1e-3, 0.0), (1e-3, 1e-2), (5e-3, 0.0), (5e-3, 1e-2), (1e-2, 1e-1)]


def _distiller(grid, **options):
    settings = dict(wave="db2", levels=2, mode="periodization", epochs=4, batch_size=16, seed=0, dtype="float64")
    settings.update(options)
    return WaveletDistiller(grid=grid, **settings)


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 16))
    torch.manual_seed(0)
    teacher = torch.nn.Sequential(torch.nn.Linear(16, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    return X, teacher


def test_parts_equal_one_fit_and_report_the_grid_means(problem):
    X, teacher = problem
    whole, whole_epochs = _distiller(GRID), []
    whole.fit(X, teacher, on_epoch=lambda e, losses: whole_epochs.append((e, losses)))
    parts = [_distiller(GRID[:3]), _distiller(GRID[3:])]
    epochs, messages, threads = [], [], set()

    def on_epoch(epoch, losses):
        threads.add(threading.current_thread().name)
        epochs.append((epoch, losses))

    fit_in_parts(parts, X, teacher, on_epoch=on_epoch, progress=lambda stage, f, msg: messages.append((stage, f)))
    assert np.abs(np.concatenate([p.filters_ for p in parts]) - whole.filters_).max() < 1e-12
    for key in whole.history_:
        joined = np.concatenate([p.history_[key] for p in parts], axis=1)
        assert np.allclose(joined, whole.history_[key], rtol=1e-12, atol=1e-14)
    assert [e for e, _ in epochs] == [e for e, _ in whole_epochs] == [0, 1, 2, 3]
    for (_, got), (_, expected) in zip(epochs, whole_epochs):
        assert got["train_loss"] == pytest.approx(expected["train_loss"], rel=1e-12)
        assert got["val_loss"] == pytest.approx(expected["val_loss"], rel=1e-12)
    assert messages == [("distill", (e + 1) / 4) for e in range(4)]
    assert threads <= {"awd-grid-part-0", "awd-grid-part-1"}  # the last part to finish an epoch reports it


class _RecordingTeacher(torch.nn.Module):
    """A teacher that notes which module instance each thread called."""

    def __init__(self, calls):
        super().__init__()
        self.layer = torch.nn.Linear(16, 1).double()
        self.calls = calls

    def forward(self, x):
        self.calls.append((threading.current_thread().name, id(self)))
        return self.layer(x)

    def __deepcopy__(self, memo):
        twin = _RecordingTeacher(self.calls)  # the copy shares the record, not the module
        twin.layer.load_state_dict(self.layer.state_dict())
        return twin


def test_each_part_calls_its_own_teacher(problem):
    """Two threads must not call one module at once (torch's LSTM re-packs its weights on each call)."""
    X, _ = problem
    calls = []
    fit_in_parts([_distiller(GRID[:2]), _distiller(GRID[2:])], X, _RecordingTeacher(calls))
    modules = {}
    for thread, module in calls:
        modules.setdefault(thread, set()).add(module)
    assert set(modules) == {"awd-grid-part-0", "awd-grid-part-1"}
    assert all(len(ids) == 1 for ids in modules.values())
    assert modules["awd-grid-part-0"] != modules["awd-grid-part-1"]


def test_torch_threads_are_restored(problem):
    X, teacher = problem
    before = torch.get_num_threads()
    fit_in_parts([_distiller(GRID[:2]), _distiller(GRID[2:])], X, teacher)
    assert torch.get_num_threads() == before


def test_a_failing_part_stops_the_others_and_raises_its_error(problem):
    X, teacher = problem
    parts = [_distiller(GRID[:2], epochs=2000), _distiller(GRID[2:], epochs=2000, lr=-1.0)]  # the second refuses
    with pytest.raises(ValueError, match="lr"):
        fit_in_parts(parts, X, teacher)
    assert not hasattr(parts[0], "filters_")  # stopped after an epoch instead of running its 2000


def test_should_stop_cancels_every_part(problem):
    X, teacher = problem
    parts = [_distiller(GRID[:2], epochs=3), _distiller(GRID[2:], epochs=3)]  # faster than any poll interval
    epochs = []
    with pytest.raises(Cancelled):  # polled by every part after each epoch, as one fit does
        fit_in_parts(parts, X, teacher, should_stop=lambda: True, on_epoch=lambda e, losses: epochs.append(e))
    assert epochs in ([], [0])


class _Signal(Exception):
    """Stands for an exception a signal raises (Celery's soft time limit)."""


def test_an_exception_from_should_stop_stops_the_parts(problem):
    X, teacher = problem
    parts = [_distiller(GRID[:2], epochs=500), _distiller(GRID[2:], epochs=500)]
    calls = []

    def should_stop():
        calls.append(1)
        if len(calls) >= 3:
            raise _Signal("time limit")
        return False

    with pytest.raises(_Signal):
        fit_in_parts(parts, X, teacher, should_stop=should_stop)
    # the parts ended their epoch and stopped
    assert not any(t.name.startswith("awd-grid-part") and t.is_alive() for t in threading.enumerate())
    assert not any(hasattr(p, "filters_") for p in parts)


def test_parts_must_report_the_same_epochs(problem):
    X, teacher = problem
    with pytest.raises(ValueError, match="epochs"):
        fit_in_parts([_distiller(GRID[:2], epochs=3), _distiller(GRID[2:], epochs=4)], X, teacher)
    with pytest.raises(ValueError, match="early"):
        fit_in_parts([_distiller(GRID[:2], patience=2), _distiller(GRID[2:], patience=2)], X, teacher)


def test_series_grids_are_cut_in_at_most_two_parts():
    assert fit_grid.SERIES_PARTS == 2


def test_a_signal_in_the_waiting_thread_stops_the_parts(problem):
    """Celery's soft time limit is a signal: its exception lands in the thread that waits for the parts."""
    import signal

    X, teacher = problem
    parts = [_distiller(GRID[:2], epochs=5000), _distiller(GRID[2:], epochs=5000)]

    def handler(signum, frame):
        raise _Signal("soft time limit")

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(_Signal):
            fit_in_parts(parts, X, teacher)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not any(t.name.startswith("awd-grid-part") and t.is_alive() for t in threading.enumerate())
    assert not any(hasattr(p, "filters_") for p in parts)
