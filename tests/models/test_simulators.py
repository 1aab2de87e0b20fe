"""Example simulators: deterministic given the seed, with the statistics each docstring promises."""

import numpy as np
import pytest

from awd_studio.models.data import EXAMPLE_INFO, EXAMPLES, load_dataset, make_example, summarize, write_example
from awd_studio.models.data.simulate_lensing import _ell_grid, convergence_power, lensing_maps
from awd_studio.models.data.simulate_synthetic import synthetic_beta, wavelet_coefficients
from awd_studio.models.validation import InputError

SMALL = {"synthetic": 200, "cme": 200, "lensing": 60}


@pytest.mark.parametrize("name", EXAMPLES)
def test_deterministic_given_seed(name):
    a = make_example(name, n=SMALL[name], seed=3)
    b = make_example(name, n=SMALL[name], seed=3)
    c = make_example(name, n=SMALL[name], seed=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X, c.X)
    assert a.n + a.n_test == SMALL[name] and a.n_test > 0
    assert a.name == name and a.meta["seed"] == 3
    assert a.kind == EXAMPLE_INFO[name].kind  # the kind GET /api/examples says
    assert a.X.shape[1:] == EXAMPLE_INFO[name].sample_shape  # what POST /api/examples sizes a request by


@pytest.mark.parametrize("name", EXAMPLES)
def test_write_example_round_trip(tmp_path, name):
    path = write_example(name, tmp_path / name, n=SMALL[name], seed=1)
    assert path == tmp_path / f"{name}.npz"
    ds = make_example(name, n=SMALL[name], seed=1)
    back = load_dataset(path)
    np.testing.assert_array_equal(back.X, ds.X)
    np.testing.assert_array_equal(back.y_test, ds.y_test)
    assert back.kind == ds.kind and back.target_names == ds.target_names
    assert back.meta["simulator"] == name
    summarize(back)


def test_make_example_errors():
    with pytest.raises(InputError, match="unknown example") as info:
        make_example("mnist")
    assert info.value.field == "name"
    for bad in (5, 2.5, True, 10**7):
        with pytest.raises(InputError) as info:
            make_example("synthetic", n=bad)
        assert info.value.field == "n"


def test_default_sizes():
    ds = make_example("synthetic")
    assert (ds.n, ds.n_test, ds.X.shape[1]) == (2400, 600, 64)
    ds = make_example("cme")
    assert (ds.n, ds.n_test, ds.X.shape[1]) == (2936, 1005, 40)
    assert EXAMPLE_INFO["synthetic"].default_n == 2400 + 600 and EXAMPLE_INFO["cme"].default_n == 2936 + 1005


# ------------------------------------------------------------------------------------------------ synthetic
@pytest.mark.parametrize("mode, lengths, positions, flat", [
    ("zero", [12, 12, 15, 22, 36], [6, 7, 8], [30, 31, 32]),  # the default: the paper's reference mode
    ("periodization", [4, 4, 8, 16, 32], [2, 3, 4], [10, 11, 12]),
])
def test_synthetic_beta_in_middle_of_cd3(mode, lengths, positions, flat):
    beta, info = synthetic_beta(mode=mode)
    assert info["band_name"] == "cD3" and info["band_index"] == 2
    assert info["band_lengths"] == lengths
    assert info["positions"] == positions and info["flat_positions"] == flat
    assert beta.sum() == 6.0 and np.count_nonzero(beta) == 3


def test_synthetic_regression_recovers_beta():
    ds = make_example("synthetic", n=1000, seed=0)
    assert ds.meta["mode"] == "zero"
    C = wavelet_coefficients(ds.X)
    beta = np.array(ds.meta["beta"])
    flat = ds.meta["flat_positions"]
    # zero mode is redundant (97 coefficients of 64 samples): fit on the true support only
    coef, *_ = np.linalg.lstsq(C[:, flat], ds.y, rcond=None)
    np.testing.assert_allclose(coef, beta[flat], atol=0.03)
    resid = ds.y - C @ beta
    assert abs(resid.std() - 0.1) < 0.01
    signal_sd = np.linalg.norm(wavelet_coefficients(np.eye(64)) @ beta)  # SD of <Psi x, beta> for x ~ N(0, I)
    assert abs(ds.X.std() - 1.0) < 0.02 and abs(ds.y.std() - np.hypot(signal_sd, 0.1)) < 0.3


# ------------------------------------------------------------------------------------------------ cme
def _r2(model, X, y, Xt, yt):
    model.fit(X, y)
    return model.score(Xt, yt)


