"""The Examples sections of the frontend's docstrings run and print what they say (pages apart: they need an app,
tests/frontend/test_pages.py runs theirs)."""

import doctest
import importlib
import pkgutil

import pytest

from awd_studio import frontend

MODULES = sorted(info.name for info in pkgutil.walk_packages(frontend.__path__, prefix="awd_studio.frontend.")
                 if not info.name.startswith("awd_studio.frontend.pages"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed"
