"""The layers point one way: no module imports a layer it must not see.

models (science) <- jobstate (settings, database, storage, job transitions, broker) <- backend (HTTP) and
worker (Celery); frontend speaks to the service over HTTP only; awd (the command and the launcher) sits on top.

Every import statement of every module is read (at the top of a module or inside a function alike), so a
forbidden import cannot hide in a function body. import-linter does the same for ordinary layouts; ours maps
the folders into one installed package, ``awd_studio``, which its graph builder does not follow.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Folder -> the installed name of its package.
FOLDERS = {"models": "awd_studio.models", "jobstate": "awd_studio.jobstate", "backend": "awd_studio.backend",
           "worker": "awd_studio.worker", "frontend": "awd_studio.frontend", "awd": "awd_studio"}
#: Folder -> the layers it must never import.
FORBIDDEN = {
    "models": {"jobstate", "backend", "worker", "frontend", "awd"},
    "jobstate": {"backend", "worker", "frontend", "awd"},
    "backend": {"worker", "awd"},
    "worker": {"backend", "frontend", "awd"},
    "frontend": {"backend", "worker", "jobstate", "models", "awd"},
}


def _layer(module: str) -> str | None:
    """The folder a dotted module name belongs to (``awd`` for awd_studio's own modules), else None."""
    for folder, package in sorted(FOLDERS.items(), key=lambda kv: -len(kv[1])):
        if module == package or module.startswith(package + "."):
            return folder
    return None


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) of every import statement in a file, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                continue  # relative imports stay inside their own package
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_layer_imports_what_it_must_not(folder):
    broken = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for line, module in imports_of(path):
            target = _layer(module)
            if target in FORBIDDEN[folder]:
                broken.append(f"{path.relative_to(ROOT)}:{line} imports {module} ({folder} -> {target})")
    assert not broken, "\n".join(broken)


def test_only_the_app_mounts_the_pages():
    """The backend's one arrow to the frontend (ARCHITECTURE.md): backend/app.py mounts the Dash pages; no route
    or other module of the service reaches into them."""
    importing = {str(path.relative_to(ROOT)) for path in sorted((ROOT / "backend").rglob("*.py"))
                 for _, module in imports_of(path) if _layer(module) == "frontend"}
    assert importing == {"backend/app.py"}


def test_the_check_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def later():\n    from awd_studio.worker import tasks\n")
    assert (2, "awd_studio.worker.tasks") in imports_of(bad) and _layer("awd_studio.worker.tasks") == "worker"
    assert _layer("awd_studio.cli") == "awd" and _layer("awd_studio.models.pipeline") == "models"
