"""StackedAdam performs torch.optim.Adam's update, and each row of a stacked tensor is its own Adam."""

import torch

from awd_studio.models.optim import StackedAdam


def _run(make_optimizer, steps=25, seed=0):
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(3, 8, dtype=torch.float64, generator=gen).requires_grad_(True)
    b = torch.randn(5, dtype=torch.float64, generator=gen).requires_grad_(True)
    target = torch.randn(3, 8, dtype=torch.float64, generator=gen)
    opt = make_optimizer([a, b])
    for step in range(steps):
        opt.zero_grad()
        loss = ((a - target) ** 2 * (1 + step)).sum() + b.pow(4).sum()
        if step % 7 == 3:  # a step where one parameter has no gradient
            loss = ((a - target) ** 2).sum()
        loss.backward()
        opt.step()
    return a.detach(), b.detach()


def test_equals_torch_adam():
    for lr, betas, eps, wd in ((1e-3, (0.9, 0.999), 1e-8, 0.0), (0.05, (0.5, 0.9), 1e-6, 0.0),
                               (1e-3, (0.9, 0.999), 1e-8, 1e-4), (0.05, (0.5, 0.9), 1e-6, 0.3)):
        ours = _run(lambda p: StackedAdam(p, lr=lr, betas=betas, eps=eps, weight_decay=wd))
        theirs = _run(lambda p: torch.optim.Adam(p, lr=lr, betas=betas, eps=eps, weight_decay=wd, foreach=False))
        for x, y in zip(ours, theirs):
            torch.testing.assert_close(x, y, rtol=0, atol=1e-14)


def test_rows_are_independent():
    """Row i of a stacked parameter moves exactly as a parameter of its own with the same gradients."""
    gen = torch.Generator().manual_seed(1)
    start = torch.randn(4, 6, dtype=torch.float64, generator=gen)
    scales = torch.tensor([1.0, 10.0, 0.1, 3.0], dtype=torch.float64)[:, None]
    stacked = start.clone().requires_grad_(True)
    rows = [start[i].clone().requires_grad_(True) for i in range(4)]
    opt_stacked, opt_rows = StackedAdam([stacked], lr=0.01), [StackedAdam([r], lr=0.01) for r in rows]
    for _ in range(30):
        opt_stacked.zero_grad()
        (scales * stacked.pow(2)).sum().backward()
        opt_stacked.step()
        for i, (r, opt) in enumerate(zip(rows, opt_rows)):
            opt.zero_grad()
            (scales[i] * r.pow(2)).sum().backward()
            opt.step()
    torch.testing.assert_close(stacked.detach(), torch.stack([r.detach() for r in rows]), rtol=0, atol=1e-15)
