"""CartoonX explanations (models.explain): acceptance on known supports, the lambda path, gradients, inputs.

The acceptance problems have a known answer. A 32 x 32 map holds one Gaussian blob (sigma = 2 px) at a fixed
place whose amplitude is the target, two distractor blobs of the same shape at random places at least 8 px
away (random amplitudes, not in the target) and white noise; a small position-aware CNN trained on 600 maps
predicts the amplitude (test R2 0.98). A 64-sample series holds one burst (Gaussian envelope, sigma = 3,
period 4) at sample 40 whose amplitude is the target, one distractor burst at least 12 samples away, a random
walk and white noise; the built-in MLP teacher predicts the amplitude (test R2 0.94). Both must score above
0.9 (asserted).

Measures (stated here because the issue leaves them open):

* "blob region": where the noiseless blob (its envelope for the burst) is at least ``exp(-2)`` of its peak,
  i.e. within 2 sigma of the centre; it holds 98 % of the blob's energy. The cartoon's energy inside it
  (:func:`energy_fraction`) must be at least 0.8.
* IoU: support of the explanation (:func:`mask_support`: the fewest samples holding 90 % of the energy of
  the kept coefficients, each spread over its wavelet atom) against the support of the blob alone under the
  same rule (all its coefficients kept, the same basis), so that both sides are measured with one yardstick.
  It must exceed 0.5.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import pywt
import torch

from awd_studio.models.distill import Cancelled
from awd_studio.models.explain import (
    DEFAULTS,
    PERTURBATIONS,
    TopKStudent,
    analyze,
    band_statistics,
    blob_maps,
    blob_template,
    burst_series,
    burst_template,
    cartoon_support,
    coefficient_image,
    coefficient_image_boxes,
    component_region,
    energy_fraction,
    energy_map,
    evaluate_mask,
    explain,
    iou,
    lambda_path,
    make_basis,
    mask_by_scale_1d,
    mask_objective,
    mask_support,
    mask_values,
    perturb,
    pixel_basis,
    pixel_layout,
    plot_explanation,
    sample_perturbations,
    synthesize,
    train_tiny_cnn,
    wavelet_layout,
    write_explanation_figure,
)
from awd_studio.models.filters import complete_angles, lowpass_from_angles
from awd_studio.models.predictors import TopKLinearRegressor
from awd_studio.models.teachers import train_teacher
from awd_studio.models.validation import InputError
from awd_studio.models.wavelets import wavedec1d

torch.set_num_threads(1)


# ------------------------------------------------------------------------------------------------ problems


def _r2(y, p):
    return 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()


@pytest.fixture(scope="module")
def blob_problem():
    X, y = blob_maps(600, seed=0)
    model = train_tiny_cnn(X, y, epochs=10, seed=0)
    X_test, y_test = blob_maps(200, seed=1)
    with torch.no_grad():
        r2 = _r2(y_test, model(torch.as_tensor(X_test))[:, 0].numpy())
    return model, X_test, y_test, component_region("blob"), blob_template(), r2


@pytest.fixture(scope="module")
def burst_problem():
    X, y = burst_series(1000, seed=0)
    model = train_teacher("mlp", X, y, epochs=200, seed=0)
    X_test, y_test = burst_series(200, seed=1)
    with torch.no_grad():
        r2 = _r2(y_test, model(torch.as_tensor(X_test))[:, 0].numpy())
    return model, X_test, y_test, component_region("burst"), burst_template(), r2


def _template_support(template, explanation):
    """Support of the noiseless component alone, by the rule of mask_support, in the explanation's basis."""
    basis = explanation.basis
    c = analyze(basis, torch.as_tensor(template[None], dtype=basis.h.dtype))[0].double().numpy()
    return cartoon_support(energy_map(basis, c ** 2))


# ------------------------------------------------------------------------------------------------ acceptance


@pytest.mark.parametrize("problem", ["blob_problem", "burst_problem"])
def test_mask_of_a_well_trained_teacher_keeps_the_component_the_target_depends_on(problem, request):
    model, X, y, region, template, r2 = request.getfixturevalue(problem)
    assert r2 > 0.9  # the teacher is well trained
    for i in np.argsort(-y)[:2]:  # the two strongest examples: the component is clearly there
        e = explain(model, X[i])
        truth = _template_support(template, e)
        assert energy_fraction(e.cartoon, region) >= 0.8
        assert iou(mask_support(e), truth) > 0.5
        assert e.kept_fraction < 0.25  # and it is an explanation: most coefficients are dropped
        assert e.relative_distortion < 0.05


