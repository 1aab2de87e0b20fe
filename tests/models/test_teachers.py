"""Teachers: architectures, training, saving and safe loading."""

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
from torch.export.pt2_archive import _package as pt2_package

from awd_studio.models.teachers import (
    TEACHERS,
    ExportedTeacher,
    LSTMTeacher,
    _lstm_unrolled,
    build_teacher,
    check_teacher_file,
    check_teacher_file_isolated,
    count_params,
    default_teacher,
    evaluate_teacher,
    load_teacher,
    predict,
    save_teacher,
    train_best_teacher,
    train_teacher,
    validate_teacher,
)
from awd_studio.models.teachers.exported import read_program
from awd_studio.models.validation import InputError

torch.set_num_threads(1)
_TORCH_LOAD = torch.load

SHAPES = {"mlp": [(16,), (8, 8)], "lstm": [(12,), (6, 5)], "cnn": [(16, 16), (24,)],
          "resnet18": [(32, 32), (32,)]}
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _linear_data(n=200, length=16, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(n, length)) * scale).astype(np.float32)
    w = rng.normal(size=length)
    y = X @ w / scale + 5.0
    return X, y


def test_default_teacher():
    assert default_teacher("timeseries") == "lstm"
    assert default_teacher("image") == "cnn"
    with pytest.raises(ValueError, match="kind"):
        default_teacher("audio")


@pytest.mark.parametrize("name,shape", [(n, s) for n in TEACHERS for s in SHAPES[n]])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_build_forward_shapes(name, shape, n_outputs):
    model = build_teacher(name, shape, n_outputs).eval()
    out = model(torch.randn(4, *shape))
    assert out.shape == (4, n_outputs)
    assert model.config == {"name": name, "input_shape": list(shape), "n_outputs": n_outputs}
    assert validate_teacher(model, shape, n_outputs) == n_outputs


def test_build_rejects_bad_arguments():
    with pytest.raises(ValueError, match="teacher"):
        build_teacher("transformer", (16,))
    with pytest.raises(ValueError, match="input_shape"):
        build_teacher("mlp", (2, 3, 4))
    with pytest.raises(ValueError, match="n_outputs"):
        build_teacher("mlp", (16,), 0)


def test_count_params_mlp_matches_paper_architecture():
    # 64-32-32-1: (64*32 + 32) + (32*32 + 32) + (32 + 1)
    assert count_params(build_teacher("mlp", (64,))) == 2080 + 1056 + 33


def test_unrolled_lstm_matches_torch_lstm():
    torch.manual_seed(0)
    model = LSTMTeacher((10,), 1)
    seq = torch.randn(3, 10, 1)
    expected = model.lstm(seq)[1][0][0]
    torch.testing.assert_close(_lstm_unrolled(model.lstm, seq), expected, rtol=1e-5, atol=1e-6)


def test_lstm_double_backward_for_trim():
    model = build_teacher("lstm", (8,)).eval()
    x = torch.randn(2, 8, requires_grad=True)
    (g,) = torch.autograd.grad(model(x).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.abs().sum(), x)
    assert torch.isfinite(gg).all()


def test_short_training_reduces_loss_and_stores_normalisation():
    X, y = _linear_data(scale=100.0)
    untrained = build_teacher("mlp", (16,))
    model = train_teacher("mlp", X, y, epochs=15, batch_size=32, lr=1e-2, patience=0)
    assert model.history["train"][-1] < 0.5 * model.history["train"][0]
    # raw inputs in, target units out
    assert model.x_std.item() == pytest.approx(X[: int(0.85 * 200)].std(), rel=0.2)
    assert abs(predict(model, X).mean() - y.mean()) < 0.5
    score = evaluate_teacher(model, X, y)
    assert score["r2"] > 0.8 > evaluate_teacher(untrained, X, y)["r2"]
    assert set(score) == {"r2", "rmse"}


def test_training_is_deterministic_on_cpu():
    X, y = _linear_data(n=80)
    a = train_teacher("mlp", X, y, epochs=2, seed=3)
    b = train_teacher("mlp", X, y, epochs=2, seed=3)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)


