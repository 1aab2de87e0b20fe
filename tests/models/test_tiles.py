"""Tiles of large maps: every pixel lands in one tile, each tile keeps its map's targets, and the test split
holds out whole maps (a map's tiles on both sides would share its structure)."""

import numpy as np
import pytest

from awd_studio.models import pipeline
from awd_studio.models.data import Dataset, load_dataset, make_example, save_npz
from awd_studio.models.data.dataset import held_out_groups
from awd_studio.models.data.tiles import tile_dataset, tile_groups, tile_maps
from awd_studio.models.pipeline import cv_splits
from awd_studio.models.pipeline.selection import cv_grouping
from awd_studio.models.teachers import train_teacher
from awd_studio.models.teachers.training import validation_split
from awd_studio.models.validation import InputError


def _maps(n=12, side=96, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, side, side))
    y = np.column_stack([np.repeat([0.25, 0.3, 0.35], n // 3), np.repeat([0.9, 0.8, 0.7], n // 3)])
    return X, y


def test_tiles_cover_each_map_row_by_row_and_drop_the_remainder():
    X = np.arange(2 * 5 * 7, dtype=float).reshape(2, 5, 7)
    tiles, y = tile_maps(X, np.array([1.0, 2.0]), 2)
    assert tiles.shape == (2 * 2 * 3, 2, 2) and y.tolist() == [1.0] * 6 + [2.0] * 6
    np.testing.assert_array_equal(tiles[4], X[0, 2:4, 2:4])  # map 0, tile row 1, tile column 1
    np.testing.assert_array_equal(tiles[11], X[1, 2:4, 4:6])
    rebuilt = tiles[:6].reshape(2, 3, 2, 2).transpose(0, 2, 1, 3).reshape(4, 6)
    np.testing.assert_array_equal(rebuilt, X[0, :4, :6])


def test_whole_maps_are_held_out_and_the_split_is_stratified():
    X, y = _maps()
    tiled = tile_dataset(Dataset(X, y, name="suite"), 32, test_fraction=0.25, seed=3)
    facts = tiled.meta["tiles"]
    assert facts == {"size": 32, "per_map": 9, "source_shape": [96, 96], "train_maps": 9, "test_maps": 3,
                     "test_held_out": "whole maps", "notes": []}
    assert (tiled.n, tiled.n_test) == (81, 27) and tiled.sample_shape == (32, 32)
    assert tiled.name == "suite (32 px tiles)"
    # each source map is on one side only: its 9 tiles are all in training or all in the test split
    source = {tile.tobytes(): m for m in range(len(X)) for tile in tile_maps(X[m:m + 1], y[m:m + 1], 32)[0]}
    train_maps = {source[t.tobytes()] for t in tiled.X}
    test_maps = {source[t.tobytes()] for t in tiled.X_test}
    assert not train_maps & test_maps and len(train_maps) == 9 and len(test_maps) == 3
    assert {tuple(r) for r in tiled.y_test} == {tuple(r) for r in y}  # one held-out map per cosmology
    for t, target in zip(tiled.X, tiled.y):
        np.testing.assert_array_equal(target, y[source[t.tobytes()]])


def test_every_cosmology_is_held_out_even_with_two_maps_each_and_unique_targets_split_at_random():
    X, y = _maps(n=6, side=64)  # two maps of each of three cosmologies
    tiled = tile_dataset(Dataset(X, y, min_samples=1), 32)
    assert tiled.meta["tiles"]["test_maps"] == 3 and len({tuple(r) for r in tiled.y_test}) == 3
    # half the maps, not the fifth asked, and the preview and `awd tile` say so; 24 px leaves out 16 of 64 pixels
    notes = tile_dataset(Dataset(X, y, min_samples=1), 24).meta["tiles"]["notes"]
    assert notes[0].startswith("50 % of the maps went to the test split, not the 20 % asked")
    assert notes[1].startswith("24 px does not divide the 64 × 64 maps: 44 % of each map")
    # every map its own target: a random fifth held out, but one map's tiles share one target, which leaves a test
    # R² dividing by 0 (a reviewer's six maps scored -1.7e29): a second map goes to the test split, and it says so
    varied = tile_dataset(Dataset(X, np.arange(6.0), min_samples=1), 32)
    assert varied.meta["tiles"]["test_maps"] == 2 and np.unique(varied.y_test).size == 2
    assert varied.meta["tiles"]["notes"][0].startswith("2 of the 6 maps went to the test split, not 20 %")
    for n in (2, 3):  # too few maps to hold out two and keep two: refused, saying how many to upload
        with pytest.raises(InputError, match=r"undefined .* at least 4 maps"):
            tile_dataset(Dataset(X[:n], np.arange(float(n)), min_samples=1), 32)


def test_a_fixed_test_set_is_tiled_as_it_is():
    X, y = _maps()
    tiled = tile_dataset(Dataset(X[:9], y[:9], X[9:], y[9:], min_samples=1), 48)
    assert (tiled.n, tiled.n_test) == (36, 12)
    assert tiled.meta["tiles"]["train_maps"] == 9 and tiled.meta["tiles"]["test_maps"] == 3


def test_bad_tiles_are_refused_with_the_range():
    X, y = _maps()
    maps = Dataset(X, y)
    for size, words in [(8, "16 to 96"), (97, "16 to 96"), ("big", "whole number")]:
        with pytest.raises(InputError, match=words):
            tile_dataset(maps, size)
    with pytest.raises(InputError, match="time series"):
        tile_dataset(Dataset(np.zeros((20, 64)) + np.arange(20)[:, None], np.arange(20.0)), 16)
    with pytest.raises(InputError, match="at least two maps"):
        tile_dataset(Dataset(X[:1], y[:1], min_samples=1), 32)


def test_a_few_large_maps_are_read_for_tiling_and_otherwise_told_about_it(tmp_path):
    X, y = _maps(n=6, side=128)
    path = save_npz(Dataset(X, y, min_samples=1), tmp_path / "few.npz")
    with pytest.raises(InputError, match="fewer than the minimum of 10.*tiles"):
        load_dataset(path)
    tiled = tile_dataset(load_dataset(path, min_samples=1), 32)
    assert tiled.n + tiled.n_test == 6 * 16


def test_folds_and_the_teachers_hold_out_keep_a_maps_tiles_together():
    """Tiles of one map share its structure: cross-validation folds and early stopping take whole maps."""
    X, y = _maps()
    tiled = tile_dataset(Dataset(X, y, name="suite"), 32, test_fraction=0.25, seed=3)
    groups = tile_groups(tiled.n, tiled.meta)
    assert groups.tolist() == np.repeat(np.arange(9), 9).tolist()
    splits = cv_splits(tiled.n, 5, 2, seed=0, groups=groups)
    assert len(splits) == 10
    for train, held in splits:
        assert set(groups[train]).isdisjoint(groups[held]) and len(train) + len(held) == tiled.n
    for r in range(2):  # every map is held out once per repeat
        assert sorted(np.concatenate([held for _, held in splits[5 * r:5 * r + 5]]).tolist()) == list(range(81))
    assert len(cv_splits(tiled.n, 5, 1, seed=0, groups=np.repeat(np.arange(3), 27))) == 3  # folds ≤ maps
    held, kept = held_out_groups(groups, 0.15, np.random.default_rng(0))
    assert len(held) == 9 and set(groups[held]).isdisjoint(groups[kept])  # one of nine maps, whole
    assert tile_groups(tiled.n - 1, tiled.meta) is None and tile_groups(81, {}) is None
    val, train = validation_split(tiled.n, 0.15, 0, groups)  # the teacher's early-stopping hold-out
    assert len(val) == 9 and set(groups[val]).isdisjoint(groups[train]) and len(val) + len(train) == tiled.n
    plain_val, _ = validation_split(tiled.n, 0.15, 0)  # untiled data: a seeded share of the samples, as before
    assert len(plain_val) == 12 and plain_val.tolist() == np.random.default_rng(0).permutation(81)[:12].tolist()
    with pytest.raises(InputError, match="one group per sample"):
        train_teacher("mlp", tiled.X.reshape(81, -1), tiled.y[:, 0], groups=groups[:-1], epochs=1)


def test_a_tiled_job_cross_validates_over_whole_maps(tmp_path):
    maps = make_example("lensing", n=40, seed=0)
    tiled = tile_dataset(maps, 32, seed=0)
    save_npz(tiled, tmp_path / "tiles.npz")
    config = {"teacher": "cnn", "lambdas": [0.01], "gammas": [0.0], "epochs": 1, "teacher_epochs": 1,
              "levels": 2, "cv_folds": 3, "wave": "db2", "random_search": 0, "student": "scattering",
              "scattering_epochs": 1}
    result = pipeline.run(tmp_path / "tiles.npz", config, tmp_path / "out")
    # the scattering student's own validation and folds take whole maps too (the maps' groups reach it)
    assert result["scattering"]["paths_kept"] and np.isfinite(result["models"]["scattering"]["test"]["r2"])
    maps_kept = tiled.meta["tiles"]["train_maps"]  # one map of each of the 10 cosmologies is held out
    assert result["data"]["train_maps"] == maps_kept == 30 and result["data"]["n_train"] == maps_kept * 4
    assert result["cv"]["grouping"] == "maps by cosmology" and result["cv"]["folds"] == 3
    split = np.load(tmp_path / "out" / "work" / "split.npz")
    assert split["groups"].tolist() == np.repeat(np.arange(maps_kept), 4).tolist()
    # review 8: the test intervals counted tiles as independent; they now draw the 10 test maps whole
    assert split["test_groups"].tolist() == np.repeat(np.arange(10), 4).tolist()
    assert result["data"]["test_maps"] == 10
    assert result["verdict"]["text"].endswith("The interval resamples the 10 test maps whole, not their 40 tiles "
                                              "one by one.")


def test_folds_keep_every_cosmology_in_training_or_say_they_cannot():
    """Whole-map folds stratified by cosmology when each has two training maps or more; with a single training map
    a cosmology would be unseen by its fold's training part (a class student cannot predict it), so the folds take
    tiles and the result says so."""
    rows = np.repeat([[0.25, 0.9], [0.3, 0.8], [0.35, 0.7]], 3, axis=0)  # 3 cosmologies x 3 maps
    groups = np.repeat(np.arange(9), 4)
    y_all = np.repeat(rows, 4, axis=0)
    g, classes, how = cv_grouping(groups, y_all)
    assert how == "maps by cosmology"
    splits = cv_splits(len(groups), 5, 2, 0, groups=g, classes=classes)
    assert len(splits) == 2 * 3  # at most the smallest cosmology's 3 maps per repeat
    for train, held in splits:
        assert set(groups[train]).isdisjoint(groups[held])
        assert {tuple(r) for r in y_all[train]} == {tuple(r) for r in rows}  # every cosmology seen in training
    own = np.arange(9.0).repeat(4)[:, None]  # each map its own target, the test maps' too: whole maps
    assert cv_grouping(groups, own, np.array([[9.5], [10.5]]))[2] == "maps"
    assert cv_grouping(None, y_all)[2] == "samples"
    one_each = np.repeat(rows[::3], 4, axis=0)  # one training map of each cosmology, the test's cosmologies
    assert cv_grouping(np.repeat(np.arange(3), 4), one_each, rows[::3])[2] == "tiles"


def test_a_cosmology_with_one_training_map_gets_tile_folds_and_a_note(tmp_path):
    X, y = _maps(n=6, side=64)  # two maps of each of three cosmologies: one of each is held out, one trains
    save_npz(tile_dataset(Dataset(X, y, min_samples=1), 32), tmp_path / "tiles.npz")
    config = {"teacher": "cnn", "lambdas": [0.01], "gammas": [0.0], "epochs": 1, "teacher_epochs": 1,
              "levels": 2, "cv_folds": 3, "cv_repeats": 1, "wave": "db2", "random_search": 0}
    result = pipeline.run(tmp_path / "tiles.npz", config, tmp_path / "out")
    assert result["data"]["train_maps"] == 3 and result["data"]["n_train"] == 12
    assert result["cv"]["grouping"] == "tiles" and result["cv"]["folds"] == 3
    assert "tiles_in_folds" in {note["key"] for note in result["trust"]["notes"]}

    # review 8: the model could not be used on a full-size map without targets. Maps larger than the tiles are cut
    # as the training maps were, and each map's prediction is its tiles' mean
    from awd_studio.models.pipeline.predict import predict_file, predict_from_bundle

    np.savez(tmp_path / "new.npz", X=X[:2])  # two whole 64 x 64 maps, no targets
    answer = predict_file(tmp_path / "out", tmp_path / "new.npz")
    tiles = tile_maps(X[:2], np.zeros(2), 32)[0]
    per_tile = predict_from_bundle(tmp_path / "out", tiles).reshape(2, 4)
    assert answer["y_pred_tiles"].tolist() == per_tile.tolist()
    assert np.allclose(answer["y_pred"], per_tile.mean(axis=1)) and answer["y_pred"].shape == (2,)
    assert answer["tiling"].startswith("each 64 x 64 map was cut into 4 tiles of 32 x 32")
    np.savez(tmp_path / "scored.npz", X=X[:2], y=y[:2])
    assert predict_file(tmp_path / "out", tmp_path / "scored.npz")["scores"]["X"]["n"] == 2
    np.savez(tmp_path / "small.npz", X=X[:2, :16, :16])  # smaller than a tile: refused, naming the shape
    with pytest.raises(InputError, match="trained on maps of size 32 x 32"):
        predict_file(tmp_path / "out", tmp_path / "small.npz")


def _fits_suite(path, n=4, side=512, angle=3.4641):
    """A FITS cube of ``n`` maps with ``ANGLE`` (degrees across a map) and a BINTABLE of their parameters."""
    from astropy.io import fits

    X = np.random.default_rng(0).standard_normal((n, side, side)).astype(np.float32)
    primary = fits.PrimaryHDU(X)
    primary.header["ANGLE"] = angle
    table = fits.BinTableHDU.from_columns([fits.Column("OMEGA_M", "D", array=0.2 + 0.05 * np.arange(n))])
    fits.HDUList([primary, table]).writeto(path)
    return path


def test_tiles_keep_their_maps_pixel_size_on_the_sky(tmp_path):
    """Review (cosmologist): ANGLE = 3.4641° over 512 px is 0.406′ a pixel; after 64 px tiles the result said
    3.2476′ (the whole map's field over the tile's width) and every axis read "pixels of 3.25′"."""
    from awd_studio.models.pipeline.prepare import pixel_arcmin

    maps = load_dataset(_fits_suite(tmp_path / "suite.fits"), min_samples=1)
    expected = 3.4641 * 60 / 512
    assert pixel_arcmin(maps, maps.sample_shape) == pytest.approx(expected)  # untiled: 0.406′
    tiled = tile_dataset(maps, 64)
    assert tiled.meta["pixel_arcmin"] == pytest.approx(expected)
    assert tiled.meta["field_of_view_deg"] == pytest.approx(3.4641 / 8)  # a tile's field, not its map's
    stored = load_dataset(save_npz(tiled, tmp_path / "tiles.npz"))  # what an upload's job reads
    assert pixel_arcmin(stored, stored.sample_shape) == pytest.approx(expected)
    # the lensing example gives both its pixel and its field: the pixel stays, the field becomes the tile's
    lensing = tile_dataset(make_example("lensing", n=20, seed=0), 32)
    assert lensing.meta["pixel_arcmin"] == pytest.approx(3.5 * 60 / 64) and lensing.meta["fov_deg"] == 1.75
    # maps whose file names no scale stay without one
    assert "pixel_arcmin" not in tile_dataset(Dataset(*_maps(), min_samples=1), 32).meta
