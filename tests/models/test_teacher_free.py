"""The selection's teacher-free pieces: computed beside the teacher by the first stage, read by the final stage."""

import json
import os
import shutil
import sys
import time

import numpy as np
import pytest

from awd_studio.models import pipeline
from awd_studio.models.data import make_example, save_npz
from awd_studio.models.options import PipelineConfig
from awd_studio.models.pipeline.config import grid_points_of
from awd_studio.models.pipeline.teacher_free import (
    LOWEST_PRIORITY,
    TEACHER_FREE_FILE,
    BesideTeacher,
    read_teacher_free,
    selection_splits,
    teacher_free_key,
)
from awd_studio.models.pipeline.workdir import read_npz

OPTIONS = {"teacher": "mlp", "lambdas": [1e-3], "gammas": [0.0, 1e-2], "epochs": 2, "teacher_epochs": 5, "levels": 3,
           "cv_folds": 3, "random_search": 12}

two_cores = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="the pieces run only beside a second core")


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "synthetic.npz"
    save_npz(make_example("synthetic", n=240, seed=0), path)
    return path


def _beside(work_dir):
    """A BesideTeacher on what the first stage wrote to ``work_dir``, and that stage's record."""
    info = json.loads((work_dir / "prepare.json").read_text())
    return BesideTeacher(work_dir, PipelineConfig.from_dict(info["config"])), info


def _without_timings(models):
    return {name: {k: v for k, v in entry.items() if k != "predict_seconds_per_sample"} for name, entry in
            models.items()}


@two_cores
def test_pieces_done_beside_the_teacher_give_the_result_the_final_stage_computes(synthetic_file, tmp_path):
    """The features' choice and the control, read from the first stage's file, give the result the final stage
    gives by computing them itself; the result's timings say when they were read."""
    work = tmp_path / "work"
    info = pipeline.prepare(synthetic_file, OPTIONS, work)
    assert "beside_teacher" in info  # started: an MLP trains on one thread and the tests' jobs have two
    beside, _ = _beside(work)  # every piece, whatever the teacher's speed left undone
    beside.start(info["scaling"])
    pieces = beside.finish(wait=True)
    assert pieces["done"] == ["series_features", "control"] and pieces["returncode"] == 0
    pipeline.distill_chunk(work, range(len(grid_points_of(PipelineConfig.from_dict(info["config"])))))
    shutil.copytree(work, tmp_path / "again")
    (tmp_path / "again" / TEACHER_FREE_FILE).unlink()

    read = pipeline.finalize(work, tmp_path / "out")
    computed = pipeline.finalize(tmp_path / "again", tmp_path / "out_again")
    assert "beside_teacher" in read["timings"] and "beside_teacher" not in computed["timings"]
    assert read["selection"]["random_search"] == computed["selection"]["random_search"]
    assert read["selection"]["series_features"] == computed["selection"]["series_features"]
    assert read["selection"]["choice"] == computed["selection"]["choice"]
    assert _without_timings(read["models"]) == _without_timings(computed["models"])


@two_cores
def test_the_sparsity_search_done_beside_the_teacher_is_the_one_the_stage_would_run(synthetic_file, tmp_path,
                                                                                     monkeypatch):
    """The gamma = 0 points' start search, done beside the teacher, is read by the distillation stage in place of its
    own: the stored searches and the grid's fits are those of a stage that searched both terms itself on one thread,
    as the process does (on two threads the search's products can round otherwise; docs/science.md)."""
    from awd_studio.models.pipeline.workdir import collect_chunks, start_search_path

    work = tmp_path / "work"
    options = {**OPTIONS, "start_search": 24, "random_search": 0, "series_features": "largest"}
    info = pipeline.prepare(synthetic_file, options, work)
    assert "beside_teacher" in info  # the search alone is reason enough to start the process
    beside, _ = _beside(work)
    beside.start(info["scaling"])
    assert beside.finish(wait=True)["done"] == ["sparsity_search"]
    shutil.copytree(work, tmp_path / "again")
    (tmp_path / "again" / TEACHER_FREE_FILE).unlink()
    n_grid = len(grid_points_of(PipelineConfig.from_dict(info["config"])))
    messages = []
    monkeypatch.setenv("AWD_JOB_THREADS", "1")
    pipeline.distill_chunk(work, range(n_grid), progress=lambda stage, fraction, message: messages.append(message))
    pipeline.distill_chunk(tmp_path / "again", range(n_grid))
    assert messages[0] == ("computing the teacher's input gradients and searching 24 random starting wavelets with "
                           "the teacher")
    read, computed = read_npz(start_search_path(work)), read_npz(start_search_path(tmp_path / "again"))
    assert read["terms"].tolist() == computed["terms"].tolist()
    assert set(computed["terms"].tolist()) == {"interpretation", "sparsity"}
    for name in ("filters", "angles", "losses"):
        np.testing.assert_array_equal(read[name], computed[name])
    ours, theirs = collect_chunks(work, n_grid), collect_chunks(tmp_path / "again", n_grid)
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert [ours[3][i][0] for i in range(n_grid)] == [theirs[3][i][0] for i in range(n_grid)]


