"""ARCHITECTURE.md's signatures are the code's: every call it writes in the code blocks of its ``models.*``
sections, and every ``models.…(…)`` in its inline code, is checked against :func:`inspect.signature`.

Review 40: the doc had gone stale (``PeakCountRegressor(kernels, bins=22, ...)`` where ``kernels`` is optional and
the rest keyword-only, ``check_teacher_file``'s ``arch`` written as required, ``TopKLinearRegressor``'s ``alpha``
default written as None, ``.filters_``, ``.grid_`` and ``.history_`` under ``TransformOperator``, not
``WaveletDistiller``, whose attributes they are).

How the doc writes a signature, and what is checked:

- ``name`` required: the code's parameter has no default; ``name=value``: it has that default (``a|b|c``: ``a``
  is the default, the rest the choices; a value that is not a Python literal, such as ``(..)``, only says that
  there is one);
- the parameters written without a default come first, in the code's order; those written after ``*`` are
  keyword-only in the code, those before it are not; ``**name`` the code takes ``**kwargs``;
- parameters left out must have defaults, unless the doc writes ``...``;
- ``.name(...)`` on its own line is a method of the class above, ``.name_`` an attribute the class sets;
- ``NAME = value`` at the start of a line: the constant has that value.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "ARCHITECTURE.md"
#: Names at the start of a line that are not the code's functions: the callbacks' protocols.
PROTOCOLS = {"progress", "should_stop", "should_cancel"}
EMPTY = inspect.Parameter.empty
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def _balanced(text: str, start: int) -> int:
    """The index just after the parenthesis that closes the one at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    raise AssertionError(f"unbalanced parentheses in {text!r}")


def _split(args: str) -> list[str]:
    """Top-level comma-separated parts."""
    parts, depth, current = [], 0, ""
    for ch in args:
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    return [p for p in (parts + [current.strip()]) if p]


def _joined(lines: list[str]) -> list[str]:
    """The block's lines, a signature written over several lines joined into one."""
    out: list[str] = []
    for line in lines:
        if out and out[-1].count("(") > out[-1].count(")"):
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return out


def _sections() -> list[tuple[str, list[str], str]]:
    """``(heading, module names, text)`` of each ``## models.…`` section (modules after ``models.``)."""
    out = []
    for block in re.split(r"^## ", DOC.read_text(encoding="utf-8"), flags=re.M)[1:]:
        heading, _, body = block.partition("\n")
        if heading.startswith("models."):
            names = [p.strip().removeprefix("models.") for p in re.split(r" / | and ", heading.split(" (")[0])]
            out.append((heading, names, body))
    return out


def _calls(line: str) -> list[tuple[str, str]]:
    """``(name, arguments)`` of the calls a code line starts with: ``f(...)``, ``f(...) / g(...)``,
    ``f(...), g(...)``, ``f(...) -> x ; g(...)``."""
    calls, rest = [], line.strip()
    while True:
        found = re.match(rf"({_IDENT}(?:\.{_IDENT})*)\(", rest)
        if not found:
            return calls
        end = _balanced(rest, found.end() - 1)
        calls.append((found.group(1), rest[found.end():end - 1]))
        following = re.match(r"\s*(?:->\s*\S+\s*)?[/,;]\s*", rest[end:])  # another call on the line
        rest = rest[end:][following.end():] if following else ""


def _written(args: str):
    """The parameters as the doc writes them: (name, default or EMPTY, kind) with kind in
    {"param", "star", "varkw", "rest"}."""
    written = []
    for part in _split(args):
        if part == "...":
            written.append(("...", EMPTY, "rest"))
        elif part == "*":
            written.append(("*", EMPTY, "star"))
        elif part.startswith("**"):
            written.append((part, EMPTY, "varkw"))
        else:
            name = re.match(_IDENT, part).group(0)
            default = EMPTY
            if re.match(rf"{_IDENT}\s*=", part):
                text = part.split("=", 1)[1].strip().split("|")[0].strip()
                try:
                    default = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    default = ...  # not a literal: a default, whatever it is
            written.append((name, default, "param"))
    return written