def test_auto_keeps_the_architecture_with_the_lowest_validation_loss():
    """train_best_teacher (teacher="auto" for series): each architecture trained as train_teacher trains it alone,
    on the same held-out samples; the lowest validation MSE wins and every one's is returned; the live curve's keys
    name the architecture."""
    X, y = _linear_data(n=120)
    epochs = []
    best, validation = train_best_teacher(["lstm", "mlp"], X, y, epochs=3, seed=1,
                                          on_epoch=lambda e, losses: epochs.append((e, sorted(losses))))
    alone = {name: train_teacher(name, X, y, epochs=3, seed=1) for name in ("lstm", "mlp")}
    assert validation == {name: min(t.history["val"]) for name, t in alone.items()}
    assert best.name == min(validation, key=validation.get)
    for kept, trained in zip(best.state_dict().values(), alone[best.name].state_dict().values()):
        assert torch.equal(kept, trained)
    for name in ("lstm", "mlp"):  # side by side on two cores, the two curves interleave
        assert [e for e, keys in epochs if keys[0].startswith(name)] == [1, 2, 3]
    assert sorted(epochs) == sorted((e, [f"{n}_train", f"{n}_val"]) for n in ("lstm", "mlp") for e in (1, 2, 3))
    # one architecture: train_teacher's own keys
    epochs.clear()
    train_best_teacher(["mlp"], X, y, epochs=1, on_epoch=lambda e, losses: epochs.append(sorted(losses)))
    assert epochs == [["train", "val"]]
    with pytest.raises(InputError, match="teacher"):
        train_best_teacher([], X, y)


def test_give_up_ends_the_training_like_early_stopping():
    """train_teacher(give_up=...): stops after the epoch it answers True, keeps the best epoch's weights, and says
    where it stopped (teacher.gave_up_at; None when it ran on)."""
    X, y = _linear_data(n=120)
    seen = []

    def give_up(epoch, best_val):
        seen.append((epoch, best_val))
        return epoch >= 3

    stopped = train_teacher("mlp", X, y, epochs=10, seed=2, give_up=give_up)
    assert stopped.gave_up_at == 3 and len(stopped.history["val"]) == 3
    assert [e for e, _ in seen] == [1, 2, 3]
    assert seen[-1][1] == min(stopped.history["val"])
    three = train_teacher("mlp", X, y, epochs=3, seed=2)
    assert three.gave_up_at is None
    for a, b in zip(stopped.state_dict().values(), three.state_dict().values()):
        assert torch.equal(a, b)


def test_an_architecture_far_behind_a_finished_one_stops(monkeypatch):
    """train_best_teacher: an architecture still more than BEHIND_RATIO times the final validation loss of one that
    has finished, after BEHIND_MIN_EPOCHS epochs, stops there; the other is kept and the stop is reported. Here the
    target is one fixed sample of the series, which the MLP reads at once and the LSTM must carry through time."""
    from awd_studio.models.cores import available_cores
    from awd_studio.models.teachers import training

    monkeypatch.setenv("AWD_JOB_THREADS", "2")  # side by side whatever else the machine runs
    if available_cores() < 2:
        pytest.skip("the stop needs the other architecture finished first: side by side, with a core for each")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 64)).astype(np.float32)
    y = X[:, 3]  # alone: the MLP's 30 epochs take 2.2 s (val MSE 0.042), the LSTM's 6.1 s (1.03)
    monkeypatch.setattr(training, "BEHIND_MIN_EPOCHS", 4)
    best, validation = train_best_teacher(["lstm", "mlp"], X, y, epochs=30, patience=0, seed=0)
    assert best.name == "mlp" and best.gave_up_at is None
    assert set(best.stopped_behind) == {"lstm"} and 4 <= best.stopped_behind["lstm"] < 30
    assert validation["lstm"] > training.BEHIND_RATIO * validation["mlp"]
    # one architecture alone never stops this way
    alone, _ = train_best_teacher(["lstm"], X, y, epochs=5, seed=0)
    assert alone.gave_up_at is None and alone.stopped_behind == {}


def test_auto_trains_side_by_side_with_the_same_result_as_one_after_another(monkeypatch):
    """On a CPU with two cores the LSTM and the MLP (one thread each) train at once, on two threads; the teachers,
    their validation losses and the progress reported end as when they train one after the other
    (``AWD_JOB_THREADS=1``)."""
    from awd_studio.models.cores import available_cores, job_threads
    from awd_studio.models.teachers import training

    X, y = _linear_data(n=120)
    results = {}
    before = torch.get_num_threads()
    for threads in ("1", "2"):
        monkeypatch.setenv("AWD_JOB_THREADS", threads)
        fractions, messages = [], []

        def progress(stage, fraction, message):
            fractions.append(fraction)
            messages.append(message)

        torch.set_num_threads(int(threads))
        best, validation = train_best_teacher(["lstm", "mlp"], X, y, epochs=3, seed=2, progress=progress)
        # each training thread sets its own count, partly process-wide: the caller gets its own back
        assert torch.get_num_threads() == int(threads)
        torch.set_num_threads(before)
        results[threads] = best, validation, fractions
        # the last line names both architectures' ends, whichever finished first
        assert "lstm trained" in messages[-1] and "mlp trained" in messages[-1]
    # the "2" run above was side by side (on a machine with two cores)
    assert training.trains_side_by_side(["lstm", "mlp"], job_threads()) or available_cores() < 2
    monkeypatch.setenv("AWD_JOB_THREADS", "1")
    assert not training.trains_side_by_side(["lstm", "mlp"], job_threads())
    (one, v_one, f_one), (two, v_two, f_two) = results["1"], results["2"]
    assert v_one == v_two and one.name == two.name
    for a, b in zip(one.state_dict().values(), two.state_dict().values()):
        assert torch.equal(a, b)
    for fractions in (f_one, f_two):  # half the stage per architecture; the whole stage at the end
        assert fractions[-1] == pytest.approx(1.0) and max(fractions) == pytest.approx(1.0)
    assert not training.trains_side_by_side(["lstm", "mlp"], 2, num_threads=2)  # asked for two threads each
    assert not training.trains_side_by_side(["cnn"], 2)


