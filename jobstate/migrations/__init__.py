"""Alembic's scripts of the database schema (``versions/``); run them with :mod:`jobstate.migrate`."""
