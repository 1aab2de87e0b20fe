"""By-hand timing, not a test: an upload read anew (maps cut into tiles) through ``POST /api/datasets``, with the
look-up of an earlier release's copy as it was (the .npz written to ``tmp``, read back to hash, deleted, then
written again to be stored) and as it is (its SHA-256 computed in memory, ``models.data.dataset.npz_sha256``; the
.npz written once). The two run interleaved in one process on the same ~210 MB file; each stored dataset is deleted
before the next upload, so every request reads, checks and stores the data.

    .venv/bin/python bench/upload_npz_writes.py [--repeats 3]

Prints the seconds of each request and of the look-up alone, the bytes the process wrote and read during each
request (``/proc/self/io``: the upload's own copy, the .npz stored, and the old look-up's copy), and the medians'
ratio (old / new). The machine's other load moves the request's seconds more than the look-up's.
"""

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

_BASE = Path(tempfile.mkdtemp(prefix="awd-bench-upload-"))
os.environ.update({"AWD_DATA_DIR": str(_BASE / "data"), "AWD_MAX_UPLOAD_MB": "400"})

import numpy as np  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from awd_studio.backend.app import create_app  # noqa: E402
from awd_studio.backend.routes import datasets as route  # noqa: E402
from awd_studio.jobstate import crud  # noqa: E402
from awd_studio.jobstate.config import get_settings  # noqa: E402
from awd_studio.jobstate.storage import Paths, remove_tree  # noqa: E402
from awd_studio.models.files import sha256_file  # noqa: E402

LOOKUP_SECONDS: list[float] = []


async def old_lookup(session, dataset):
    """The look-up before this change, re-stated here: the .npz written under ``tmp``, hashed from disk, deleted."""
    npz_path, _ = route._as_npz(dataset, Paths(get_settings().data_dir))
    try:
        return crud.find_dataset_by_hash(session, sha256=sha256_file(npz_path))
    finally:
        npz_path.unlink(missing_ok=True)


def io_bytes() -> tuple[int, int]:
    """Bytes this process has passed to write() and read() so far (Linux ``/proc/self/io``: wchar, rchar)."""
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(fields["wchar"]), int(fields["rchar"])


def timed(lookup):
    """``lookup`` that adds its seconds to :data:`LOOKUP_SECONDS`."""
    async def run(session, dataset):
        start = time.perf_counter()
        try:
            return await lookup(session, dataset)
        finally:
            LOOKUP_SECONDS.append(time.perf_counter() - start)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 512, 512), dtype=np.float32)  # 200 maps, 210 MB; 64 px tiles: 12800 tiles
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=np.linspace(0.2, 0.4, 200))
    content = buffer.getvalue()
    del X, buffer
    get_settings.cache_clear()
    client = TestClient(create_app(get_settings(), with_ui=False, recovery=False))
    new_lookup = route._stored_by_an_earlier_release
    results = {"old": ([], []), "new": ([], [])}
    for _ in range(args.repeats):
        for label, lookup in (("old", timed(old_lookup)), ("new", timed(new_lookup))):
            route._stored_by_an_earlier_release = lookup
            written, read = io_bytes()
            start = time.perf_counter()
            response = client.post("/api/datasets", files={"file": ("maps.npz", content, "application/octet-stream")},
                                   data={"tile": "64"})
            seconds = time.perf_counter() - start
            written, read = (now - before for now, before in zip(io_bytes(), (written, read)))
            assert response.status_code == 201, response.text
            body = response.json()
            assert client.delete(f"/api/datasets/{body['id']}").status_code == 204
            results[label][0].append(seconds)
            results[label][1].append(LOOKUP_SECONDS.pop())
            print(f"{label}: request {seconds:.2f} s, look-up {results[label][1][-1]:.2f} s "
                  f"(stored {body['size_bytes'] / 1e6:.0f} MB; written {written / 1e6:.0f} MB, "
                  f"read {read / 1e6:.0f} MB)", flush=True)
    route._stored_by_an_earlier_release = new_lookup
    for what, index in (("request", 0), ("look-up", 1)):
        old, new = statistics.median(results["old"][index]), statistics.median(results["new"][index])
        print(f"median {what}: old {old:.2f} s, new {new:.2f} s, old/new {old / new:.2f}")
    remove_tree(_BASE)


if __name__ == "__main__":
    main()
