"""The Python of /docs runs as written against a real worker, and prints the model the result recommends (review
31A: it printed the AWD student's score while the verdict said to use db5, and a 429, 503 or failed job crashed it
on a KeyError)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from awd_studio.backend.app import API_DESCRIPTION

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_docs_python_runs_and_names_the_model_to_use(app, worker, monkeypatch, capsys):
    code = re.search(r"```python\n(.*?)```", API_DESCRIPTION, re.S).group(1)
    monkeypatch.setenv("AWD_URL", "http://testserver")
    monkeypatch.setenv("AWD_TOKEN", "not-needed-here")  # the tests' app has no owner token
    clients = []

    def in_process(base_url, headers, timeout):  # the snippet's httpx.Client, served by the app in this process
        clients.append(TestClient(app, base_url=base_url, headers=headers))
        return clients[-1]

    monkeypatch.setattr(httpx, "Client", in_process)
    exec(compile(code, "docs-snippet", "exec"), {"__name__": "docs_snippet"})
    lines = capsys.readouterr().out.splitlines()
    assert len(clients) == 1 and len(lines) == 2
    assert lines[0].startswith(("AWD", "No ", "Only ")) or "db5" in lines[0]  # the verdict's sentence
    assert lines[1].startswith("its test R²: ") and "the teacher's: " in lines[1]
    assert "None" not in lines[1]
