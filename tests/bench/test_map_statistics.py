"""The map-statistics experiment reads the peaks as the product does: its Roberts and kernel histograms equal
the product's peak counts (models.students.peaks.peak_histograms) on the same maps and range."""

import numpy as np

from awd_studio.models.filters import lowpass_filter, subfilters_3x3
from awd_studio.models.students.peaks import peak_histograms, peak_patches
from bench.science import map_statistics as ms


def test_the_experiments_statistics_are_the_products():
    maps = np.random.default_rng(0).standard_normal((12, 24, 24)) * 0.01
    peaks = peak_patches(maps)
    roberts = ms._responses(peaks.patches, "roberts")
    high = float(roberts.max()) * 0.8  # the largest responses fall outside: both drop them
    ours = ms._histograms(roberts, peaks.sample, peaks.n_maps, [high])
    np.testing.assert_array_equal(ours, peak_histograms(maps, response="roberts", bins=ms.BINS, bin_range=(0, high)))
    kernels = subfilters_3x3(lowpass_filter("db4"))
    responses = ms._responses(peaks.patches, "kernels", lowpass_filter("db4"))
    highs = [float(np.abs(responses).max()) * 0.8] * 4
    ours = ms._histograms(responses, peaks.sample, peaks.n_maps, highs)
    theirs = peak_histograms(maps, kernels=[kernels[k] for k in ("LL", "LH", "HL", "HH")], bins=ms.BINS,
                             bin_range=(0, highs[0]))
    np.testing.assert_array_equal(ours, theirs)
    magnitude = ms._responses(peaks.patches, "magnitude", lowpass_filter("db4"))
    np.testing.assert_allclose(magnitude[:, 1], np.linalg.norm(responses[:, 1:], axis=1))
