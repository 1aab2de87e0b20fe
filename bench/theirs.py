"""Benchmark driver for the reference implementation, ``awave==0.1``; runs in ``bench/.venv-awave``.

Usage: ``python bench/theirs.py TASK '<json options>'``; prints one line ``BENCH_JSON {...}``.

Tasks
-----
noop    import torch and awave, nothing else (the parent times the whole process: per-fit start-up).
fit     one AWD fit of a 1D (``DWT1d``) or 2D (``DWT2d``) transform; per-epoch seconds, per-term losses.
grid    several fits one after another (the reference's way to run a lambda x gamma grid), each timed.

Workarounds for the released 0.1, applied identically in every task (see bench/README.md):

* its CMF penalty returns a complex tensor, so ``lamCMF = 0`` (our side switches its CMF term off too);
* its validity penalties carry a factor 1/2 that ours do not, so their weights are 2 (the same objective);
* ``DWT2d`` has no ``device`` attribute: it is set to ``"cpu"``;
* the teacher has one output, so ``target = 0``; the teacher sees ``(B, *signal_shape)`` (the channel axis
  awave adds is removed by a thin wrapper);
* its progress prints (one per batch) go to /dev/null.
"""

import contextlib
import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, one_thread, timer  # noqa: E402

torch = one_thread()


_RECORD = {"epoch_seconds": [], "terms": []}


class _Channel(torch.nn.Module):
    """Present awave's ``(B, 1, *signal_shape)`` batches to our teacher as ``(B, *signal_shape)``."""

    def __init__(self, teacher):
        super().__init__()
        self.teacher = teacher

    def forward(self, x):
        return self.teacher(x[:, 0])


def _load(opts):
    import numpy as np

    from bench.prepare import load_teacher_state

    with np.load(opts["data"], allow_pickle=False) as f:
        X = torch.as_tensor(f["X"], dtype=torch.float32)
    teacher = load_teacher_state(opts["teacher"], X.shape[1:], opts["teacher_path"])
    return X, _Channel(teacher)


def _instrument():
    """Time every epoch and average every loss term over the batches of an epoch (awave keeps neither)."""
    import awave.losses
    import awave.utils.train

    record = _RECORD
    current = {}

    trainer_epoch = awave.utils.train.Trainer._train_epoch
    loss_call = awave.losses.Loss.__call__

    def timed_epoch(self, loader, epoch):
        current.clear()
        start = timer()
        out = trainer_epoch(self, loader, epoch)
        record["epoch_seconds"].append(timer() - start)
        n = current.pop("_n", 1)
        record["terms"].append({k: v / n for k, v in current.items()})
        return out

    def counted_loss(self, w_transform, data, recon_data, data_t, attributions=None):
        loss = loss_call(self, w_transform, data, recon_data, data_t, attributions)

        def val(x):
            return float(x.real.detach()) if torch.is_tensor(x) else float(x)

        # our names, and our normalisation (validity terms without the factor 1/2: weight 2 x awave's)
        terms = {
            "reconstruction": val(self.rec_loss),
            "sparsity": self.lamL1wave * val(self.L1wave_loss),
            "interpretation": self.lamL1attr * val(self.L1attr_loss),
            "sum_h": self.lamlSum * val(self.lsum_loss),
            "sum_g": self.lamhSum * val(self.hsum_loss),
            "norm": self.lamL2norm * val(self.L2norm_loss),
            "shift_orth": self.lamConv * val(self.conv_loss),
            "train_loss": val(loss),
        }
        for k, v in terms.items():
            current[k] = current.get(k, 0.0) + v
        current["_n"] = current.get("_n", 0) + 1
        return loss

    awave.utils.train.Trainer._train_epoch = timed_epoch
    awave.losses.Loss.__call__ = counted_loss
    return record


def _one_fit(X, teacher, opts, lam, gam):
    """One awave fit; returns (wall seconds of the fit call, record, final filter)."""
    from awave import DWT1d, DWT2d

    record = _RECORD
    record["epoch_seconds"].clear()
    record["terms"].clear()
    dim = X.ndim - 1
    data = torch.utils.data.TensorDataset(X.unsqueeze(1), torch.zeros(X.shape[0]))
    loader = torch.utils.data.DataLoader(data, batch_size=opts.get("batch_size", 100), shuffle=True)
    start = timer()
    if dim == 1:
        wt = DWT1d(wave=opts.get("wave", "db5"), mode=opts.get("mode", "zero"), J=opts.get("levels", 4),
                   device="cpu")
    else:
        wt = DWT2d(wave=opts.get("wave", "db5"), mode=opts.get("mode", "zero"), J=opts.get("levels", 4))
        wt.device = "cpu"  # workaround: DWT2d never sets it, AbstractWT.fit reads it
    with contextlib.redirect_stdout(_Null()):
        wt.fit(train_loader=loader, pretrained_model=teacher, lr=opts.get("lr", 1e-3),
               num_epochs=opts["epochs"], seed=opts.get("seed", 0), attr_methods="Saliency", target=0,
               lamlSum=2.0, lamhSum=2.0, lamL2norm=2.0, lamCMF=0.0, lamConv=2.0,
               lamL1wave=lam, lamL1attr=gam)
    seconds = timer() - start
    h = wt.h0.detach().reshape(-1).double().numpy().tolist()
    return seconds, record, h


class _Null(io.TextIOBase):
    def write(self, s):
        return len(s)


def main(task, opts):
    import_start = timer()
    import awave  # noqa: F401  (the import is part of the per-process cost)

    import_seconds = timer() - import_start
    _instrument()
    # The per-process start-up: imports, and the first Adam (it imports torch._dynamo lazily, ~2.5 s). It is
    # paid here, outside every timed fit, on both sides; the noop task measures it for the start-up figures.
    torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])
    if task == "noop":
        emit({"task": task, "import_seconds": import_seconds})
        return
    X, teacher = _load(opts)
    if task == "fit":
        seconds, record, h = _one_fit(X, teacher, opts, opts["lam"], opts["gam"])
        emit({"task": task, "fit_seconds": seconds, "epoch_seconds": record["epoch_seconds"],
              "terms": record["terms"], "filter": h, "import_seconds": import_seconds})
    elif task == "grid":
        fits = []
        for lam, gam in opts["grid"]:
            seconds, record, h = _one_fit(X, teacher, opts, lam, gam)
            fits.append({"lam": lam, "gam": gam, "fit_seconds": seconds,
                         "final_train_loss": record["terms"][-1]["train_loss"]})
        emit({"task": task, "fits": fits, "import_seconds": import_seconds})
    else:
        raise SystemExit(f"unknown task {task!r}; use noop, fit or grid")


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
