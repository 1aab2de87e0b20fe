"""Datasets for AWD Studio: the :class:`Dataset` container, file readers, and example simulators.

- :mod:`models.data.dataset`   ``Dataset``, ``summarize``, ``split_dataset``, ``save_npz``, ``content_sha256``
- :mod:`models.data.readers`   ``load_dataset`` (npz, npy, csv, FITS, HDF5, MAT; never unpickles), ``load_maps``;
  one module per format
- :mod:`models.data.examples`  ``EXAMPLES``, ``make_example``, ``write_example``
- :mod:`models.data.simulate_synthetic`, ``simulate_cme``, ``simulate_lensing``: the simulators
- ``make_cl_table.py`` regenerates ``cl_table.npz`` (needs pyccl; not imported by the app)
"""

from awd_studio.models.data.dataset import Dataset, content_sha256, save_npz, split_dataset, summarize
from awd_studio.models.data.examples import EXAMPLE_INFO, EXAMPLES, make_example, write_example
from awd_studio.models.data.readers import DEFAULT_MAX_BYTES, FORMATS, detect_format, load_dataset, load_maps

__all__ = [
    "Dataset",
    "summarize",
    "split_dataset",
    "save_npz",
    "content_sha256",
    "load_dataset",
    "load_maps",
    "detect_format",
    "FORMATS",
    "DEFAULT_MAX_BYTES",
    "EXAMPLES",
    "EXAMPLE_INFO",
    "make_example",
    "write_example",
]
