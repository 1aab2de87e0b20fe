"""models.wavelets: parity with PyWavelets, exact inverses, batching, dense operators, gradients, errors."""

import warnings

import numpy as np
import pytest
import pywt
import torch
from torch.autograd import gradcheck, gradgradcheck

from awd_studio.models import wavelets as wt
from awd_studio.models.wavelets import (
    MODES,
    analysis_matrix,
    check_level,
    coeff_lengths,
    concat_coeffs,
    dwt1d,
    dwt2d,
    idwt1d,
    idwt2d,
    max_level,
    split_coeffs,
    synthesis_matrix,
    wavedec1d,
    wavedec2d,
    waverec1d,
    waverec2d,
)

TOL = 1e-10  # float64 parity with PyWavelets
WAVES = [f"db{i}" for i in range(1, 11)] + [f"sym{i}" for i in range(2, 11)] + [f"coif{i}" for i in range(1, 6)]
PATHS = ("dense", "matrix", "conv")


def rec_lo(wave):
    return torch.tensor(pywt.Wavelet(wave).rec_lo, dtype=torch.float64)


def pywt_wavedec(x, wave, mode, level):
    with warnings.catch_warnings():  # pywt warns beyond its own (more conservative) max level
        warnings.simplefilter("ignore", UserWarning)
        return pywt.wavedec(x, wave, mode=mode, level=level, axis=-1)


def pywt_wavedec2(x, wave, mode, level):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return pywt.wavedec2(x, wave, mode=mode, level=level, axes=(-2, -1))


def max_err(ours, ref):
    return max(float(np.abs(np.asarray(a) - np.asarray(b)).max()) for a, b in zip(ours, ref))


def flat2d(coeffs):
    out = [coeffs[0]]
    for t in coeffs[1:]:
        out.extend(t)
    return [c.detach().cpu().numpy() if isinstance(c, torch.Tensor) else c for c in out]


# ------------------------------------------------------------------------------------------------ parity


def test_highpass_convention_equals_pywt_rec_hi():
    for wave in WAVES + ["haar", "db20", "sym20", "coif17"]:
        w = pywt.Wavelet(wave)
        h, g = np.asarray(w.rec_lo), np.asarray(w.rec_hi)
        assert np.array_equal(g, (-1.0) ** np.arange(len(h)) * h[::-1]), wave
        assert np.allclose(w.dec_lo, h[::-1]) and np.allclose(w.dec_hi, g[::-1])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wave", WAVES)
def test_wavedec1d_and_waverec1d_equal_pywt(wave, mode):
    rng = np.random.default_rng(0)
    h = rec_lo(wave)
    for length in (64, 37, 16, 5):
        x = rng.standard_normal((2, length))
        deepest = max_level(length, len(h), mode)
        for level in range(1, min(deepest, 5) + 1):
            ref = pywt_wavedec(x, wave, mode, level)
            ours = wavedec1d(torch.from_numpy(x), h, level, mode)
            assert [c.shape[-1] for c in ours] == [r.shape[-1] for r in ref]
            assert [c.shape[-1] for c in ours] == coeff_lengths(length, len(h), level, mode)
            assert max_err(ours, ref) < TOL, (length, level)
            back = waverec1d(ours, h, mode)
            assert back.shape[-1] == pywt.waverec(ref, wave, mode=mode).shape[-1]
            assert max_err([back], [pywt.waverec(ref, wave, mode=mode)]) < TOL
            assert max_err([waverec1d(ours, h, mode, length=length)], [x]) < TOL


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wave", ["haar", "db2", "db5", "sym4", "coif1", "db10"])
def test_wavedec2d_and_waverec2d_equal_pywt(wave, mode):
    rng = np.random.default_rng(1)
    h = rec_lo(wave)
    for shape in ((16, 16), (17, 12), (9, 24)):
        x = rng.standard_normal((2, *shape))
        deepest = min(max_level(s, len(h), mode) for s in shape)
        for level in range(1, min(deepest, 3) + 1):
            ref = pywt_wavedec2(x, wave, mode, level)
            for path in ("matrix", "conv"):
                ours = wavedec2d(torch.from_numpy(x), h, level, mode, path=path)
                assert max_err(flat2d(ours), flat2d(ref)) < TOL, (shape, level, path)
                back = waverec2d(ours, h, mode, path=path)
                expected = pywt.waverec2(ref, wave, mode=mode)
                assert back.shape[-2:] == expected.shape[-2:]
                assert max_err([back], [expected]) < TOL
                assert max_err([waverec2d(ours, h, mode, shape=shape, path=path)], [x]) < TOL