def test_auto_side_by_side_progress_follows_the_least_advanced_architecture(monkeypatch):
    """Side by side the teacher stage lasts as long as its slowest architecture: the fraction reported is never
    ahead of either architecture's own (read from its latest line), so one that ends early does not make the bar
    jump; it reaches the whole stage when both have ended."""
    import re

    from awd_studio.models.cores import available_cores

    monkeypatch.setenv("AWD_JOB_THREADS", "2")
    if available_cores() < 2:
        pytest.skip("needs two cores")
    X, y = _linear_data(n=120)
    reports = []
    train_best_teacher(["lstm", "mlp"], X, y, epochs=4, patience=0, seed=0,
                       progress=lambda stage, fraction, message: reports.append((fraction, message)))

    def own(name, message):
        if f"{name} trained" in message:
            return 1.0
        found = re.search(rf"{name} epoch (\d+)/4", message)
        return int(found.group(1)) / 4 if found else 0.0

    for fraction, message in reports:
        assert fraction <= min(own("lstm", message), own("mlp", message)) + 1e-12, message
    assert reports[-1][0] == pytest.approx(1.0)


def test_auto_side_by_side_stops_the_other_teacher_and_raises_the_first_error(monkeypatch):
    """When one architecture fails while both train, the other stops after its current epoch and the failure's
    own error is raised (not the stop it caused)."""
    from awd_studio.models.cores import available_cores

    monkeypatch.setenv("AWD_JOB_THREADS", "2")
    if available_cores() < 2:
        pytest.skip("needs two cores")
    X, y = _linear_data(n=120)
    lstm_epochs = []

    def on_epoch(epoch, losses):
        if "mlp_val" in losses and epoch == 2:
            raise ValueError("the mlp's curve could not be stored")
        if "lstm_val" in losses:
            lstm_epochs.append(epoch)

    with pytest.raises(ValueError, match="could not be stored"):
        train_best_teacher(["lstm", "mlp"], X, y, epochs=200, patience=0, seed=0, on_epoch=on_epoch)
    assert len(lstm_epochs) < 200


def test_training_under_no_grad_trains_the_same_teacher():
    """Training turns gradients on itself (a caller's torch.no_grad, or a mode left off, changes nothing)."""
    X, y = _linear_data(n=80)
    a = train_teacher("mlp", X, y, epochs=2, seed=3)
    with torch.no_grad():
        b = train_teacher("mlp", X, y, epochs=2, seed=3)
        assert not torch.is_grad_enabled()  # the caller's mode is back once training returns
    for va, vb in zip(a.state_dict().values(), b.state_dict().values()):
        assert torch.equal(va, vb)