def test_the_relative_distortion_is_the_shift_squared_plus_the_sd_squared_over_the_scale_squared(burst_problem):
    """What the page says of the number (review 22: it called it the squared shift alone, 0.00669 for 1.8e-4)."""
    model, X, *_ = burst_problem
    e = explain(model, X[0])
    shift, sd, n = e.expected_prediction - e.prediction, e.expected_prediction_sd, e.settings["n_eval"]
    # the SD shown is the sample SD (ddof 1): shift² + SD² up to its factor (n - 1) / n
    assert e.relative_distortion == pytest.approx((shift ** 2 + (n - 1) / n * sd ** 2) / e.scale ** 2, rel=1e-6)


def test_pixel_baseline_also_lands_on_the_blob(blob_problem):
    model, X, y, region, _, _ = blob_problem
    e = explain(model, X[int(np.argmax(y))], space="pixel")
    assert e.mask.shape == (32 * 32,)
    np.testing.assert_allclose(e.cartoon, e.mask.reshape(32, 32) * e.x)
    assert [b["name"] for b in e.bands] == ["pixels"]
    assert energy_fraction(e.cartoon, region) >= 0.8
    assert mask_support(e).sum() <= region.sum()  # a few pixels, not a region: the jittery baseline


def test_distortion_decreases_when_lambda_decreases(burst_problem):
    model, X, y, _, _, _ = burst_problem
    lambdas = [2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02]
    path = lambda_path(model, X[int(np.argmax(y))], lambdas, seed=0)
    d, kept = path.relative_distortion, path.kept_fraction
    assert path.scale == pytest.approx(path.explanations[0].scale)
    assert all(e.scale == path.scale for e in path.explanations)
    # monotone within Monte-Carlo noise (n_eval = 128 draws), and a clear fall over the whole path
    assert np.all(np.diff(d) <= 0.1 * d[:-1] + 1e-3), d
    assert d[-1] < 0.5 * d[0], d
    assert np.all(np.diff(kept) >= -0.02), kept
    assert kept[-1] > kept[0]
    np.testing.assert_allclose(path.distortion, d * path.scale ** 2)


# ------------------------------------------------------------------------------------------------ gradients


def _smooth_model(shape, seed=0):
    torch.manual_seed(seed)
    d = int(np.prod(shape))
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(d, 6), torch.nn.Tanh(),
                               torch.nn.Linear(6, 2)).to(torch.float64)


@pytest.mark.parametrize("shape,wavelet,space", [((16,), "db2", "wavelet"), ((8, 8), "haar", "wavelet"),
                                                 ((8, 8), "sym2", "wavelet"), ((16,), None, "pixel")])
def test_objective_gradient_matches_finite_differences(shape, wavelet, space):
    rng = np.random.default_rng(0)
    model = _smooth_model(shape)
    x = torch.as_tensor(rng.normal(size=shape))
    if space == "pixel":
        basis = pixel_basis(shape, dtype=torch.float64)
    else:
        basis = make_basis(shape, wavelet, level=2, dtype=torch.float64)
    coeffs = analyze(basis, x[None])[0]
    noise = sample_perturbations(band_statistics(coeffs, basis.layout), basis.layout, 5,
                                 generator=torch.Generator().manual_seed(1))

    def score(z):
        return model(z)[:, 1]

    reference = score(x[None])[0].detach()
    mask = torch.as_tensor(rng.uniform(0.1, 0.9, basis.layout.size)).requires_grad_(True)

    def loss(m):
        return mask_objective(m, coeffs, noise, lambda z: synthesize(basis, z), score, reference, 0.3, 0.7)[0]

    (grad,) = torch.autograd.grad(loss(mask), mask)
    eps = 1e-6
    fd = torch.zeros_like(grad)
    with torch.no_grad():
        for i in range(basis.layout.size):
            bump = torch.zeros_like(mask)
            bump[i] = eps
            fd[i] = (loss(mask + bump) - loss(mask - bump)) / (2 * eps)
    # every coordinate, relative to the largest gradient entry
    assert float((fd - grad).abs().max() / grad.abs().max()) < 1e-7


