"""The final stage's faster peak counting gives what the code before it gave, to the bit.

The compiled binning (:mod:`models.students.peak_kernel`) lost its data-dependent branches and reads several
ranges in one pass; the map student (:class:`models.students.maps.PeakCountRegressor`) finds a target's classes
once per fit, a fold's channel scales among the parent's largest responses, and every candidate range's histograms
in one call. The references here are the old arithmetic, written plainly in numpy (``_old_bins``: the bin of the
old ``_add``, with its ``if``/``elif``), and the responses computed term by term in the compiled loop's order.
"""

import zlib

import numpy as np
import pytest

from awd_studio.models.filters import lowpass_filter, subfilters_3x3
from awd_studio.models.students.maps import (
    RESPONSE_QUANTILE,
    PeakCountRegressor,
    _Chi2Model,
    _class_labels,
    _positive_quantile,
    peak_student_method,
)
from awd_studio.models.students.peak_kernel import (
    bin_values,
    bin_values_ranges,
    peak_count_histograms,
    peak_count_histograms_ranges,
)
from awd_studio.models.students.peaks import LAPLACE_KERNEL, _peak_patches, peak_patches

# --- the references -------------------------------------------------------------------------------------------------


def _old_bins(r, lo, hi, bins):
    """The bin the old compiled ``_add`` gave each response of ``r`` (its arithmetic, its if / elif), and whether it
    counted (``lo <= r <= hi``)."""
    span = hi - lo
    i0 = np.minimum(np.maximum((r - lo) / span * bins, 0.0), bins - 1.0).astype(np.int64)  # int() of a value >= 0
    step = span / bins
    down = (i0 > 0) & (r < i0 * step + lo)
    up = ~down & (i0 < bins - 1) & (r >= (i0 + 1) * step + lo)  # elif: only when not moved down
    return i0 - down + up, (lo <= r) & (r <= hi)


def _old_histograms(values, sample, n_maps, lows, hi, bins):
    """Per-map counts of (C, n) responses, channel c over ``[lows[c], hi]``, binned as the old ``_add`` bins."""
    out = np.zeros((n_maps, len(values) * bins))
    for c, v in enumerate(values):
        i, counted = _old_bins(v, lows[c], hi, bins)
        np.add.at(out, (sample[counted], c * bins + i[counted]), 1.0)
    return out


def _term_by_term_responses(patches, kernel_rows, response):
    """(C, n_peaks) responses at (n_peaks, 9) float64 patches, each sum in the compiled loop's order (from 0.0,
    tap 0 to 8): equal to the compiled pass's to the bit."""
    if response == "roberts":
        r = np.zeros(len(patches))
        for a in range(2):
            for b in range(2):
                t = 3 * a + b
                r = r + np.sqrt((patches[:, t + 1] - patches[:, t + 3]) ** 2 + (patches[:, t] - patches[:, t + 4]) ** 2)
        return r[None]
    linear = []
    for row in kernel_rows:
        r = np.zeros(len(patches))
        for t in range(9):
            r = r + row[t] * patches[:, t]
        linear.append(r)
    if response == "magnitude":
        squares = np.zeros(len(patches))
        for r in linear[1:]:
            squares = squares + r * r
        return np.stack([linear[0], np.sqrt(squares)])
    return np.stack(linear)


# --- the data -------------------------------------------------------------------------------------------------------


def _maps(rng, n, h, w, kind, dtype):
    """Random maps with ties and plateaus: ``"normal"``, ``"integers"`` (values 0-3: many ties, plateaus of equal
    neighbours, few strict peaks), ``"flat"`` (constant: no peak) or ``"mixed"`` (normal, with plateaus cut in)."""
    if kind == "integers":
        maps = rng.integers(0, 4, size=(n, h, w)).astype(dtype)
    elif kind == "flat":
        maps = np.full((n, h, w), 0.25, dtype=dtype)
    else:
        maps = rng.normal(scale=0.02, size=(n, h, w)).astype(dtype)
        if kind == "mixed":
            maps[:, : h // 2, : w // 2] = np.round(maps[:, : h // 2, : w // 2], 2)  # ties and plateaus
            maps[0, 1:3, 1:3] = maps.max() + 1  # a 2 x 2 plateau above everything: no peak
    return maps


def _edge_values(rng, lo, hi, bins, n=4000):
    """Responses on and beside every bin edge (as np.histogram places them and as ``lo + i * step`` gives them),
    outside the range, zeros of both signs, huge values, and random ones."""
    step = (hi - lo) / bins
    edges = np.concatenate([np.linspace(lo, hi, bins + 1), lo + np.arange(bins + 1) * step])
    near = np.concatenate([edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf)])
    extra = np.array([0.0, -0.0, lo - 1e-300, hi * 2, -1e300, 1e300, lo - 5 * (hi - lo), hi + 5 * (hi - lo)])
    return np.concatenate([near, extra, rng.uniform(lo - (hi - lo), hi + (hi - lo), size=n)])


