"""The students under their first import path: ``models.predictors`` re-exports :mod:`models.students`.

The pipeline, the CLI, the benchmarks and user code import the students from here; the code lives in
:mod:`models.students.series` (top-k + linear model) and :mod:`models.students.maps` (peak counting). The
numpy reference versions the tests compare the compiled loops with are in ``tests/models/reference_students.py``.
"""

import awd_studio.models.students as _students
from awd_studio.models.students import *  # noqa: F403 - re-exporting the students is this module's one job

__all__ = list(_students.__all__)
