"""Weak-lensing convergence maps whose statistics depend on (Omega_m, sigma_8) (paper section 4.3).

Lognormal, flat-sky, periodic maps drawn from the convergence power spectrum C_ell(Omega_m, sigma_8), which
is interpolated from the committed table ``cl_table.npz`` (made by ``make_cl_table.py`` with pyccl: Halofit
non-linear power, sources at z = 1). AWD Studio itself needs no cosmology library.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from awd_studio.models.data.dataset import Dataset

__all__ = ["simulate_lensing", "convergence_power", "lensing_maps", "COSMOLOGIES", "CL_TABLE", "DEFAULT_N"]

#: Maps made when no ``n`` is given (train + test).
DEFAULT_N = 1500

CL_TABLE = Path(__file__).with_name("cl_table.npz")

#: The default grid of cosmologies: 10 (Omega_m, sigma_8) pairs spread around and across the
#: Omega_m-sigma_8 degeneracy, like the 10 MassiveNuS cosmologies of the paper.
COSMOLOGIES = (
    (0.20, 0.90), (0.24, 0.70), (0.26, 0.95), (0.28, 0.80), (0.30, 0.65),
    (0.30, 0.85), (0.32, 0.75), (0.34, 0.90), (0.37, 0.70), (0.40, 0.80),
)


@lru_cache(maxsize=1)
def _table():
    with np.load(CL_TABLE, allow_pickle=False) as t:
        return {
            "omega_m": t["omega_m"].astype(float),
            "sigma_8": t["sigma_8"].astype(float),
            "log_ell": np.log(t["ell"].astype(float)),
            "log_cl": np.log(t["cl"].astype(float)),
            "kappa_empty": t["kappa_empty"].astype(float),
            "settings": json.loads(str(t["settings_json"][()])),
        }


def _bilinear(grid_a, grid_b, values, a: float, b: float):
    """Bilinear interpolation of values[i, j, ...] at (a, b); ValueError outside the table."""
    for name, g, v in (("omega_m", grid_a, a), ("sigma_8", grid_b, b)):
        if not g[0] - 1e-9 <= v <= g[-1] + 1e-9:
            raise ValueError(f"{name}: {v} is outside the tabulated range [{g[0]}, {g[-1]}]; pass a value inside it "
                             "or regenerate cl_table.npz with make_cl_table.py")
    i = int(np.clip(np.searchsorted(grid_a, a) - 1, 0, grid_a.size - 2))
    j = int(np.clip(np.searchsorted(grid_b, b) - 1, 0, grid_b.size - 2))
    ta = (a - grid_a[i]) / (grid_a[i + 1] - grid_a[i])
    tb = (b - grid_b[j]) / (grid_b[j + 1] - grid_b[j])
    return ((1 - ta) * (1 - tb) * values[i, j] + ta * (1 - tb) * values[i + 1, j]
            + (1 - ta) * tb * values[i, j + 1] + ta * tb * values[i + 1, j + 1])


def convergence_power(ell, omega_m: float, sigma_8: float) -> np.ndarray:
    """Convergence power spectrum C_ell at the given cosmology, interpolated from the table.

    Bilinear in (Omega_m, sigma_8) on log C_ell, linear in log ell; beyond the tabulated multipoles
    (10 to 30000) log C_ell is extrapolated along the end slopes.

    Parameters
    ----------
    ell : array-like of shape (m,) or any shape
        Multipoles (dimensionless, > 0).
    omega_m : float
        Matter density parameter, within the table (0.15 to 0.45).
    sigma_8 : float
        Amplitude of matter fluctuations, within the table (0.5 to 1.1).

    Returns
    -------
    cl : ndarray, same shape as ``ell``
        C_ell (dimensionless, per steradian).
    """
    t = _table()
    log_cl = _bilinear(t["omega_m"], t["sigma_8"], t["log_cl"], float(omega_m), float(sigma_8))
    le = t["log_ell"]
    x = np.log(np.maximum(np.asarray(ell, dtype=float), 1e-12))
    out = np.interp(x, le, log_cl)
    lo_slope = (log_cl[1] - log_cl[0]) / (le[1] - le[0])
    hi_slope = (log_cl[-1] - log_cl[-2]) / (le[-1] - le[-2])
    out = np.where(x < le[0], log_cl[0] + lo_slope * (x - le[0]), out)
    out = np.where(x > le[-1], log_cl[-1] + hi_slope * (x - le[-1]), out)
    return np.exp(out)


def _lognormal_shift(omega_m: float, sigma_8: float) -> float:
    t = _table()
    return float(abs(_bilinear(t["omega_m"], t["sigma_8"], t["kappa_empty"], omega_m, sigma_8)))


def _ell_grid(size: int, fov_deg: float) -> tuple[np.ndarray, float]:
    pix = np.deg2rad(fov_deg) / size  # pixel side, radians
    k = np.fft.fftfreq(size, d=pix) * 2.0 * np.pi  # angular wavenumbers = multipoles
    return np.hypot(k[:, None], k[None, :]), pix


def lensing_maps(omega_m: float, sigma_8: float, n: int, rng: np.random.Generator, *, size: int = 64,
                 fov_deg: float = 3.5, shift: float | None = None, galaxy_density: float | None = None,
                 shape_noise: float = 0.28, smoothing_arcmin: float = 0.0,
                 noise_rng: np.random.Generator | None = None) -> np.ndarray:
    """Lognormal convergence maps for one cosmology.

    The Gaussian field G has the power spectrum that makes ``kappa = shift * (exp(G - var(G)/2) - 1)`` have
    the convergence power C_ell on the periodic pixel grid: the target correlation function xi_kappa
    (inverse FFT of C_ell / pixel area) maps to ``xi_G = log(1 + xi_kappa / shift^2)``, whose FFT (negative
    modes clipped to 0) is the power of G. Maps have zero mean and ``kappa >= -shift``.

    Parameters
    ----------
    omega_m, sigma_8 : float
        Cosmology (within the table).
    n : int
        Number of maps.
    rng : numpy.random.Generator
    size : int, default=64
        Pixels per side.
    fov_deg : float, default=3.5
        Side of the square field, degrees (3.5 as in MassiveNuS).
    shift : float or None, default=None
        Lognormal shift kappa_0 > 0; ``None`` uses |empty-beam convergence| from the table (~0.05-0.08).
        Large shifts tend to a Gaussian field.
    galaxy_density : float or None, default=None
        Source galaxies per arcmin^2 for shape noise; ``None`` gives noiseless maps.
    shape_noise : float, default=0.28
        Intrinsic ellipticity SD per component; per-pixel noise SD is
        ``shape_noise / sqrt(galaxy_density * pixel_area_arcmin2)``.
    smoothing_arcmin : float, default=0.0
        Gaussian smoothing SD (arcmin) applied after the noise; 0 for none.
    noise_rng : numpy.random.Generator or None, default=None
        Where the shape noise is drawn from; None draws it from ``rng`` (then the fields of later calls depend on
        whether there was noise).

    Returns
    -------
    maps : ndarray of shape (n, size, size), float64
        Convergence (dimensionless).
    """
    ell, pix = _ell_grid(size, fov_deg)
    cl = convergence_power(np.where(ell > 0, ell, 1.0), omega_m, sigma_8)
    power = np.where(ell > 0, cl / pix**2, 0.0)  # per-mode variance for a unit white-noise FFT
    shift = _lognormal_shift(omega_m, sigma_8) if shift is None else float(shift)
    if shift <= 0:
        raise ValueError(f"shift: must be positive, got {shift}; pass e.g. 0.05 or None for the empty-beam value")
    xi_kappa = np.fft.ifft2(power).real
    xi_g = np.log1p(np.maximum(xi_kappa / shift**2, -0.999))
    power_g = np.maximum(np.fft.fft2(xi_g).real, 0.0)
    power_g[0, 0] = 0.0
    white = rng.standard_normal((n, size, size))
    g = np.fft.ifft2(np.fft.fft2(white) * np.sqrt(power_g)).real
    var_g = xi_g[0, 0]
    kappa = shift * (np.exp(g - var_g / 2.0) - 1.0)
    if galaxy_density is not None:
        if galaxy_density <= 0:
            raise ValueError(f"galaxy_density: must be positive, got {galaxy_density}; pass e.g. 30 (per arcmin^2)")
        pix_arcmin2 = (np.rad2deg(pix) * 60.0) ** 2
        noise = (rng if noise_rng is None else noise_rng).standard_normal(kappa.shape)
        kappa = kappa + shape_noise / np.sqrt(galaxy_density * pix_arcmin2) * noise
    if smoothing_arcmin > 0:
        sigma = np.deg2rad(smoothing_arcmin / 60.0)
        kappa = np.fft.ifft2(np.fft.fft2(kappa) * np.exp(-0.5 * (ell * sigma) ** 2)).real
    return kappa


def simulate_lensing(n: int | None = None, seed: int = 0, *, size: int = 64, fov_deg: float = 3.5,
                     cosmologies=COSMOLOGIES, galaxy_density: float | None = None, shift: float | None = None,
                     smoothing_arcmin: float = 0.0, test_fraction: float = 0.2) -> Dataset:
    """Convergence maps from a grid of cosmologies, with (Omega_m, sigma_8) as targets.

    What it simulates: weak-lensing convergence of sources at z = 1 over a 3.5 deg x 3.5 deg field on a
    64 x 64 grid (3.3 arcmin pixels), as a lognormal random field with the Halofit power spectrum of the
    cosmology (see :func:`lensing_maps`); optional galaxy shape noise and Gaussian smoothing. The maps are
    split evenly among the cosmologies (10 by default, like the paper's MassiveNuS grid); the test split is
    stratified by cosmology.

    Limits: a lognormal field matches the one-point distribution and the power spectrum only roughly and has
    no true halo structure, so peak statistics differ from N-body maps (MassiveNuS); maps are periodic
    (no super-survey modes), flat-sky, single source plane, no massive neutrinos, no masks, no baryons.
    The C_ell table covers Omega_m in [0.15, 0.45] and sigma_8 in [0.5, 1.1].

    Parameters
    ----------
    n : int or None, default=None
        Total number of maps (train + test); default 1500.
    seed : int, default=0
        Seed of the generator; equal seeds give identical maps.
    size : int, default=64
        Pixels per side.
    fov_deg : float, default=3.5
        Field side in degrees.
    cosmologies : sequence of (float, float), default=COSMOLOGIES
        (Omega_m, sigma_8) pairs.
    galaxy_density : float or None, default=None
        Galaxies per arcmin^2 for shape noise (e.g. 30); ``None`` for noiseless maps.
    shift : float or None, default=None
        Lognormal shift; ``None`` for the empty-beam value of each cosmology.
    smoothing_arcmin : float, default=0.0
        Gaussian smoothing SD in arcmin.
    test_fraction : float, default=0.2
        Share of each cosmology's maps returned as the fixed test set.

    Returns
    -------
    dataset : Dataset
        ``X`` (n_train, size, size) float32 convergence, ``y`` (n_train, 2) = (Omega_m, sigma_8),
        ``X_test``/``y_test``; ``target_names = ["Omega_m", "sigma_8"]``.
    """
    n = DEFAULT_N if n is None else int(n)
    cosmologies = [(float(a), float(b)) for a, b in cosmologies]
    if not cosmologies:
        raise ValueError("cosmologies: is empty; pass (Omega_m, sigma_8) pairs such as COSMOLOGIES")
    if n < 2 * len(cosmologies) or n < 20:
        raise ValueError(f"n: {n} is too small for {len(cosmologies)} cosmologies; pass at least "
                         f"{max(20, 2 * len(cosmologies))}")
    rng = np.random.default_rng(seed)
    # the shape noise from a stream of its own: the same seed gives the same fields and order with and without it,
    # so noisy and noiseless maps compare map by map (review 33A: with noise, every map differed)
    noise_rng = np.random.default_rng([seed, 1])
    counts = np.full(len(cosmologies), n // len(cosmologies))
    counts[: n % len(cosmologies)] += 1
    train_x, train_y, test_x, test_y = [], [], [], []
    for (om, s8), count in zip(cosmologies, counts):
        maps = lensing_maps(om, s8, int(count), rng, size=size, fov_deg=fov_deg, shift=shift,
                            galaxy_density=galaxy_density, smoothing_arcmin=smoothing_arcmin,
                            noise_rng=noise_rng).astype(np.float32)
        n_test = min(int(count) - 1, max(1, int(round(test_fraction * count))))
        target = np.tile([om, s8], (int(count), 1))
        test_x.append(maps[:n_test])
        test_y.append(target[:n_test])
        train_x.append(maps[n_test:])
        train_y.append(target[n_test:])
    order_tr = rng.permutation(sum(len(a) for a in train_x))
    order_te = rng.permutation(sum(len(a) for a in test_x))
    X, y = np.concatenate(train_x)[order_tr], np.concatenate(train_y)[order_tr]
    X_test, y_test = np.concatenate(test_x)[order_te], np.concatenate(test_y)[order_te]
    settings = _table()["settings"]
    meta = {
        "simulator": "lensing",
        "seed": int(seed),
        "size": int(size),
        "fov_deg": float(fov_deg),
        "pixel_arcmin": float(fov_deg * 60.0 / size),
        "cosmologies": [list(c) for c in cosmologies],
        "galaxy_density_per_arcmin2": galaxy_density,
        "shift": "empty-beam" if shift is None else float(shift),
        "smoothing_arcmin": float(smoothing_arcmin),
        "source_redshift": settings["sources"]["z_mean"],
        "power_spectrum": f"{settings['library']}, {settings['matter_power_spectrum']}, "
                          f"{settings['transfer_function']}",
        "units": "convergence (dimensionless)",
        "description": "lognormal flat-sky convergence maps with C_ell(Omega_m, sigma_8); targets Omega_m, sigma_8",
    }
    return Dataset(X, y, X_test, y_test, kind="image", name="lensing", meta=meta,
                   target_names=["Omega_m", "sigma_8"])