def test_cnn_pooling_before_relu_trains_the_same_weights_as_relu_before_pooling():
    """The CNN pools before its ReLU (the cheaper order): same outputs, same gradients, same trained weights."""
    torch.manual_seed(0)
    pooled_first = build_teacher("cnn", (32, 32))
    kinds = [type(m) for m in pooled_first.features]
    assert kinds[:3] == [torch.nn.Conv2d, torch.nn.MaxPool2d, torch.nn.ReLU]
    relu_first = build_teacher("cnn", (32, 32))
    relu_first.load_state_dict(pooled_first.state_dict())
    layers = list(relu_first.features)
    for i, layer in enumerate(layers[:-2]):
        if isinstance(layer, torch.nn.MaxPool2d):
            layers[i], layers[i + 1] = layers[i + 1], layers[i]
    relu_first.features = torch.nn.Sequential(*layers)
    assert [type(m) for m in relu_first.features][:3] == [torch.nn.Conv2d, torch.nn.ReLU, torch.nn.MaxPool2d]
    x = torch.as_tensor(np.random.default_rng(0).normal(size=(64, 32, 32)), dtype=torch.float32)
    y = x.mean(dim=(1, 2), keepdim=False)[:, None]
    for model in (pooled_first, relu_first):
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        for start in range(0, 64, 16):
            loss = ((model.standardized(x[start:start + 16]) - y[start:start + 16]) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    for a, b in zip(pooled_first.state_dict().values(), relu_first.state_dict().values()):
        assert torch.equal(a, b)


def test_thread_count_is_restored_after_training():
    X, y = _linear_data(n=30)
    before = torch.get_num_threads()
    train_teacher("mlp", X, y, epochs=1, num_threads=2)
    assert torch.get_num_threads() == before


def test_training_with_validation_data_and_progress():
    X, y = _linear_data(n=60)
    calls = []
    model = train_teacher("mlp", X[:40], y[:40], X_val=X[40:], y_val=y[40:], epochs=2,
                          progress=lambda stage, frac, msg: calls.append((stage, frac)))
    assert calls[-1] == ("teacher", 1.0)
    assert all(0 <= f <= 1 for _, f in calls)
    assert len(model.history["val"]) == 2
    with pytest.raises(ValueError, match="y_val"):
        train_teacher("mlp", X, y, X_val=X, epochs=1)


@pytest.mark.parametrize("name,shape", [("lstm", (12,)), ("cnn", (16, 16)), ("resnet18", (16, 16))])
def test_one_epoch_other_architectures_multi_output(name, shape):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, *shape)).astype(np.float32)
    y = np.stack([X.reshape(24, -1).mean(1), X.reshape(24, -1).max(1)], axis=1)
    model = train_teacher(name, X, y, epochs=1, batch_size=8)
    out = predict(model, X)
    assert out.shape == (24, 2) and np.isfinite(out).all()
    assert not model.training


@pytest.mark.parametrize("device", DEVICES)
def test_device_argument(device):
    X, y = _linear_data(n=30)
    model = train_teacher("mlp", X, y, epochs=1, device=device)
    assert next(model.parameters()).device.type == device
    assert predict(model, X).shape == (30, 1)


def test_safetensors_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 16, 16)).astype(np.float32)
    model = train_teacher("cnn", X, rng.normal(size=(20, 2)), epochs=1)
    path = save_teacher(model, tmp_path / "teacher.safetensors")
    loaded = load_teacher(path, n_outputs=2)
    assert loaded.config == model.config
    np.testing.assert_array_equal(predict(loaded, X), predict(model, X))
    assert load_teacher(path).n_outputs == 2  # None accepts what the file holds
    with pytest.raises(ValueError, match="n_outputs"):
        load_teacher(path, n_outputs=1)


def test_pt_state_dict_round_trip(tmp_path):
    X, y = _linear_data(n=30, length=12)
    model = train_teacher("lstm", X, y, epochs=1)
    torch.save(model.state_dict(), tmp_path / "w.pt")
    torch.save({"state_dict": model.state_dict()}, tmp_path / "nested.pth")
    for file in ("w.pt", "nested.pth"):
        loaded = load_teacher(tmp_path / file, name="lstm", input_shape=(12,))
        np.testing.assert_allclose(predict(loaded, X), predict(model, X), rtol=1e-6)
    with pytest.raises(ValueError, match="architecture"):
        load_teacher(tmp_path / "w.pt")  # name and shape are needed for a bare state dict


def test_pt_without_normalisation_buffers_is_accepted(tmp_path):
    model = build_teacher("mlp", (8,))
    state = {k: v for k, v in model.state_dict().items() if not k.startswith(("x_", "y_"))}
    torch.save(state, tmp_path / "plain.pt")
    loaded = load_teacher(tmp_path / "plain.pt", name="mlp", input_shape=(8,))
    assert loaded.x_std.item() == 1.0


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    exploit = _Exploit()
    exploit.marker = marker
    torch.save({"weight": exploit}, tmp_path / "evil.pt")
    with open(tmp_path / "evil_legacy.pth", "wb") as fh:
        pickle.dump(exploit, fh, protocol=2)
    for file in ("evil.pt", "evil_legacy.pth"):
        with pytest.raises(ValueError, match="refused|not a readable") as refused:
            load_teacher(tmp_path / file, name="mlp", input_shape=(8,))
        assert "weights_only" not in str(refused.value)  # never the advice to load it unsafely
    assert not marker.exists()


