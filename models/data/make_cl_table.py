"""Regenerate ``cl_table.npz``: weak-lensing convergence power spectra C_ell over a grid of (Omega_m, sigma_8).

The lensing simulator (:mod:`models.data.simulate_lensing`) interpolates this table, so AWD Studio itself never
needs a cosmology library. This script does, and should run in a throwaway environment::

    python -m venv /tmp/ccl-venv && /tmp/ccl-venv/bin/pip install pyccl numpy
    /tmp/ccl-venv/bin/python models/data/make_cl_table.py          # writes models/data/cl_table.npz

Cosmology library settings (pyccl 3.x, the Core Cosmology Library of LSST DESC):

- flat LambdaCDM, Omega_b = 0.046, h = 0.7, n_s = 0.97, massless neutrinos (MassiveNuS-like fiducial values,
  without the neutrino mass); Omega_c = Omega_m - Omega_b; normalised by sigma_8;
- linear power: Eisenstein & Hu (1998) transfer function (``transfer_function="eisenstein_hu"``; no Boltzmann
  code needed); non-linear power: Halofit (Takahashi et al. 2012; ``matter_power_spectrum="halofit"``);
- sources: a narrow Gaussian redshift distribution centred on z_s = 1.0 with width 0.02 (close to the single
  source plane of MassiveNuS maps); no intrinsic alignments, no magnification bias;
- C_ell from ``pyccl.angular_cl`` (Limber approximation) on 64 log-spaced multipoles from 10 to 30000.

Besides C_ell the table stores the empty-beam convergence kappa_empty(Omega_m) of the same sources, the
most negative convergence a line of sight through empty space can have,
``kappa_empty = -(3/2) Omega_m (H0/c)^2 int_0^chi_s dchi chi (chi_s - chi) / chi_s / a(chi)``;
the simulator uses |kappa_empty| as the shift of its lognormal field (Hilbert et al. 2011; Taruya et al. 2002).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OMEGA_M = np.round(np.linspace(0.15, 0.45, 9), 4)
SIGMA_8 = np.round(np.linspace(0.50, 1.10, 9), 4)
ELL = np.geomspace(10.0, 30000.0, 64)
Z_SOURCE = 1.0
Z_WIDTH = 0.02
FIDUCIAL = {"Omega_b": 0.046, "h": 0.7, "n_s": 0.97}
C_KMS = 299792.458


def _cosmology(ccl, omega_m: float, sigma_8: float):
    return ccl.Cosmology(
        Omega_c=omega_m - FIDUCIAL["Omega_b"],
        Omega_b=FIDUCIAL["Omega_b"],
        h=FIDUCIAL["h"],
        n_s=FIDUCIAL["n_s"],
        sigma8=sigma_8,
        transfer_function="eisenstein_hu",
        matter_power_spectrum="halofit",
    )


def _empty_beam(ccl, cosmo, omega_m: float) -> float:
    a_s = 1.0 / (1.0 + Z_SOURCE)
    chi_s = float(ccl.comoving_radial_distance(cosmo, a_s))
    chi = np.linspace(0.0, chi_s, 2001)[1:-1]
    a = ccl.scale_factor_of_chi(cosmo, chi)
    h0_over_c = 100.0 * FIDUCIAL["h"] / C_KMS  # 1/Mpc
    integrand = chi * (chi_s - chi) / chi_s / a
    return float(-1.5 * omega_m * h0_over_c**2 * np.trapezoid(integrand, chi))


def main(out: Path | None = None) -> Path:
    import pyccl as ccl

    out = out or Path(__file__).with_name("cl_table.npz")
    z = np.linspace(0.0, 2.0, 4001)
    nz = np.exp(-0.5 * ((z - Z_SOURCE) / Z_WIDTH) ** 2)
    cl = np.zeros((OMEGA_M.size, SIGMA_8.size, ELL.size))
    kappa_empty = np.zeros((OMEGA_M.size, SIGMA_8.size))
    for i, om in enumerate(OMEGA_M):
        for j, s8 in enumerate(SIGMA_8):
            cosmo = _cosmology(ccl, float(om), float(s8))
            tracer = ccl.WeakLensingTracer(cosmo, dndz=(z, nz))
            cl[i, j] = ccl.angular_cl(cosmo, tracer, tracer, ELL)
            kappa_empty[i, j] = _empty_beam(ccl, cosmo, float(om))
            print(f"Omega_m={om:.3f} sigma_8={s8:.3f} C_1000={np.interp(1000, ELL, cl[i, j]):.3e} "
                  f"kappa_empty={kappa_empty[i, j]:.4f}", flush=True)
    settings = {
        "library": f"pyccl {ccl.__version__}",
        "transfer_function": "eisenstein_hu",
        "matter_power_spectrum": "halofit",
        "fiducial": FIDUCIAL,
        "sources": {"distribution": "gaussian", "z_mean": Z_SOURCE, "z_sigma": Z_WIDTH},
        "limber": True,
    }
    np.savez(out, omega_m=OMEGA_M, sigma_8=SIGMA_8, ell=ELL, cl=cl, kappa_empty=kappa_empty,
             settings_json=np.array(json.dumps(settings)))
    return out


if __name__ == "__main__":
    print(main())
