"""The README's commands, run as a new user runs them.

Each test reads the commands from README.md itself (so the README cannot drift from what is tested) and runs
them through the installed ``awd`` console script, in a subprocess with a cleaned environment (no ``AWD_*``,
no ``REDIS_URL``, no ``DATABASE_URL``) and a fresh working directory.

- ``make run`` is the Makefile's ``run`` recipe, ``awd serve`` with no flags: the app must answer
  ``/api/health``, the printed owner link must open the app, and ``/`` without it must not.
- Every line of the "From the terminal" block runs as written, with a small ``--n`` added to
  ``awd example`` and few ``--epochs`` to ``awd distill``, so that the suite stays fast.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

README = ROOT / "README.md"
AWD = Path(sys.executable).parent / "awd"  # the console script installed beside this interpreter
URL = re.compile(r"open (http://\S+)")


def clean_env() -> dict:
    """The environment of a new user: ours without AWD_*, REDIS_URL or DATABASE_URL."""
    return {k: v for k, v in os.environ.items()
            if not (k.startswith("AWD_") or k in ("REDIS_URL", "DATABASE_URL", "PYTHONPATH"))}


def readme_block(heading: str) -> list[str]:
    """The command lines of the first ```bash block after ``## heading`` (comments and blanks dropped)."""
    text = README.read_text()
    section = text.split(f"## {heading}", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    return [line for line in lines if line]


def make_recipe(target: str) -> list[str]:
    """The commands of a Makefile target, with ``$(BIN)`` as the directory of this interpreter."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        # SERVE_ARGS is the user's (make run SERVE_ARGS="--port 8060"): empty unless given
        recipe.append(line.strip().replace("$(BIN)/", f"{Path(sys.executable).parent}/")
                      .replace(" $(SERVE_ARGS)", ""))
    return recipe


def test_the_readme_names_make_run_and_make_test_and_ci_calls_make_test():
    assert readme_block("Two commands") == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text().splitlines()
    assert make_recipe("run") == [f"{AWD} serve"], "make run must be `awd serve` with no flags"
    makefile = (ROOT / "Makefile").read_text()
    assert "$(SERVE_ARGS)" in makefile and not re.search(r"^SERVE_ARGS\s*[:?+]?=", makefile, re.M)  # empty default
    assert 'make run SERVE_ARGS="--port 8060"' in README.read_text()


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_make_run_starts_the_app_in_an_empty_folder(tmp_path):
    command = make_recipe("run")[0].split()
    port = 8050
    if not _port_free(port):  # a developer's own app holds the default port: same command, another port
        from awd_studio.serve import free_port

        port = free_port()
        command += ["--port", str(port)]
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=tmp_path, env=clean_env(), stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a bundled Redis, a worker and the web process, on a loaded machine
        health = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(base + "/api/health", timeout=2).json()
                if health["workers"] >= 1:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        output = log.read_text()
        assert process.poll() is None, f"awd serve exited:\n{output[-3000:]}"
        assert health and health["status"] == "ok" and health["workers"] >= 1, output[-3000:]
        assert (tmp_path / "awd-data" / "awd.sqlite3").is_file()

        link = URL.search(output).group(1).replace("localhost", "127.0.0.1")
        assert "?token=" in link
        stranger = httpx.get(base + "/", timeout=10)
        assert stranger.status_code == 401 and "awd serve" in stranger.text
        assert httpx.get(base + "/api/jobs", timeout=10).status_code == 401
        with httpx.Client(follow_redirects=True, timeout=20) as owner:
            page = owner.get(link)
            assert page.status_code == 200 and ("_dash-renderer" in page.text or "dash_renderer" in page.text)
            assert "token=" not in str(page.url), "the token must leave the address bar"
            assert owner.get(base + "/api/jobs").status_code == 200
            assert owner.get(base + "/jobs/00000000-0000-4000-8000-000000000000").status_code == 200
        shared = httpx.get(base + "/results/some-share-token", timeout=10)  # a deep link, opened first
        assert shared.status_code == 200 and ("_dash-renderer" in shared.text or "dash_renderer" in shared.text)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert "stopped" in log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _small(command: str) -> str:
    """Keep the README's command; add a small --n to `awd example` and few --epochs to `awd distill`."""
    words = command.split()
    if words[0].endswith("/awd") or words[0] == "awd":
        words[0] = str(AWD)
    if words[1] == "example":
        words += ["--n", "120"]
    elif words[1] == "distill":
        words += ["--epochs", "2"]
    return " ".join(words)


@pytest.mark.timeout(900)
def test_every_terminal_example_of_the_readme_runs(tmp_path):
    lines = readme_block("From the terminal")
    assert len(lines) >= 3
    for line in lines:
        for command in line.split("&&"):
            command = _small(command.strip())
            result = subprocess.run(command.split(), cwd=tmp_path, env=clean_env(), capture_output=True, text=True,
                                    timeout=600)
            assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
            if " distill " in command:
                out = Path(tmp_path / command.split("--out ")[1].split()[0])
                assert (out / "result.json").is_file() and (out / "arrays.npz").is_file()


def test_the_readme_backup_of_a_live_database_holds_what_is_still_in_its_wal(tmp_path):
    import shlex
    import sqlite3

    command = re.search(r'`(python -c "import sqlite3;[^`]*\.backup\([^`]*)`', README.read_text()).group(1)
    (tmp_path / "awd-data").mkdir()
    live = sqlite3.connect(tmp_path / "awd-data" / "awd.sqlite3", isolation_level=None)  # a running app's connection
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("PRAGMA wal_autocheckpoint=0")  # its writes stay in the WAL, as between checkpoints
    live.execute("CREATE TABLE jobs (id TEXT)")
    live.execute("INSERT INTO jobs VALUES ('a'), ('b')")
    try:
        words = shlex.split(command)
        result = subprocess.run([sys.executable, *words[1:]], cwd=tmp_path, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        backup = sqlite3.connect(tmp_path / "backup.sqlite3")
        assert backup.execute("SELECT count(*) FROM jobs").fetchone() == (2,)
        assert backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        backup.close()
        # what the README warns of: the database file alone, copied by another process, lacks the WAL's rows
        plain = tmp_path / "plain.sqlite3"
        subprocess.run(["cp", str(tmp_path / "awd-data" / "awd.sqlite3"), str(plain)], check=True)
        copy = sqlite3.connect(plain)
        assert copy.execute("SELECT count(*) FROM sqlite_master WHERE name = 'jobs'").fetchone() == (0,)
        copy.close()
    finally:
        live.close()
