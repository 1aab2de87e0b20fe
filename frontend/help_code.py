"""Code the Help page shows, kept here so that a test can run it (``tests/frontend/test_help_recipes.py``)."""

__all__ = ["EXPORT_RECIPE", "SERIES_EXPORT_RECIPE"]

#: How to export a network that takes a channel axis as a teacher (shown on the page; a test runs it).
EXPORT_RECIPE = """import torch

class AddChannel(torch.nn.Module):  # (n, height, width) -> net((n, 1, height, width))
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x.unsqueeze(1))

program = torch.export.export(AddChannel(net).eval(), (x[:2].clone(),))
torch.export.save(program, "teacher.pt2")"""

#: The same for a series network that takes a feature axis last, (n, length, 1), as a batch-first LSTM does
#: (review 21: wrapped with unsqueeze(1), an LSTM of input size 1 was refused: "Expected 1, got 40").
SERIES_EXPORT_RECIPE = """import torch

class AddFeature(torch.nn.Module):  # (n, length) -> net((n, length, 1))
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x.unsqueeze(-1))

program = torch.export.export(AddFeature(net).eval(), (x[:2].clone(),))
torch.export.save(program, "teacher.pt2")"""
