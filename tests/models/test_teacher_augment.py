"""Symmetry augmentation of teacher training (models/teachers/augment.py)."""

import numpy as np
import pytest
import torch

from awd_studio.models.teachers import train_teacher
from awd_studio.models.teachers.augment import random_symmetry, resolve_augmentation, symmetries
from awd_studio.models.validation import InputError


def test_auto_rotates_maps_and_leaves_series_alone():
    assert resolve_augmentation("auto", (16, 16)) == "dihedral"
    assert resolve_augmentation("auto", (40,)) == "none"
    assert resolve_augmentation("none", (16, 16)) == "none"
    with pytest.raises(ValueError, match="time series"):
        resolve_augmentation("dihedral", (40,))
    with pytest.raises(ValueError, match="pass one of"):
        resolve_augmentation("rotate", (16, 16))


def _by_hand(x, k, mirror):
    """The symmetry written with numpy: k counter-clockwise quarter turns, then a left/right mirror."""
    out = np.rot90(x, k, axes=(-2, -1))
    return out[..., ::-1] if mirror else out


def test_the_symmetries_are_the_eight_of_the_square_and_four_of_a_rectangle():
    square = np.arange(9.0).reshape(3, 3)
    images = {_by_hand(square, k, m).tobytes() for k, m in symmetries((3, 3))}
    assert len(symmetries((3, 3))) == 8 and len(images) == 8  # all distinct: the dihedral group D4
    rect = np.arange(6.0).reshape(2, 3)
    kept = symmetries((2, 3))
    assert len(kept) == 4 and all(_by_hand(rect, k, m).shape == (2, 3) for k, m in kept)


@pytest.mark.parametrize("shape", [(5, 5), (4, 6)])
def test_random_symmetry_applies_one_of_them_to_the_whole_batch(shape):
    x = torch.randn(3, *shape, dtype=torch.float64)
    generator = torch.Generator().manual_seed(0)
    allowed = [_by_hand(x.numpy(), k, m) for k, m in symmetries(shape)]
    seen = set()
    for _ in range(40):
        out = random_symmetry(x, generator).numpy()
        matches = [i for i, a in enumerate(allowed) if a.shape == out.shape and np.array_equal(a, out)]
        assert matches, "the output is not a symmetry of the input"
        seen.add(matches[0])
    assert len(seen) == len(allowed)  # every symmetry is drawn
    again = [random_symmetry(x, torch.Generator().manual_seed(0)) for _ in range(2)]
    assert torch.equal(again[0], again[1])  # reproducible from the generator's seed


def test_training_records_the_augmentation_and_stays_deterministic():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 8, 8)).astype(np.float32)
    y = X.std(axis=(1, 2))
    a = train_teacher("cnn", X, y, epochs=2, seed=3)
    b = train_teacher("cnn", X, y, epochs=2, seed=3)
    plain = train_teacher("cnn", X, y, epochs=2, seed=3, augment="none")
    assert a.augment == "dihedral" and plain.augment == "none"
    assert all(p.is_contiguous() for p in a.parameters())  # trained channels-last, returned in the default layout
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert not all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), plain.state_dict().values()))
    series = train_teacher("mlp", X[:, 0], y, epochs=1)
    assert series.augment == "none"
    with pytest.raises(InputError, match="augment"):
        train_teacher("mlp", X[:, 0], y, epochs=1, augment="dihedral")
