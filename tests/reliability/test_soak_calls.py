"""The soak tests (``make soak``, deselected in CI) still call the tests and helpers they repeat as those now read.

Most soak tests run another test's body several times. They run only by hand, so when the test they repeat gains
an argument, nothing fails until the next ``make soak``: on 2026-12-07 two of the seven had fallen behind in this
way (one called a test without the ``settings`` argument it had gained). This check runs in every suite, in
about a second and without a server: each call a soak test makes to a function of the test suite must bind to that
function's present signature.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap

import pytest

import tests.reliability as reliability


def _soak_tests():
    """``(module, function)`` for every test marked ``soak`` in tests/reliability (by decorator or ``pytestmark``)."""
    found = []
    for info in pkgutil.iter_modules(reliability.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{reliability.__name__}.{info.name}")
        marks = getattr(module, "pytestmark", [])
        module_soak = any(mark.name == "soak" for mark in (marks if isinstance(marks, list) else [marks]))
        for name, function in vars(module).items():
            if not (name.startswith("test_") and inspect.isfunction(function)):
                continue
            if function.__module__ != module.__name__:
                continue  # a test imported from another module is checked where it is defined
            own = any(mark.name == "soak" for mark in getattr(function, "pytestmark", []))
            if module_soak or own:
                found.append((module, function))
    return found


def _callee(node: ast.expr, namespace: dict):
    """The object a call's function expression names in ``namespace`` (a name or a chain of attributes), or None."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _callee(node.value, namespace)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _calls_into_the_suite(function, module):
    """``(line, callee, n positional, keyword names)`` of each call in ``function`` to a function of ``tests``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    first = function.__code__.co_firstlineno
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(kw.arg is None for kw in node.keywords):
            continue  # *args or **kwargs: the call's arity is not written out
        callee = _callee(node.func, vars(module))
        if inspect.isfunction(callee) and callee.__module__.startswith("tests."):
            yield first + node.lineno - 1, callee, len(node.args), [kw.arg for kw in node.keywords]


SOAK_TESTS = _soak_tests()


def test_the_soak_tests_are_found():
    """The check below looks at every soak test (seven on 2026-12-07, in five files)."""
    assert len(SOAK_TESTS) >= 7, [f.__name__ for _, f in SOAK_TESTS]


@pytest.mark.parametrize("module, function", SOAK_TESTS, ids=[f.__name__ for _, f in SOAK_TESTS])
def test_a_soak_test_calls_what_it_repeats_with_its_present_arguments(module, function):
    wrong = []
    for line, callee, n_positional, keywords in _calls_into_the_suite(function, module):
        try:
            inspect.signature(callee).bind(*([None] * n_positional), **dict.fromkeys(keywords))
        except TypeError as exc:
            wrong.append(f"{module.__name__} line {line}: {callee.__module__}.{callee.__name__}: {exc}")
    assert not wrong, "\n".join(wrong)
