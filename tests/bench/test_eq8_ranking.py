"""The eq. 8 ranking experiment computes the trainer's data terms: PyWavelets' coefficients, L1, per band count."""

import numpy as np
import pywt
import torch

from awd_studio.models.filters import lowpass_filter
from bench.science.eq8_ranking import l1_data_term


def test_the_l1_term_is_pywavelets_coefficients_summed_and_normalised_as_the_trainer_does():
    maps = np.random.default_rng(0).standard_normal((3, 32, 32))
    filters = np.stack([lowpass_filter("db2"), lowpass_filter("sym2")[::-1]])
    ours = l1_data_term(torch.as_tensor(maps), filters, levels=3)
    for h, value in zip(filters, ours):
        wavelet = pywt.Wavelet(filter_bank=pywt.orthogonal_filter_bank(h))
        total = 0.0
        for m in maps:
            coeffs = pywt.wavedec2(m, wavelet, mode="periodization", level=3)
            total += np.abs(coeffs[0]).sum() + sum(np.abs(c).sum() for band in coeffs[1:] for c in band)
        np.testing.assert_allclose(value, total / (3 * 4), rtol=1e-10)