def test_mask_objective_parts():
    basis = make_basis((16,), "haar", level=2, dtype=torch.float64)
    x = torch.linspace(-1, 1, 16, dtype=torch.float64)
    c = analyze(basis, x[None])[0]
    noise = torch.zeros(3, 16, dtype=torch.float64)
    m = torch.full((16,), 0.25, dtype=torch.float64)
    total, dist, l1 = mask_objective(m, c, noise, lambda z: synthesize(basis, z), lambda z: z.sum(dim=1),
                                     x.sum(), lam=2.0, scale=0.5)
    # zero noise: y = Psi^-1 (0.25 c) = 0.25 x, so the distortion is (0.75 sum x)^2 / 0.5^2
    assert float(dist) == pytest.approx((0.75 * float(x.sum())) ** 2 / 0.25)
    assert float(l1) == pytest.approx(0.25)
    assert float(total) == pytest.approx(float(dist) + 2.0 * 0.25)
    torch.testing.assert_close(perturb(m, c, noise + 1.0), (0.25 * c + 0.75).expand(3, -1))


# ------------------------------------------------------------------------------------------------ transforms


@pytest.mark.parametrize("mode", ["periodization", "zero", "symmetric"])
def test_basis_matches_pywavelets_layout_and_inverts(mode):
    rng = np.random.default_rng(0)
    x1 = rng.normal(size=48)
    b1 = make_basis((48,), "db3", level=2, mode=mode, dtype=torch.float64)
    flat = analyze(b1, torch.as_tensor(x1[None]))[0].numpy()
    np.testing.assert_allclose(flat, np.concatenate(pywt.wavedec(x1, "db3", mode=mode, level=2)), atol=1e-10)
    np.testing.assert_allclose(synthesize(b1, torch.as_tensor(flat[None]))[0].numpy(), x1, atol=1e-10)
    x2 = rng.normal(size=(16, 24))
    b2 = make_basis((16, 24), "sym2", level=2, mode=mode, dtype=torch.float64)
    flat2 = analyze(b2, torch.as_tensor(x2[None]))[0].numpy()
    ref = pywt.wavedec2(x2, "sym2", mode=mode, level=2)
    expect = np.concatenate([ref[0].ravel()] + [d.ravel() for lev in ref[1:] for d in lev])
    np.testing.assert_allclose(flat2, expect, atol=1e-10)
    np.testing.assert_allclose(synthesize(b2, torch.as_tensor(flat2[None]))[0].numpy(), x2, atol=1e-10)
    # split / flatten are inverse, and split gives pywt's nesting
    parts = b2.layout.split(flat2)
    np.testing.assert_allclose(parts[1][2], ref[1][2], atol=1e-10)
    np.testing.assert_array_equal(b2.layout.flatten(parts), flat2)
    assert [b.name for b in b2.layout.bands] == ["cA2", "cH2", "cV2", "cD2", "cH1", "cV1", "cD1"]


@pytest.mark.parametrize("shape,mode", [((32,), "periodization"), ((32,), "zero"), ((16, 16), "periodization"),
                                        ((16, 12), "symmetric")])
def test_energy_map_conserves_the_weights(shape, mode):
    basis = make_basis(shape, "db2", level=2, mode=mode)
    w = np.random.default_rng(0).uniform(size=basis.layout.size)
    e = energy_map(basis, w)
    assert e.shape == shape and (e >= 0).all()
    assert e.sum() == pytest.approx(w.sum())


def test_energy_map_puts_an_atom_where_it_is():
    basis = make_basis((32, 32), "haar", level=2)
    w = np.zeros(basis.layout.size)
    w[1 * 8 + 2] = 1.0  # cA2 at row 1, column 2: the 4 x 4 pixels at rows 4..7, columns 8..11
    e = energy_map(basis, w)
    assert e[4:8, 8:12].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(e[4:8, 8:12], 1 / 16)


def test_coefficient_image_is_the_pywavelets_picture():
    basis = make_basis((16, 16), "haar", level=2)
    values = np.arange(basis.layout.size, dtype=float)
    image, slices = coefficient_image(values, basis.layout)
    expect, _ = pywt.coeffs_to_array(basis.layout.split(values))
    np.testing.assert_array_equal(image, expect)
    assert image.shape == (16, 16) and not np.isnan(image).any()
    with pytest.raises(ValueError, match="layout"):
        coefficient_image(np.zeros(16), make_basis((16,), "haar").layout)


