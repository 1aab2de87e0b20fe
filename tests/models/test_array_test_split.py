"""A fixed test split (``X_test``, ``y_test``) of an array file whose traces end early (trailing NaN) was refused
without the remedies the training split's were offered, and ``pad_ends`` / ``drop_incomplete`` left it as it was:
the options now apply to both splits, in the same words, the test split's samples named ``"test sample k"``."""

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io

from awd_studio.models.data import load_dataset
from awd_studio.models.data.readers.text import DROP_INCOMPLETE_HINT, PAD_AND_DROP
from awd_studio.models.validation import InputError

N, M, L = 50, 20, 24


def _splits(seed: int = 5):
    """Complete training series, and a test split of which every fourth trace ended early (2 to 5 frames short)."""
    rng = np.random.default_rng(seed)
    X, X_test = rng.normal(size=(N, L)), rng.normal(size=(M, L))
    y, y_test = X[:, :4].sum(axis=1), X_test[:, :4].sum(axis=1)
    ended = {}
    for i in range(1, M, 4):
        ended[i] = L - 2 - i % 4
        X_test[i, ended[i]:] = np.nan
    return X, y, X_test, y_test, ended


def _refusal(path, **options) -> InputError:
    with pytest.raises(InputError) as info:
        load_dataset(path, **options)
    return info.value