def test_single_level_functions_equal_pywt():
    x = np.random.default_rng(2).standard_normal((3, 21))
    for mode in MODES:
        cA, cD = dwt1d(torch.from_numpy(x), rec_lo("db3"), mode)
        rA, rD = pywt.dwt(x, "db3", mode=mode)
        assert max_err([cA, cD], [rA, rD]) < TOL
        assert max_err([idwt1d(cA, cD, rec_lo("db3"), mode)], [pywt.idwt(rA, rD, "db3", mode=mode)]) < TOL
        maps = np.random.default_rng(3).standard_normal((2, 10, 13))
        cA, bands = dwt2d(torch.from_numpy(maps), rec_lo("sym3"), mode)
        rA, rbands = pywt.dwt2(maps, "sym3", mode=mode)
        assert max_err([cA, *bands], [rA, *rbands]) < TOL
        back = idwt2d((cA, bands), rec_lo("sym3"), mode, shape=(10, 13))
        assert max_err([back], [maps]) < TOL


@pytest.mark.parametrize("mode", MODES)
def test_all_paths_agree(mode):
    rng = np.random.default_rng(4)
    h = rec_lo("db4")
    x = torch.from_numpy(rng.standard_normal((3, 45)))
    results = [wavedec1d(x, h, 3, mode, path=p) for p in PATHS]
    for other in results[1:]:
        assert max_err(results[0], other) < 1e-12
    backs = [waverec1d(results[0], h, mode, length=45, path=p) for p in PATHS]
    assert max_err(backs[:1] * 2, backs[1:]) < 1e-12
    maps = torch.from_numpy(rng.standard_normal((2, 20, 11)))
    a, b = (flat2d(wavedec2d(maps, h, 2, mode, path=p)) for p in ("matrix", "conv"))
    assert max_err(a, b) < 1e-12


# ------------------------------------------------------------------------------------------------ inverses


@pytest.mark.parametrize("wave", ["haar", "db5", "db10", "coif3"])
def test_periodization_is_exactly_invertible_at_every_length_and_level(wave):
    rng = np.random.default_rng(5)
    h = rec_lo(wave)
    for length in range(2, 70):
        x = torch.from_numpy(rng.standard_normal((2, length)))
        for level in range(1, max_level(length, len(h)) + 1):
            coeffs = wavedec1d(x, h, level)
            assert max_err([waverec1d(coeffs, h, length=length)], [x]) < 1e-12, (length, level)


def test_levels_shorter_than_the_filter_are_exact():
    rng = np.random.default_rng(6)
    for wave, length, level in (("db5", 64, 4), ("db10", 16, 4), ("db10", 16, 2), ("coif5", 32, 5)):
        h = rec_lo(wave)
        x = rng.standard_normal((2, length))
        coeffs = wavedec1d(torch.from_numpy(x), h, level)
        assert max_err(coeffs, pywt_wavedec(x, wave, "periodization", level)) < TOL
        for path in PATHS:
            assert max_err([waverec1d(coeffs, h, length=length, path=path)], [x]) < 1e-12
        maps = rng.standard_normal((1, length, length))
        back = waverec2d(wavedec2d(torch.from_numpy(maps), h, level), h)
        assert max_err([back], [maps]) < 1e-12