def test_malicious_pt2_is_refused(tmp_path):
    """torch.export.load would fall back to full unpickling of the sample inputs; we refuse it."""
    marker = tmp_path / "pwned"
    exploit = _Exploit()
    exploit.marker = marker
    model = build_teacher("mlp", (8,)).eval()
    torch.export.save(torch.export.export(model, (torch.randn(2, 8),)), tmp_path / "good.pt2")
    payload = io.BytesIO()
    torch.save((exploit,), payload)
    with zipfile.ZipFile(tmp_path / "good.pt2") as src, zipfile.ZipFile(tmp_path / "evil.pt2", "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, payload.getvalue() if "sample_inputs" in info.filename else data)
    with pytest.raises(ValueError, match="refused"):
        load_teacher(tmp_path / "evil.pt2")
    assert not marker.exists()
    assert torch.load is _TORCH_LOAD  # the guard is undone
    assert isinstance(load_teacher(tmp_path / "good.pt2"), ExportedTeacher)


def test_wrong_architecture_or_shape_is_rejected(tmp_path):
    torch.save(build_teacher("lstm", (12,)).state_dict(), tmp_path / "lstm.pt")
    with pytest.raises(ValueError, match="does not match AWD Studio's cnn architecture") as wrong:
        load_teacher(tmp_path / "lstm.pt", name="cnn", input_shape=(12,))
    # a user's own network has no built-in architecture to choose: the message names the route that works (review 9)
    assert "torch.export" in str(wrong.value) and ".pt2" in str(wrong.value)
    (tmp_path / "text.pt").write_text("hello this is text\n")
    with pytest.raises(ValueError, match="text.pt is not a readable torch file: neither a torch.save archive"):
        load_teacher(tmp_path / "text.pt", name="mlp", input_shape=(12,))  # no bare "(101)" from torch
    torch.save(build_teacher("mlp", (12,)).state_dict(), tmp_path / "mlp.pt")
    with pytest.raises(ValueError, match="wrong shape"):
        load_teacher(tmp_path / "mlp.pt", name="mlp", input_shape=(16,))
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="state dict"):
        load_teacher(tmp_path / "list.pt", name="mlp", input_shape=(12,))


def test_unknown_suffix_and_missing_file(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"\x00")
    with pytest.raises(ValueError, match="unknown teacher file type"):
        load_teacher(tmp_path / "model.onnx")
    with pytest.raises(ValueError, match="does not exist"):
        load_teacher(tmp_path / "nope.safetensors")
    (tmp_path / "bad.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="safetensors"):
        load_teacher(tmp_path / "bad.safetensors")


@pytest.mark.parametrize("dynamic", [True, False])
def test_pt2_export_round_trip(tmp_path, dynamic):
    model = build_teacher("cnn", (16, 16), 2).eval()
    x = torch.randn(3, 16, 16)
    shapes = ({0: torch.export.Dim("batch")},) if dynamic else None
    torch.export.save(torch.export.export(model, (x,), dynamic_shapes=shapes), tmp_path / "m.pt2")
    loaded = load_teacher(tmp_path / "m.pt2", n_outputs=2)
    assert isinstance(loaded, ExportedTeacher)
    assert loaded.input_shape == (16, 16)
    assert loaded.fixed_batch == (None if dynamic else 3)
    xx = torch.randn(7, 16, 16, requires_grad=True)  # not a multiple of the fixed batch
    out = loaded(xx)
    torch.testing.assert_close(out, model(xx), rtol=1e-4, atol=1e-5)
    (grad,) = torch.autograd.grad(out[:, 0].sum(), xx)
    assert grad.shape == xx.shape


class _Flat(torch.nn.Module):
    def forward(self, x):
        return x.sum(dim=1)  # (B,): read as one output


class _Cube(torch.nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0], 2, 4)  # (B, 2, 4): not (B, n_outputs)


def test_pt2_wrong_output_shape_is_rejected(tmp_path):
    torch.export.save(torch.export.export(_Flat(), (torch.randn(2, 8),)), tmp_path / "flat.pt2")
    assert load_teacher(tmp_path / "flat.pt2")(torch.ones(5, 8)).shape == (5, 1)
    torch.export.save(torch.export.export(_Cube(), (torch.randn(2, 8),)), tmp_path / "cube.pt2")
    with pytest.raises(ValueError, match="returned shape"):
        load_teacher(tmp_path / "cube.pt2")
    model = build_teacher("mlp", (8,), 3).eval()
    torch.export.save(torch.export.export(model, (torch.randn(2, 8),)), tmp_path / "three.pt2")
    with pytest.raises(ValueError, match="outputs"):
        load_teacher(tmp_path / "three.pt2", n_outputs=1)
    with pytest.raises(ValueError, match="input_shape"):
        load_teacher(tmp_path / "three.pt2", input_shape=(9,), n_outputs=3)
    (tmp_path / "junk.pt2").write_bytes(b"junk")
    with pytest.raises(ValueError, match="torch.export"):
        load_teacher(tmp_path / "junk.pt2")


