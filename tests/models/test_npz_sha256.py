"""``models.data.dataset.npz_sha256``: the SHA-256 of the file ``save_npz`` writes, without writing it."""

from __future__ import annotations

import numpy as np
import pytest

from awd_studio.models.data import Dataset, save_npz
from awd_studio.models.data.dataset import npz_sha256
from awd_studio.models.files import sha256_file


def _datasets():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(30, 16))
    maps = rng.normal(size=(24, 8, 8)).astype(np.float32)
    return {
        "series": Dataset(X, X[:, 0], name="series"),
        "maps with a test split, two targets": Dataset(maps[:18], rng.normal(size=(18, 2)), maps[18:],
                                                       rng.normal(size=(6, 2)), name="plates ü",
                                                       target_names=["a", "b"], meta={"tiles": {"size": 8}}),
        "Fortran-ordered X": Dataset(np.asfortranarray(X), X[:, 1], name="f", meta={"padded_rows": {"count": 2}}),
    }


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("label", list(_datasets()))
def test_the_digest_is_that_of_the_file_written(tmp_path, label, compress):
    dataset = _datasets()[label]
    written = save_npz(dataset, tmp_path / "data.npz", compress=compress)
    assert npz_sha256(dataset, compress=compress) == sha256_file(written)
    assert list(tmp_path.iterdir()) == [written]  # the digest wrote nothing


def test_the_name_changes_the_digest():
    X = np.arange(96.0).reshape(12, 8)
    assert npz_sha256(Dataset(X, X[:, 0], name="a")) != npz_sha256(Dataset(X, X[:, 0], name="b"))
