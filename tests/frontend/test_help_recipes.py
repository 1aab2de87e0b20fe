"""The code the Help page shows runs: its torch.export recipe gives a .pt2 that AWD Studio loads as a teacher
(review 18: the page's ``lambda x: net(x.unsqueeze(1))`` was refused by torch.export, which takes modules)."""

from __future__ import annotations

import torch

from awd_studio.frontend.help_code import EXPORT_RECIPE
from awd_studio.models.teachers.exported import load_exported


class ChannelCNN(torch.nn.Module):
    """A network that takes a channel axis, as most CNNs for maps do: (n, 1, H, W) -> (n, 2)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.head = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x)).mean(dim=(2, 3)))


def test_export_recipe_gives_a_teacher_that_loads(tmp_path, monkeypatch):
    torch.manual_seed(0)
    net, x = ChannelCNN(), torch.randn(12, 16, 16)
    monkeypatch.chdir(tmp_path)
    exec(EXPORT_RECIPE, {"net": net, "x": x})  # noqa: S102 (the page's own code)
    teacher = load_exported(tmp_path / "teacher.pt2")
    assert teacher.n_outputs == 2
    with torch.no_grad():
        assert torch.allclose(teacher(x), net(x.unsqueeze(1)), atol=1e-6)