def _rewrite_pt2(src, dst, change):
    """Copy a .pt2 archive, passing each member's (name, bytes) through ``change``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, change(info.filename, zin.read(info.filename)))
        extra = change(None, None)
        if extra is not None:
            zout.writestr(extra[0], extra[1])


def _hooks():
    """The functions the old .pt2 loader used to swap for the whole process."""
    return torch.load, torch._C._pickle_load_obj, pt2_package.pickle


@pytest.mark.parametrize("name,shape,dynamic", [("mlp", (8,), True), ("lstm", (6, 5), False),
                                                ("cnn", (16, 16), True), ("resnet18", (32,), False)])
def test_pt2_runs_exactly_like_torch_export_load(tmp_path, name, shape, dynamic):
    """Our reader runs the same ATen operators as torch.export.load(...).module(): same bits, same gradients."""
    torch.manual_seed(0)
    model = build_teacher(name, shape, 2)
    with torch.no_grad():
        model.x_mean.fill_(0.3), model.y_std.fill_(2.0)
    model.eval()
    shapes = ({0: torch.export.Dim("batch")},) if dynamic else None
    torch.export.save(torch.export.export(model, (torch.randn(3, *shape),), dynamic_shapes=shapes), tmp_path / "m.pt2")
    reference = torch.export.load(tmp_path / "m.pt2").module()  # a trusted file we just wrote
    ours = read_program(tmp_path / "m.pt2")
    x = torch.randn(3, *shape, requires_grad=True)
    a, b = reference(x), ours(x)
    assert torch.equal(a, b)
    assert torch.equal(torch.autograd.grad(a.sum(), x)[0], torch.autograd.grad(b.sum(), x)[0])
    assert count_params(ours) == count_params(reference) == count_params(model)
    if not dynamic:
        with pytest.raises(ValueError, match=r"shape\[0\] to be equal to 3"):
            ours(torch.randn(4, *shape))


def test_pt2_accepts_the_inputs_torch_export_load_accepts(tmp_path):
    model = build_teacher("mlp", (8,)).eval()
    for low, high in ((2, 50), (5, 50)):
        batch = torch.export.Dim("batch", min=low, max=high)
        torch.export.save(torch.export.export(model, (torch.randn(6, 8),), dynamic_shapes=({0: batch},)),
                          tmp_path / "m.pt2")
        reference, ours = torch.export.load(tmp_path / "m.pt2").module(), read_program(tmp_path / "m.pt2")
        for x in [torch.randn(b, 8) for b in (0, 1, 4, 5, 50, 51)] + [torch.randn(5, 9), torch.randn(5, 8, 1)]:
            outcomes = []
            for program in (reference, ours):
                try:
                    outcomes.append(tuple(program(x).shape))
                except Exception:  # torch raises AssertionError or IndexError, we raise ValueError
                    outcomes.append("refused")
            assert outcomes[0] == outcomes[1], (low, high, tuple(x.shape), outcomes)


def test_pt2_text_is_never_evaluated(tmp_path):
    """torch.export.load would sympify the graph's size expressions and compile its guard code; we do neither."""
    marker = tmp_path / "pwned"
    model = build_teacher("mlp", (8,)).eval()
    torch.export.save(torch.export.export(model, (torch.randn(3, 8),), dynamic_shapes=({0: torch.export.Dim("b")},)),
                      tmp_path / "good.pt2")
    payload = f"__import__('os').system('touch {marker}')"

    def inject(name, data):
        if name is None or not name.endswith("models/model.json"):
            return None if name is None else data
        program = json.loads(data)
        program["guards_code"] = [payload]
        text = json.dumps(program)
        assert "expr_str" in text
        return text.replace('"expr_str": "', f'"expr_str": "{payload} or ').encode()

    _rewrite_pt2(tmp_path / "good.pt2", tmp_path / "evil.pt2", inject)
    loaded = load_teacher(tmp_path / "evil.pt2")
    assert loaded(torch.ones(5, 8)).shape == (5, 1)
    assert not marker.exists()


def test_pt2_with_pickled_weights_or_compiled_code_is_refused_unread(tmp_path):
    model = build_teacher("mlp", (8,)).eval()
    torch.export.save(torch.export.export(model, (torch.randn(2, 8),)), tmp_path / "good.pt2")

    def pickled_weights(name, data):
        if name is not None and name.endswith("model_weights_config.json"):
            config = json.loads(data)
            next(iter(config["config"].values()))["use_pickle"] = True
            return json.dumps(config).encode()
        return None if name is None else data

    def compiled(name, data):
        if name is None:
            return "good/data/aotinductor/model/model.so", b"\x7fELF"
        return data

    for change, words in [(pickled_weights, "pickled Python objects"), (compiled, r"compiled code \(AOTInductor\)")]:
        _rewrite_pt2(tmp_path / "good.pt2", tmp_path / "bad.pt2", change)
        with pytest.raises(ValueError, match=f"{words}; it was refused unread"):
            load_teacher(tmp_path / "bad.pt2")


