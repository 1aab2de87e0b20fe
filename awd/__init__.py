"""AWD Studio: adaptive wavelet distillation with a web app around it.

The installed package ``awd_studio`` gathers the project's folders: ``awd/`` is this package (the ``awd``
command: :mod:`awd_studio.cli`, :mod:`awd_studio.serve`), ``models/`` is :mod:`awd_studio.models` (the
science), ``jobstate/``, ``backend/``, ``worker/`` and ``frontend/`` are the service's layers. Importing this
package imports nothing else.
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("awd-studio")
except _metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
