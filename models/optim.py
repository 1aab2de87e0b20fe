"""Adam for the few small parameter tensors of the trainer, in a handful of in-place tensor operations.

The trainer's parameters are one stacked tensor of filters (or angles), a few hundred numbers at most, so a
step's cost is mostly fixed per-call overhead. :class:`StackedAdam` performs the update of
:class:`torch.optim.Adam` (no weight decay, no AMSGrad; equal to it to rounding, tested) in a few in-place
operations, without torch.optim's per-step bookkeeping (hooks, state dictionaries, capturability checks); its
speed is measured in ``bench/``. It is elementwise, so every row of a stacked tensor (every grid point) has its
own independent Adam state.

The teachers train with it too (with ``weight_decay``, torch's coupled L2 term): a :class:`torch.optim.Optimizer`
imports ``torch._dynamo`` when it is built (1.2-2.2 s and about 70 MiB on these machines), which every fresh
process that trains a teacher (``awd distill``, the benchmarks) paid before its first epoch.
"""

from __future__ import annotations

import math

import torch

__all__ = ["StackedAdam"]


class StackedAdam:
    """Adam (Kingma & Ba 2015) as in :class:`torch.optim.Adam` (no AMSGrad), without its overhead.

    Parameters
    ----------
    params : iterable of Tensor
        Leaf tensors with ``requires_grad=True``.
    lr : float, default=1e-3
        Step size.
    betas : (float, float), default=(0.9, 0.999)
        Decay rates of the first and second moment estimates.
    eps : float, default=1e-8
        Added to the bias-corrected root second moment.
    weight_decay : float, default=0.0
        L2 penalty added to each gradient (``g <- g + weight_decay * p``), as ``torch.optim.Adam``'s
        ``weight_decay`` (not AdamW's decoupled decay).

    Notes
    -----
    With ``t`` the step count (and ``g`` including the L2 term), ``m <- b1 m + (1 - b1) g``,
    ``v <- b2 v + (1 - b2) g^2`` and ``p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``, the
    order of operations of PyTorch's single-tensor implementation, so the two agree to rounding. Parameters
    whose gradient is ``None`` are skipped and their step count ``t`` does not advance, as in PyTorch.

    Examples
    --------
    >>> p = torch.zeros(2, 3, requires_grad=True)
    >>> opt = StackedAdam([p], lr=0.1)
    >>> (p - 1).pow(2).sum().backward()
    >>> opt.step()
    >>> round(p.detach()[0, 0].item(), 6)  # the first Adam step moves every coordinate by about lr
    0.1
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.params = list(params)
        self.lr, self.betas, self.eps = float(lr), (float(betas[0]), float(betas[1])), float(eps)
        self.weight_decay = float(weight_decay)
        self._state = [[0, torch.zeros_like(p), torch.zeros_like(p)] for p in self.params]  # step, m, v

    def zero_grad(self):
        """Drop the gradients (``set_to_none``)."""
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        """One Adam update of every parameter that has a gradient (each counts its own steps)."""
        b1, b2 = self.betas
        for p, state in zip(self.params, self._state):
            if p.grad is None:
                continue
            state[0] += 1
            t, m, v = state
            g = p.grad if self.weight_decay == 0 else p.grad.add(p, alpha=self.weight_decay)
            m.lerp_(g, 1.0 - b1)
            v.mul_(b2).addcmul_(g, g, value=1.0 - b2)
            denom = (v.sqrt() / math.sqrt(1.0 - b2 ** t)).add_(self.eps)
            p.addcdiv_(m, denom, value=-self.lr / (1.0 - b1 ** t))