def test_a_test_split_of_ended_traces_is_refused_with_the_remedies_the_training_split_gets(tmp_path):
    X, y, X_test, y_test, ended = _splits()
    np.savez(tmp_path / "test_ended.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    refused = _refusal(tmp_path / "test_ended.npz")
    assert refused.field == "X_test", refused
    assert refused.remedies == ("drop_incomplete", "pad_ends")
    assert f"{len(ended)} of {M} test samples end early: their last values are NaN" in refused.problem, refused
    assert DROP_INCOMPLETE_HINT in refused.fix
    # the same traces as the training split: the same remedies and the same fix
    np.savez(tmp_path / "train_ended.npz", X=X_test, y=y_test)
    as_training = _refusal(tmp_path / "train_ended.npz")
    assert as_training.remedies == refused.remedies and as_training.fix == refused.fix


def test_pad_ends_fills_the_test_split_and_counts_both_splits(tmp_path):
    X, y, X_test, y_test, ended = _splits()
    X[4, 20:] = np.nan  # a training trace that ended early too
    np.savez(tmp_path / "ended.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    ds = load_dataset(tmp_path / "ended.npz", pad_ends=True)
    assert (ds.n, ds.n_test) == (N, M)
    np.testing.assert_array_equal(ds.X_test, np.nan_to_num(X_test, nan=0.0))
    np.testing.assert_array_equal(ds.y_test, y_test)
    np.testing.assert_array_equal(ds.X, np.nan_to_num(X, nan=0.0))
    assert ds.meta["padded_rows"] == {"count": len(ended) + 1, "of": N + M, "shortest": min([20, *ended.values()]),
                                      "length": L, "rows": ["sample 5", *[f"test sample {i + 1}" for i in ended]]}
    # float32 test traces stay float32
    np.savez(tmp_path / "f32.npz", X=X.astype(np.float32), y=y, X_test=X_test.astype(np.float32), y_test=y_test)
    assert load_dataset(tmp_path / "f32.npz", pad_ends=True).X_test.dtype == np.float32


def test_drop_incomplete_leaves_out_test_samples_and_their_targets_together(tmp_path):
    X, y, X_test, y_test, ended = _splits()
    y_test[2] = np.nan  # a missing test target leaves its sample out, as a training one does
    np.savez(tmp_path / "ended.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    ds = load_dataset(tmp_path / "ended.npz", drop_incomplete=True)
    out = sorted([*ended, 2])
    kept = [i for i in range(M) if i not in out]
    assert (ds.n, ds.n_test) == (N, len(kept))
    np.testing.assert_array_equal(ds.X_test, X_test[kept])
    np.testing.assert_array_equal(ds.y_test, y_test[kept])  # each kept trace keeps its own target
    np.testing.assert_array_equal(ds.X, X)
    assert ds.meta["dropped_rows"] == {"count": len(out), "rows": [f"test sample {i + 1}" for i in out],
                                       "of": N + M}
    assert "padded_rows" not in ds.meta


def test_a_missing_test_target_is_treated_as_a_missing_training_target(tmp_path):
    """The dataset reader leaves a sample without a target out under ``drop_incomplete`` and refuses it, naming it,
    under ``pad_ends`` alone: a test sample's the same, even where no series has NaN."""
    X, y, X_test, y_test, _ = _splits()
    X_test = np.nan_to_num(X_test, nan=1.0)
    y_test[6] = np.nan
    np.savez(tmp_path / "no_target.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    refused = _refusal(tmp_path / "no_target.npz")
    assert refused.field == "y_test" and "1 test sample without a target (NaN in y_test): test sample 7" in \
        refused.problem, refused
    assert refused.remedies == ("drop_incomplete",)
    padded_alone = _refusal(tmp_path / "no_target.npz", pad_ends=True)
    assert padded_alone.field == "y_test" and "1 test sample without a target: test sample 7" in \
        padded_alone.problem, padded_alone
    ds = load_dataset(tmp_path / "no_target.npz", drop_incomplete=True)
    assert ds.n_test == M - 1 and ds.meta["dropped_rows"]["rows"] == ["test sample 7"]
    np.testing.assert_array_equal(ds.y_test, np.delete(y_test, 6))
    # the training split's missing target, its series complete, is left out so too
    y[3] = np.nan
    np.savez(tmp_path / "train_no_target.npz", X=X, y=y)
    assert _refusal(tmp_path / "train_no_target.npz").remedies == ("drop_incomplete",)
    assert load_dataset(tmp_path / "train_no_target.npz", drop_incomplete=True).meta["dropped_rows"] == \
        {"count": 1, "rows": ["sample 4"], "of": N}


def test_both_splits_refused_at_once_with_remedies_that_let_both_through(tmp_path):
    X, y, X_test, y_test, ended = _splits()
    X[0, 21:] = np.nan  # the training split merely ended early
    X_test[8, 3] = np.nan  # a gap inside a test trace: filling the ends alone cannot complete it
    np.savez(tmp_path / "both.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    refused = _refusal(tmp_path / "both.npz")
    assert refused.field == "X" and "1 of 50 samples end early" in refused.problem, refused
    assert "; and X_test contains" in refused.problem and "test sample 9" in refused.problem, refused
    assert refused.remedies == ("drop_incomplete", PAD_AND_DROP)  # not pad_ends alone: the test gap needs both
    gap = _refusal(tmp_path / "both.npz", pad_ends=True)
    assert "test sample 9" in str(gap) and gap.remedies == ("drop_incomplete", PAD_AND_DROP), gap
    ds = load_dataset(tmp_path / "both.npz", pad_ends=True, drop_incomplete=True)
    assert (ds.n, ds.n_test) == (N, M - 1)
    assert ds.meta["dropped_rows"] == {"count": 1, "rows": ["test sample 9"], "of": N + M}
    assert ds.meta["padded_rows"]["rows"] == ["sample 1", *[f"test sample {i + 1}" for i in ended if i != 8]]
    assert ds.meta["padded_rows"]["of"] == N + M - 1
    np.testing.assert_array_equal(ds.y_test, np.delete(y_test, 8))



def test_test_samples_are_named_beside_many_training_samples(tmp_path):
    """A record names its first 20 rows: 25 training samples left out do not hide the test samples that went too."""
    X, y, X_test, y_test, ended = _splits()
    X[:25, -1] = np.nan
    np.savez(tmp_path / "many.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    dropped = load_dataset(tmp_path / "many.npz", drop_incomplete=True).meta["dropped_rows"]
    assert dropped["count"] == 25 + len(ended) and len(dropped["rows"]) == 20
    assert dropped["rows"][-len(ended):] == [f"test sample {i + 1}" for i in ended], dropped
    assert dropped["rows"][:20 - len(ended)] == [f"sample {i + 1}" for i in range(20 - len(ended))]
    padded = load_dataset(tmp_path / "many.npz", pad_ends=True).meta["padded_rows"]
    assert padded["count"] == 25 + len(ended) and padded["rows"][-len(ended):] == \
        [f"test sample {i + 1}" for i in ended], padded

def test_a_test_split_with_no_sample_left_is_refused(tmp_path):
    X, y, X_test, y_test, _ = _splits()
    X_test[:, -1] = np.nan  # every test trace ended one frame early
    np.savez(tmp_path / "none_left.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    refused = _refusal(tmp_path / "none_left.npz", drop_incomplete=True)
    assert refused.field == "X_test" and f"{M} of {M} test samples end early" in refused.problem, refused
    assert load_dataset(tmp_path / "none_left.npz", pad_ends=True).n_test == M


def test_hdf5_and_matlab_test_splits_take_the_options(tmp_path):
    X, y, X_test, y_test, ended = _splits()
    with h5py.File(tmp_path / "ended.h5", "w") as f:
        f["X"], f["y"], f["X_test"], f["y_test"] = X, y, X_test, y_test
    scipy.io.savemat(tmp_path / "ended.mat", {"X": X, "y": y.reshape(-1, 1), "X_test": X_test,
                                              "y_test": y_test.reshape(-1, 1)})
    for name in ("ended.h5", "ended.mat"):
        refused = _refusal(tmp_path / name)
        assert refused.field == "X_test" and refused.remedies == ("drop_incomplete", "pad_ends"), name
        ds = load_dataset(tmp_path / name, pad_ends=True)
        np.testing.assert_array_equal(ds.X_test, np.nan_to_num(X_test, nan=0.0), err_msg=name)
        dropped = load_dataset(tmp_path / name, drop_incomplete=True)
        assert dropped.n_test == M - len(ended) and dropped.meta["dropped_rows"]["rows"][0] == "test sample 2", name
        np.testing.assert_array_equal(dropped.y_test, np.delete(y_test, list(ended)), err_msg=name)


def test_awd_distill_takes_the_options_for_a_test_split_of_ended_traces(tmp_path):
    """Through the installed ``awd`` script, with the smallest settings of the training split's test
    (test_array_pad_ends): refused without an option, naming both; both options fill the ended test traces, leave
    out the one with a gap, say so, and the job scores the test samples kept."""
    rng = np.random.default_rng(11)
    X, X_test = rng.normal(size=(80, 32)), rng.normal(size=(24, 32))
    y, y_test = X[:, 4:8].sum(axis=1), X_test[:, 4:8].sum(axis=1)
    X_test[1, 27:], X_test[5, 20:], X_test[9, 3] = np.nan, np.nan, np.nan
    data = tmp_path / "movie.npz"
    np.savez(data, X=X, y=y, X_test=X_test, y_test=y_test)
    awd = Path(sys.executable).parent / "awd"
    args = [str(awd), "distill", str(data), "--out", str(tmp_path / "r"), "--teacher", "mlp", "--lambdas", "0.001",
            "--gammas", "0", "--epochs", "1", "--levels", "2", "--teacher-epochs", "2", "--start-search", "0",
            "--random-search", "0"]
    refused = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2, refused.stderr
    assert "X_test" in refused.stderr and "2 of 24 test samples end early" in refused.stderr, refused.stderr
    assert "awd distill --pad-ends --drop-incomplete" in refused.stderr, refused.stderr
    done = subprocess.run([*args, "--pad-ends", "--drop-incomplete"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Left out 1 row with missing values: test sample 10" in done.stderr, done.stderr
    assert "Filled the ends of 2 of 103 traces with zeros (the shortest had 20 of 32 values): test sample 2, " \
           "test sample 6" in done.stderr, done.stderr
    bundle = json.loads((tmp_path / "r" / "result.json").read_text())
    assert (bundle["data"]["n_train"], bundle["data"]["n_test"]) == (80, 23)
    assert bundle["data"]["dropped_rows"] == {"count": 1, "rows": ["test sample 10"], "of": 104}
    # the file predicted by the result: its test traces filled as the training ones were, every one predicted
    from awd_studio.models.pipeline.predict import predict_file

    X_test[9, 3] = 0.0
    np.savez(tmp_path / "new.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    answer = predict_file(tmp_path / "r", tmp_path / "new.npz")
    assert len(answer["y_pred"]) == 80 and len(answer["y_pred_test"]) == 24
    assert any("Filled the ends of 2 of 104 traces that ended early" in w for w in answer["warnings"]), answer


def test_the_prediction_reader_fills_a_test_split_as_the_training_traces_were(tmp_path):
    """A result trained on filled traces fills a new file's test traces too (``load_inputs`` with ``pad_ends``), counted
    with X's; a gap inside a test trace is refused naming it (a prediction names the rows of X alone, so test samples
    are not left out)."""
    from awd_studio.models.data.readers.inputs import load_inputs

    X, y, X_test, y_test, ended = _splits()
    X[0, 22:] = np.nan
    np.savez(tmp_path / "new.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    got = load_inputs(tmp_path / "new.npz", sample_shape=(L,), pad_ends=True)
    np.testing.assert_array_equal(got.X_test, np.nan_to_num(X_test, nan=0.0))
    assert got.padded["count"] == len(ended) + 1 and got.padded["of"] == N + M
    assert got.padded["rows"] == ["sample 1", *[f"test sample {i + 1}" for i in ended]]
    X_test[3, 4] = np.nan
    np.savez(tmp_path / "gap.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    with pytest.raises(InputError) as info:
        load_inputs(tmp_path / "gap.npz", sample_shape=(L,), pad_ends=True, drop_incomplete=True)
    assert info.value.field == "X_test" and "test sample 4" in info.value.problem, info.value
