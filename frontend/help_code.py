"""Code the Help page shows, kept here so that a test can run it (``tests/frontend/test_help_recipes.py``)."""

__all__ = ["EXPORT_RECIPE", "SERIES_EXPORT_RECIPE"]


def _wrapper_recipe(name: str, shapes: str, axis: int) -> str:
    """How to export, as a teacher, a network that needs one more axis than AWD Studio passes: a module wrapper
    (torch.export takes modules, not functions) whose forward adds the axis at ``axis``."""
    return f"""import torch

class {name}(torch.nn.Module):  # {shapes}
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x.unsqueeze({axis}))

program = torch.export.export({name}(net).eval(), (x[:2].clone(),))
torch.export.save(program, "teacher.pt2")"""


#: A network that takes a channel axis (shown on the page; a test runs it).
EXPORT_RECIPE = _wrapper_recipe("AddChannel", "(n, height, width) -> net((n, 1, height, width))", 1)

#: A series network that takes a feature axis last, (n, length, 1), as a batch-first LSTM does (review 21: wrapped
#: with unsqueeze(1), an LSTM of input size 1 was refused: "Expected 1, got 40").
SERIES_EXPORT_RECIPE = _wrapper_recipe("AddFeature", "(n, length) -> net((n, length, 1))", -1)
