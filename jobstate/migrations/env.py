"""Alembic's environment: runs on the connection :func:`jobstate.migrate.upgrade_database` hands over."""

from alembic import context

from awd_studio.jobstate.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
