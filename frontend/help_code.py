"""Code the Help page shows, kept here so that a test can run it (``tests/frontend/test_help_recipes.py``)."""

__all__ = ["EXPORT_RECIPE"]

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