def test_loading_patches_nothing(tmp_path, monkeypatch):
    """No loader swaps torch.load or the pickle hooks, not even for the duration of a load."""
    calls = []
    monkeypatch.setattr(torch._C, "_pickle_load_obj", lambda *a, **k: calls.append("_pickle_load_obj"))
    monkeypatch.setattr(pt2_package, "pickle", None)
    before = _hooks()
    model = build_teacher("mlp", (8,)).eval()
    torch.export.save(torch.export.export(model, (torch.randn(2, 8),)), tmp_path / "m.pt2")
    save_teacher(model, tmp_path / "m.safetensors")
    torch.save(model.state_dict(), tmp_path / "m.pt")
    for file in ("m.pt2", "m.safetensors", "m.pt"):
        loaded = load_teacher(tmp_path / file, name="mlp", input_shape=(8,))
        assert _hooks() == before
        np.testing.assert_array_equal(predict(loaded, np.ones((2, 8))), predict(model, np.ones((2, 8))))
    assert calls == []


def test_isolated_check_matches_the_in_process_check_and_leaves_torch_alone(tmp_path, monkeypatch):
    model = build_teacher("cnn", (16, 16), 2).eval()
    torch.export.save(torch.export.export(model, (torch.randn(2, 16, 16),)), tmp_path / "m.pt2")
    exploit = _Exploit()
    exploit.marker = tmp_path / "pwned"
    torch.save({"weight": exploit}, tmp_path / "evil.pt")
    expected = check_teacher_file(tmp_path / "m.pt2", input_shape=(16, 16), n_outputs=2)
    with pytest.raises(ValueError) as in_process:
        check_teacher_file(tmp_path / "evil.pt", arch="mlp", input_shape=(8,), n_outputs=1)

    calls = []  # the caller must read nothing: spies in place of the functions an in-process load could use
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append("load"))
    monkeypatch.setattr(torch._C, "_pickle_load_obj", lambda *a, **k: calls.append("_pickle_load_obj"))
    monkeypatch.setattr(torch.export, "load", lambda *a, **k: calls.append("export.load"))
    before = _hooks()
    assert check_teacher_file_isolated(tmp_path / "m.pt2", input_shape=(16, 16), n_outputs=2) == expected
    with pytest.raises(ValueError) as isolated:
        check_teacher_file_isolated(tmp_path / "evil.pt", arch="mlp", input_shape=(8,), n_outputs=1)
    assert str(isolated.value) == str(in_process.value) and "refused" in str(isolated.value)
    assert isolated.value.field == in_process.value.field == "file"
    assert _hooks() == before and calls == []
    assert not exploit.marker.exists()
    with pytest.raises(ValueError, match="took longer than"):
        check_teacher_file_isolated(tmp_path / "m.pt2", input_shape=(16, 16), n_outputs=2, timeout=0.01)


def test_the_check_returns_the_teachers_predictions_on_a_sample_of_the_data_in_both_processes(tmp_path):
    model = build_teacher("mlp", (24,), 2)
    torch.save(model.state_dict(), tmp_path / "m.pt")
    sample = np.random.default_rng(0).normal(size=(40, 24)).astype(np.float32)
    here = check_teacher_file(tmp_path / "m.pt", arch="mlp", input_shape=(24,), n_outputs=2, sample=sample)
    there = check_teacher_file_isolated(tmp_path / "m.pt", arch="mlp", input_shape=(24,), n_outputs=2, sample=sample)
    expected = predict(model, sample)
    assert here.sample_predictions.shape == there.sample_predictions.shape == (40, 2)
    np.testing.assert_array_equal(here.sample_predictions, expected)
    np.testing.assert_array_equal(there.sample_predictions, expected)  # float32 values survive the JSON exactly
    assert here[:2] == there[:2] and check_teacher_file(tmp_path / "m.pt", arch="mlp", input_shape=(24,),
                                                        n_outputs=2).sample_predictions is None


class _NaN(torch.nn.Module):
    def forward(self, x):
        return torch.full((x.shape[0], 1), float("nan"))


def test_validate_teacher_rejects_non_finite_and_failing_models():
    with pytest.raises(ValueError, match="NaN"):
        validate_teacher(_NaN(), (8,))
    with pytest.raises(ValueError, match="fails on an input"):
        validate_teacher(build_teacher("mlp", (8,)), (9,))


