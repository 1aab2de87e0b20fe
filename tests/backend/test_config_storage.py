"""Settings validation and the storage helpers (safe names, atomic writes)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from awd_studio.jobstate.config import Settings
from awd_studio.jobstate.storage import atomic_write_bytes, resolve_artifact, safe_display_name, safe_suffix


def test_settings_defaults_are_safe(monkeypatch, tmp_path):
    for name in ("AWD_CORS_ORIGINS", "AWD_API_TOKEN", "DATABASE_URL", "AWD_MAX_UPLOAD_MB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWD_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.cors_origins == [] and settings.api_token is None
    assert settings.max_upload_mb == 200 and settings.sqlalchemy_url.endswith("awd.sqlite3")
    assert settings.data_dir == tmp_path.resolve()


@pytest.mark.parametrize("env,value", [("AWD_CORS_ORIGINS", "*"), ("AWD_API_TOKEN", "short"),
                                       ("AWD_MAX_UPLOAD_MB", "0"), ("AWD_CORS_ORIGINS", "evil.com")])
def test_unsafe_settings_are_refused(monkeypatch, env, value):
    monkeypatch.setenv(env, value)
    with pytest.raises(ValidationError):
        Settings()


def test_cors_origins_list(monkeypatch):
    monkeypatch.setenv("AWD_CORS_ORIGINS", "https://a.org, http://b.org:8050")
    assert Settings().cors_origins == ["https://a.org", "http://b.org:8050"]


def test_safe_names():
    assert safe_suffix("../../x.NPZ", (".npz",)) == ".npz"
    with pytest.raises(ValueError, match="unsupported"):
        safe_suffix("x.npz.exe", (".npz",))
    assert safe_display_name("../../etc/passwd\x00", "f", path=True) == "passwd"


def test_spreadsheet_upload_says_how_to_save_it_as_csv():
    # review 40: ".xlsx" was refused with only the list of the types read
    allowed = (".npz", ".csv")
    for name in ("traces.xlsx", "traces.XLS", "traces.ods"):
        with pytest.raises(ValueError) as err:
            safe_suffix(name, allowed)
        assert "File → Save As → CSV UTF-8" in str(err.value) and ".npz, .csv" in str(err.value)
    with pytest.raises(ValueError) as err:  # a teacher's upload reads no CSV: no CSV advice
        safe_suffix("model.xlsx", (".pt",))
    assert "Save As" not in str(err.value) and "upload one of .pt" in str(err.value)
    assert safe_display_name("", "fallback") == "fallback"


def test_resolve_artifact_refuses_escapes(tmp_path):
    root = tmp_path / "result"
    root.mkdir()
    (root / "result.json").write_text("{}")
    (tmp_path / "secret.txt").write_text("x")
    (root / "link.json").symlink_to(tmp_path / "secret.txt")
    assert resolve_artifact(root, "result.json").name == "result.json"
    for name in ["../secret.txt", "/etc/passwd", "link.json", ".hidden", "", "a/../../secret.txt"]:
        with pytest.raises(FileNotFoundError):
            resolve_artifact(root, name)


def test_atomic_write_leaves_no_temp_files(tmp_path):
    path = atomic_write_bytes(tmp_path / "a" / "b.bin", b"123")
    assert path.read_bytes() == b"123" and [p.name for p in path.parent.iterdir()] == ["b.bin"]


@pytest.mark.parametrize("error", ["locked", "pool"])
def test_a_busy_database_answers_503_with_retry_after(make_client, error):
    """Overload (SQLite locked past its busy timeout, no free pooled connection) is a retryable 503, not a 500."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    client = make_client()

    @client.app.get("/busy-database")
    def _busy():
        if error == "locked":
            raise OperationalError("UPDATE jobs ...", {}, Exception("database is locked"))
        raise PoolTimeout("QueuePool limit of size 10 overflow 40 reached")

    response = client.get("/busy-database")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "retry" in response.json()["detail"]


def test_the_connection_pool_covers_the_thread_pool(settings):
    """40 threads serve sync routes; the pool must be able to give each a connection."""
    from awd_studio.jobstate.db import get_engine

    pool = get_engine(settings.sqlalchemy_url).pool
    assert pool.size() + pool._max_overflow >= 40
