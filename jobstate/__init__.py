"""Shared job state: what both the web process (``backend``) and the workers (``worker``) use.

- :mod:`jobstate.config`: the settings, read once from the environment;
- :mod:`jobstate.db`: the tables and the engine;
- :mod:`jobstate.crud`: reads and compare-and-set writes of datasets, jobs and shares;
- :mod:`jobstate.storage`: where files live under ``AWD_DATA_DIR`` and how they are written;
- :mod:`jobstate.broker`: the Celery configuration, for sending tasks by name;
- :mod:`jobstate.dispatch`: enqueueing, worker liveness and the recovery of lost jobs.

Dependencies point one way: ``models`` <- ``jobstate`` <- ``backend`` and ``worker``; the web process never
imports ``worker``.
"""