def test_coefficient_image_boxes_hold_their_bands():
    """The boxes the page outlines and names: each holds exactly its band's coefficients."""
    basis = make_basis((32, 32), "db2", level=3)
    bands = basis.layout.band_index().astype(float)
    image, _ = coefficient_image(bands, basis.layout)
    boxes = coefficient_image_boxes(basis.layout)
    assert [b["name"] for b in boxes] == [b.name for b in basis.layout.bands]
    assert boxes[1] == {"name": "cH3", "rows": [4, 8], "cols": [0, 4]}  # a level's H below, V to the right
    assert boxes[-2] == {"name": "cV1", "rows": [0, 16], "cols": [16, 32]}
    for k, box in enumerate(boxes):
        (r0, r1), (c0, c1) = box["rows"], box["cols"]
        assert (image[r0:r1, c0:c1] == k).all()
    assert sum((b["rows"][1] - b["rows"][0]) * (b["cols"][1] - b["cols"][0]) for b in boxes) == 32 * 32


def test_coefficient_image_marks_cells_without_coefficients():
    basis = make_basis((16, 16), "db2", level=2, mode="zero")
    image, _ = coefficient_image(np.ones(basis.layout.size), basis.layout)
    assert np.isnan(image).any() and int((~np.isnan(image)).sum()) == basis.layout.size


def test_support_and_iou_helpers():
    assert cartoon_support(np.zeros(4)).sum() == 0
    assert iou(np.zeros(3, bool), np.zeros(3, bool)) == 1.0
    assert energy_fraction(np.zeros(3), np.ones(3, bool)) == 0.0
    s = cartoon_support(np.array([[0.0, 1.0], [2.0, 0.1]]), energy=1.0)
    np.testing.assert_array_equal(s, [[False, True], [True, True]])


# ------------------------------------------------------------------------------------------------ perturbations


def test_perturbations_follow_each_band():
    basis = make_basis((64,), "db2", level=3, dtype=torch.float64)
    x = torch.as_tensor(np.random.default_rng(0).normal(size=64) * np.linspace(0.5, 3, 64))
    c = analyze(basis, x[None])[0]
    stats = band_statistics(c, basis.layout)
    gen = torch.Generator().manual_seed(0)
    g = sample_perturbations(stats, basis.layout, 20000, "gaussian", gen)
    u = sample_perturbations(stats, basis.layout, 2000, "uniform", gen)
    z = sample_perturbations(stats, basis.layout, 3, "zero", gen)
    assert g.shape == (20000, 64) and z.shape == (3, 64) and not z.any()
    for k, band in enumerate(basis.layout.bands):
        part = c[band.start:band.stop]
        draws = g[:, band.start:band.stop]
        sd = float(part.std(unbiased=False))
        assert float(draws.mean()) == pytest.approx(float(part.mean()), abs=0.02 * sd + 1e-12)
        assert float(draws.std()) == pytest.approx(sd, rel=0.02)
        ub = u[:, band.start:band.stop]
        assert float(ub.min()) >= float(part.min()) and float(ub.max()) <= float(part.max())
        assert float(ub.max() - ub.min()) > 0.9 * float(part.max() - part.min())
    with pytest.raises(ValueError, match="perturbation"):
        sample_perturbations(stats, basis.layout, 2, "salt")


@pytest.mark.parametrize("perturbation", PERTURBATIONS)
def test_every_perturbation_runs_and_zero_noise_means_the_cartoon(perturbation):
    model = _smooth_model((32,)).float()
    x = np.sin(np.arange(32) / 3.0)
    e = explain(model, x, perturbation=perturbation, steps=20, n_eval=16, target=1)
    assert e.settings["perturbation"] == perturbation
    assert 0 <= e.mask.min() and e.mask.max() <= 1
    if perturbation == "zero":  # dropped coefficients become 0: every perturbed input is the cartoon
        assert e.expected_prediction_sd == pytest.approx(0.0, abs=1e-6)
        assert e.expected_prediction == pytest.approx(e.cartoon_prediction, abs=1e-5)
    else:
        assert e.expected_prediction_sd > 0


# ------------------------------------------------------------------------------------------------ hand-drawn masks


def test_hand_drawn_mask_gives_the_explanations_numbers(burst_problem):
    model, X, y, _, _, _ = burst_problem
    x = X[int(np.argmax(y))]
    e = explain(model, x, steps=50, n_eval=64)
    ev = evaluate_mask(model, x, e.mask, n_samples=64)
    assert ev.mean == pytest.approx(e.expected_prediction)
    assert ev.sd == pytest.approx(e.expected_prediction_sd)
    assert ev.distortion == pytest.approx(e.distortion)
    np.testing.assert_allclose(ev.cartoon, e.cartoon)
    nested = evaluate_mask(model, x, e.mask_coeffs, n_samples=64)  # the PyWavelets layout works too
    assert nested.mean == pytest.approx(ev.mean)
    assert ev.outputs.shape == (64,)


