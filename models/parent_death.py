"""A helper process that ends with the process that started it, even when it gets almost no CPU.

The process that computes beside a job's teacher (:class:`models.pipeline.teacher_free.BesideTeacher`) runs at
the lowest CPU priority. Left to notice its parent's death itself (its standard input closing), it has to run its
own Python first: on a loaded host one outlived its killed parent by more than 60 s, still importing torch at
nice 19, before it ever read its pipe. On Linux the kernel ends it instead. The child asks, first thing and before
any slow import, for SIGKILL at its parent's death (``prctl(PR_SET_PDEATHSIG)``, :func:`end_with_parent`); the
kernel then kills it as the parent ends, whatever it is doing, and only the kernel's own clean-up of the child
waits for a CPU.

Linux sends that signal when the *thread* that started the child ends, not its process. A job may start its
helper from a training thread that ends before the job does (:func:`models.teachers.train_best_teacher` trains
two architectures on threads of their own), so the parent starts it from a thread that lives as long as its
process (:func:`popen_from_lasting_thread`).

Where there is no ``prctl`` (macOS) :func:`end_with_parent` says so, and the child watches its pipe as before.
"""

import ctypes
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["end_with_parent", "popen_from_lasting_thread"]

#: ``PR_SET_PDEATHSIG`` of ``<linux/prctl.h>``.
_PR_SET_PDEATHSIG = 1

#: The executor whose one thread starts the children of :func:`popen_from_lasting_thread` (None until the first).
_launcher = None
_launcher_lock = threading.Lock()


def _forget_launcher():
    """In a forked child: its parent's thread was not copied, and the lock may have been copied held."""
    global _launcher, _launcher_lock
    _launcher, _launcher_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_launcher)


def end_with_parent(parent_pid) -> bool:
    """Have the kernel kill this process (SIGKILL) when its parent ends; killed at once if it already has.

    Call it first thing in the child, before anything slow: until then the child ends only by noticing itself.

    Parameters
    ----------
    parent_pid : int
        The parent's ``os.getpid()``, given to the child when it was started. The child compares it with its
        ``os.getppid()`` once the signal is asked for: a parent that ended before can no longer send it.

    Returns
    -------
    bool
        True when the kernel will end this process (Linux), False where it cannot be asked to (no ``prctl``):
        the child must then notice its parent's death itself.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):  # no libc to load, or one without prctl
        return False
    if os.getppid() != parent_pid:  # reparented: the parent is gone, and its death's signal with it
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel would have
    return True


def popen_from_lasting_thread(args, **kwargs) -> subprocess.Popen:
    """``subprocess.Popen(args, **kwargs)``, called in a thread that lives as long as this process.

    The child's parent-death signal (:func:`end_with_parent`) then comes with this process's end, not with the
    end of the thread that calls this function.

    Parameters
    ----------
    args : sequence of str
    **kwargs
        Further arguments of :class:`subprocess.Popen`.

    Returns
    -------
    subprocess.Popen

    Raises
    ------
    OSError, ValueError
        As ``subprocess.Popen``.
    RuntimeError
        Once the interpreter is shutting down.
    """
    global _launcher
    with _launcher_lock:
        if _launcher is None:  # its thread, once started, waits for work until the interpreter shuts down
            _launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="awd-lasting-launcher")
        launcher = _launcher
    return launcher.submit(lambda: subprocess.Popen(args, **kwargs)).result()