@pytest.mark.parametrize("mode", ["zero", "symmetric"])
def test_redundant_modes_are_exactly_invertible(mode):
    rng = np.random.default_rng(7)
    for wave in ("db2", "db5", "sym7"):
        h = rec_lo(wave)
        for length in (11, 30, 64):
            x = torch.from_numpy(rng.standard_normal((2, length)))
            for level in range(1, max_level(length, len(h), mode) + 1):
                back = waverec1d(wavedec1d(x, h, level, mode), h, mode, length=length)
                assert max_err([back], [x]) < TOL  # sym taps are tabulated to ~1e-13


# ------------------------------------------------------------------------------------------------ batching


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("mode", MODES)
def test_batched_filters_equal_separate_calls(mode, path):
    rng = np.random.default_rng(8)
    hs = rec_lo("db3") + 0.05 * torch.from_numpy(rng.standard_normal((3, 6)))
    x = torch.from_numpy(rng.standard_normal((4, 30)))
    xg = torch.from_numpy(rng.standard_normal((3, 4, 30)))
    shared = wavedec1d(x, hs, 3, mode, path=path)
    own = wavedec1d(xg, hs, 3, mode, path=path)
    back = waverec1d(own, hs, mode, length=30, path=path)
    assert shared[0].shape == (3, 4, coeff_lengths(30, 6, 3, mode)[0])
    for g in range(3):
        assert max_err([c[g] for c in shared], wavedec1d(x, hs[g], 3, mode, path=path)) < 1e-12
        single = wavedec1d(xg[g], hs[g], 3, mode, path=path)
        assert max_err([c[g] for c in own], single) < 1e-12
        assert max_err([back[g]], [waverec1d(single, hs[g], mode, length=30, path=path)]) < 1e-12
    maps = torch.from_numpy(rng.standard_normal((2, 12, 14)))
    both = wavedec2d(maps, hs, 2, mode, path=path)
    back2 = waverec2d(both, hs, mode, shape=(12, 14), path=path)
    for g in range(3):
        one = wavedec2d(maps, hs[g], 2, mode, path=path)
        assert max_err(flat2d([both[0][g]] + [tuple(c[g] for c in t) for t in both[1:]]), flat2d(one)) < 1e-12
        assert max_err([back2[g]], [waverec2d(one, hs[g], mode, shape=(12, 14), path=path)]) < 1e-12


# ------------------------------------------------------------------------------------------------ dense operators


@pytest.mark.parametrize("mode", MODES)
def test_analysis_and_synthesis_matrices(mode):
    rng = np.random.default_rng(9)
    h = rec_lo("db5")
    hs = torch.stack([h, rec_lo("sym5")])
    for length, level in ((64, 4), (37, 3), (16, 2)):
        x = torch.from_numpy(rng.standard_normal((3, length)))
        lengths = coeff_lengths(length, 10, level, mode)
        W = analysis_matrix(h, length, level, mode)
        S = synthesis_matrix(h, length, level, mode)
        assert W.shape == (sum(lengths), length) and S.shape == (length, sum(lengths))
        coeffs = wavedec1d(x, h, level, mode, path="conv")
        assert max_err([x @ W.T], [concat_coeffs(coeffs)]) < 1e-12
        c = torch.from_numpy(rng.standard_normal((3, sum(lengths))))
        expected = waverec1d(split_coeffs(c, lengths), h, mode, length=length, path="conv")
        assert max_err([c @ S.T], [expected]) < 1e-12
        assert max_err([S @ W], [torch.eye(length, dtype=torch.float64)]) < 1e-12
        Wg, Sg = analysis_matrix(hs, length, level, mode), synthesis_matrix(hs, length, level, mode)
        assert Wg.shape == (2, sum(lengths), length) and Sg.shape == (2, length, sum(lengths))
        assert max_err([Wg[0], Sg[0]], [W, S]) < 1e-14


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("which", ["analysis", "synthesis"])
def test_operator_factors_and_pullbacks_equal_autograd(mode, which):
    factors, pullback, matrix = {
        "analysis": (wt.analysis_matrix_factors, wt.analysis_matrix_pullback, analysis_matrix),
        "synthesis": (wt.synthesis_matrix_factors, wt.synthesis_matrix_pullback, synthesis_matrix)}[which]
    gen = torch.Generator().manual_seed(4)
    for length, level in ((64, 4), (37, 3), (40, 4), (16, 1)):
        h = torch.randn(3, 10, dtype=torch.float64, generator=gen, requires_grad=True)
        op, chain = factors(h, length, level, mode)
        assert max_err([op.detach()], [matrix(h.detach(), length, level, mode)]) == 0
        grad_op = torch.randn(op.shape, dtype=torch.float64, generator=gen)
        expected, = torch.autograd.grad((op * grad_op).sum(), h)
        with torch.no_grad():
            got = pullback(chain, grad_op, length, 10, mode)
        assert max_err([got], [expected]) < 1e-12