def test_hand_drawn_extremes_and_pixel_brush(burst_problem):
    model, X, y, region, _, _ = burst_problem
    x = X[int(np.argmax(y))]
    keep = evaluate_mask(model, x, np.ones(64), n_samples=32)
    assert keep.mean == pytest.approx(keep.prediction, abs=1e-4) and keep.sd < 1e-4
    assert keep.kept_fraction == 1.0 and keep.l1_fraction == 1.0
    drop = evaluate_mask(model, x, np.zeros(64), n_samples=256)
    brush = evaluate_mask(model, x, region.astype(float), space="pixel", n_samples=256)  # paint the burst
    off = evaluate_mask(model, x, (~region).astype(float), space="pixel", n_samples=256)  # paint the rest
    assert brush.distortion < 0.25 * drop.distortion
    assert brush.distortion < 0.25 * off.distortion
    np.testing.assert_allclose(brush.cartoon, np.where(region, x, 0), rtol=1e-6)


def test_a_brush_on_the_coefficient_view_is_read_as_that_view():
    model = _smooth_model((16, 16)).float()
    x = np.random.default_rng(0).normal(size=(16, 16))
    for mode in ("periodization", "zero"):
        basis = make_basis((16, 16), "db2", level=2, mode=mode)
        mask = (np.random.default_rng(1).uniform(size=basis.layout.size) > 0.5).astype(float)
        image, _ = coefficient_image(mask, basis.layout)
        painted = np.nan_to_num(image)  # a brush paints every cell, also the empty ones
        flat = evaluate_mask(model, x, mask, wavelet="db2", level=2, mode=mode, n_samples=16)
        drawn = evaluate_mask(model, x, painted, wavelet="db2", level=2, mode=mode, n_samples=16)
        assert drawn.mean == flat.mean and drawn.kept_fraction == flat.kept_fraction


def test_masks_sent_as_json_lists_are_read_as_the_arrays():
    """A coefficient picture sent as rows of numbers (JSON) was read as 16 bands of a transform that has 7, and a
    series' bands as lists as one band per value: both were refused, though the arrays were taken."""
    model = _smooth_model((16, 16)).float()
    x = np.random.default_rng(0).normal(size=(16, 16))
    basis = make_basis((16, 16), "db2", level=2, mode="periodization")
    image, _ = coefficient_image((np.arange(basis.layout.size) % 3 == 0).astype(float), basis.layout)
    as_array = evaluate_mask(model, x, image, wavelet="db2", level=2, n_samples=16)
    as_rows = evaluate_mask(model, x, image.tolist(), wavelet="db2", level=2, n_samples=16)
    assert as_rows.mean == as_array.mean and as_rows.kept_fraction == as_array.kept_fraction
    layout = wavelet_layout((64,), "haar", 3)
    bands = [np.full(band.shape, i % 2, dtype=float) for i, band in enumerate(layout.bands)]
    np.testing.assert_array_equal(mask_values([b.tolist() for b in bands], layout), mask_values(bands, layout))


@pytest.mark.parametrize("shape", [(64,), (40,), (16, 16), (12, 20)])
@pytest.mark.parametrize("mode", ["periodization", "zero", "symmetric"])
def test_the_layout_without_the_transform_is_the_transforms(shape, mode):
    """``wavelet_layout`` (what the web process checks a mask's shape with) is ``make_basis``'s layout."""
    for wavelet, level in (("haar", None), ("db2", 2), (lowpass_from_angles(complete_angles(np.zeros(2))), 1)):
        assert wavelet_layout(shape, wavelet, level, mode) == make_basis(shape, wavelet, level, mode).layout
    assert pixel_layout(shape) == pixel_basis(shape).layout


def test_bad_masks_are_refused_by_name(burst_problem):
    model, X, _, _, _, _ = burst_problem
    for bad in (np.ones(63), np.full(64, 1.5), np.full(64, np.nan), [np.ones(8)], "all"):
        with pytest.raises(ValueError, match="mask") as info:
            evaluate_mask(model, X[0], bad)
        assert info.value.field == "mask"
    with pytest.raises(ValueError, match="mask") as info:  # a series' pixel mask has one shape (review 21)
        evaluate_mask(model, X[0], np.ones(63), space="pixel")
    assert str(info.value).endswith("pass a mask shaped (64,)")


