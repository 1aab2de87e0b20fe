"""Which machine each worker computes on (jobstate.machines): a job's grid is split only across distinct ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from awd_studio.jobstate.machines import (
    MACHINES_KEY,
    distinct_machines,
    machine_identity,
    register_worker,
    registered_workers,
    unregister_worker,
)
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration]


def test_the_identity_is_the_kernels_boot_id_unless_told_and_names_a_gpu(monkeypatch):
    monkeypatch.delenv("AWD_WORKER_MACHINE", raising=False)
    boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert machine_identity() == boot_id
    assert machine_identity(gpu="1") == f"{boot_id}/gpu1" != machine_identity(gpu="0")
    monkeypatch.setenv("AWD_WORKER_MACHINE", "rack-2")
    assert machine_identity() == "rack-2"


def test_workers_of_one_machine_count_once(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    register_worker(client, "a@one", "machine-1")
    register_worker(client, "b@one", "machine-1")
    register_worker(client, "c@two", "machine-2")
    register_worker(client, "d@one", "machine-1/gpu1")
    assert distinct_machines(client, []) == 0
    assert distinct_machines(client, ["a@one"]) == 1
    assert distinct_machines(client, ["a@one", "b@one"]) == 1
    assert distinct_machines(client, ["a@one", "b@one", "c@two"]) == 2
    assert distinct_machines(client, ["a@one", "d@one"]) == 2  # another GPU of the same machine
    assert distinct_machines(client, ["a@one", "never-registered@x"]) == 2  # an older worker: its own machine
    assert {node: registered_workers(client)[node] for node in ("a@one", "c@two")} == {"a@one": "machine-1",
                                                                                       "c@two": "machine-2"}
    unregister_worker(client, "c@two")
    assert "c@two" not in registered_workers(client)
    client.hdel(MACHINES_KEY, "a@one", "b@one", "d@one")


def test_one_machines_workers_do_not_share_a_grid_and_need_no_ping(redis_server):
    """Recorded workers on fewer machines than a chord needs settle it without pinging (which took 0.5 s of every
    job of 13 or more grid points); recorded on enough, the live ones are asked (a ping publishes on the broker)."""
    from awd_studio.worker import tasks

    client = redis.Redis.from_url(redis_server.url)
    saved = client.hgetall(MACHINES_KEY)

    def publishes():
        return client.info("commandstats").get("cmdstat_publish", {}).get("calls", 0)

    try:
        client.delete(MACHINES_KEY)
        register_worker(client, "a@one", "machine-1")
        register_worker(client, "b@one", "machine-1")
        quiet = []  # a live worker's own events publish too (every 2 s): one call of three must publish nothing
        for _ in range(3):
            before = publishes()
            assert not tasks._workers_to_share(2)
            quiet.append(publishes() == before)
        assert any(quiet)
        assert tasks._workers_to_share(1)
        register_worker(client, "c@two", "machine-2")
        before = publishes()
        assert not tasks._workers_to_share(2)  # recorded on two machines, but none of them answers
        assert publishes() > before
    finally:
        client.delete(MACHINES_KEY)
        if saved:
            client.hset(MACHINES_KEY, mapping=saved)


def test_a_worker_records_its_machine_when_it_starts(worker, redis_server, monkeypatch):
    monkeypatch.delenv("AWD_WORKER_MACHINE", raising=False)
    client = redis.Redis.from_url(redis_server.url)
    recorded = wait_for(lambda: client.hget(MACHINES_KEY, worker.name), timeout=30, what="the worker's machine")
    assert recorded.decode() == machine_identity()  # this test and the worker run on the same machine, on the CPU


def test_a_worker_that_stops_forgets_its_machine(redis_server, data_dir):
    from tests.conftest import WorkerControl

    client = redis.Redis.from_url(redis_server.url)
    second = WorkerControl(data_dir.parent, label="leaving", AWD_WORKER_MACHINE="leaving-machine")
    second.start()
    try:
        assert wait_for(lambda: client.hget(MACHINES_KEY, second.name), timeout=30,
                        what="the worker's machine") == b"leaving-machine"
    finally:
        second.stop()
    assert client.hget(MACHINES_KEY, second.name) is None


@pytest.mark.parametrize("nvidia, cuda, expected", [("GPU-1f2e", None, "GPU-1f2e"), (None, "1", "1"),
                                                    ("all", "", None), ("void", None, None), (None, None, None)])
def test_a_worker_pinned_to_gpus_names_them_from_its_environment(monkeypatch, nvidia, cuda, expected):
    """Read from the environment: torch would start CUDA in the worker's parent, which its pool cannot use."""
    from awd_studio.worker.tasks import _pinned_gpus

    for variable, value in (("NVIDIA_VISIBLE_DEVICES", nvidia), ("CUDA_VISIBLE_DEVICES", cuda)):
        if value is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, value)
    assert _pinned_gpus() == expected