def test_evaluate_teacher_matches_metrics():
    from sklearn.metrics import mean_squared_error, r2_score

    X, y = _linear_data(n=50)
    model = build_teacher("mlp", (16,), 2)
    Y = np.stack([y, -y], axis=1)
    pred = predict(model, X)
    got = evaluate_teacher(model, X, Y, target=1)
    assert got["r2"] == pytest.approx(r2_score(Y[:, 1], pred[:, 1]), rel=1e-6)
    assert got["rmse"] == pytest.approx(np.sqrt(mean_squared_error(Y[:, 1], pred[:, 1])), rel=1e-6)
    with pytest.raises(ValueError, match="target"):
        evaluate_teacher(model, X, Y[:, :1], target=2)


def test_importing_the_pipeline_does_not_load_torch_export():
    """``torch.export.pt2_archive`` pulls in torch's compiler stack (about a second per process): only reading
    an uploaded ``.pt2`` archive imports it."""
    code = ("import sys, awd_studio.models.pipeline, awd_studio.models.teachers; "
            "print(sorted(m for m in ('torch.export.pt2_archive', 'torch._dynamo') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _events_at_any_time(n=600, length=40, seed=2):
    """Traces of one Gaussian event at a random time on a random baseline, the target its amplitude x width (the
    data a review's biologist brought, review 21)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    centre, width, amp = rng.uniform(5, length - 5, n), rng.uniform(1.0, 4.0, n), rng.uniform(0.2, 2.0, n)
    X = (amp[:, None] * np.exp(-0.5 * ((t[None] - centre[:, None]) / width[:, None]) ** 2)
         + 0.1 * rng.standard_normal((n, length)) + rng.uniform(0, 1, n)[:, None])
    return X, amp * width


def test_the_lstm_teacher_does_not_diverge_on_few_event_traces():
    """Review 21: at its step of 3e-3 the LSTM's validation loss jumped from 0.49 to 1.01 in one epoch on 480 such
    traces (test R² 0.468 on this seed); its gradients are now clipped at norm 1 (0.980)."""
    from awd_studio.models.teachers.training import GRADIENT_CLIP

    assert GRADIENT_CLIP == {"lstm": 1.0}
    X, y = _events_at_any_time()
    teacher = train_teacher("lstm", X[:480], y[:480], seed=2, device="cpu")
    assert evaluate_teacher(teacher, X[480:], y[480:])["r2"] > 0.9


def test_a_stop_is_polled_between_the_batches_of_an_epoch(monkeypatch):
    """Audit: a ResNet18 teacher on a CPU polled its stop once per epoch, minutes apart. The poll now also comes
    between batches, every ``STOP_POLL_SECONDS`` of training (here 0: every batch)."""
    from awd_studio.models import distill

    monkeypatch.setattr(distill, "STOP_POLL_SECONDS", 0.0)
    X = np.random.default_rng(0).normal(size=(200, 16)).astype(np.float32)
    calls, epochs = [], []

    def stop():
        calls.append(1)
        return len(calls) >= 3  # at the third batch of the first epoch

    with pytest.raises(distill.Cancelled, match="the teacher's epoch 1"):
        train_teacher("mlp", X, X[:, 0], epochs=5, batch_size=40, should_stop=stop,
                      on_epoch=lambda epoch, losses: epochs.append(epoch))
    assert len(calls) == 3 and epochs == []  # no epoch ended
    monkeypatch.setattr(distill, "STOP_POLL_SECONDS", 3600.0)  # not due inside an epoch: polled at its end only
    calls.clear()
    with pytest.raises(distill.Cancelled, match="the teacher's epoch 3"):
        train_teacher("mlp", X, X[:, 0], epochs=5, batch_size=40, should_stop=stop,
                      on_epoch=lambda epoch, losses: epochs.append(epoch))
    assert epochs == [1, 2, 3]


def test_a_file_that_is_no_pickle_is_not_said_to_hold_python_objects(tmp_path):
    """Review 43A: a text file named .pt was refused as holding "Python objects other than weights"; it holds none.
    A pickle that names a global is still refused as such, naming it."""
    (tmp_path / "garbage.pt").write_bytes(b"not a torch file" * 10)
    with pytest.raises(ValueError) as refused:
        load_teacher(tmp_path / "garbage.pt", name="mlp", input_shape=(12,))
    words = str(refused.value)
    assert "garbage.pt is not a file of weights torch.save wrote" in words and "byte 110" in words
    assert "Python objects" not in words and "weights_only=False" not in words
    (tmp_path / "system.pt").write_bytes(pickle.dumps(os.system, protocol=2))
    with pytest.raises(ValueError, match=r"contains Python objects other than weights \(posix.system\); it was "
                                         "refused unread"):
        load_teacher(tmp_path / "system.pt", name="mlp", input_shape=(12,))
