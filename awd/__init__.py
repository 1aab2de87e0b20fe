"""AWD Studio: adaptive wavelet distillation with a web app around it.

The installed package ``awd_studio`` gathers the project's folders: ``awd/`` is this package (the ``awd``
command: :mod:`awd_studio.cli`, :mod:`awd_studio.serve`), ``models/`` is :mod:`awd_studio.models` (the
science), ``jobstate/``, ``backend/``, ``worker/`` and ``frontend/`` are the service's layers. Importing this
package imports nothing else (it sets ``GOMP_SPINCOUNT`` when no OpenMP wait setting is given, see below).
"""

import os as _os
from importlib import metadata as _metadata

# OpenMP threads that wait for work spin 10000 times and then sleep, unless the user chose a policy. It must be
# set before torch loads its OpenMP runtime (libgomp in the CPU wheel), so it is set here, where every
# awd_studio import starts. Measured on the 2-core machine (bench/RESULTS.md, "OpenMP waiting"):
# - 2026-12-01, against OMP_WAIT_POLICY=PASSIVE (sleep at once): 1000 spins made a whole lensing job with the
#   defaults 16 % faster on a quiet machine, 8-11 % slower beside busy processes;
# - 2026-12-07, 10000 against 1000 spins on a quiet machine: the CME example with --grid paper 32.6 s against
#   36.5 s, the lensing example with the defaults 36.9-37.5 s against 45.6-48.9 s. Beside busy processes long
#   spins cost more, and a job then runs on the idle cores only (models.cores.use_job_threads), where one thread
#   never waits for another.
# libgomp's own default (300000 spins) was about 3x slower than PASSIVE beside six busy processes.
# OMP_WAIT_POLICY=PASSIVE in the environment restores the first setting.
if "OMP_WAIT_POLICY" not in _os.environ and "GOMP_SPINCOUNT" not in _os.environ:
    _os.environ["GOMP_SPINCOUNT"] = "10000"

try:
    __version__ = _metadata.version("awd-studio")
except _metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
