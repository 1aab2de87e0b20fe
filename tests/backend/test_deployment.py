"""The lab deployment files, checked statically (Docker cannot run here): they parse, the services and
their commands exist, and every command names a real module."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _load(name):
    return yaml.safe_load((ROOT / name).read_text())


def _check_command(command):
    """A compose command names an importable module (uvicorn factory or celery app)."""
    assert isinstance(command, list) and command, command
    if command[0] == "uvicorn":
        target = next(a for a in command[1:] if ":" in a and not a.startswith("-"))
        module, attr = target.split(":")
        assert callable(getattr(importlib.import_module(module), attr))
        assert "--factory" in command
    elif command[0] == "celery":
        app_module = command[command.index("-A") + 1]
        assert hasattr(importlib.import_module(app_module), "celery_app")
        assert "worker" in command and command[command.index("-P") + 1] == "prefork"
        assert command[command.index("-Q") + 1] == "distill"
    elif command[0] == "redis-server":
        assert command[command.index("--appendonly") + 1] == "yes"
    else:
        pytest.fail(f"unknown command {command}")


def test_compose_parses_and_names_real_modules():
    compose = _load("docker-compose.yml")
    services = compose["services"]
    assert {"redis", "web", "worker-gpu0", "postgres"} <= set(services)
    assert services["postgres"]["profiles"] == ["postgres"]
    for name, service in services.items():
        if "command" in service:
            _check_command(service["command"])
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in compose["volumes"], (name, source)
    devices = services["worker-gpu0"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and devices[0]["capabilities"] == ["gpu"]
    assert len(devices[0]["device_ids"]) == 1  # one worker process per GPU
    assert "-c" in services["worker-gpu0"]["command"]
    # review 17: the GPU worker ran the web image, whose torch is the CPU build, so every job failed on CUDA; it
    # builds its own image with the CUDA build's index (the Dockerfile's TORCH_INDEX argument)
    gpu = services["worker-gpu0"]
    assert gpu["image"] != services["web"]["image"] and "TORCH_INDEX" in gpu["build"]["args"]
    assert "whl/cu" in gpu["build"]["args"]["TORCH_INDEX"] and "ARG TORCH_INDEX" in (ROOT / "Dockerfile").read_text()
    assert gpu["environment"]["AWD_DEVICE"] == "cuda"
    assert services["web"]["environment"]["REDIS_URL"].startswith("redis://redis:")
    # the web process listens on every interface: compose refuses to start it without an owner token
    assert services["web"]["environment"]["AWD_API_TOKEN"].startswith("${AWD_API_TOKEN:?")


def test_cpu_variant_overrides_the_gpu_worker():
    base = _load("docker-compose.yml")["services"]
    cpu = _load("docker-compose.cpu.yml")["services"]
    assert set(cpu) <= set(base) | {"worker-cpu"}
    assert "deploy" not in cpu["worker-cpu"]
    assert cpu["worker-cpu"]["environment"]["AWD_DEVICE"] == "cpu"
    _check_command(cpu["worker-cpu"]["command"])
    assert cpu["worker-gpu0"]["profiles"] == ["gpu"]


def test_dockerfile_copies_real_sources_and_runs_the_app():
    text = (ROOT / "Dockerfile").read_text()
    copied = set()
    for line in re.findall(r"^COPY (.+)$", text, flags=re.M):
        for source in line.split()[:-1]:
            if "*" not in source:
                assert (ROOT / source).exists(), source
                copied.add(source)
    # pip install . needs every file pyproject names
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for name in project.get("license-files", []) + [project["readme"]]:
        assert name in copied, f"the Dockerfile does not copy {name}"
    # every folder the installed package is made of goes into the image
    folders = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"].values()
    for folder in folders:
        assert folder in copied, f"the Dockerfile does not copy {folder}/"
    cmd = re.search(r"^CMD (\[.*\])", text, flags=re.M).group(1)
    _check_command(yaml.safe_load(cmd))
    assert "USER awd" in text  # not root


def test_every_package_folder_is_installed():
    """A new subpackage (a folder with __init__.py) must be listed in pyproject.toml, or the installed
    package (and the Docker image) lacks it."""
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setup["packages"])
    for name, folder in setup["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                relative = init.parent.relative_to(ROOT / folder).parts
                assert ".".join((name, *relative)) in listed, f"{init.parent} is not in [tool.setuptools] packages"


def test_the_image_takes_the_pinned_torch_from_its_index_alone():
    """The GPU image's torch comes from TORCH_INDEX only (``--index-url``), at pyproject.toml's pin: with
    ``--extra-index-url`` an index lacking the release let pip install PyPI's CPU build, and the build succeeded."""
    text = (ROOT / "Dockerfile").read_text()
    pinned = next(d for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
                  if re.match(r"torch\b", d))
    assert re.search(r'pip install --index-url "\$\{TORCH_INDEX\}" "' + re.escape(pinned) + '"', text), pinned
    assert "--extra-index-url" not in text