# ------------------------------------------------------------------------------------------------ wavelets


def test_explicit_filter_equals_its_name_and_a_learned_orthogonal_filter_works():
    model = _smooth_model((32,)).float()
    x = np.cos(np.arange(32) / 4.0)
    by_name = explain(model, x, wavelet="db3", steps=15, n_eval=16)
    by_filter = explain(model, x, wavelet=pywt.Wavelet("db3").rec_lo, steps=15, n_eval=16)
    np.testing.assert_allclose(by_filter.mask, by_name.mask, atol=1e-6)
    assert by_filter.settings["wavelet"] == "custom" and by_name.settings["wavelet"] == "db3"
    h = lowpass_from_angles(complete_angles([0.3, -0.7]))  # exactly orthogonal, not a PyWavelets wavelet
    assert min(np.abs(h - np.asarray(pywt.Wavelet(w).rec_lo)).max() for w in ("db3", "sym3", "coif1")) > 0.1
    e = explain(model, x, wavelet=h, steps=15, n_eval=16)
    np.testing.assert_allclose(e.settings["filter"], h, rtol=1e-6)
    ev = evaluate_mask(model, x, np.ones(32), wavelet=h, n_samples=8)
    assert ev.mean == pytest.approx(ev.prediction, abs=1e-5)


@pytest.mark.parametrize("wavelet", ["bior2.2", "morl", "db99x", np.ones(3), np.ones(4)])
def test_bad_wavelets_are_refused(wavelet):
    with pytest.raises(ValueError, match="wavelet"):
        make_basis((32,), wavelet)


def test_levels_default_and_checks():
    assert make_basis((64,)).level == 3 and make_basis((64, 64)).level == 3 and make_basis((32, 32)).level == 2
    with pytest.raises(ValueError, match="level"):
        make_basis((16,), "haar", level=7)
    with pytest.raises(ValueError, match="level"):
        make_basis((16,), "haar", level=1.5)
    with pytest.raises(ValueError, match="mode"):
        make_basis((16,), "haar", mode="wrap")


# ------------------------------------------------------------------------------------------------ models


def test_classification_explains_the_class_probability():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))
    x = np.random.default_rng(0).normal(size=(8, 8))
    e = explain(model, x, task="classification", target=2, steps=10, n_eval=16)
    with torch.no_grad():
        p = torch.softmax(model(torch.as_tensor(x, dtype=torch.float32)[None]), dim=1)[0, 2]
    assert e.prediction == pytest.approx(float(p))
    assert 0 <= e.expected_prediction <= 1 and 0 <= e.cartoon_prediction <= 1


def test_model_mode_is_restored_and_its_parameters_get_no_gradient():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 16), torch.nn.Dropout(0.5), torch.nn.Linear(16, 1))
    model.train()
    x = np.linspace(-1, 1, 32)
    a = explain(model, x, steps=10, n_eval=16)
    b = explain(model, x, steps=10, n_eval=16)
    assert model.training  # restored
    np.testing.assert_array_equal(a.mask, b.mask)  # dropout was off while explaining
    with torch.no_grad():
        assert a.prediction == pytest.approx(float(model.eval()(torch.as_tensor(x, dtype=torch.float32)[None])))
    assert all(p.grad is None for p in model.parameters())


def test_device_follows_the_model(device):
    model = _smooth_model((8, 8)).float().to(device)
    x = torch.as_tensor(np.random.default_rng(0).normal(size=(8, 8)), dtype=torch.float32)
    e = explain(model, x, wavelet="haar", steps=5, n_eval=8)
    assert isinstance(e.mask, np.ndarray) and e.cartoon.shape == (8, 8)
    ev = evaluate_mask(model, x.to(device), e.mask, wavelet="haar", n_samples=8)
    assert np.isfinite(ev.mean)


def test_float64_model_keeps_float64():
    model = _smooth_model((16,))
    e = explain(model, np.arange(16.0), steps=3, n_eval=4, wavelet="haar")
    assert e.basis.h.dtype == torch.float64