def test_the_first_stages_key_is_the_final_stages(synthetic_file, tmp_path):
    """The first stage keys the pieces with the options before its teacher is trained, the final stage with the
    options it reads back (the teacher's name set): the same key, so its pieces are read."""
    from awd_studio.models.data import load_dataset
    from awd_studio.models.pipeline.config import resolve_config

    work = tmp_path / "work"
    info = pipeline.prepare(synthetic_file, {**OPTIONS, "teacher": "auto", "teacher_epochs": 2}, work)
    dataset = load_dataset(synthetic_file)
    before, _ = resolve_config(PipelineConfig.from_dict({**OPTIONS, "teacher": "auto", "teacher_epochs": 2}),
                               dataset.kind, dataset.sample_shape, len(dataset.X))
    after = PipelineConfig.from_dict(info["config"])
    assert before.teacher != after.teacher  # "auto", then the architecture kept
    split = read_npz(work / "split.npz")
    splits, _ = selection_splits(after, len(split["X_train"]), None, split["y_train_all"], split["y_test_all"])
    data = split["X_train"], split["y_train"]
    assert teacher_free_key(before, info["scaling"], splits, *data) == teacher_free_key(after, info["scaling"], splits,
                                                                                        *data)
    assert teacher_free_key(after, info["scaling"], splits, data[0], data[1] + 1e-9) != teacher_free_key(
        after, info["scaling"], splits, *data)  # other training data


def test_pieces_for_other_inputs_are_not_read(synthetic_file, tmp_path):
    """A file computed under another scaling (or options, or splits) is left aside: the final stage computes."""
    work = tmp_path / "work"
    info = pipeline.prepare(synthetic_file, OPTIONS, work)
    beside, _ = _beside(work)
    beside.start({**info["scaling"], "offset": info["scaling"]["offset"] + 1.0})
    assert beside.finish(wait=True)["done"] == ["series_features", "control"]
    config = PipelineConfig.from_dict(info["config"])
    split = read_npz(work / "split.npz")
    splits, _ = selection_splits(config, len(split["X_train"]), None, split["y_train_all"], split["y_test_all"])
    data = split["X_train"], split["y_train"]
    assert read_teacher_free(work, teacher_free_key(config, info["scaling"], splits, *data)) == {}
    other = {**info["scaling"], "offset": info["scaling"]["offset"] + 1.0}
    assert set(read_teacher_free(work, teacher_free_key(config, other, splits, *data))) == {"series_features",
                                                                                            "control"}
    pipeline.distill_chunk(work, range(len(grid_points_of(config))))
    assert "beside_teacher" not in pipeline.finalize(work, tmp_path / "out")["timings"]


def test_a_new_preparation_removes_the_old_pieces(synthetic_file, tmp_path):
    work = tmp_path / "work"
    pipeline.prepare(synthetic_file, OPTIONS, work)
    beside, info = _beside(work)
    beside.start(info["scaling"])
    assert beside.finish(wait=True)["done"]
    pipeline.prepare(synthetic_file, {**OPTIONS, "random_search": 0, "series_features": "largest"}, work)
    assert not (work / TEACHER_FREE_FILE).exists()  # nothing to do beside this teacher, and the old file is gone


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no nice values here")
def test_the_pieces_run_at_the_lowest_priority_and_stop_when_told(synthetic_file, tmp_path):
    """Beside a teacher the pieces take only what it leaves idle; when the teacher is done, the piece under way is
    dropped, the ones before it are kept, and no temporary file is left."""
    work = tmp_path / "work"
    pipeline.prepare(synthetic_file, OPTIONS, work)
    beside, info = _beside(work)
    beside.config = beside.config.model_copy(update={"random_search": 2000})  # seconds at least: not done here
    beside.start(info["scaling"])
    beside.go()
    deadline = time.monotonic() + 60
    while not (work / TEACHER_FREE_FILE).exists() and time.monotonic() < deadline:  # the features' choice
        time.sleep(0.05)
    priority = os.getpriority(os.PRIO_PROCESS, beside.pid)
    # the job's session (a session of its own gets a CPU share of its own under Linux's autogroup, nice or not), a
    # process group of its own (a terminal's Ctrl-C is the job's to handle)
    assert os.getsid(beside.pid) == os.getsid(0) and os.getpgid(beside.pid) == beside.pid != os.getpgid(0)
    started = time.monotonic()
    pieces = beside.finish()
    assert time.monotonic() - started < 5  # killed at once, whatever it computes
    assert priority == LOWEST_PRIORITY
    assert pieces["done"] == ["series_features"]
    assert sorted(p.name for p in work.iterdir() if p.name.startswith(".")) == []
    assert set(read_npz(work / TEACHER_FREE_FILE)) >= {"key", "fold_largest", "fold_positions", "done"}