def test_periodization_operator_is_orthogonal_for_even_lengths():
    W = analysis_matrix(rec_lo("db5"), 64, 4)
    S = synthesis_matrix(rec_lo("db5"), 64, 4)
    eye = torch.eye(64, dtype=torch.float64)
    assert max_err([W.T @ W, W @ W.T, S], [eye, eye, W.T]) < 1e-12


def test_split_and_concat_are_inverse():
    c = torch.arange(10.0).reshape(1, 10)
    parts = split_coeffs(c, [2, 2, 6])
    assert [p.shape[-1] for p in parts] == [2, 2, 6]
    assert torch.equal(concat_coeffs(parts), c)
    with pytest.raises(ValueError, match="sum"):
        split_coeffs(c, [2, 2, 5])


def test_coeff_lengths_and_max_level():
    assert coeff_lengths(64, 10, 4) == [4, 4, 8, 16, 32]
    assert max_level(64, 10) == 6 and max_level(5, 2) == 3 and max_level(1, 2) == 0
    assert max_level(64, 10, "zero") == 6  # lengths 64 36 22 15 12 10 9, then 9 again
    assert max_level(8, 20, "zero") == 0  # a db10 level on 8 samples only grows
    for length in (7, 64, 100):
        for mode in MODES:
            for level in range(1, max_level(length, 8, mode) + 1):
                ref = pywt_wavedec(np.zeros(length), "db4", mode, level)
                assert coeff_lengths(length, 8, level, mode) == [len(r) for r in ref]


def test_max_level_is_where_pywt_levels_stop_shrinking():
    """The one level limit: PyWavelets' levels only repeat beyond it, and it is deeper than pywt.dwt_max_level
    (the deepest level free of boundary effects, where PyWavelets merely warns)."""
    assert max_level(64, 10) == 6 and pywt.dwt_max_level(64, 10) == 2
    for length in (7, 16, 64, 100, 1000):
        assert max_level(length, 10, "periodization") == int(np.ceil(np.log2(length)))
        for wave in ("db1", "db5", "sym8"):
            N = pywt.Wavelet(wave).dec_len
            assert max_level(length, N, "periodization") >= pywt.dwt_max_level(length, N)
            for mode in MODES:
                sizes = [length]
                for _ in range(max_level(length, N, mode) + 1):
                    sizes.append(pywt.dwt_coeff_len(sizes[-1], N, mode))
                assert all(b < a for a, b in zip(sizes[:-2], sizes[1:-1]))  # every allowed level shortens
                assert sizes[-1] >= sizes[-2]  # one more would not


def test_check_level_accepts_integers_up_to_max_level_and_names_the_field():
    assert check_level(64, 10, 4) == 4  # the paper's J = 4, deeper than pywt.dwt_max_level(64, 10) = 2
    assert check_level(64, 10, np.int64(6)) == 6 and type(check_level(64, 10, np.int64(6))) is int
    assert check_level(100, 10, 7) == 7  # ceil(log2(100)) levels in periodization
    for bad, words in [(0, "expected an integer >= 1"), (7, "max level is 6"), (2.5, "expected an integer"),
                       (True, "expected an integer")]:
        with pytest.raises(ValueError, match=f"^level: .*{words}"):
            check_level(64, 10, bad)
    with pytest.raises(ValueError, match="max level is 3"):
        check_level(16, 10, 4, "zero")  # lengths 16 12 10 9, then 9 again


