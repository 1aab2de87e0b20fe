"""An independent toy map simulator for the science benchmark: convergence maps built from halos.

Provenance: written for ``bench/science`` by the AWD Studio team, deliberately with other physics than the
product's example simulator (``models.data.simulate_lensing`` draws lognormal fields from a Halofit power
spectrum). It shares no code with it. It is a caricature meant only to check that conclusions about the map
student do not hinge on one simulator; it was not tuned to favour any method.

Physics (toy halo model, flat sky, periodic 64 x 64 field of 3.5 deg):

* halos per field: Poisson with mean ``n0 * Omega_m / 0.3 * (sigma_8 / 0.8) ** 4`` (cluster counts rise
  steeply with sigma_8 and with the matter density);
* halo "masses" m from a power law ``p(m) ~ m ** -2`` on [1, 30] (in units of a small group);
* each halo adds a cored isothermal convergence profile ``k0 / sqrt(1 + (r / rc) ** 2)`` truncated at 6 rc,
  with ``k0 = 0.012 * (Omega_m / 0.3) * m ** (2 / 3)`` (lensing efficiency ~ Omega_m) and
  ``rc = 0.6 * m ** (1 / 3)`` pixels;
* a Gaussian large-scale background with power ``~ ell ** -2.2`` and SD ``0.006 * (sigma_8 / 0.8) *
  (Omega_m / 0.3) ** 0.5``;
* optional galaxy shape noise (``galaxy_density`` per arcmin^2, SD 0.28 per component), then a Gaussian
  smoothing of 1 arcmin, as peak-count analyses do; the mean is removed (mass-sheet degeneracy).

The benchmark uses noiseless maps, like the paper's cosmology experiment. With 30 galaxies per arcmin^2 on
these 3.3-arcmin pixels no peak-count student beat predicting the mean (test R² of Omega_m from -0.1 to
-0.5 for db5, Laplace, Roberts and raw peaks on seed 0), so that setting checks nothing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["COSMOLOGIES", "halo_maps", "simulate_halo_maps"]

#: Ten (Omega_m, sigma_8) pairs, two of them sharing Omega_m = 0.29 (other values than the product's grid).
COSMOLOGIES = ((0.22, 0.88), (0.25, 0.74), (0.27, 0.92), (0.29, 0.70), (0.29, 0.86),
               (0.31, 0.78), (0.33, 0.68), (0.35, 0.84), (0.38, 0.72), (0.41, 0.76))
SIZE, FOV_DEG = 64, 3.5


def _background(n, rng, sd):
    k = np.fft.fftfreq(SIZE)
    kk = np.hypot(k[:, None], k[None, :])
    power = np.where(kk > 0, np.maximum(kk, 1e-3) ** -2.2, 0.0)
    field = np.fft.ifft2(np.fft.fft2(rng.standard_normal((n, SIZE, SIZE))) * np.sqrt(power)).real
    return sd * field / field.std(axis=(1, 2), keepdims=True)


def halo_maps(omega_m, sigma_8, n, rng, n0=60.0, galaxy_density=None):
    """Convergence maps (n, 64, 64) of one cosmology (see the module docstring for the model)."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    maps = _background(n, rng, 0.006 * (sigma_8 / 0.8) * np.sqrt(omega_m / 0.3))
    mean_halos = n0 * omega_m / 0.3 * (sigma_8 / 0.8) ** 4
    for i in range(n):
        count = rng.poisson(mean_halos)
        m = 1.0 / (1.0 - rng.random(count) * (1.0 - 1.0 / 30.0))  # p(m) ~ m^-2 on [1, 30]
        cx, cy = rng.random(count) * SIZE, rng.random(count) * SIZE
        k0 = 0.012 * (omega_m / 0.3) * m ** (2.0 / 3.0)
        rc = 0.6 * m ** (1.0 / 3.0)
        for x0, y0, amp, core in zip(cx, cy, k0, rc):
            dx = (xx - x0 + SIZE / 2) % SIZE - SIZE / 2  # periodic distances
            dy = (yy - y0 + SIZE / 2) % SIZE - SIZE / 2
            r = np.hypot(dx, dy)
            maps[i] += np.where(r < 6 * core, amp / np.sqrt(1.0 + (r / core) ** 2) - amp / np.sqrt(37.0), 0.0)
    pix_arcmin = FOV_DEG * 60.0 / SIZE
    if galaxy_density is not None:
        maps += 0.28 / np.sqrt(galaxy_density * pix_arcmin**2) * rng.standard_normal(maps.shape)
    k = np.fft.fftfreq(SIZE) * 2 * np.pi
    kk2 = k[:, None] ** 2 + k[None, :] ** 2
    sigma_pix = 1.0 / pix_arcmin
    maps = np.fft.ifft2(np.fft.fft2(maps) * np.exp(-0.5 * kk2 * sigma_pix**2)).real
    return maps - maps.mean(axis=(1, 2), keepdims=True)


def simulate_halo_maps(n=2000, seed=0, test_fraction=0.2, galaxy_density=None):
    """A Dataset of halo-model maps over :data:`COSMOLOGIES`, targets (Omega_m, sigma_8), stratified test split."""
    from awd_studio.models.data import Dataset

    rng = np.random.default_rng(seed)
    per = n // len(COSMOLOGIES)
    parts = []
    for om, s8 in COSMOLOGIES:
        maps = halo_maps(om, s8, per, rng, galaxy_density=galaxy_density)
        parts.append((maps.astype(np.float32), np.tile([om, s8], (per, 1))))
    n_test = int(round(test_fraction * per))
    X = np.concatenate([p[0][n_test:] for p in parts]); y = np.concatenate([p[1][n_test:] for p in parts])
    Xt = np.concatenate([p[0][:n_test] for p in parts]); yt = np.concatenate([p[1][:n_test] for p in parts])
    tr, te = rng.permutation(len(X)), rng.permutation(len(Xt))
    meta = {"simulator": "bench.science.halo_maps (toy halo model; independent of models.data)", "seed": int(seed),
            "cosmologies": [list(c) for c in COSMOLOGIES], "units": "convergence",
            "galaxy_density_per_arcmin2": galaxy_density}
    return Dataset(X[tr], y[tr], Xt[te], yt[te], kind="image", name="halo_maps", meta=meta,
                   target_names=["Omega_m", "sigma_8"])
