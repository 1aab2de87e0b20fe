"""The built-in example datasets: one name -> one seeded simulator.

``awd example NAME --out FILE.npz`` and ``POST /api/examples/{name}`` both go through :func:`write_example`
or :func:`make_example`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from awd_studio.models.data import simulate_cme as _cme
from awd_studio.models.data import simulate_lensing as _lensing
from awd_studio.models.data import simulate_synthetic as _synthetic
from awd_studio.models.data.dataset import Dataset, save_npz
from awd_studio.models.options import Kind
from awd_studio.models.validation import InputError

__all__ = ["EXAMPLES", "EXAMPLE_INFO", "ExampleInfo", "LENSING_OPTIONS", "MAX_GALAXY_DENSITY", "MAX_SMOOTHING_ARCMIN",
           "make_example", "write_example"]

_SIMULATORS = {"synthetic": _synthetic.simulate_synthetic, "cme": _cme.simulate_cme,
               "lensing": _lensing.simulate_lensing}


@dataclass(frozen=True)
class ExampleInfo:
    """How one example is named and what it is.

    Attributes
    ----------
    label : str
        Its name in a list of the examples (the home page's).
    kind : {"timeseries", "image"}
        What one sample is.
    description : str
        What the simulator makes and what the target is, in one or two sentences (each simulator's docstring
        says how, and its limits).
    sample_shape : tuple of int
        One sample's shape: (length,) of a series, (H, W) of a map.
    default_n : int
        Samples made (train + test) when no ``n`` is given: the simulator's default.
    """

    label: str
    kind: str
    description: str
    sample_shape: tuple[int, ...]
    default_n: int


#: Every example, in one place: ``GET /api/examples`` serves this table (the home page lists the examples from
#: there) and ``awd example --help`` reads it.
EXAMPLE_INFO = {
    "synthetic": ExampleInfo(
        "Synthetic", Kind.TIMESERIES.value,
        "Gaussian noise series of length 64 whose target is linear in three db5 coefficients (of cD3) plus noise: "
        "the paper's recovery test (section 4.1). Start from another wavelet, e.g. sym5, and see how close "
        "distillation comes to db5.", (_synthetic.LENGTH,), _synthetic.DEFAULT_N),
    "cme": ExampleInfo(
        "Clathrin (CME)", Kind.TIMESERIES.value,
        "Clathrin-like fluorescence traces of endocytic events, length 40; the target is the mean auxilin "
        "amplitude (about 0 for abortive events), as in the paper's molecular-partner study (section 4.2).",
        (_cme.TRACE_LENGTH,), _cme.DEFAULT_N),
    "lensing": ExampleInfo(
        "Weak lensing", Kind.IMAGE.value,
        "Lognormal weak-lensing convergence maps, 64 x 64 pixels over 3.5 deg, from 10 cosmologies; the targets "
        "are Omega_m and sigma_8, as in the paper's cosmology study (section 4.3).", (64, 64), _lensing.DEFAULT_N),
}
#: The examples' names.
EXAMPLES = tuple(EXAMPLE_INFO)


#: The lensing example's observational options (:func:`make_example`): shape noise and smoothing.
LENSING_OPTIONS = ("galaxy_density", "smoothing_arcmin")
#: Largest galaxy density (per arcmin²) and smoothing (arcmin) an example takes (the API's bounds too).
MAX_GALAXY_DENSITY = 1000.0
MAX_SMOOTHING_ARCMIN = 60.0


def make_example(name: str, n: int | None = None, seed: int = 0, *, galaxy_density: float | None = None,
                 smoothing_arcmin: float = 0.0) -> Dataset:
    """Simulate one of the example datasets.

    Parameters
    ----------
    name : {"synthetic", "cme", "lensing"}
        Which example (see :data:`EXAMPLE_INFO` and each simulator's docstring for what it simulates
        and its limits).
    n : int or None, default=None
        Total number of samples (train + test); ``None`` uses the simulator's default
        (``EXAMPLE_INFO[name].default_n``: 3000, 3941, 1500).
    seed : int, default=0
        Equal seeds give identical datasets.
    galaxy_density : float or None, default=None
        Lensing only: source galaxies per arcmin² for shape noise (e.g. 30 for a deep survey, 10 for a shallow
        one); ``None`` for noiseless maps.
    smoothing_arcmin : float, default=0.0
        Lensing only: SD of a Gaussian smoothing in arcmin, applied after the noise (e.g. 1); 0 for none.

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
    observed = {}
    if galaxy_density is not None or smoothing_arcmin:  # review 32A: the examples' maps were all noiseless
        if name != "lensing":
            raise InputError("galaxy_density" if galaxy_density is not None else "smoothing_arcmin",
                             f"applies to the lensing example only, not to {name!r}", "leave it out")
        if galaxy_density is not None and not 0 < float(galaxy_density) <= MAX_GALAXY_DENSITY:
            raise InputError("galaxy_density", f"must be above 0 and at most {MAX_GALAXY_DENSITY:g} per arcmin², got "
                             f"{galaxy_density!r}", "pass e.g. 30 (a deep survey) or 10 (a shallow one)")
        if not 0 <= float(smoothing_arcmin) <= MAX_SMOOTHING_ARCMIN:
            raise InputError("smoothing_arcmin", f"must be between 0 and {MAX_SMOOTHING_ARCMIN:g} arcmin, got "
                             f"{smoothing_arcmin!r}", "pass e.g. 1")
        observed = {"galaxy_density": None if galaxy_density is None else float(galaxy_density),
                    "smoothing_arcmin": float(smoothing_arcmin)}
    try:
        return _SIMULATORS[name](n=n, seed=int(seed), **observed)
    except InputError:
        raise
    except ValueError as exc:
        field, _, rest = str(exc).partition(": ")
        raise InputError(field or "n", rest or str(exc)) from None


def write_example(name: str, out_path, n: int | None = None, seed: int = 0, **observed) -> Path:
    """Simulate an example and save it as ``.npz`` (atomically) at ``out_path``.

    Parameters
    ----------
    name : {"synthetic", "cme", "lensing"}
    out_path : str or os.PathLike
        Destination file; ``.npz`` is appended when missing; folders are created.
    n : int or None, default=None
        Total number of samples; ``None`` for the simulator's default.
    seed : int, default=0
    **observed
        The lensing example's ``galaxy_density`` and ``smoothing_arcmin`` (:func:`make_example`).

    Returns
    -------
    path : pathlib.Path
        The file written (readable with :func:`models.data.load_dataset`).
    """
    return save_npz(make_example(name, n=n, seed=seed, **observed), Path(out_path))