def test_the_pieces_stop_when_their_parent_is_gone(synthetic_file, tmp_path):
    """A worker killed while its teacher trains leaves no process computing for nobody: the kernel kills the
    pieces' process with its parent, whatever it is doing (before, it ended only once its own Python ran at nice 19
    and read its closed pipe: on a loaded host once more than 60 s later, still importing). It is killed by
    SIGKILL, where ending by itself gives 1, and long before its 2000 wavelets are done."""
    import ctypes
    import signal
    import subprocess

    work = tmp_path / "work"
    pipeline.prepare(synthetic_file, OPTIONS, work)
    info = json.loads((work / "prepare.json").read_text())
    script = ("import json, sys, time; from pathlib import Path; "
              "from awd_studio.models.options import PipelineConfig; "
              "from awd_studio.models.pipeline.teacher_free import BesideTeacher; "
              "config = PipelineConfig.from_dict(json.loads(Path(sys.argv[1]).read_text())['config'])"
              ".model_copy(update={'random_search': 2000}); "
              "b = BesideTeacher(sys.argv[2], config); b.start(json.loads(sys.argv[3])); b.go(); "
              "print(b.pid, flush=True); "
              "time.sleep(600)")
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_child_subreaper = 36  # <linux/prctl.h>: the orphaned process becomes this one's, to wait for
    assert libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0
    try:
        parent = subprocess.Popen([sys.executable, "-c", script, str(work / "prepare.json"), str(work),
                                   json.dumps(info["scaling"])], stdout=subprocess.PIPE, text=True)
        child = int(parent.stdout.readline())
        time.sleep(2.0)  # the child imports (several seconds at nice 19): the signal must reach it there too
        parent.kill()
        parent.wait()
        _, status = os.waitpid(child, 0)  # no deadline: the suite's timeout stops a process left running
    finally:
        libc.prctl(pr_set_child_subreaper, 0, 0, 0, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
    written = work / TEACHER_FREE_FILE
    assert not written.exists() or "control" not in [str(d) for d in read_npz(written)["done"]]


def test_the_pieces_end_when_their_pipe_closes(synthetic_file, tmp_path):
    """Where the kernel cannot end it with its parent (no prctl: macOS), the process ends by itself once its pipe
    closes, here without its parent ending: exit status 1, not a signal."""
    work = tmp_path / "work"
    pipeline.prepare(synthetic_file, OPTIONS, work)
    beside, info = _beside(work)
    beside.config = beside.config.model_copy(update={"random_search": 2000})
    beside.start(info["scaling"])
    beside.go()
    process = beside._process
    process.stdin.close()  # what the death of its parent does to the pipe
    assert process.wait() == 1


def test_the_pieces_outlive_the_thread_that_started_them(synthetic_file, tmp_path):
    """Linux's parent-death signal comes when the *thread* that started a process ends: a training thread that
    starts the pieces (two architectures side by side) and ends before the job must not take them with it. The
    process ends only when its pipe closes (1), not by a signal (-9) when that thread is gone."""
    import threading

    work = tmp_path / "work"
    pipeline.prepare(synthetic_file, OPTIONS, work)
    beside, info = _beside(work)

    def start():
        beside.start(info["scaling"])
        # the thread ends once the process has asked for its death signal (it lowers its priority next): a
        # signal tied to this thread would then come, while the process still imports
        while os.getpriority(os.PRIO_PROCESS, beside.pid) != LOWEST_PRIORITY:
            time.sleep(0.05)

    starter = threading.Thread(target=start)
    starter.start()
    starter.join()
    process = beside._process
    process.stdin.close()
    assert process.wait() == 1


def test_a_process_that_cannot_start_or_a_damaged_file_leaves_the_pieces_to_the_final_stage(synthetic_file, tmp_path,
                                                                                          monkeypatch, caplog):
    """An optional speed-up never fails a job: no interpreter to start, a start that fails, or a damaged file."""
    import logging

    work = tmp_path / "work"
    info = pipeline.prepare(synthetic_file, OPTIONS, work)
    beside, _ = _beside(work)
    monkeypatch.setattr(sys, "executable", "")
    beside.start(info["scaling"])
    assert beside.pid is None and beside.finish() == {"done": [], "seconds": 0.0, "returncode": None}
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    with caplog.at_level(logging.INFO, logger="awd_studio.models.pipeline.teacher_free"):
        beside.start(info["scaling"])
    assert beside.pid is None and "could not start" in caplog.text
    monkeypatch.undo()
    (work / TEACHER_FREE_FILE).write_bytes(b"PK\x03\x04 not a whole archive")
    config = PipelineConfig.from_dict(info["config"])
    split = read_npz(work / "split.npz")
    splits, _ = selection_splits(config, len(split["X_train"]), None, split["y_train_all"], split["y_test_all"])
    key = teacher_free_key(config, info["scaling"], splits, split["X_train"], split["y_train"])
    assert read_teacher_free(work, key) == {}
    pipeline.distill_chunk(work, range(len(grid_points_of(config))))
    assert "beside_teacher" not in pipeline.finalize(work, tmp_path / "out")["timings"]


def test_a_ctrl_c_as_the_process_starts_still_reaches_it(synthetic_file, tmp_path, monkeypatch):
    """A Ctrl-C that lands while the process is being started (here: right after its exec, before ``Popen`` returns)
    is held back until the process is recorded, so the job's ``finish()`` stops it. Before, the interruption left
    the process unrecorded and it outlived the job (CI, 2026-12-07: the job exited 130, the process was still
    importing)."""
    import signal
    import subprocess

    work = tmp_path / "work"
    pipeline.prepare(synthetic_file, OPTIONS, work)
    beside, info = _beside(work)
    started = subprocess.Popen

    class InterruptedAtStart(started):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGINT)  # the terminal's Ctrl-C, before the constructor returns
            time.sleep(0.05)

    # Python's own Ctrl-C handler, whatever an earlier test of this process left (a server run in-process installs
    # its own and may keep it)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    monkeypatch.setattr(subprocess, "Popen", InterruptedAtStart)
    try:
        with pytest.raises(KeyboardInterrupt):
            beside.start(info["scaling"])
        restored = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
        monkeypatch.undo()
    pid = beside.pid
    assert pid is not None and restored is signal.default_int_handler
    assert beside.finish()["returncode"] == -9
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_process_computes_only_once_a_core_idles(synthetic_file, tmp_path):
    """Started when the teacher's normalisation is fitted, it imports and reads, then waits for a free core: killed
    before that, it computed nothing."""
    work = tmp_path / "work"
    pipeline.prepare(synthetic_file, OPTIONS, work)
    beside, info = _beside(work)
    beside.start(info["scaling"])
    time.sleep(8.0)  # its imports and the split's reading: a few seconds
    assert beside.finish() == {"done": [], "seconds": 0.0, "returncode": -9}
    assert not (work / TEACHER_FREE_FILE).exists()


