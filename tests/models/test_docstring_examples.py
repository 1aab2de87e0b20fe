"""The Examples sections of the science modules' docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

from awd_studio import models

MODULES = sorted(info.name for info in pkgutil.walk_packages(models.__path__, prefix="awd_studio.models."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed"