RANGES = [((0.0, 0.6), None), ((0.0, 1.4), None), ((-0.03, 0.19), None), ((0.0, 0.025), None),
          ((0.0, 0.02), "signed"), ((-1.0, 1.0), None), ((0.1, 0.7), None)]


# --- the compiled binning -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bins", [1, 2, 9, 22])
def test_binning_equals_the_old_arithmetic_on_and_beside_every_edge(bins):
    rng = np.random.default_rng(bins)
    for (lo, hi), how in RANGES:
        values = np.stack([rng.permutation(_edge_values(rng, lo, hi, bins)) for _ in range(2)])
        sample = rng.integers(0, 7, size=values.shape[1])
        lows = np.array([-hi, lo]) if how == "signed" else np.array([lo, lo])
        want = _old_histograms(values, sample, 7, lows, hi, bins)
        got = bin_values(values, sample, 7, (lo, hi), bins, lows=None if how is None else lows)
        np.testing.assert_array_equal(got, want, err_msg=f"{lo}, {hi}, {how}")
        assert want.sum() > 0


def test_binning_several_ranges_in_one_pass_equals_one_call_per_range():
    rng = np.random.default_rng(7)
    values = np.abs(rng.normal(scale=0.5, size=(3, 5000)))
    values[:, :50] = 0.6  # on an upper edge
    sample = np.sort(rng.integers(0, 40, size=5000))
    ranges = [(0.0, f) for f in (0.6, 0.8, 1.0, 1.2, 1.4)] + [(0.0, 0.6), (-0.5, 1.0)]  # a repeated range too
    lows = [None] * 6 + [np.array([-1.0, 0.0, -0.5])]
    together = bin_values_ranges(values, sample, 40, ranges, 22, lows)
    for r, low, got in zip(ranges, lows, together):
        np.testing.assert_array_equal(got, bin_values(values, sample, 40, r, 22, low))
        np.testing.assert_array_equal(got, _old_histograms(values, sample, 40, np.full(3, r[0]) if low is None else
                                                           low, r[1], 22))
        assert got.flags.c_contiguous


# --- the compiled counting over maps --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 3, 3), (6, 4, 7), (4, 16, 9), (3, 64, 64)])
@pytest.mark.parametrize("kind", ["normal", "integers", "flat", "mixed"])
def test_counting_over_maps_equals_the_old_arithmetic(dtype, shape, kind):
    """Every response, every range, tiles of several sizes, maps with ties, plateaus and no peak at all."""
    rng = np.random.default_rng(zlib.crc32(repr((shape, kind)).encode()))
    maps = _maps(rng, *shape, kind, dtype)
    patches, sample = _peak_patches(maps.astype(np.float64))  # the numpy peak finder of the fast path
    sub = np.stack([k.reshape(9) for k in subfilters_3x3(lowpass_filter("db5")).values()])
    for response, rows in (("kernels", np.stack([LAPLACE_KERNEL.reshape(9), sub[1]])), ("magnitude", sub),
                           ("roberts", None), ("kernels", np.eye(9)[4:5])):
        values = _term_by_term_responses(patches, rows, response)
        scale = np.array([max(float(np.abs(v).max()), 1e-3) if v.size else 1.0 for v in values])
        ranges = [(0.0, 0.6 * scale.max()), (0.0, 1.4 * scale.max()), (-scale.max(), scale.max())]
        lows = [None, np.concatenate([[-1.4 * scale.max()], np.zeros(len(values) - 1)]), None]
        together = peak_count_histograms_ranges(maps, rows, ranges, 9, response, lows)
        for (lo, hi), low, got in zip(ranges, lows, together):
            want = _old_histograms(values, sample, len(maps), np.full(len(values), lo) if low is None else low, hi, 9)
            np.testing.assert_array_equal(got, want, err_msg=f"{response}, {(lo, hi)}")
            np.testing.assert_array_equal(got, peak_count_histograms(maps, rows, (lo, hi), 9, response, low))
    if kind == "flat":
        assert len(sample) == 0


