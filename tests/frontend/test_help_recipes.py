"""The code the Help page shows runs: its torch.export recipe gives a .pt2 that AWD Studio loads as a teacher
(review 18: the page's ``lambda x: net(x.unsqueeze(1))`` was refused by torch.export, which takes modules)."""

from __future__ import annotations

import torch

from awd_studio.frontend.help_code import EXPORT_RECIPE, SERIES_EXPORT_RECIPE
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


class SeriesLSTM(torch.nn.Module):
    """A batch-first LSTM of input size 1, read at the last step: (n, length, 1) -> (n, 1)."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(1, 6, batch_first=True)
        self.head = torch.nn.Linear(6, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def test_series_export_recipe_gives_a_teacher_that_loads(tmp_path, monkeypatch):
    """Review 21: a biologist's LSTM takes (n, length, 1); the page's channel recipe broke it."""
    torch.manual_seed(0)
    net, x = SeriesLSTM(), torch.randn(12, 40)
    monkeypatch.chdir(tmp_path)
    exec(SERIES_EXPORT_RECIPE, {"net": net, "x": x})  # noqa: S102 (the page's own code)
    teacher = load_exported(tmp_path / "teacher.pt2")
    assert teacher.n_outputs == 1
    with torch.no_grad():
        assert torch.allclose(teacher(x).reshape(-1), net(x.unsqueeze(-1)).reshape(-1), atol=1e-6)
