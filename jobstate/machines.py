"""Which machine's cores (or which GPU) each worker computes on, so that a job's grid is split into chunks only across
workers that add compute.

Two worker processes on one 2-core machine do not make a job faster by sharing its grid: each already uses every core,
and each chunk repeats its set-up. The CME example's 18 grid points took 24-27 s as 3 chunks on two workers of one
2-core machine, and 15-17 s in one task (bench/RESULTS.md). So each worker records, in the broker's Redis, an identity
of the compute it runs on, and :func:`distinct_machines` counts the live workers' distinct identities.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

__all__ = ["MACHINES_KEY", "machine_identity", "register_worker", "unregister_worker", "registered_workers",
           "distinct_machines"]

#: Redis hash: worker node name -> :func:`machine_identity` of that worker.
MACHINES_KEY = "awd:worker-machines"

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def machine_identity(gpu: str | None = None) -> str:
    """What this process computes on: ``AWD_WORKER_MACHINE`` when set, else the running kernel's boot id (the same
    in every container of one host, unlike the hostname) or, without one, the hostname; with ``/gpu`` and the GPU
    for a worker pinned to GPUs (``gpu``: its visible devices), as each GPU adds compute of its own.

    Examples
    --------
    >>> import os
    >>> os.environ["AWD_WORKER_MACHINE"] = "rack-2"
    >>> machine_identity(), machine_identity(gpu="1")
    ('rack-2', 'rack-2/gpu1')
    >>> del os.environ["AWD_WORKER_MACHINE"]
    """
    machine = os.environ.get("AWD_WORKER_MACHINE", "").strip()
    if not machine:
        try:
            machine = _BOOT_ID.read_text().strip()
        except OSError:
            machine = ""
        machine = machine or socket.gethostname()
    return machine if gpu is None else f"{machine}/gpu{gpu}"


def register_worker(client, node: str, identity: str) -> None:
    """Record worker ``node``'s :func:`machine_identity` in :data:`MACHINES_KEY` (``client``: a redis.Redis)."""
    client.hset(MACHINES_KEY, node, identity)


def unregister_worker(client, node: str) -> None:
    """Forget worker ``node`` (it is shutting down): the registry then lists the workers that may still answer."""
    client.hdel(MACHINES_KEY, node)


def registered_workers(client) -> dict[str, str]:
    """Every recorded worker's node name -> machine identity: the live ones, and those that died without
    :func:`unregister_worker` (killed, or their machine lost). An upper bound on what a ping can find, so fewer
    distinct identities than a job needs settle the question without a ping."""
    return {(node.decode() if isinstance(node, bytes) else node): (value.decode() if isinstance(value, bytes)
                                                                     else value)
            for node, value in client.hgetall(MACHINES_KEY).items()}


def distinct_machines(client, nodes) -> int:
    """How many distinct machines (or GPUs) the workers ``nodes`` compute on; a worker that recorded none (started
    by an older version) counts as a machine of its own."""
    nodes = sorted(nodes)
    if not nodes:
        return 0
    identities = client.hmget(MACHINES_KEY, nodes)
    return len({(value.decode() if isinstance(value, bytes) else value) or f"node:{node}"
                for node, value in zip(nodes, identities)})
