"""Make the benchmark data and teachers once, in the main virtualenv, into ``bench/.work/``.

Both sides read the same files: ``series.npz`` / ``maps.npz`` (``X`` float32, ``y`` float32) and the teachers'
weights as plain ``state_dict`` files (``torch.save``; read back with ``torch.load(weights_only=True)``) of our
built-in architectures (:func:`models.teachers.build_teacher`), which only need numpy and torch to rebuild.

Usage: ``python bench/prepare.py [--quick]`` (``run_all.py`` calls :func:`prepare`).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import WORK_DIR, one_thread  # noqa: E402

__all__ = ["prepare", "N_SERIES", "N_MAPS"]

N_SERIES = 2936  # the paper's synthetic setting: n = 2936 series of length 64
N_MAPS = 1000    # 1000 maps of 64 x 64


def _series(n, seed):
    import numpy as np

    from awd_studio.models.data import make_example

    d = make_example("synthetic", n=n, seed=seed)
    X = np.concatenate([d.X, d.X_test]) if d.X_test is not None else d.X
    y = np.concatenate([d.y, d.y_test]) if d.y_test is not None else d.y
    return X[:n].astype(np.float32), y[:n].reshape(len(X[:n]), -1)[:, 0].astype(np.float32)


def _cme(seed):
    """The CME example as ``awd example cme`` makes it (train and test joined; length 40, the paper's)."""
    import numpy as np

    from awd_studio.models.data import make_example

    d = make_example("cme", seed=seed)
    X = np.concatenate([d.X, d.X_test]) if d.X_test is not None else d.X
    y = np.concatenate([d.y, d.y_test]) if d.y_test is not None else d.y
    return X.astype(np.float32), y.reshape(len(y), -1)[:, 0].astype(np.float32)


#: Hidden size of the paper's CME LSTM (the product's built-in LSTM has 40); bench teacher name ``lstm20``.
PAPER_LSTM_HIDDEN = 20
FIT_FRACTION = 0.8  # teachers and predictors are fitted on the first 80 %, scored on the last 20 %


def _build(name, input_shape):
    from awd_studio.models.teachers import build_teacher
    from awd_studio.models.teachers.architectures import LSTMTeacher

    if name == "lstm20":
        return LSTMTeacher(tuple(input_shape), 1, hidden=PAPER_LSTM_HIDDEN)
    return build_teacher(name, tuple(input_shape), 1)


def _train_paper_lstm(X, y, epochs, seed=0):
    """Train the paper-sized LSTM (hidden 20) with Adam on the MSE of standardised targets, keeping the
    epoch with the lowest loss on a 15 % hold-out (the product's training, for an architecture it does not
    build)."""
    import copy

    import numpy as np
    import torch

    from awd_studio.models.teachers.training import _fit_normalisation

    torch.manual_seed(seed)
    model = _build("lstm20", X.shape[1:])
    _fit_normalisation(model, X, y.reshape(-1, 1))
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(X))
    n_val = int(0.15 * len(X))
    xv, yv = torch.as_tensor(X[perm[:n_val]]), torch.as_tensor(y[perm[:n_val]]).reshape(-1, 1)
    xt, yt = torch.as_tensor(X[perm[n_val:]]), torch.as_tensor(y[perm[n_val:]]).reshape(-1, 1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    best, best_state = float("inf"), None
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(xt))
        for start in range(0, len(xt), 64):
            idx = order[start:start + 64]
            opt.zero_grad()
            loss = ((model.standardized(xt[idx]) - (yt[idx] - model.y_mean) / model.y_std) ** 2).mean()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val = float(((model.standardized(xv) - (yv - model.y_mean) / model.y_std) ** 2).mean())
        if val < best:
            best, best_state = val, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    return model.eval()


def teacher_r2(model, X, y):
    """R² of a teacher's first output on (X, y)."""
    import numpy as np

    from awd_studio.models.teachers import predict

    pred = np.asarray(predict(model, X, batch_size=256), dtype=float).reshape(len(X), -1)[:, 0]
    return float(1 - np.mean((pred - y) ** 2) / np.var(y))


def _maps(n, seed):
    import numpy as np

    from awd_studio.models.data import make_example

    d = make_example("lensing", n=int(np.ceil(n / 0.8)) + 2, seed=seed)
    X = np.concatenate([d.X, d.X_test]) if d.X_test is not None else d.X
    y = np.concatenate([d.y, d.y_test]) if d.y_test is not None else d.y
    y = y.reshape(len(y), -1)[:, 0]  # one output: the first parameter (target = 0 on both sides)
    return X[:n].astype(np.float32), y[:n].astype(np.float32)


def prepare(work_dir=WORK_DIR, n_series=N_SERIES, n_maps=N_MAPS, teacher_epochs=30, log=print):
    """Write the data sets and teachers used by every benchmark; skip files that already exist.

    Parameters
    ----------
    work_dir : Path
    n_series, n_maps : int
        Number of series (length 64) and maps (64 x 64).
    teacher_epochs : int
        Epoch cap for training the MLP, LSTM and CNN teachers (early stopping may end sooner).
    log : callable

    Returns
    -------
    dict of str to str
        Paths: ``series``, ``maps``, ``cme``, ``mlp``, ``lstm``, ``lstm20``, ``cnn``, ``resnet18``.
    """
    import numpy as np

    torch = one_thread()
    from awd_studio.models.teachers import build_teacher, train_teacher

    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    paths = {"series": work_dir / f"series_{n_series}.npz", "maps": work_dir / f"maps_{n_maps}.npz",
             "cme": work_dir / "cme_example.npz"}
    if not paths["cme"].exists():
        X, y = _cme(seed=0)
        np.savez(paths["cme"], X=X, y=y)
    if not paths["series"].exists():
        X, y = _series(n_series, seed=0)
        np.savez(paths["series"], X=X, y=y)
    if not paths["maps"].exists():
        X, y = _maps(n_maps, seed=0)
        np.savez(paths["maps"], X=X, y=y)
    info = {}
    specs = [("mlp", "series", teacher_epochs), ("lstm", "series", teacher_epochs),
             ("lstm20", "cme", teacher_epochs), ("cnn", "maps", max(teacher_epochs // 3, 5)),
             ("resnet18", "maps", 0)]
    for name, data, epochs in specs:
        path = work_dir / f"teacher_{name}_{data}.pt"
        paths[name] = path
        with np.load(paths[data], allow_pickle=False) as f:
            X, y = f["X"], f["y"]
        n_fit = int(FIT_FRACTION * len(X))  # the last 20 % is never seen by a teacher or a predictor
        if path.exists():
            continue
        torch.manual_seed(0)
        if name == "lstm20":
            log(f"  training the paper-sized LSTM (hidden {PAPER_LSTM_HIDDEN}) on {data} ({epochs} epochs)")
            model = _train_paper_lstm(X[:n_fit], y[:n_fit], epochs)
        elif epochs:
            log(f"  training the {name} teacher on {data} ({epochs} epochs at most)")
            model = train_teacher(name, X[:n_fit], y[:n_fit], epochs=epochs, seed=0, device="cpu")
        else:  # ResNet18 is timed for prediction only: its weights do not change its speed
            model = build_teacher(name, X.shape[1:], 1)
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, path)
    return {**{k: str(v) for k, v in paths.items()}, **info}


def load_teacher_state(name, input_shape, path):
    """Rebuild one of our built-in teachers from a ``state_dict`` file (works in either virtualenv)."""
    import torch

    model = _build(name, input_shape)
    model.load_state_dict(torch.load(path, weights_only=True))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


if __name__ == "__main__":
    print(prepare())
