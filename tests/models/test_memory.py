"""A job's process reuses the memory it frees (models.memory): counted in page faults, in fresh processes."""

import json
import platform
import subprocess
import sys

import pytest

from awd_studio.models.memory import keep_freed_memory, release_freed_memory

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the settings concern glibc's allocator")

# Allocates eight 16 MiB blocks (a 2D grid's level coefficients, as one training step holds them) and frees them,
# 20 times after a warm-up, and prints the page faults those 20 rounds took.
ROUNDS = """
import json, resource, sys
import numpy as np
from awd_studio.models.memory import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] in ("keep", "release") else False
if sys.argv[1] == "release":
    from awd_studio.models.memory import release_freed_memory
    for _ in range(3):
        np.ones(5 * 2**20, dtype=np.float32).sum()
    release_freed_memory()
def step():
    blocks = [np.ones(4 * 2**20, dtype=np.float32) for _ in range(8)]
    return sum(float(b[::4096].sum()) for b in blocks)
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(json.dumps({"kept": kept, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}))
"""


def _rounds(setting, env=None):
    out = subprocess.run([sys.executable, "-c", ROUNDS, setting], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


@glibc_only
def test_freed_blocks_are_reused_instead_of_faulted_in_again():
    plain, kept = _rounds("plain"), _rounds("keep")
    assert kept["kept"] is True
    assert plain["faults"] > 20 * 1000  # glibc's defaults: every round takes some of the memory afresh (16 MiB here)
    assert kept["faults"] < 1000  # kept: the blocks are reused (0 here)
    released = _rounds("release")  # after the distillation: glibc's trim threshold again
    assert released["faults"] > 20 * 1000


@glibc_only
def test_the_users_own_allocator_settings_win():
    import os

    env = dict(os.environ, MALLOC_TRIM_THRESHOLD_="131072")
    assert _rounds("keep", env)["kept"] is False
    assert keep_freed_memory({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"}) is False
    assert keep_freed_memory({"MALLOC_MMAP_THRESHOLD_": "65536"}) is False
    assert keep_freed_memory({"AWD_KEEP_FREED_MEMORY": "0"}) is False


def test_release_is_safe_to_call_any_time():
    assert release_freed_memory() in (True, False)


# A worker thread allocates 160 blocks of 1 MiB from its heap (as the students' fits on the job's threads do),
# frees all but the last, and the process's resident memory is read before and after trim_freed_memory.
THREAD_HEAP = """
import json, threading
import numpy as np
import psutil
from awd_studio.models.memory import keep_freed_memory, trim_freed_memory
keep_freed_memory()  # blocks up to 32 MiB come from the heaps, not from their own mappings
kept = []
def fits():
    blocks = [np.ones(2**17) for _ in range(160)]  # 1 MiB each, every page touched
    kept.append(blocks[-1])
thread = threading.Thread(target=fits)
thread.start()
thread.join()
rss = psutil.Process().memory_info().rss
returned = trim_freed_memory()
print(json.dumps({"returned": returned, "freed_mib": (rss - psutil.Process().memory_info().rss) / 2**20}))
"""


@glibc_only
def test_trim_gives_back_what_a_threads_heap_freed():
    out = subprocess.run([sys.executable, "-c", THREAD_HEAP], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["returned"] is True
    assert result["freed_mib"] > 100  # of the 159 MiB freed under a block still in use


def test_a_job_loads_numba_and_matplotlib_only_where_it_uses_them():
    """numba (about 110 MiB resident) and matplotlib are imported by the students and the figures, not by the
    pipeline's import: the teacher's training and the distillation run without them (a fresh process)."""
    probe = ("import sys\n"
             "from awd_studio.models import pipeline\n"
             "import awd_studio.worker.tasks\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'numba', 'llvmlite', 'matplotlib'}))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


JOBS_WITHOUT_DYNAMO = """
import sys
from awd_studio.models import pipeline
from awd_studio.models.data import make_example, save_npz
from awd_studio.models.explain.synthetic import blob_maps, train_tiny_cnn
out = sys.argv[1]
save_npz(make_example("synthetic", n=160, seed=0), out + "/s.npz")
save_npz(make_example("lensing", n=60, seed=0), out + "/m.npz")
small = {"lambdas": [1e-3], "gammas": [1e-2], "epochs": 1, "teacher_epochs": 2, "cv_folds": 2, "cv_repeats": 1}
pipeline.run(out + "/s.npz", {**small, "teacher": "auto", "levels": 3, "student": "scattering",
                              "scattering_epochs": 1}, out + "/series")
pipeline.run(out + "/m.npz", {**small, "teacher": "cnn", "levels": 2}, out + "/maps")
X, y = blob_maps(16, seed=0)
train_tiny_cnn(X, y, epochs=1)
print("torch._dynamo" in sys.modules)
"""


def test_jobs_do_not_import_torch_dynamo(tmp_path):
    """torch's optimizers import ``torch._dynamo`` when they are built (1.2-2.2 s and about 70 MiB here); the
    teachers, the scattering student and the explain examples' model train with the project's own Adam, so a
    fresh process (``awd distill``, a worker's pool process) never waits for that import."""
    out = subprocess.run([sys.executable, "-c", JOBS_WITHOUT_DYNAMO, str(tmp_path)], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
