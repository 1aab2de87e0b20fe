"""What each coefficient reads: analysis weights against the transform and PyWavelets, centroids by hand and by
brute force, and the case that showed the old placement wrong (a bump at t = 38 drawn at t = 56-63)."""

import warnings

import numpy as np
import pytest
import pywt
import torch

from awd_studio.models import wavelets
from awd_studio.models.analysis_weights import (
    analysis_weights,
    band_centroids,
    energy_centroids,
    energy_shares,
    level_centroids,
    level_weights,
)

MODES = ["periodization", "zero", "symmetric"]


def _pywt_weights(wave, length, levels, mode):
    """Each coefficient's weights on the input, from PyWavelets applied to every basis vector: (M, L)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "level too high": boundary effects are the point here
        bands = pywt.wavedec(np.eye(length), wave, mode=mode, level=levels, axis=1)
    return np.concatenate(bands, axis=1).T


def _lowpass(wave):
    return np.asarray(pywt.Wavelet(wave).rec_lo)


@pytest.mark.parametrize("wave", ["db5", "sym5", "db2", "haar"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("length", [17, 40, 64])
def test_weights_are_the_transform_of_the_identity(wave, mode, length):
    h = _lowpass(wave)
    for levels in range(1, wavelets.max_level(length, h.size, mode) + 1):
        got = np.vstack([w.toarray() for w in analysis_weights(h, length, levels, mode)])
        own = wavelets.analysis_matrix(torch.as_tensor(h), length, levels, mode).numpy()
        np.testing.assert_allclose(got, own, atol=1e-13)
        np.testing.assert_allclose(got, _pywt_weights(wave, length, levels, mode), atol=1e-13)
        sizes = wavelets.coeff_lengths(length, h.size, levels, mode)
        assert [w.shape for w in analysis_weights(h, length, levels, mode)] == [(n, length) for n in sizes]


def test_level_weights_hold_every_levels_approximation():
    h = _lowpass("db5")
    per_level = level_weights(h, 64, 4, "zero")
    for j, (approx, detail) in enumerate(per_level, start=1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            cA, cD = pywt.wavedec(np.eye(64), "db5", mode="zero", level=j, axis=1)[:2]
        np.testing.assert_allclose(approx.toarray(), cA.T, atol=1e-13)
        np.testing.assert_allclose(detail.toarray(), cD.T, atol=1e-13)
    assert len(level_centroids(h, 64, 4, "zero")) == 4


@pytest.mark.parametrize("mode", MODES)
def test_haar_centres_are_the_middle_of_their_samples(mode):
    """By hand: Haar's coefficient o of level j reads samples 2^j o ... 2^j (o + 1) - 1 with equal weight."""
    for b, centres in enumerate(band_centroids(_lowpass("haar"), 32, 3, mode)):
        level = 3 if b == 0 else 4 - b
        step = 2 ** level
        np.testing.assert_allclose(centres, step * np.arange(32 // step) + (step - 1) / 2, atol=1e-12)


def _centroid_by_brute_force(w2, mode):
    """Σ t w_t² / Σ w_t², one sample at a time; in periodization each sample counted at its image within half a
    period of the circular mean, and the result brought into [-0.5, L - 0.5)."""
    length = len(w2)
    if mode != "periodization":
        return sum(t * e for t, e in enumerate(w2)) / sum(w2)
    angle = np.angle(sum(e * np.exp(2j * np.pi * t / length) for t, e in enumerate(w2)))
    ref = angle * length / (2 * np.pi)
    images = []
    for t in range(length):
        d = t - ref
        while d >= length / 2:
            d -= length
        while d < -length / 2:
            d += length
        images.append(ref + d)
    c = sum(p * e for p, e in zip(images, w2)) / sum(w2)
    return (c + 0.5) % length - 0.5


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("length, levels", [(40, 2), (40, 4), (64, 3), (65, 4)])
def test_db5_centres_against_brute_force_from_pywavelets(mode, length, levels):
    expected = [_centroid_by_brute_force(row ** 2, mode) for row in _pywt_weights("db5", length, levels, mode)]
    got = np.concatenate(band_centroids(_lowpass("db5"), length, levels, mode))
    np.testing.assert_allclose(got, expected, atol=1e-9)
    assert ((got >= -0.5) & (got < length - 0.5)).all()  # every db5 coefficient reads some sample


def _least_spread_unwrapping(w2):
    """The centre of the cut of the circle that leaves the energy least spread (variance over every cut)."""
    length, t = len(w2), np.arange(len(w2))
    best = None
    for cut in range(length):
        u = np.where(t < cut, t + length, t)
        mean = (u * w2).sum() / w2.sum()
        spread = ((u - mean) ** 2 * w2).sum()
        if best is None or spread < best[0] - 1e-12:
            best = (spread, mean)
    return (best[1] + 0.5) % length - 0.5


@pytest.mark.parametrize("wave", ["db5", "sym5", "db2"])
def test_periodization_centres_are_where_the_energy_is_least_spread(wave):
    """The circular mean as the reference is not arbitrary: where a level's filter fits in the period, the
    centroid equals the mean of the unwrapping that leaves the energy least spread."""
    h = _lowpass(wave)
    length = 64
    for levels in range(1, 5):
        if (h.size - 1) * (2 ** levels - 1) + 1 > length:
            continue
        rows = _pywt_weights(wave, length, levels, "periodization")
        got = np.concatenate(band_centroids(h, length, levels, "periodization"))
        np.testing.assert_allclose(got, [_least_spread_unwrapping(r ** 2) for r in rows], atol=1e-9)


def test_periodization_centres_move_with_the_coefficient_around_the_circle():
    """In periodization neighbours read 2^j samples apart, the ones that wrap past the end included."""
    for b, centres in enumerate(band_centroids(_lowpass("db5"), 64, 3, "periodization")):
        step = 2 ** (3 if b == 0 else 4 - b)
        gaps = np.mod(np.diff(np.concatenate([centres, centres[:1]])), 64)
        np.testing.assert_allclose(gaps, step, atol=1e-9)


@pytest.mark.parametrize("mode, old_centre", [("periodization", 59.5), ("zero", 55.5)])
def test_the_coefficient_of_a_bump_reads_the_bump(mode, old_centre):
    """The user's case: 64 samples, a bump at t = 38, db5, J = 3. The largest cA_3 coefficient (7 in
    periodization, 10 in zero mode) was drawn at t = 56-63, the middle of its filter's span; its weights'
    energy sits at t ~ 32-50."""
    t = np.arange(64)
    x = np.exp(-0.5 * ((t - 38) / 2.0) ** 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cA = pywt.wavedec(x, "db5", mode=mode, level=3)[0]
    o = int(np.argmax(np.abs(cA)))
    assert o == (7 if mode == "periodization" else 10)
    centre = band_centroids(_lowpass("db5"), 64, 3, mode)[0][o]
    assert abs(centre - 38) <= 4  # cA_3's coefficients read 8 samples apart: the nearest is within 4
    assert abs(old_centre - 38) > 17  # the former placement (frontend.figures.student._coefficient_centres)


def test_a_coefficient_that_reads_nothing_keeps_its_nominal_centre():
    """A filter with zero end taps (Haar padded to 4 taps) in zero mode: the extra boundary coefficients read
    zero padding only. They keep the middle of their filters' span, which lies outside the input."""
    h = np.array([2 ** -0.5, 2 ** -0.5, 0.0, 0.0])
    weights = analysis_weights(h, 8, 1, "zero")[1]
    energy = np.asarray(weights.multiply(weights).sum(axis=1)).ravel()
    empty = np.flatnonzero(energy == 0)
    assert empty.size == 1
    centres = energy_centroids(weights, 1, 4, "zero")
    nominal = 2 * empty + (2 - 1) * (3 - 4) / 2
    np.testing.assert_array_equal(centres[empty], nominal)
    assert ((centres[energy > 0] >= 0) & (centres[energy > 0] <= 7)).all()
    shares = energy_shares(weights).toarray()
    np.testing.assert_allclose(shares.sum(axis=1), np.where(energy > 0, 1.0, 0.0))


def test_weights_scale_to_long_series():
    """Sparse, level by level: 65 536 samples (the longest input accepted) without an L x L matrix."""
    weights = analysis_weights(_lowpass("db5"), 65_536, 8, "symmetric")
    assert sum(w.nnz for w in weights) < 100 * 65_536  # about 9 L a band, where a dense matrix holds L^2
    centres = band_centroids(_lowpass("db5"), 65_536, 8, "symmetric")
    assert all(np.isfinite(c).all() for c in centres)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="even length"):
        analysis_weights([1.0, 2.0, 3.0], 16, 1)
    with pytest.raises(ValueError, match="max level"):
        analysis_weights(_lowpass("db5"), 16, 6)
    with pytest.raises(ValueError, match="mode"):
        analysis_weights(_lowpass("db5"), 16, 1, "reflect")


@pytest.mark.parametrize("mode", ["periodization", "zero", "symmetric"])
def test_in_input_shares_from_the_dense_matrix_equal_the_sparse_chain(mode):
    """Short inputs take the dense analysis matrix's rows: the same shares as the sparse weights, to rounding, on
    every level of several wavelets and odd and even lengths."""
    from awd_studio.models.analysis_weights import DENSE_MAX_LENGTH, analysis_weights, in_input_shares

    for name in ("haar", "db2", "db5", "coif2"):
        h = np.array(pywt.Wavelet(name).rec_lo)
        for length in (8, 17, 40, 100, DENSE_MAX_LENGTH):
            for levels in range(1, pywt.dwt_max_level(length, len(h)) + 1):
                sparse_shares = [np.clip(np.asarray(w.multiply(w).sum(axis=1)).ravel(), 0.0, 1.0)
                                 for w in analysis_weights(h, length, levels, mode)]
                shares = in_input_shares(h, length, levels, mode)
                assert [s.shape for s in shares] == [s.shape for s in sparse_shares]
                for dense_band, sparse_band in zip(shares, sparse_shares):
                    np.testing.assert_allclose(dense_band, sparse_band, rtol=0, atol=1e-13)