def test_progress_cancel_and_outputs():
    model = _smooth_model((16,)).float()
    x = np.arange(16.0)
    calls = []
    e = explain(model, x, steps=40, n_eval=8, wavelet="haar", progress=lambda *a: calls.append(a))
    assert calls[-1][0] == "explain" and calls[-1][1] == 1.0 and len(calls) == 20
    assert set(e.history) == {"loss", "distortion", "l1"} and e.history["loss"].shape == (40,)
    json.dumps(e.summary())
    arrays = e.arrays()
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in arrays.values())
    assert arrays["band_stops"][-1] == e.mask.size
    with pytest.raises(Cancelled):
        explain(model, x, steps=40, wavelet="haar", should_stop=lambda: True)


def test_scale_falls_back_to_one_for_a_model_that_ignores_its_input():
    e = explain(lambda z: z.sum(dim=1, keepdim=True) * 0 + 3.0, np.arange(16.0), wavelet="haar", steps=3, n_eval=8)
    assert e.scale == 1.0 and e.distortion == 0.0
    auto = explain(_tiny(), np.arange(16.0), wavelet="haar", steps=3, n_eval=64)
    drop = evaluate_mask(_tiny(), np.arange(16.0), np.zeros(16), wavelet="haar", n_samples=64, seed=9)
    assert auto.scale ** 2 == pytest.approx(drop.distortion, rel=0.5)  # D0: every coefficient replaced
    raw = explain(_tiny(), np.arange(16.0), wavelet="haar", steps=3, n_eval=8, scale=None)
    assert raw.scale == 1.0 and raw.relative_distortion == raw.distortion


def test_defaults_are_the_documented_ones():
    assert DEFAULTS == {"lam": 0.2, "steps": 200, "lr": 0.05, "n_samples": 16, "n_eval": 128}


# ------------------------------------------------------------------------------------------------ bad input


def _tiny():
    return _smooth_model((16,)).float()