# ------------------------------------------------------------------------------------------------ dtypes, devices


def test_float32_numpy_inputs_and_device(device):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((3, 50))
    h = np.asarray(pywt.Wavelet("db4").rec_lo)
    ref = pywt_wavedec(x, "db4", "periodization", 3)
    for path in PATHS:
        coeffs = wavedec1d(torch.tensor(x, dtype=torch.float32, device=device), h, 3, path=path)
        assert coeffs[0].dtype == torch.float32 and coeffs[0].device.type == device.type
        assert max_err([c.cpu() for c in coeffs], ref) < 1e-4
        back = waverec1d(coeffs, torch.tensor(h, device=device), length=50, path=path)
        assert back.dtype == torch.float32 and max_err([back.cpu()], [x]) < 1e-4
    maps = torch.tensor(rng.standard_normal((2, 12, 12)), dtype=torch.float32, device=device)
    assert max_err([waverec2d(wavedec2d(maps, h, 2), h).cpu()], [maps.cpu()]) < 1e-4
    assert max_err(wavedec1d(x, h, 3), ref) < TOL  # numpy signals become float64 tensors


# ------------------------------------------------------------------------------------------------ gradients


def _tuple2d(coeffs):
    return (coeffs[0],) + tuple(c for t in coeffs[1:] for c in t)


@pytest.mark.parametrize(
    "mode, path", [(m, "dense") for m in MODES] + [("periodization", "matrix"), ("zero", "conv"),
                                                    ("periodization", "conv"), ("symmetric", "matrix")]
)
def test_gradcheck_1d(mode, path):
    gen = torch.Generator().manual_seed(0)
    length = 7
    x = torch.randn(2, length, dtype=torch.float64, generator=gen, requires_grad=True)
    h = (rec_lo("db2") + 0.05 * torch.randn(2, 4, dtype=torch.float64, generator=gen)).requires_grad_()

    def analysis(x, h):
        return tuple(wavedec1d(x, h, 2, mode, path=path))

    coeffs = [c.detach().requires_grad_() for c in wavedec1d(x, h, 2, mode)]

    def synthesis(h, *coeffs):
        return waverec1d(list(coeffs), h, mode, length=length, path=path)

    assert gradcheck(analysis, (x, h))
    assert gradgradcheck(analysis, (x, h))
    assert gradcheck(synthesis, (h, *coeffs))
    assert gradgradcheck(synthesis, (h, *coeffs))