# --- the map student ------------------------------------------------------------------------------------------------


def _targets(rng, n, n_classes=4):
    """Target rows of a few classes (two columns), each row class seen several times."""
    table = np.round(rng.uniform(0.1, 0.5, size=(n_classes, 2)), 3)
    return table[np.arange(n) % n_classes]


def test_class_labels_and_method_equal_numpys_unique_of_the_rows():
    rng = np.random.default_rng(2)
    for n_classes, n in ((1, 5), (3, 12), (4, 40), (25, 50), (5, 24)):
        y2 = _targets(rng, n, n_classes)[rng.permutation(n)]
        classes, labels = _class_labels(y2)
        want_classes, want_labels, counts = np.unique(y2, axis=0, return_inverse=True, return_counts=True)
        np.testing.assert_array_equal(classes, want_classes)
        np.testing.assert_array_equal(labels, want_labels.ravel())
        old = "chi2" if len(counts) <= 20 and counts.min() >= 5 else "ridge"
        assert peak_student_method(y2, "auto") == peak_student_method(y2, "auto", (classes, labels)) == old
        features = rng.normal(size=(n, 6))
        a, b = _Chi2Model().fit(features, y2), _Chi2Model().fit(features, y2, (classes, labels))
        np.testing.assert_array_equal(a.means_, b.means_)
        np.testing.assert_array_equal(a.precision_, b.precision_)


def test_a_folds_channel_scales_from_the_parents_top_equal_numpys_quantiles():
    """``"magnitude"``: each channel's 99th percentile of a fold's positive responses, found among the parent's
    largest, equals numpy's of the fold's responses (or is None and then computed in full)."""
    rng = np.random.default_rng(4)
    maps = _maps(rng, 40, 24, 24, "mixed", np.float64)
    peaks = peak_patches(maps)
    model = PeakCountRegressor(kernels=subfilters_3x3(lowpass_filter("db5")), response="magnitude")
    model.fit_peaks(peaks, _targets(rng, 40))  # sets the kernels
    found = 0
    for seed in range(12):
        rows = np.random.default_rng(seed).permutation(40)[: 8 + 2 * seed]
        part = peaks.subset(rows)
        values = model._responses(part)
        got = model._subset_channel_scale(part)
        for v, q in zip(values, got):
            if q is not None:
                assert q == _positive_quantile(v) == float(np.quantile(v[v > 0], RESPONSE_QUANTILE))
                found += 1
    assert found >= 12


def test_all_ranges_counted_in_one_pass_equal_one_pass_per_range():
    rng = np.random.default_rng(6)
    maps = _maps(rng, 30, 20, 20, "mixed", np.float32)
    y = _targets(rng, 30)
    for kwargs in ({"kernels": subfilters_3x3(lowpass_filter("db5")), "response": "magnitude"},
                   {"kernels": subfilters_3x3(lowpass_filter("db5")), "signed": True},
                   {"kernels": [LAPLACE_KERNEL]}, {"response": "roberts"}, {"response": "raw"}):
        model = PeakCountRegressor(**kwargs).fit(maps, y)
        ranges = [(0.0, 0.01), model.bin_range_, (0.0, 0.05)]
        for r, got in zip(ranges, model._features_ranges(maps, ranges)):
            np.testing.assert_array_equal(got, model._features(maps, r))


# --- the bootstrap --------------------------------------------------------------------------------------------------


