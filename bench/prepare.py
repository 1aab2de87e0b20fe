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
        Paths: ``series``, ``maps``, ``mlp``, ``lstm``, ``cnn``, ``resnet18``, plus teacher R2 values.
    """
    import numpy as np

    torch = one_thread()
    from awd_studio.models.teachers import build_teacher, evaluate_teacher, train_teacher

    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    paths = {"series": work_dir / f"series_{n_series}.npz", "maps": work_dir / f"maps_{n_maps}.npz"}
    if not paths["series"].exists():
        X, y = _series(n_series, seed=0)
        np.savez(paths["series"], X=X, y=y)
    if not paths["maps"].exists():
        X, y = _maps(n_maps, seed=0)
        np.savez(paths["maps"], X=X, y=y)
    info = {}
    specs = [("mlp", "series", teacher_epochs), ("lstm", "series", teacher_epochs),
             ("cnn", "maps", max(teacher_epochs // 3, 5)), ("resnet18", "maps", 0)]
    for name, data, epochs in specs:
        path = work_dir / f"teacher_{name}_{data}.pt"
        paths[name] = path
        with np.load(paths[data], allow_pickle=False) as f:
            X, y = f["X"], f["y"]
        if path.exists():
            continue
        torch.manual_seed(0)
        if epochs:
            log(f"  training the {name} teacher on {data} ({epochs} epochs at most)")
            model = train_teacher(name, X, y, epochs=epochs, seed=0, device="cpu")
            info[f"{name}_r2"] = float(evaluate_teacher(model, X, y).get("r2", float("nan")))
        else:  # ResNet18 is timed for prediction only: its weights do not change its speed
            model = build_teacher(name, X.shape[1:], 1)
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, path)
    return {**{k: str(v) for k, v in paths.items()}, **info}


def load_teacher_state(name, input_shape, path):
    """Rebuild one of our built-in teachers from a ``state_dict`` file (works in either virtualenv)."""
    import torch

    from awd_studio.models.teachers import build_teacher

    model = build_teacher(name, tuple(input_shape), 1)
    model.load_state_dict(torch.load(path, weights_only=True))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


if __name__ == "__main__":
    print(prepare())