def test_the_image_installs_every_file_of_the_package(tmp_path):
    """The image runs ``pip install .`` (not an editable install, as ``make run`` and the suite do): built the same
    way from what the Dockerfile copies, the wheel holds every file of the package's folders. Before, it lacked
    models/data/cl_table.npz (not in package-data), and the lensing example failed in the image with
    FileNotFoundError (review 50A)."""
    import shutil
    import subprocess
    import sys
    import zipfile

    text = (ROOT / "Dockerfile").read_text()
    source = tmp_path / "src"
    source.mkdir()
    skipped = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    for line in re.findall(r"^COPY (.+)$", text, flags=re.M):
        for name in line.split()[:-1]:
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, source / name, ignore=skipped)
            elif (ROOT / name).is_file():
                shutil.copy2(ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(tmp_path / "wheel"), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    missing = []
    for name, folder in setup["package-dir"].items():
        for path in (source / folder).rglob("*"):
            if path.is_file() and path.parent.name != "__pycache__":
                inside = "/".join((*name.split("."), *path.relative_to(source / folder).parts))
                if inside not in shipped:
                    missing.append(inside)
    assert missing == [], f"the image's install lacks {missing}: add them to [tool.setuptools.package-data]"


#: Variables that belong to a third-party image or library, not to AWD Studio's code.
_FOREIGN_ENV = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "OMP_NUM_THREADS"}


