"""Shared fixtures of the model tests: a ``device`` parameter (cuda only when present), one CPU thread."""

import pytest
import torch

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """The machine's cores are shared: keep each test process on one intra-op thread."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(params=DEVICES)
def device(request):
    """Each torch test runs on the CPU and, when CUDA is available, on the GPU too."""
    return torch.device(request.param)