@pytest.mark.parametrize("names, threads, called", [(["lstm", "mlp"], 2, 1), (["mlp"], 2, 1), (["mlp"], 1, 0),
                                                      (["cnn"], 2, 0)])
def test_train_best_teacher_says_when_a_core_idles(names, threads, called, monkeypatch):
    """The teacher's training calls ``on_core_free`` once when a core of the job's idles while it goes on: the lstm
    and the mlp side by side when the first of them finishes, one architecture on one of two threads at the start;
    never when the training takes every thread."""
    from awd_studio.models import cores
    from awd_studio.models.teachers import train_best_teacher

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 16, 16) if names == ["cnn"] else (80, 16)).astype(np.float32)
    y = X.reshape(80, -1)[:, 3]
    seen, calls = {}, []

    def on_epoch(epoch, losses):
        seen.update({key.rsplit("_", 1)[0]: epoch for key in losses})

    monkeypatch.setenv("AWD_JOB_THREADS", str(threads))
    cores.use_job_threads()
    try:
        train_best_teacher(names, X, y, epochs=6, patience=0, on_epoch=on_epoch,
                           on_core_free=lambda: calls.append(dict(seen)))
    finally:  # the suite's setting back, for the tests after this one in this process
        monkeypatch.undo()
        cores.use_job_threads()
    assert len(calls) == called
    if len(names) == 2:  # one done (the mlp, as a rule), the other still training
        assert sorted(calls[0].get(name, 0) == 6 for name in names) == [False, True], calls
