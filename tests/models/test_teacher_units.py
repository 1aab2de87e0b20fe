"""Does a teacher answer in the target's units (models.teachers.units)? The upload's warning and the job's note."""

import numpy as np

from awd_studio.models.pipeline.trust import units_words
from awd_studio.models.teachers.units import at_other_scale, prediction_scale, scale_words


def _cme_like(seed=0, n=256):
    """Targets near unit scale (mean 0.15, SD 0.25, as the CME example's), and a teacher that learned them well
    but answers in standardised units."""
    rng = np.random.default_rng(seed)
    y = 0.15 + 0.25 * rng.standard_normal(n)
    standardised = (y - 0.15) / 0.25 + 0.6 * rng.standard_normal(n)
    return y, standardised, rng


def test_a_teacher_in_standardised_units_of_a_near_unit_target_is_caught():
    """Review 23: R² -4.78, a shift of half a target SD and 3.2 times its spread passed the mean and spread test."""
    y, standardised, _ = _cme_like()
    scale = prediction_scale(standardised, y)
    assert scale["r2"] < -1 and abs(scale["mean"] - scale["target_mean"]) < 2 * scale["target_sd"]
    assert scale["sd"] / scale["target_sd"] < 5 and scale["affine_r2"] > 0.5
    assert at_other_scale(scale)
    words = scale_words(standardised[:, None], y, ["y"])
    assert words.startswith("On 256 samples of the dataset, this teacher predicts at another scale than the target")
    assert "rescaled by a straight line, they would reach R² 0." in words
    note = units_words({"test": {"r2": scale["r2"]}, "prediction_scale": {k: v for k, v in scale.items() if k != "r2"}})
    assert note and "rescaled by a straight line" in note


def test_a_teacher_that_learned_nothing_is_not_called_a_units_problem():
    y, _, rng = _cme_like(1)
    noise = 0.15 + 0.3 * rng.standard_normal(len(y))  # right units, no skill: R² below 0 all the same
    scale = prediction_scale(noise, y)
    assert scale["r2"] < 0 and scale["affine_r2"] < 0.05
    assert not at_other_scale(scale) and scale_words(noise[:, None], y, ["y"]) is None
    good = y + 0.05 * rng.standard_normal(len(y))  # a good teacher in the right units
    assert not at_other_scale(prediction_scale(good, y))


def test_a_constant_output_has_its_own_words_not_a_change_of_scale():
    """Review 39A: a network whose sigma_8 output is 0.8 for every map (the target averages 0.803, SD 0.094) was
    said to predict "at another scale" (SD 0 counted as a spread 5 times smaller), with the advice to move the
    standardisation into the network, and the result repeated it as a danger note. A constant output is no
    change of units: its attributions are all zero, so the γ > 0 grid points have nothing to distil."""
    from awd_studio.models.teachers.units import constant_output, constant_words

    rng = np.random.default_rng(39)
    omega_m, sigma_8 = rng.uniform(0.2, 0.4, 256), 0.8029 + 0.0939 * rng.standard_normal(256)
    learned = omega_m + 0.02 * rng.standard_normal(256)
    outputs = np.c_[learned, np.full(256, 0.8, dtype=np.float32)]
    scale = prediction_scale(outputs[:, 1], sigma_8)
    assert scale["sd"] == 0 and scale["r2"] < 0
    assert constant_output(scale) and not at_other_scale(scale)
    words = scale_words(outputs, np.c_[omega_m, sigma_8], ["Omega_m", "sigma_8"], data_name="“my lensing maps”")
    assert words.startswith("On 256 samples of “my lensing maps”, this teacher’s output for “sigma_8” is 0.8 for "
                            "every sample.")
    assert "attributions are all zero" in words and "γ > 0 have nothing to distil" in words
    assert "another scale" not in words and "standardisation" not in words
    # one output for both columns: it stands for no column yet; a job's result no longer calls it a units problem
    assert "this teacher’s output is 0.8 for every sample" in scale_words(outputs[:, 1:], np.c_[omega_m, sigma_8],
                                                                          ["Omega_m", "sigma_8"])
    assert units_words({"test": {"r2": scale["r2"]},
                        "prediction_scale": {k: v for k, v in scale.items() if k != "r2"}}) is None
    assert constant_words({"sigma_8": 0.8}).startswith("On the test set, the teacher’s output for “sigma_8” is 0.8")
    # a network that varies, however little against the target, is not constant
    assert not constant_output(prediction_scale(0.8 + 1e-3 * rng.standard_normal(256), sigma_8))