def _old_rmse_sd(y, y_pred, n_boot, seed, chunk_elements, groups):
    """The old bootstrap_rmse_sd: fresh draws every call."""
    from awd_studio.models.metrics import resample_weights

    sq = ((y - y_pred) ** 2).reshape(y.shape[0], -1).mean(axis=1)
    rng, per_chunk, values = np.random.default_rng(seed), max(1, chunk_elements // len(sq)), []
    for start in range(0, n_boot, per_chunk):
        weights = resample_weights(np.arange(len(sq)) if groups is None else groups, min(per_chunk, n_boot - start),
                                   rng)
        values.append(np.sqrt(weights @ sq / weights.sum(axis=1)))
    return float(np.std(np.concatenate(values), ddof=1))


def _old_paired(y, a, b, metric, n_boot, seed, chunk_elements, groups):
    """The old paired_bootstrap_difference's resampled differences: fresh draws every call."""
    from awd_studio.models.metrics import _weighted_scores, resample_weights

    y2 = y.reshape(y.shape[0], -1)
    ea, eb = (y2 - a.reshape(y2.shape)) ** 2, (y2 - b.reshape(y2.shape)) ** 2
    rng, per_chunk, diffs = np.random.default_rng(seed), max(1, chunk_elements // len(y2)), []
    for start in range(0, n_boot, per_chunk):
        weights = resample_weights(np.arange(len(y2)) if groups is None else groups, min(per_chunk, n_boot - start),
                                   rng)
        diffs.append(_weighted_scores(y2, ea, weights, metric) - _weighted_scores(y2, eb, weights, metric))
    diffs = np.concatenate(diffs)
    tail = 100 * (1 - 0.95) / 2  # 2.5000000000000022, as paired_bootstrap_difference computes it
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(low), float(high), float(np.std(diffs, ddof=1))


def test_bootstrap_draws_kept_between_calls_give_the_old_figures():
    """Students scored one after another on the same test set: the kept draws give each the figures of fresh draws,
    whatever the calls in between (other seeds, groups, sizes, chunkings, a generator as the seed)."""
    from awd_studio.models.metrics import bootstrap_rmse_sd, paired_bootstrap_difference

    rng = np.random.default_rng(11)
    calls = []
    for n, columns, grouped in ((300, 1, False), (300, 2, False), (60, 1, True), (7, 1, True), (300, 1, False)):
        y = rng.normal(size=(n, columns)) if columns > 1 else rng.normal(size=n)
        groups = np.repeat(np.arange(n // 3 + 1), 3)[:n] if grouped else None
        for seed, chunk in ((0, 1_000_000), (0, 1_000_000), (3, 1_000_000), (0, 999), (0, 1_000_000)):
            calls.append((y, y + rng.normal(scale=0.1, size=y.shape), y + rng.normal(scale=0.2, size=y.shape), seed,
                          chunk, groups))
    for y, a, b, seed, chunk, groups in calls + calls[::-1]:
        assert bootstrap_rmse_sd(y, a, n_boot=2000, seed=seed, chunk_elements=chunk, groups=groups) == \
            _old_rmse_sd(y, a, 2000, seed, chunk, groups)
        for metric in ("rmse", "r2"):
            got = paired_bootstrap_difference(y, a, b, metric=metric, n_boot=2000, seed=seed, chunk_elements=chunk,
                                              groups=groups)
            assert (got["low"], got["high"], got["sd"]) == _old_paired(y, a, b, metric, 2000, seed, chunk, groups)
    y, pred = rng.normal(size=50), rng.normal(size=50)
    generator, reference = np.random.default_rng(1), np.random.default_rng(1)
    for _ in range(2):  # a generator's stream goes on from call to call: never kept
        assert bootstrap_rmse_sd(y, pred, n_boot=500, seed=generator) == _old_rmse_sd(y, pred, 500, reference,
                                                                                      1_000_000, None)


def test_the_cme_examples_test_set_draws_are_kept_as_small_counts():
    """1005 test series x 10000 resamples: 80 MB as float64, over the bound, were drawn again for each of the final
    stage's eight calls; kept as one-byte counts (10 MB) they are drawn once, and give the old figures."""
    from awd_studio.models.metrics import BOOTSTRAP_CACHE_BYTES, bootstrap_rmse_sd, bootstrap_weights

    first = bootstrap_weights(1005, 10000, 0)
    assert bootstrap_weights(1005, 10000, 0) is first
    assert {c.dtype for c in first} == {np.dtype(np.uint8)}
    assert sum(c.nbytes for c in first) <= BOOTSTRAP_CACHE_BYTES < 1005 * 10000 * 8
    rng = np.random.default_rng(4)
    y = rng.normal(size=1005)
    pred = y + rng.normal(scale=0.3, size=1005)
    assert bootstrap_rmse_sd(y, pred) == _old_rmse_sd(y, pred, 10000, 0, 1_000_000, None)
