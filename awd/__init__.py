"""The ``awd`` command line: examples, distillation, the embedded server and workers."""

from models import __version__

__all__ = ["__version__"]
