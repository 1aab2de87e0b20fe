"""models.validation: every bad input fails with an InputError naming the field and the fix."""

import pickle

import numpy as np
import pytest

from awd_studio.models.validation import InputError, check_signals, check_targets, signal_kind


def test_input_error_message_and_field():
    err = InputError("y", "has 9 rows but X has 10", "give one target per sample")
    assert isinstance(err, ValueError)
    assert err.field == "y"
    assert str(err) == "y: has 9 rows but X has 10; give one target per sample"
    again = pickle.loads(pickle.dumps(err))
    assert again.field == "y" and str(again) == str(err)


@pytest.mark.parametrize("shape", [(10, 16), (12, 8, 8)])
def test_check_signals_accepts_timeseries_and_maps(shape):
    X = np.random.default_rng(0).standard_normal(shape)
    out = check_signals(X)
    assert out.shape == shape and out.dtype == np.float64
    assert signal_kind(out) == ("timeseries" if len(shape) == 2 else "image")


def test_check_signals_keeps_float32_and_converts_ints_and_bools():
    assert check_signals(np.zeros((10, 16), np.float32)).dtype == np.float32
    assert check_signals(np.ones((10, 16), np.int16)).dtype == np.float64
    out = check_signals(np.ones((10, 16), bool))
    assert out.dtype == np.float64 and out.sum() == 160


def test_check_signals_big_endian_becomes_native():
    X = np.arange(160, dtype=">f8").reshape(10, 16)
    out = check_signals(X)
    assert out.dtype.isnative
    np.testing.assert_array_equal(out, np.arange(160).reshape(10, 16))


@pytest.mark.parametrize(
    "X, words",
    [
        (np.array([[1, 2], [3]], dtype=object), "object"),
        (np.zeros((10, 16), complex), "complex"),
        (np.full((10, 16), "a"), "non-numeric"),
        (np.zeros((10, 16), "datetime64[s]"), "date"),
        (np.zeros(16), "has 1 dimension, shape"),
        (np.zeros((10, 2, 8, 8)), "4 dimensions"),
        (np.zeros((5, 16)), "fewer than the minimum"),
        (np.zeros((10, 4)), "shorter than the minimum"),
        (np.zeros((10, 32, 2)), "several channels? AWD takes one channel: pass X[..., 0]"),  # review 21
        (None, "missing"),
    ],
)
def test_check_signals_rejects(X, words):
    with pytest.raises(InputError) as info:
        check_signals(X)
    assert info.value.field == "X"
    assert words in str(info.value)
    assert "; " in str(info.value)  # always says what to pass instead


def test_check_signals_ragged_list():
    with pytest.raises(InputError, match="X: "):
        check_signals([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_signals_non_finite(bad):
    X = np.zeros((10, 16))
    X[3, 5] = bad
    with pytest.raises(InputError, match=r"index \(3, 5\)"):
        check_signals(X, "X_test")


def test_check_signals_limits_and_kind():
    with pytest.raises(InputError, match="longer than the maximum"):
        check_signals(np.zeros((10, 32)), max_length=16)
    with pytest.raises(InputError, match="limit"):
        check_signals(np.zeros((10, 32)), max_elements=100)
    assert check_signals(np.zeros((3, 16)), min_samples=1).shape == (3, 16)
    with pytest.raises(InputError, match=r"\(n, H, W\)"):
        check_signals(np.zeros((10, 16)), kind="image")
    with pytest.raises(InputError, match="kind"):
        check_signals(np.zeros((10, 16)), kind="audio")


def test_check_targets():
    assert check_targets([1, 2, 3], 3).dtype == np.float64
    assert check_targets(np.zeros((4, 2), ">f4"), 4).dtype.isnative
    with pytest.raises(InputError, match="has 3 rows but X has 4") as info:
        check_targets(np.zeros(3), 4)
    assert info.value.field == "y"
    # one map saved as a 2D X: its rows read as series, and the message says how to save one map
    with pytest.raises(InputError, match=r"has 1 row but X has 512 samples \(a 2D X is read as 512 series.*X\[None\]"):
        check_targets([0.3], 512)
    with pytest.raises(InputError, match="3 dimensions"):
        check_targets(np.zeros((4, 1, 1)), 4)
    with pytest.raises(InputError, match="no target columns"):
        check_targets(np.zeros((4, 0)), 4)
    with pytest.raises(InputError, match="NaN"):
        check_targets([1.0, np.nan], 2, field="y_test")
    with pytest.raises(InputError, match="non-numeric"):
        check_targets(np.array(["a", "b"]), 2)


def test_missing_pixels_in_maps_are_counted_per_map_and_told_how_to_fill_a_mask():
    """Review 32A: a survey's masked region is NaN in every map; "remove or impute those samples" would have removed
    all 400 maps, and the message did not say how many were affected."""
    from awd_studio.models.validation import check_signals

    maps = np.zeros((400, 64, 64))
    maps[:, 22:38, 24:40] = np.nan
    with pytest.raises(InputError) as info:
        check_signals(maps)
    assert "contains 102400 NaN and 0 infinite values" in info.value.problem
    assert "in 400 of 400 samples" in info.value.problem
    assert "fill its pixels" in info.value.fix and "remove" not in info.value.fix
    series = np.zeros((10, 40))
    series[3, 5] = np.inf
    with pytest.raises(InputError) as info:
        check_signals(series)
    assert "0 NaN and 1 infinite values" in info.value.problem and "in 1 of 10 samples" in info.value.problem
    assert info.value.fix == "remove or impute those samples first"
