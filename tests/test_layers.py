"""The layers point one way: the import-linter contracts of pyproject.toml hold for the whole tree.

models (science) <- jobstate (settings, database, storage, job transitions, broker) <- backend (HTTP) and
worker (Celery); frontend speaks to the service over HTTP only; awd (CLI, launcher) sits on top.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
