"""Service settings, read once from the environment (pydantic-settings).

Every knob has a safe default so that ``awd serve`` works on a fresh clone:
data under ``./awd-data``, SQLite under the data directory, no CORS, 200 MB uploads.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

__all__ = ["Settings", "get_settings", "DECODED_PER_UPLOADED_BYTE"]

#: How many bytes of decoded data one uploaded byte may become (:attr:`Settings.max_decoded_bytes`). A 200 MB
#: limit allows 800 MiB of arrays (100 million float64 values); at 8 the web process had held 3.4 GB while it
#: checked a 9.8 MB npz that decoded to 1.5 GB (review 24A).
DECODED_PER_UPLOADED_BYTE = 4


class Settings(BaseSettings):
    """Configuration of the web process and the workers.

    Attributes
    ----------
    data_dir : Path, default=./awd-data
        ``AWD_DATA_DIR``: root of datasets, teachers, job artifacts, the SQLite file and the bundled Redis.
    redis_url : str or None, default=None
        ``REDIS_URL``: the broker. ``None`` means "start the bundled Redis" (``awd serve`` only).
    database_url : str or None, default=None
        ``DATABASE_URL``: any SQLAlchemy URL; ``None`` means ``sqlite:///<data_dir>/awd.sqlite3``.
    max_upload_mb : float, default=200
        ``AWD_MAX_UPLOAD_MB``: larger uploads get HTTP 413 while streaming; the arrays read from one may take
        :data:`DECODED_PER_UPLOADED_BYTE` times as many bytes (HTTP 422 beyond).
    max_storage_mb : float or None, default=None
        ``AWD_MAX_STORAGE_MB``: quota for everything under ``data_dir`` (HTTP 507 / failed job beyond it).
    device : str or None, default=None
        ``AWD_DEVICE``: ``cpu``, ``cuda``, ``cuda:1``...; ``None`` lets ``models.device`` choose.
    cors_origins : list of str, default=[]
        ``AWD_CORS_ORIGINS``: comma-separated origins allowed to call the API from a browser; none by default.
    job_time_limit : int, default=21600
        ``AWD_JOB_TIME_LIMIT`` in seconds: the soft time limit of one task (hard limit = soft + 60 s).
    api_token : str or None, default=None
        ``AWD_API_TOKEN``: when set, every route except health and shared results needs
        ``Authorization: Bearer <token>``. ``awd serve`` always has one: when unset, it makes one and keeps it in
        ``<data_dir>/owner-token``.
    chord_min_points : int, default=13
        ``AWD_CHORD_MIN_POINTS``: grids with at least this many (lambda, gamma) points are split into chunks.
    chunk_points : int, default=6
        ``AWD_CHUNK_POINTS``: grid points per chunk task.
    chord_min_machines : int, default=2
        ``AWD_CHORD_MIN_MACHINES``: a grid is split into chunks only when the workers answering a ping as the job
        starts compute on at least this many distinct machines or GPUs (:mod:`jobstate.machines`). Otherwise the
        chunks would share the same cores: on ``awd serve``'s one worker (2 cores) the CME example's 18 points took
        32-37 s as 3 chunks and 15-17 s in one task, on two workers of that machine 24-27 s.
    max_attempts : int, default=3
        ``AWD_MAX_ATTEMPTS``: a job whose worker died this many times is failed instead of re-run.
    sweep_seconds : float, default=15
        ``AWD_SWEEP_SECONDS``: how often the web process looks for orphaned jobs (0 disables the loop).
    stall_seconds : float, default=180
        ``AWD_STALL_SECONDS``: a running job whose process sent no heartbeat for this long, although its
        worker still answers, is taken for frozen: the process is killed and the job re-queued (or failed
        after ``AWD_MAX_ATTEMPTS``). Heartbeats come every 5 s.
    rate_limit_per_minute : float, default=300
        ``AWD_RATE_LIMIT_PER_MINUTE``: write requests (POST/DELETE) one client may send per minute, with a
        burst of the same size (HTTP 429 beyond it); 0 turns the limit off. Reads are never limited, nor are
        cancelling a job and deleting a job, dataset, teacher or share link (``backend.ratelimit.UNLIMITED_WRITES``),
        nor the pages' callbacks (``backend.ratelimit.PAGE_CALLBACKS``: the writes they make count at ``/api``).
        Cost estimates (``POST /api/jobs/estimate``) count apart, against ten times this
        (``backend.ratelimit.ESTIMATE_FACTOR``).
    metrics_token : str or None, default=None
        ``AWD_METRICS_TOKEN``: a bearer token that may read ``GET /metrics`` only (for Prometheus); the owner
        token always may.
    log_level : str, default="INFO"
        ``AWD_LOG_LEVEL``: level of the structured log (``key=value`` lines, see :mod:`jobstate.logs`).
    """

    model_config = SettingsConfigDict(env_prefix="AWD_", extra="ignore", populate_by_name=True)

    data_dir: Path = Path("./awd-data")
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "AWD_REDIS_URL"))
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "AWD_DATABASE_URL")
    )
    max_upload_mb: float = Field(default=200.0, gt=0)
    max_storage_mb: float | None = Field(default=None, gt=0)
    device: str | None = None
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    job_time_limit: int = Field(default=6 * 3600, ge=10)
    api_token: str | None = None
    chord_min_points: int = Field(default=13, ge=2)
    chunk_points: int = Field(default=6, ge=1)
    chord_min_machines: int = Field(default=2, ge=1)
    max_attempts: int = Field(default=3, ge=1)
    sweep_seconds: float = Field(default=15.0, ge=0)
    stall_seconds: float = Field(default=180.0, ge=15)
    rate_limit_per_minute: float = Field(default=300.0, ge=0)
    metrics_token: str | None = None
    log_level: str = Field(default="INFO", pattern="(?i)^(debug|info|warning|error|critical)$")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, value):
        for origin in value:
            if origin == "*" or not origin.startswith(("http://", "https://")):
                raise ValueError(
                    f"AWD_CORS_ORIGINS: {origin!r} is not allowed; list explicit origins such as "
                    "'https://lab.example.org' (a wildcard would let any site drive the API)"
                )
        return value

    @field_validator("api_token", "metrics_token")
    @classmethod
    def _strong_token(cls, value, info):
        if value is not None and len(value) < 16:
            raise ValueError(f"AWD_{info.field_name.upper()}: use at least 16 random characters, e.g. "
                             "`openssl rand -hex 24`")
        return value or None

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value):
        return Path(value).expanduser().resolve()

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to a SQLite file under :attr:`data_dir`.

        ``postgresql://`` and ``postgres://`` (as labs and hosting services write them) use psycopg 3, the
        driver AWD Studio installs (SQLAlchemy would otherwise look for psycopg2).
        """
        url = self.database_url or f"sqlite:///{self.data_dir / 'awd.sqlite3'}"
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                return "postgresql+psycopg://" + url[len(plain):]
        return url

    @property
    def max_upload_bytes(self) -> int:
        """:attr:`max_upload_mb` in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_decoded_bytes(self) -> int:
        """Largest decoded data of one upload in bytes: :data:`DECODED_PER_UPLOADED_BYTE` times
        :attr:`max_upload_bytes` (compressed files grow when read; the web process holds about twice this while
        it checks them)."""
        return self.max_upload_bytes * DECODED_PER_UPLOADED_BYTE

    @property
    def max_storage_bytes(self) -> int | None:
        """:attr:`max_storage_mb` in bytes, or ``None`` for no quota."""
        return None if self.max_storage_mb is None else int(self.max_storage_mb * 1024 * 1024)

    @property
    def broker_url(self) -> str:
        """The Redis URL; raises when neither ``REDIS_URL`` nor the embedded launcher provided one."""
        if not self.redis_url:
            raise RuntimeError(
                "REDIS_URL is not set: start the service with `awd serve` (bundled Redis) or export "
                "REDIS_URL=redis://host:6379/0"
            )
        return self.redis_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read from the environment on first use)."""
    return Settings()