def _sources_text():
    folders = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"].values()
    return "\n".join(p.read_text() for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _read_by_the_code(variable, code):
    """A setting of jobstate.config.Settings (AWD_ prefix or its alias), or a name the code reads itself."""
    from awd_studio.jobstate.config import Settings

    fields = Settings.model_fields
    aliases = {f.validation_alias for f in fields.values() if isinstance(f.validation_alias, str)}
    as_field = variable.removeprefix("AWD_").lower() if variable.startswith("AWD_") else None
    return (as_field in fields or variable in aliases or variable.lower() in aliases
            or re.search(rf"['\"]{variable}['\"]", code) is not None)


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.cpu.yml"])
def test_every_compose_variable_port_and_volume_exists_in_the_code_and_readme(name):
    """Each environment variable a service sets is read by the code and documented in the README; the web
    port is the one its command listens on; every volume is mounted where the image keeps its data."""
    services = _load(name)["services"]
    code, readme = _sources_text(), (ROOT / "README.md").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    for service_name, service in services.items():
        environment = service.get("environment") or {}
        for variable in (environment if isinstance(environment, dict) else [e.split("=")[0] for e in environment]):
            if variable in _FOREIGN_ENV:
                continue
            assert _read_by_the_code(variable, code), (name, service_name, variable)
            assert f"`{variable}`" in readme, f"README does not document {variable} ({name}, {service_name})"
        for port in service.get("ports", []):
            host, container = str(port).split(":")
            command = service["command"]
            assert command[command.index("--port") + 1] == container, (name, service_name, port)
        for volume in service.get("volumes", []):
            target = volume.split(":")[1]
            if service_name in ("web",) or service_name.startswith("worker"):
                data_dir = environment.get("AWD_DATA_DIR") if isinstance(environment, dict) else None
                assert target == data_dir or target in dockerfile, (name, service_name, volume)


def test_the_readme_scales_services_that_exist():
    """Review 9 (docs audit): the README said `--scale worker=N`, a service no compose file has."""
    services = set(_load("docker-compose.yml")["services"]) | set(_load("docker-compose.cpu.yml")["services"])
    scaled = re.findall(r"--scale ([\w-]+)=", (ROOT / "README.md").read_text())
    assert scaled and set(scaled) <= services


#: What the compose files set in each container whatever .env says (the data volume, the redis service, the
#: worker's device); the README's Configuration section names them.
_SET_PER_CONTAINER = {"AWD_DATA_DIR", "REDIS_URL", "AWD_DEVICE"}


def _configuration_variables() -> set[str]:
    """The variables of the README's Configuration table (first column)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}


def _runs_our_code(service: dict) -> bool:
    return str(service.get("image", "")).startswith("awd-studio") or (service.get("command") or [""])[0] in (
        "uvicorn", "celery")


def _reads_dot_env(service: dict) -> bool:
    """The service's ``env_file`` holds ``.env``, optional (compose starts without one)."""
    entries = service.get("env_file") or []
    entries = [entries] if isinstance(entries, (str, dict)) else entries
    return any(isinstance(e, dict) and e.get("path") == ".env" and e.get("required") is False for e in entries)


def _merged_services() -> dict:
    """docker-compose.yml's services with docker-compose.cpu.yml's over them (``-f`` both, as the README says)."""
    services = {name: dict(service) for name, service in _load("docker-compose.yml")["services"].items()}
    for name, service in _load("docker-compose.cpu.yml")["services"].items():
        services[name] = {**services.get(name, {}), **service}
    return services


def test_every_configuration_variable_reaches_the_web_and_worker_containers():
    """Review 24A: compose read .env only to fill the ${...} of its files, so AWD_MAX_STORAGE_MB, AWD_METRICS_TOKEN,
    AWD_RATE_LIMIT_PER_MINUTE and most others written there never reached a container. Every service that runs the
    web process or a worker reads .env (env_file), and overrides in ``environment`` (which wins) only what the
    compose files must set per container."""
    variables = _configuration_variables()
    assert {"AWD_MAX_STORAGE_MB", "AWD_METRICS_TOKEN", "AWD_RATE_LIMIT_PER_MINUTE", "AWD_CHORD_MIN_POINTS",
            "AWD_JOB_THREADS", "DATABASE_URL"} <= variables  # the table was read
    ours = {name: s for name, s in _merged_services().items() if _runs_our_code(s)}
    assert {"web", "worker-gpu0", "worker-cpu"} <= set(ours)
    for name, service in ours.items():
        assert _reads_dot_env(service), f"{name} does not read .env (env_file: [{{path: .env, required: false}}])"
        environment = service.get("environment") or {}
        fixed = {v for v, value in environment.items() if v in variables and not str(value).startswith(f"${{{v}")}
        assert fixed <= _SET_PER_CONTAINER, f"{name} hides the .env value of {fixed - _SET_PER_CONTAINER}"
    readme = (ROOT / "README.md").read_text()
    assert "`env_file`" in readme and all(f"`{v}`" in readme for v in _SET_PER_CONTAINER)


def test_the_cpu_workers_use_the_same_volume_and_redis_as_the_others():
    """The CPU override cannot use docker-compose.yml's anchors: what it repeats must agree with them."""
    base = _load("docker-compose.yml")["services"]
    cpu = _load("docker-compose.cpu.yml")["services"]["worker-cpu"]
    for variable in ("AWD_DATA_DIR", "REDIS_URL"):
        assert cpu["environment"][variable] == base["web"]["environment"][variable] \
            == base["worker-gpu0"]["environment"][variable], variable
    assert cpu["volumes"] == base["worker-gpu0"]["volumes"]
