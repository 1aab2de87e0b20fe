"""The app's callbacks as Dash's renderer sees them: a graph from each callback's outputs to the callbacks that
read them."""

import json
import re
import subprocess
import sys


def _props(spec: str) -> set[str]:
    """The ``id.prop`` names of a callback's output spec (one, or several as ``..a.p...b.q..``)."""
    return {p for p in re.split(r"\.\.\.", spec.strip(".")) if p}


#: Every callback the app and its pages register (Dash's global list, before an app's set-up takes it), as
#: ``[output spec, [input "id.prop", ...]]``.
_LIST_CALLBACKS = """
import json
from dash._callback import GLOBAL_CALLBACK_LIST
from fastapi import FastAPI
from awd_studio.frontend.app import create_dash
create_dash(FastAPI())
print(json.dumps([[cb["output"], [i["id"] + "." + i["property"] for i in cb["inputs"]]]
                  for cb in GLOBAL_CALLBACK_LIST]))
"""


def test_no_callback_feeds_itself():
    """The renderer sends a callback only when no callback in flight may still change one of its inputs, following
    outputs to inputs through the whole graph. A callback in a loop is downstream of itself, so it waits until
    every other callback of the page has answered and been drawn: the results page's grid callback (the wavelet
    figure, the first on the page) and the student's were requested 3 s after the others, because the grid point
    list's value was both the grid callback's output and the clicked point's input (2026-12-07). A change that
    needs a loop can set the prop with ``dash.set_props``, which the renderer does not follow."""
    # in a process of its own: the first app set up in a process takes the pages' callbacks out of Dash's global
    # list, so another test's app would leave none here
    listed = subprocess.run([sys.executable, "-c", _LIST_CALLBACKS], capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    callbacks = [(output, _props(output), set(inputs)) for output, inputs in json.loads(listed.stdout)]
    assert len(callbacks) > 50
    readers = [[j for j, (_, _, inputs) in enumerate(callbacks) if outputs & inputs] for _, outputs, _ in callbacks]

    def downstream(k):
        seen, todo = set(), list(readers[k])
        while todo:
            j = todo.pop()
            if j not in seen:
                seen.add(j)
                todo.extend(readers[j])
        return seen

    assert [callbacks[k][0] for k in range(len(callbacks)) if k in downstream(k)] == []