@pytest.mark.parametrize("mode, path", [("periodization", "matrix"), ("zero", "conv"), ("symmetric", "matrix")])
def test_gradcheck_2d(mode, path):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(1, 6, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    h = (rec_lo("db2") + 0.05 * torch.randn(2, 4, dtype=torch.float64, generator=gen)).requires_grad_()

    def analysis(x, h):
        return _tuple2d(wavedec2d(x, h, 1, mode, path=path))

    flat = [c.detach().requires_grad_() for c in analysis(x, h)]

    def synthesis(h, a, ch, cv, cd):
        return waverec2d([a, (ch, cv, cd)], h, mode, shape=(6, 5), path=path)

    assert gradcheck(analysis, (x, h))
    assert gradgradcheck(analysis, (x, h))
    assert gradcheck(synthesis, (h, *flat))
    assert gradgradcheck(synthesis, (h, *flat))


def test_gradient_of_a_coefficient_gradient_reaches_h():
    """The trainer's pattern: a saliency taken with create_graph=True, then its L1 norm differentiated in h."""
    gen = torch.Generator().manual_seed(2)
    h = (rec_lo("db3") + 0.05 * torch.randn(6, dtype=torch.float64, generator=gen)).requires_grad_()
    x = torch.randn(3, 16, dtype=torch.float64, generator=gen)
    coeffs = [c.detach().requires_grad_() for c in wavedec1d(x, h, 2)]
    out = torch.tanh(waverec1d(coeffs, h, length=16)).pow(3).sum()
    saliency = torch.autograd.grad(out, coeffs, create_graph=True)
    penalty = sum(s.abs().sum() for s in saliency)
    (grad_h,) = torch.autograd.grad(penalty, h)
    assert torch.isfinite(grad_h).all() and grad_h.abs().sum() > 0


# ------------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: wavedec1d(torch.zeros(8), rec_lo("db2"), 1), r"x: expected a batch of shape \(B, L\)"),
        (lambda: wavedec1d(torch.zeros(2, 2, 8), rec_lo("db2"), 1), "has a filter axis"),
        (lambda: wavedec1d(torch.zeros(3, 2, 8), rec_lo("db2").expand(2, 4), 1), "G = 2"),
        (lambda: wavedec2d(torch.zeros(8, 8), rec_lo("db2"), 1), r"\(B, H, W\)"),
        (lambda: wavedec1d(torch.tensor([[0.0, float("nan"), 1, 2]]), rec_lo("db1"), 1), "x: contains NaN"),
        (lambda: wavedec1d(torch.zeros(1, 8), torch.tensor([1.0, float("inf")]), 1), "h: contains NaN"),
        (lambda: wavedec1d(torch.zeros(1, 64), rec_lo("db5"), 7), "max level is 6"),
        (lambda: wavedec1d(torch.zeros(1, 8), rec_lo("db10"), 1, "zero"), "max level is 0"),
        (lambda: wavedec2d(torch.zeros(1, 64, 8), rec_lo("db1"), 4), r"max level is 3.*axis W"),
        (lambda: wavedec1d(torch.zeros(1, 8), rec_lo("db2"), 1, "reflect"), "mode: unknown mode 'reflect'"),
        (lambda: wavedec1d(torch.zeros(1, 8), rec_lo("db2"), 1, path="fast"), "path: unknown path"),
        (lambda: wavedec1d(torch.zeros(1, 8), torch.zeros(1, 2, 4), 1), r"h: expected .* \(N,\) or \(G, N\)"),
        (lambda: wavedec1d(torch.zeros(1, 8), torch.ones(3), 1), "even filter length"),
        (lambda: wavedec1d(torch.zeros(1, 8), rec_lo("db2"), 0), "level: expected an integer >= 1"),
        (lambda: waverec1d([torch.zeros(1, 4)], rec_lo("db2")), "at least two"),
        (lambda: waverec1d([torch.zeros(1, 4), torch.zeros(1, 5)], rec_lo("db2")), "must match"),
        (lambda: waverec1d([torch.zeros(1, 2), torch.zeros(1, 2), torch.zeros(1, 9)], rec_lo("db2")),
         "does not fit"),
        (lambda: waverec1d([torch.zeros(1, 4), torch.zeros(1, 4)], rec_lo("db2"), length=5), "does not fit"),
        (lambda: waverec2d([torch.zeros(1, 4, 4), torch.zeros(1, 4, 4)], rec_lo("db2")), r"\(cH_J, cV_J, cD_J\)"),
        (lambda: analysis_matrix(rec_lo("db2"), 4, 3), "max level is 2"),
    ],
)
def test_bad_input_raises_a_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_index_tables_are_cached():
    wt._analysis_entries.cache_clear()
    wavedec1d(torch.zeros(1, 32, dtype=torch.float64), rec_lo("db2"), 2, path="matrix")
    wavedec1d(torch.ones(1, 32, dtype=torch.float64), rec_lo("db2"), 2, path="matrix")
    info = wt._analysis_entries.cache_info()
    assert info.misses == 2 and info.hits == 2
