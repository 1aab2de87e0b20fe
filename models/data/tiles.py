"""Cut large maps into square tiles, each with its map's targets, without letting one map's tiles leak into
both the training and the test split.

Simulated convergence maps are often far larger than a network or a peak count needs (512 x 512 pixels and
more), and a few dozen of them per cosmology are what a simulation suite gives. Tiles of one map share its
cosmology and its large-scale structure, so they are not independent samples: :func:`tile_dataset` therefore
holds out whole maps for the test split (every cosmology's share of them when each has two or more) before
cutting, and the tiled dataset carries that split as its fixed
test set. Inside the training split, :func:`tile_groups` names each tile's map, so that the teacher's validation
hold-out and the selection's cross-validation folds keep a map's tiles together as well.
"""

from __future__ import annotations

import numpy as np

from awd_studio.models.data.dataset import Dataset, held_out_indices
from awd_studio.models.data.pixels import tile_sky_meta
from awd_studio.models.validation import InputError

__all__ = ["tile_maps", "tile_dataset", "tile_groups", "MIN_TILE"]

#: Smallest tile side in pixels (a wavelet of 10 taps over a few levels needs some room).
MIN_TILE = 16


def tile_maps(X, y, size: int):
    """Non-overlapping ``size`` x ``size`` tiles of every map, row by row; the remainder at the right and bottom
    edges is dropped.

    Parameters
    ----------
    X : ndarray of shape (n, H, W)
        The maps.
    y : ndarray of shape (n,) or (n, k)
        Their targets.
    size : int
        Tile side in pixels, at most ``min(H, W)``.

    Returns
    -------
    tiles : ndarray of shape (n * (H // size) * (W // size), size, size)
        Map 0's tiles first, each map's tiles row by row.
    y_tiles : ndarray of shape (n * (H // size) * (W // size),) or (..., k)
        Each tile's map's targets.

    Examples
    --------
    >>> tiles, y_tiles = tile_maps(np.arange(2 * 4 * 6.0).reshape(2, 4, 6), np.array([0.1, 0.2]), 2)
    >>> tiles.shape, y_tiles.tolist()
    ((12, 2, 2), [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2])
    >>> tiles[1].tolist()
    [[2.0, 3.0], [8.0, 9.0]]
    """
    X = np.asarray(X)
    n, height, width = X.shape
    rows, cols = height // size, width // size
    cut = X[:, :rows * size, :cols * size].reshape(n, rows, size, cols, size)
    tiles = cut.transpose(0, 1, 3, 2, 4).reshape(n * rows * cols, size, size)
    return np.ascontiguousarray(tiles), np.repeat(np.asarray(y), rows * cols, axis=0)


def _held_out_maps(y, test_fraction: float, seed: int):
    """Test and training indices of the maps (:func:`models.data.dataset.held_out_indices`), and whether a map
    was added to the test split so that its targets vary.

    When every distinct target row (a cosmology) has at least two maps, each gives its share, so the test split
    sees every cosmology even with a handful of maps, where :func:`models.data.split_dataset` would not
    stratify; otherwise a seeded random share of the maps. A test split of maps that all share one target row
    has no test score (R² divides by the targets' spread, which is 0): one more map, with other targets, then
    goes to it, as long as two maps stay for training; with too few maps for that, an :class:`InputError`.
    """
    rows = np.asarray(y).reshape(len(y), -1)
    _, labels, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    labels = labels.ravel()
    stratify = labels if counts.min() >= 2 else None
    rng = np.random.default_rng(seed)
    test, train = held_out_indices(len(rows), stratify, test_fraction, rng)
    if np.unique(labels[test]).size > 1:
        return test, train, False
    others = [i for i in train if labels[i] != labels[test[0]]]
    if not others or len(train) <= 2:
        raise InputError("tile", f"would hold out {len(test)} of the {len(rows)} maps for the test split, and their "
                                 "tiles all share one set of parameters: test scores such as R² would be undefined "
                                 "(the targets do not vary)",
                         "upload at least 4 maps with different parameters (two for the test split, two for "
                         "training), or a separate test file")
    moved = int(rng.choice(others))
    return np.append(test, moved), train[train != moved], True