@pytest.mark.parametrize("kwargs,field", [
    ({"x": np.full(16, np.nan)}, "x"),
    ({"x": np.r_[np.ones(15), np.inf]}, "x"),
    ({"x": np.ones((2, 4, 4))}, "x"),
    ({"x": np.ones((1, 16))}, "x"),
    ({"x": np.ones(3)}, "x"),
    ({"x": "signal"}, "x"),
    ({"x": None}, "x"),
    ({"x": np.ones(12)}, "model"),  # the model takes 16 samples
    ({"lam": -1.0}, "lam"),
    ({"lam": float("nan")}, "lam"),
    ({"steps": 0}, "steps"),
    ({"steps": 2.5}, "steps"),
    ({"lr": 0.0}, "lr"),
    ({"n_samples": 0}, "n_samples"),
    ({"target": 5}, "target"),
    ({"task": "ranking"}, "task"),
    ({"space": "fourier"}, "space"),
    ({"perturbation": "blur"}, "perturbation"),
    ({"wavelet": "bior1.3"}, "wavelet"),
    ({"level": 9}, "level"),
    ({"mode": "reflect"}, "mode"),
    ({"scale": -2.0}, "scale"),
    ({"scale": "max"}, "scale"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"x": np.ones(16), "steps": 2, "n_eval": 4, **kwargs}
    x = args.pop("x")
    with pytest.raises(ValueError, match=field) as info:
        explain(_tiny(), x, **args)
    assert isinstance(info.value, InputError) and info.value.field == field


def test_bad_models_are_named():
    with pytest.raises(ValueError, match="model"):
        explain("not a model", np.ones(16))
    with pytest.raises(ValueError, match="model"):
        explain(lambda z: z.sum(), np.ones(16), steps=2)  # a scalar, not (B, k)
    with pytest.raises(ValueError, match="model"):
        explain(lambda z: z.sum(dim=1) * float("nan"), np.ones(16), steps=2)


def test_bad_lambda_paths_are_named():
    for bad in ([], [-1.0], "0.1", [float("inf")]):
        with pytest.raises(ValueError, match="lambdas"):
            lambda_path(_tiny(), np.ones(16), bad)
    with pytest.raises(ValueError, match="lam"):
        lambda_path(_tiny(), np.ones(16), [0.1], lam=0.2)


# ------------------------------------------------------------------------------------------------ the student


@pytest.mark.parametrize("by,level", [("signed", 3), ("abs", 5), ("position", 4)])
def test_topk_student_module_matches_the_fitted_student(by, level):
    rng = np.random.default_rng(0)
    h = np.asarray(pywt.Wavelet("db2").rec_lo)
    X = rng.normal(size=(80, 64))
    coeffs = [c.numpy() for c in wavedec1d(torch.as_tensor(X), h, level)]
    student = TopKLinearRegressor(k=3, by=by).fit(coeffs, X[:, 5] - X[:, 40] + rng.normal(size=80))
    module = TopKStudent(student, h, 64, level, dtype=torch.float64)
    with torch.no_grad():
        out = module(torch.as_tensor(X))[:, 0].numpy()
    np.testing.assert_allclose(out, student.predict(coeffs), atol=1e-10)
    x = torch.as_tensor(X[:1]).requires_grad_(True)
    (grad,) = torch.autograd.grad(module(x).sum(), x)
    assert float(grad.abs().sum()) > 0  # differentiable, so it can be explained
    e = explain(module, X[0], wavelet=h, steps=20, n_eval=16)
    assert e.prediction == pytest.approx(float(out[0]))
    with pytest.raises(ValueError, match="student"):
        TopKStudent(student, h, 64, level - 1)


# ------------------------------------------------------------------------------------------------ figures


@pytest.mark.parametrize("shape", [(32,), (16, 16)])
def test_figure_of_an_explanation_and_its_baseline(shape, tmp_path):
    model = _smooth_model(shape).float()
    x = np.random.default_rng(0).normal(size=shape)
    e = explain(model, x, wavelet="haar", level=2, steps=5, n_eval=8)
    p = explain(model, x, space="pixel", steps=5, n_eval=8)
    paths = write_explanation_figure(e, tmp_path, p, stem="ex", title="test")
    assert [q.name for q in paths] == ["ex.png", "ex.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in paths[1].read_bytes()[:1000]
    assert sorted(q.name for q in tmp_path.iterdir()) == ["ex.png", "ex.svg"]  # no temporary files left
    fig = plot_explanation(e, p)
    assert len(fig.axes) == 5  # input, cartoon, mask per scale and its colour bar, baseline
    assert len(plot_explanation(e).axes) == 4
    with pytest.raises(ValueError, match="explanation"):
        plot_explanation(p)
    with pytest.raises(ValueError, match="baseline"):
        plot_explanation(e, e)


def test_mask_by_scale_rows_hold_each_band():
    model = _smooth_model((32,)).float()
    e = explain(model, np.arange(32.0), wavelet="haar", level=2, steps=5, n_eval=8)
    image, names = mask_by_scale_1d(e)
    assert names == ["cA2", "cD2", "cD1"] and image.shape == (3, 32)
    np.testing.assert_array_equal(image[2, ::2], e.mask_coeffs[2])  # cD1: each coefficient covers 2 samples
    np.testing.assert_array_equal(image[0, ::4], e.mask_coeffs[0])


def test_figures_leave_pyplot_alone(tmp_path):
    code = ("import sys, numpy as np, torch; from models.explain import explain; "
            "from models.explain.plots import plot_explanation; "
            "e = explain(torch.nn.Linear(16, 1), np.arange(16.0), wavelet='haar', steps=2, n_eval=4); "
            "plot_explanation(e).savefig(sys.argv[1]); "
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "f.png")], check=True, env=env, timeout=300)
    assert (tmp_path / "f.png").stat().st_size > 0


def test_the_cartoon_weights_every_coefficient_by_its_mask_and_kept_means_at_least_a_half():
    """What the docs say the cartoon is (README, Help): the input rebuilt from its coefficients each multiplied by
    its mask value, not only the kept ones; "kept" counts the mask values of at least 0.5 (the 2026-12-07 audit)."""
    model = _smooth_model((32,)).float()
    x = np.sin(np.arange(32) / 3.0) + 0.3 * np.cos(np.arange(32) / 1.3)
    e = explain(model, x, wavelet="db2", level=2, mode="periodization", steps=30, n_eval=8)
    coeffs = pywt.wavedec(x, "db2", mode="periodization", level=2)
    weighted = [c * np.asarray(m) for c, m in zip(coeffs, e.mask_coeffs)]
    np.testing.assert_allclose(e.cartoon, pywt.waverec(weighted, "db2", mode="periodization"), atol=1e-5)
    assert e.kept_fraction == pytest.approx(float(np.mean(e.mask >= 0.5)))
    hand = [np.linspace(0.0, 1.0, c.size).reshape(c.shape) for c in coeffs]  # every value between 0 and 1
    drawn = evaluate_mask(model, x, hand, wavelet="db2", level=2, mode="periodization", n_samples=4)
    expected = pywt.waverec([c * m for c, m in zip(coeffs, hand)], "db2", mode="periodization")
    np.testing.assert_allclose(drawn.cartoon, expected, atol=1e-5)
