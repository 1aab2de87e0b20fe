"""The built-in example datasets: one name -> one seeded simulator.

``awd example NAME --out FILE.npz`` and ``POST /api/examples/{name}`` both go through :func:`write_example`
or :func:`make_example`.
"""

from __future__ import annotations

from pathlib import Path

from awd_studio.models.data.dataset import Dataset, save_npz
from awd_studio.models.data.simulate_cme import simulate_cme
from awd_studio.models.data.simulate_lensing import simulate_lensing
from awd_studio.models.data.simulate_synthetic import simulate_synthetic
from awd_studio.models.validation import InputError

__all__ = ["EXAMPLES", "EXAMPLE_DESCRIPTIONS", "make_example", "write_example"]

EXAMPLES = ("synthetic", "cme", "lensing")

_SIMULATORS = {"synthetic": simulate_synthetic, "cme": simulate_cme, "lensing": simulate_lensing}

#: One line per example, for menus and ``GET /api/examples``.
EXAMPLE_DESCRIPTIONS = {
    "synthetic": "Gaussian series (length 64); y linear in three db5 coefficients of cD3 (paper 4.1). 3000 samples.",
    "cme": "Clathrin-like fluorescence traces (length 40); target auxilin-like amplitude (paper 4.2). 3941 events.",
    "lensing": "Lognormal weak-lensing convergence maps (64x64, 3.5 deg); targets Omega_m, sigma_8 over 10 "
               "cosmologies (paper 4.3). 1500 maps.",
}


def make_example(name: str, n: int | None = None, seed: int = 0) -> Dataset:
    """Simulate one of the example datasets.

    Parameters
    ----------
    name : {"synthetic", "cme", "lensing"}
        Which example (see :data:`EXAMPLE_DESCRIPTIONS` and each simulator's docstring for what it simulates
        and its limits).
    n : int or None, default=None
        Total number of samples (train + test); ``None`` uses the simulator's default (3000, 3941, 1500).
    seed : int, default=0
        Equal seeds give identical datasets.

    Returns
    -------
    dataset : Dataset
        With a fixed test split (``X_test``, ``y_test``) and the simulation settings in ``meta``.

    Raises
    ------
    InputError
        Unknown name or invalid ``n``.
    """
    if name not in _SIMULATORS:
        raise InputError("name", f"unknown example {name!r}", f"use one of {', '.join(EXAMPLES)}")
    if n is not None:
        if isinstance(n, bool) or int(n) != n or n < 20 or n > 200_000:
            raise InputError("n", f"must be an integer between 20 and 200000, got {n!r}", "pass e.g. 1000")
        n = int(n)
    try:
        return _SIMULATORS[name](n=n, seed=int(seed))
    except InputError:
        raise
    except ValueError as exc:
        field, _, rest = str(exc).partition(": ")
        raise InputError(field or "n", rest or str(exc)) from None


def write_example(name: str, out_path, n: int | None = None, seed: int = 0) -> Path:
    """Simulate an example and save it as ``.npz`` (atomically) at ``out_path``.

    Parameters
    ----------
    name : {"synthetic", "cme", "lensing"}
    out_path : str or os.PathLike
        Destination file; ``.npz`` is appended when missing; folders are created.
    n : int or None, default=None
        Total number of samples; ``None`` for the simulator's default.
    seed : int, default=0

    Returns
    -------
    path : pathlib.Path
        The file written (readable with :func:`models.data.load_dataset`).
    """
    return save_npz(make_example(name, n=n, seed=seed), Path(out_path))
