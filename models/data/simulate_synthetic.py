"""Synthetic recovery data (paper section 4.1; docs/science.md "The synthetic experiment").

x ~ N(0, I) of length 64; y = <Psi_db5 x, beta> + eps, where Psi_db5 is the J = 4 level db5 transform
(PyWavelets layout ``[cA4, cD4, cD3, cD2, cD1]``, concatenated), beta = 2 at three adjacent positions in the
middle of the third-finest detail level cD3 and 0 elsewhere, eps ~ N(0, 0.1^2).

The boundary mode of Psi_db5 is a parameter: ``"zero"`` (:data:`MODE`, the default of the example dataset and
the mode in which the paper's reference implementation generated its data; bands of 12, 12, 15, 22 and 36
coefficients; the paper itself does not name the mode) or ``"periodization"`` (bands of 4, 4, 8, 16 and 32
coefficients, whose coarse wavelets wrap around the 64 samples).
"""

from __future__ import annotations

import warnings

import numpy as np
import pywt

from awd_studio.models.data.dataset import Dataset

__all__ = ["simulate_synthetic", "synthetic_beta", "wavelet_coefficients", "DEFAULT_N"]

#: Series made when no ``n`` is given (train + test).
DEFAULT_N = 3000

LENGTH = 64
WAVE = "db5"
LEVEL = 4
#: Boundary mode of the db5 transform that defines y: the paper's reference implementation's, and the mode the
#: product learns these series in (``mode="auto"`` picks zero mode for 64 samples at J = 4). Until 2026-12-01 it
#: was periodization, whose coarse db5 wavelets wrap around the 64 samples: a zero-mode transform cannot
#: represent them sparsely, so no filter could recover "db5" in the example (docs/science.md).
MODE = "zero"


def wavelet_coefficients(X: np.ndarray, wave: str = WAVE, level: int = LEVEL, mode: str = MODE) -> np.ndarray:
    """Concatenated PyWavelets coefficients ``[cA_J, cD_J, ..., cD_1]`` of each row.

    Parameters
    ----------
    X : ndarray of shape (n, L)
    wave, level, mode : str, int, str
        PyWavelets wavelet name, number of levels and boundary mode.

    Returns
    -------
    C : ndarray of shape (n, M)
        ``M = L`` in periodization mode with ``L`` divisible by ``2**level``.
    """
    with warnings.catch_warnings():  # J = 4 on length 64 exceeds pywt's dwt_max_level on purpose (paper setting)
        warnings.simplefilter("ignore", UserWarning)
        coeffs = pywt.wavedec(X, wave, mode=mode, level=level, axis=-1)
    return np.concatenate(coeffs, axis=-1)