def tile_dataset(dataset: Dataset, size: int, *, test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """A dataset of maps cut into tiles, with whole maps held out for its test split.

    Parameters
    ----------
    dataset : Dataset
        Maps (``kind == "image"``), at least two of them; its fixed test set, when it has one, is tiled as it is.
    size : int
        Tile side in pixels, from :data:`MIN_TILE` to the maps' shorter side.
    test_fraction : float, default=0.2
        Share of the maps held out (whole) when the dataset has no fixed test set.
    seed : int, default=0
        Seed of that split.

    Returns
    -------
    Dataset
        Tiles as training samples and fixed test samples; ``meta["tiles"]`` records the tile size, tiles per
        map, the source maps' shape, how many maps went to each split and ``notes``: sentences on a test share
        above the one asked (every cosmology gives a map) and on pixels a size that does not divide the maps
        leaves out. When the maps' scale is known, ``meta["pixel_arcmin"]`` is their pixel (which a tile keeps)
        and a field of view in ``meta`` is the tile's (:func:`models.data.pixels.tile_sky_meta`).

    Raises
    ------
    InputError
        For series, a size out of range, a single map, or too few training tiles.
    """
    if dataset.kind != "image":
        raise InputError("tile", "applies to maps, and this file holds time series", "upload it without a tile size")
    height, width = dataset.sample_shape
    try:
        size = int(size)
    except (TypeError, ValueError):
        raise InputError("tile", f"must be a whole number of pixels, got {size!r}", "e.g. 64") from None
    if not MIN_TILE <= size <= min(height, width):
        raise InputError("tile", f"is {size} px, but tiles take {MIN_TILE} to {min(height, width)} px for "
                                 f"{height} × {width} maps", f"choose a size from {MIN_TILE} to {min(height, width)}")
    per_map = (height // size) * (width // size)
    if dataset.X_test is None and dataset.n < 2:
        raise InputError("tile", "needs at least two maps: the test split holds out whole maps, and one map's tiles "
                                 "all share its target", "upload several maps, each with its parameters")
    widened = False
    if dataset.X_test is None:
        test, train, widened = _held_out_maps(dataset.y, test_fraction, seed)
        test, train = np.sort(test), np.sort(train)
        X_train, y_train = dataset.X[train], dataset.y[train]
        X_test, y_test = dataset.X[test], dataset.y[test]
    else:
        X_train, y_train, X_test, y_test = dataset.X, dataset.y, dataset.X_test, dataset.y_test
    tiles_train, y_tiles_train = tile_maps(X_train, y_train, size)
    tiles_test, y_tiles_test = tile_maps(X_test, y_test, size)
    n_train_maps, n_test_maps = int(X_train.shape[0]), int(X_test.shape[0])
    notes = []
    share = n_test_maps / (n_train_maps + n_test_maps)
    if widened:
        notes.append(f"{n_test_maps} of the {n_train_maps + n_test_maps} maps went to the test split, not "
                     f"{100 * test_fraction:.0f} %: the tiles of one map all share its parameters, and test scores "
                     "need targets that vary.")
    elif dataset.X_test is None and share > test_fraction + 0.05:
        notes.append(f"{100 * share:.0f} % of the maps went to the test split, not the {100 * test_fraction:.0f} % "
                     "asked: every cosmology gives at least one map to it.")
    dropped = 1 - (height // size) * (width // size) * size * size / (height * width)
    if dropped > 0:
        notes.append(f"{size} px does not divide the {height} × {width} maps: {100 * dropped:.0f} % of each map "
                     "(its right and bottom edges) is left out; a divisor of the map size keeps every pixel.")
    facts = {"size": size, "per_map": per_map, "source_shape": [height, width], "train_maps": n_train_maps,
             "test_maps": n_test_maps, "test_held_out": "whole maps", "notes": notes}
    meta = dict(dataset.meta, **tile_sky_meta(dataset.meta, width, size), tiles=facts)
    return Dataset(tiles_train, y_tiles_train, tiles_test, y_tiles_test, kind="image",
                   name=f"{dataset.name} ({size} px tiles)", meta=meta, target_names=dataset.target_names)


def tile_groups(n_train: int, meta: dict, part: str = "train"):
    """The map each tile was cut from, for splits and resamples that keep a map's tiles together.

    Parameters
    ----------
    n_train : int
        Samples of that part of the dataset as :func:`tile_dataset` stored it (tiles in map order).
    meta : dict
        The dataset's ``meta``.
    part : {"train", "test"}, default="train"
        The training tiles, or the fixed test tiles.

    Returns
    -------
    ndarray of shape (n_train,) or None
        Map index of each tile (``0 0 ... 1 1 ...``); None for a dataset that was not tiled, or whose part is
        not whole maps' tiles.

    Examples
    --------
    >>> tile_groups(6, {"tiles": {"per_map": 3, "train_maps": 2}}).tolist()
    [0, 0, 0, 1, 1, 1]
    >>> tile_groups(4, {"tiles": {"per_map": 2, "train_maps": 5, "test_maps": 2}}, part="test").tolist()
    [0, 0, 1, 1]
    >>> tile_groups(6, {}) is None
    True
    """
    tiles = (meta or {}).get("tiles") or {}
    per_map, maps = tiles.get("per_map"), tiles.get(f"{part}_maps")
    if not per_map or not maps or int(per_map) * int(maps) != n_train:
        return None
    return np.repeat(np.arange(int(maps)), int(per_map))