def _check(where: str, target, args: str, skip_first: bool = False) -> list[str]:
    """What the doc's parameters ``args`` get wrong about ``target``'s signature."""
    params = list(inspect.signature(target).parameters.values())[1 if skip_first else 0:]
    by_name = {p.name: p for p in params}
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    written = _written(args)
    problems, keyword_only, listed, required_in_order = [], False, set(), []
    for name, default, kind in written:
        if kind == "rest":
            break
        if kind == "star":
            keyword_only = True
            continue
        if kind == "varkw":
            if not any(p.kind == p.VAR_KEYWORD for p in params):
                problems.append(f"{where}: writes {name} but takes no **kwargs")
            continue
        param = by_name.get(name)
        if param is None:
            problems.append(f"{where}: writes {name}, which is not a parameter ({', '.join(by_name)})")
            continue
        listed.add(name)
        if keyword_only and param.kind != param.KEYWORD_ONLY:
            problems.append(f"{where}: {name} is written after * but is not keyword-only in the code")
        elif not keyword_only and param.kind == param.KEYWORD_ONLY:
            problems.append(f"{where}: {name} is keyword-only in the code (write * before it)")
        if default is EMPTY:
            if param.default is not EMPTY:
                problems.append(f"{where}: {name} has a default in the code ({param.default!r}); write it")
            elif not keyword_only:
                required_in_order.append(name)
        elif param.default is EMPTY:
            problems.append(f"{where}: {name} is required in the code, the doc gives it a default")
        elif default is not ... and (param.default != default or type(param.default) is not type(default)
                                     and isinstance(default, bool)):
            problems.append(f"{where}: {name} defaults to {param.default!r} in the code, not {default!r}")
    if required_in_order != positional[:len(required_in_order)]:
        problems.append(f"{where}: the required {', '.join(required_in_order)} are not the code's first "
                        f"parameters ({', '.join(positional)})")
    if not any(kind == "rest" for _, _, kind in written):
        missing = [p.name for p in params if p.name not in listed and p.default is EMPTY
                   and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if missing:
            problems.append(f"{where}: leaves out {', '.join(missing)}, required in the code")
    return problems


def _resolve(name: str, modules: list):
    head, *rest = name.split(".")
    for module in modules:
        if hasattr(module, head):
            target = getattr(module, head)
            for part in rest:
                target = getattr(target, part)
            return target
    return None


def _doc_problems() -> tuple[list[str], int]:
    problems, checked = [], 0
    for heading, names, body in _sections():
        modules = [importlib.import_module(f"awd_studio.models.{name}") for name in names]
        owner = None
        for block in re.findall(r"```\n(.*?)```", body, flags=re.S):
            for line in _joined(block.splitlines()):
                stripped = line.strip()
                attribute = re.match(rf"\.({_IDENT}(?:\(|_\b))", stripped)  # .method( or .attribute_
                if attribute:
                    if owner is None:
                        problems.append(f"{heading}: {stripped[:40]} follows no class")
                    elif attribute.group(1).endswith("("):
                        method = attribute.group(1)[:-1]
                        args = stripped[attribute.end():_balanced(stripped, attribute.end() - 1) - 1]
                        problems += _check(f"{owner.__name__}.{method}", getattr(owner, method), args,
                                           skip_first=True)
                        checked += 1
                    else:
                        for attr in re.findall(rf"\.({_IDENT}_)\b", stripped):
                            if f"self.{attr} =" not in inspect.getsource(owner):
                                problems.append(f"{owner.__name__} does not set .{attr}")
                            checked += 1
                    continue
                constant = re.match(r"([A-Z][A-Z0-9_]*) = (.*?)(;|$)", stripped)
                if constant:  # a constant written out: its value
                    value = _resolve(constant.group(1), modules)
                    try:
                        written = ast.literal_eval(constant.group(2))
                    except (ValueError, SyntaxError):
                        written = value
                    if value is None or written != value:
                        problems.append(f"{heading}: {constant.group(1)} is {value!r}, not {constant.group(2)}")
                    checked += 1
                    continue
                for name, args in _calls(line):
                    target = _resolve(name, modules)
                    if target is None or not callable(target):
                        if name not in PROTOCOLS:
                            problems.append(f"{heading}: {name} is in none of {', '.join(names)}")
                        continue
                    problems += _check(name, target, args)
                    checked += 1
                    if inspect.isclass(target):
                        owner = target
    return problems, checked


def test_the_architecture_docs_signatures_are_the_codes():
    problems, checked = _doc_problems()
    assert checked >= 50, checked  # the parser still finds the doc's signatures (59 on 2026-12-06)
    assert not problems, "\n".join(problems)


def test_inline_code_that_names_a_models_function_matches_it():
    text = DOC.read_text(encoding="utf-8")
    spans = [s for s in re.findall(r"(?<!`)`([^`\n]+)`(?!`)", text) if re.match(rf"models\.{_IDENT}.*\(", s)]
    assert spans, "no inline models.…(…) left to check"
    problems = []
    for span in spans:
        found = re.match(rf"(models(?:\.{_IDENT})+)\(", span)
        module_name, _, attr = found.group(1).rpartition(".")
        target = getattr(importlib.import_module(f"awd_studio.{module_name}"), attr)
        problems += _check(found.group(1), target, span[found.end():_balanced(span, found.end() - 1) - 1])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("written, code, stale", [
    ("kernels, bins=22", "def f(kernels=None, *, bins=22): pass", True),
    ("kernels=None, *, bins=22", "def f(kernels=None, *, bins=22): pass", False),
    ("path, *, arch, input_shape", "def f(path, *, arch=None, input_shape): pass", True),
    ("k=6, *, alpha=None|float|'cv'", "def f(k=6, *, alpha='cv'): pass", True),
    ("x, h, ...", "def f(x, h, level): pass", False),
    ("x, h", "def f(x, h, level): pass", True),
    ("names, X, **train kwargs", "def f(names, X, **kwargs): pass", False),
])
def test_the_check_finds_what_review_40_found(written, code, stale):
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 (the test's own strings)
    assert bool(_check("f", namespace["f"], written)) == stale
