"""AWD Studio: adaptive wavelet distillation with a web app around it.

The installed package ``awd_studio`` gathers the project's folders: ``awd/`` is this package (the ``awd``
command: :mod:`awd_studio.cli`, :mod:`awd_studio.serve`), ``models/`` is :mod:`awd_studio.models` (the
science), ``jobstate/``, ``backend/``, ``worker/`` and ``frontend/`` are the service's layers. Importing this
package imports nothing else (it sets ``OMP_WAIT_POLICY`` if unset, see below).
"""

import os as _os
from importlib import metadata as _metadata

# OpenMP threads that wait for work sleep instead of spinning, unless the user chose otherwise. It must be set
# before torch loads its OpenMP runtime, so it is set here, where every awd_studio import starts. Measured
# (bench/RESULTS.md, "Threads"): on the shared 2-core machine under load ~16, a 2D fit on 2 threads ran 3.9x
# slower than on 1 with the default (spinning) policy and 1.8x faster with PASSIVE; 1 thread is unaffected.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    __version__ = _metadata.version("awd-studio")
except _metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