def test_cme_shape_matters_beyond_linear():
    from sklearn.linear_model import RidgeCV

    ds = make_example("cme", n=2000, seed=0)
    assert ds.X.shape[1] == 40
    productive = ds.y > 0.3
    assert 0.15 < productive.mean() < 0.5
    drop = -np.diff(ds.X, axis=1).min(axis=1)
    assert np.median(drop[productive]) > 2 * np.median(drop[ds.y < 0.05])

    def features(X):
        d = -np.diff(X, axis=1).min(axis=1)
        m = X.max(axis=1)
        return np.c_[m, d, m * d, np.sqrt(np.maximum(d, 0)) * np.sqrt(np.maximum(m, 0)), X.mean(axis=1)]

    linear = _r2(RidgeCV(), ds.X, ds.y, ds.X_test, ds.y_test)
    shaped = _r2(RidgeCV(), features(ds.X), ds.y, features(ds.X_test), ds.y_test)
    assert 0.2 < linear < 0.7  # learnable but not fully by a linear model on raw values
    assert shaped > linear + 0.1


# ------------------------------------------------------------------------------------------------ lensing
def test_lensing_targets_and_grid():
    ds = make_example("lensing", n=100, seed=0)
    assert ds.kind == "image" and ds.X.shape[1:] == (64, 64) and ds.X.dtype == np.float32
    assert ds.target_names == ["Omega_m", "sigma_8"] and ds.y.shape[1] == 2
    cosmos = np.unique(np.r_[ds.y, ds.y_test], axis=0)
    assert len(cosmos) == 10 and len(np.unique(ds.y_test, axis=0)) == 10


def test_lensing_variance_grows_with_sigma8_and_omega_m():
    rng = np.random.default_rng(0)
    var_s8 = [lensing_maps(0.3, s8, 40, rng).var() for s8 in (0.6, 0.8, 1.0)]
    assert var_s8[0] < var_s8[1] < var_s8[2]
    var_om = [lensing_maps(om, 0.8, 40, rng).var() for om in (0.2, 0.3, 0.4)]
    assert var_om[0] < var_om[1] < var_om[2]


def test_lensing_power_spectrum_and_lognormal_shape():
    rng = np.random.default_rng(1)
    maps = lensing_maps(0.3, 0.8, 200, rng)
    ell, pix = _ell_grid(64, 3.5)
    power = (np.abs(np.fft.fft2(maps)) ** 2).mean(axis=0) * pix**2 / 64**2
    for lo, hi in [(200, 500), (500, 1200), (1200, 3000)]:
        band = (ell >= lo) & (ell < hi)
        ratio = (power[band] / convergence_power(ell[band], 0.3, 0.8)).mean()
        assert 0.85 < ratio < 1.15
    assert abs(maps.mean()) < 1e-3
    skew = ((maps - maps.mean()) ** 3).mean() / maps.std() ** 3
    assert skew > 0.2  # lognormal: a long tail of positive convergence (peaks)
    shift = 0.03
    assert lensing_maps(0.3, 0.8, 5, rng, shift=shift).min() >= -shift


def test_lensing_options():
    rng = np.random.default_rng(2)
    clean = lensing_maps(0.3, 0.8, 20, rng)
    noisy = lensing_maps(0.3, 0.8, 20, rng, galaxy_density=30.0)
    smooth = lensing_maps(0.3, 0.8, 20, rng, smoothing_arcmin=5.0)
    assert noisy.var() > clean.var() > smooth.var()
    with pytest.raises(ValueError, match="omega_m"):
        convergence_power([100.0], 0.9, 0.8)
    with pytest.raises(ValueError, match="galaxy_density"):
        lensing_maps(0.3, 0.8, 2, rng, galaxy_density=0.0)


def test_lensing_smoothing_arcmin_is_the_gaussians_sd():
    """The docs call ``smoothing_arcmin`` the Gaussian's SD (not its FWHM, as one comment said): every Fourier mode of
    a smoothed map is the unsmoothed one's times exp(-ell² sigma² / 2), sigma that many arcmin in radians."""
    sd_arcmin = 4.0
    raw = lensing_maps(0.3, 0.8, 2, np.random.default_rng(5))
    smooth = lensing_maps(0.3, 0.8, 2, np.random.default_rng(5), smoothing_arcmin=sd_arcmin)
    ell, _ = _ell_grid(64, 3.5)
    expected = np.exp(-0.5 * (ell * np.deg2rad(sd_arcmin / 60.0)) ** 2)
    raw_modes, smooth_modes = np.fft.fft2(raw), np.fft.fft2(smooth)
    kept = np.abs(raw_modes) > 1e-8 * np.abs(raw_modes).max()  # modes with signal to compare
    np.testing.assert_allclose(np.abs(smooth_modes[kept]), (np.abs(raw_modes) * expected)[kept], rtol=1e-6,
                               atol=1e-12)
