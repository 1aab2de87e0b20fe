"""The science of AWD Studio: wavelets, losses, attributions, the trainer, teachers, students, data.

Nothing here imports the web layers (``backend``, ``worker``, ``frontend``, ``awd``).
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("awd-studio")
except _metadata.PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