def synthetic_beta(length: int = LENGTH, wave: str = WAVE, level: int = LEVEL, mode: str = MODE,
                   band: int = 3, width: int = 3, value: float = 2.0):
    """The true coefficient vector beta and where its support lies.

    Parameters
    ----------
    length : int, default=64
    wave, level, mode : str, int, str
        Transform settings (db5, 4, :data:`MODE`, i.e. zero).
    band : int, default=3
        Detail level number ``j`` of ``cD_j`` holding the support: 3 = cD3, the third-finest of J = 4. In the
        list ``[cA_J, cD_J, ..., cD_1]`` it sits at index ``J + 1 - j`` (2 for cD3).
    width : int, default=3
        Number of adjacent non-zero coefficients.
    value : float, default=2.0

    Returns
    -------
    beta : ndarray of shape (M,)
        Zero except ``value`` at ``width`` adjacent positions centred in ``cD_band``.
    info : dict
        ``band_index`` (position in the coefficient list), ``band_name`` ("cD3"), ``positions`` (indices
        within that band), ``flat_positions`` (indices into ``beta``), ``band_lengths``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sizes = [c.shape[-1] for c in pywt.wavedec(np.zeros(length), wave, mode=mode, level=level)]
    if not 1 <= band <= level:
        raise ValueError(f"band: must be a detail level between 1 and {level}, got {band}; pass e.g. 3 for cD3")
    band_index = level + 1 - band  # [cA_J, cD_J, ..., cD_1]: cD_j sits at index J + 1 - j
    n_band = sizes[band_index]
    start = (n_band - width) // 2
    positions = list(range(start, start + width))
    offset = int(np.sum(sizes[:band_index]))
    flat = [offset + p for p in positions]
    beta = np.zeros(int(np.sum(sizes)))
    beta[flat] = value
    info = {"band_index": band_index, "band_name": f"cD{band}", "positions": positions,
            "flat_positions": flat, "band_lengths": sizes}
    return beta, info


def simulate_synthetic(n: int | None = None, seed: int = 0, *, noise_sd: float = 0.1,
                       test_fraction: float = 0.2, mode: str = MODE) -> Dataset:
    """Gaussian signals whose response is linear in three db5 coefficients (the AWD recovery benchmark).

    What it simulates: inputs x ~ N(0, I_64) and a response ``y = <Psi x, beta> + eps`` with Psi the db5
    transform (J = 4, boundary ``mode``), beta = 2 at three adjacent positions in the middle of cD3 (the
    third-finest detail level), eps ~ N(0, noise_sd^2). A network trained on (x, y) hides the db5 wavelet;
    AWD should distil it back.

    Limits: this is a sanity benchmark, not data from nature: the inputs carry no structure, so any
    orthogonal wavelet can *predict* y equally well after a change of basis; only interpretability (a sparse
    beta) singles out db5. The default ``mode="zero"`` is the paper's reference implementation's; with
    ``"periodization"`` and J = 4 on length 64 the coarse bands are shorter than the filter (wrap-around).

    Parameters
    ----------
    n : int or None, default=None
        Total number of samples (train + test); default 3000.
    seed : int, default=0
        Seed of the generator; equal seeds give identical data.
    noise_sd : float, default=0.1
        Standard deviation of eps.
    test_fraction : float, default=0.2
        Share of the samples returned as the fixed test set.
    mode : {"zero", "periodization"}, default="zero"
        Boundary mode of the db5 transform that defines y.

    Returns
    -------
    dataset : Dataset
        ``X`` (n_train, 64), ``y`` (n_train,), ``X_test``/``y_test``; ``meta`` holds ``beta``, ``wave`` and
        ``true_wavelet`` (both "db5": the ground truth AWD should recover), ``level``, ``mode``, ``band``,
        ``positions``, ``flat_positions``, ``noise_sd``, ``seed``.
    """
    n = DEFAULT_N if n is None else int(n)
    if n < 20:
        raise ValueError(f"n: must be at least 20 for a train/test split, got {n}; pass e.g. 3000")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, LENGTH))
    if mode not in ("periodization", "zero"):
        raise ValueError(f"mode: {mode!r}; pass 'periodization' or 'zero'")
    beta, info = synthetic_beta(mode=mode)
    y = wavelet_coefficients(X, mode=mode) @ beta + noise_sd * rng.standard_normal(n)
    n_test = max(1, int(round(test_fraction * n)))
    meta = {
        "simulator": "synthetic",
        "seed": int(seed),
        "wave": WAVE,
        "true_wavelet": WAVE,
        "level": LEVEL,
        "mode": mode,
        "band": info["band_name"],
        "band_index": info["band_index"],
        "positions": info["positions"],
        "flat_positions": info["flat_positions"],
        "beta": beta.tolist(),
        "noise_sd": float(noise_sd),
        "description": f"x ~ N(0,1), length 64; y = <db5 coefficients (J=4, {mode}), beta> + N(0, {noise_sd:g}^2); "
                       "beta = 2 at three adjacent positions in the middle of cD3",
    }
    return Dataset(X[n_test:], y[n_test:], X[:n_test], y[:n_test], kind="timeseries", name="synthetic",
                   meta=meta, target_names=["y"])
