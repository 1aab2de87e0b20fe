"""Security: share tokens, path traversal, size and rate limits, escaping, no pickle, debug, CORS, secrets.

In-process (TestClient) against the session's database; succeeded jobs are made directly in the database
with a small result directory, so these tests need no worker.
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, database_kind, session_rows
from tests.reliability.conftest import record

OWNER_TOKEN = "owner-" + "k" * 30


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _good_npz() -> bytes:
    X = np.random.default_rng(0).normal(size=(40, 32))
    return _npz(X=X, y=X[:, 0])


@pytest.fixture()
def finished_job(settings, data_dir):
    """``make()`` -> id of a succeeded job whose result holds result.json and arrays.npz."""
    from awd_studio.jobstate import crud
    from awd_studio.jobstate.db import Job, get_sessionmaker

    def make() -> str:
        with get_sessionmaker(settings.sqlalchemy_url)() as session:
            job = crud.create_job(session, dataset_id=None, teacher_id=None, config={"teacher": "mlp"})
            result = data_dir / "jobs" / job.id / "attempt-1" / "result"
            result.mkdir(parents=True)
            (result / "result.json").write_text('{"job": "%s"}' % job.id)
            (result / "arrays.npz").write_bytes(_npz(a=np.arange(3.0)))
            row = session.get(Job, job.id)
            row.state, row.attempt, row.result_dir = "succeeded", 1, str(result.relative_to(data_dir))
            session.commit()
            return job.id

    return make


# ------------------------------------------------------------------------------------------- share tokens
def test_share_tokens_are_random_hashed_and_constant_time(client, finished_job, settings, monkeypatch):
    from awd_studio.jobstate import crud

    job_id = finished_job()
    tokens = [client.post(f"/api/jobs/{job_id}/share").json()["token"] for _ in range(5)]
    assert len(set(tokens)) == 5
    for token in tokens:
        assert len(token) >= 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token)  # token_urlsafe(32): 256 bits
    if database_kind() == "sqlite":
        database = Path(settings.sqlalchemy_url.removeprefix("sqlite:///"))
        # read by another process: closing a file of the database here would drop this process's POSIX locks on
        # it, which the session app's open connections rely on (another process could then delete the WAL they
        # still write to, and their later writes would be seen by no one)
        files = sorted(str(p) for p in database.parent.glob(database.name + "*"))
        raw = subprocess.run(["cat", *files], capture_output=True, check=True).stdout
    else:  # PostgreSQL: every column of every share row, as text
        raw = "".join(map(str, session_rows("SELECT * FROM shares"))).encode()
    for token in tokens:
        assert token.encode() not in raw, "a share token is stored in clear"
        assert hashlib.sha256(token.encode()).hexdigest().encode() in raw
    calls = []
    real = crud.hmac.compare_digest
    monkeypatch.setattr(crud.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert client.get(f"/api/results/{tokens[0]}").status_code == 200
    assert calls, "share tokens must be compared with hmac.compare_digest"
    for guess in ("x" * 43, tokens[0][:-1] + ("A" if tokens[0][-1] != "A" else "B"), "", "%00", "a" * 5000):
        assert client.get(f"/api/results/{guess}").status_code in (404, 405)


def test_share_token_reads_one_job_only_and_cannot_write(make_client, finished_job):
    owner = {"Authorization": f"Bearer {OWNER_TOKEN}"}
    client = make_client(api_token=OWNER_TOKEN, rate_limit_per_minute=0)
    mine, other = finished_job(), finished_job()
    token = client.post(f"/api/jobs/{mine}/share", headers=owner).json()["token"]
    assert client.get(f"/api/results/{token}").json() == {"job": mine}
    assert client.get(f"/api/results/{token}/files/arrays.npz").status_code == 200
    as_bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/results/{other}", headers=as_bearer).status_code == 403  # wrong credentials
    assert client.get(f"/api/results/{other}").status_code == 401  # none
    for method, url in [("GET", "/api/jobs"), ("GET", f"/api/jobs/{mine}"), ("GET", "/api/datasets"),
                        ("POST", "/api/jobs"), ("POST", f"/api/jobs/{mine}/cancel"),
                        ("POST", f"/api/jobs/{mine}/rerun"), ("DELETE", f"/api/jobs/{mine}"),
                        ("POST", f"/api/jobs/{mine}/share"), ("GET", f"/api/jobs/{mine}/shares"),
                        ("DELETE", f"/api/shares/{token}"), ("GET", f"/api/jobs/{token}"),
                        ("DELETE", f"/api/jobs/{token}")]:
        status = client.request(method, url, headers=as_bearer, json={}).status_code
        assert status in (403, 404), (method, url, status)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert client.request(method, f"/api/results/{token}").status_code in (404, 405)
    assert client.get(f"/api/results/{token}").json() == {"job": mine}  # nothing changed


def test_a_results_archive_holds_its_files_in_the_folder_the_snippet_reads(client, finished_job, data_dir):
    """Review 16: eleven to fourteen files were downloaded one by one. One ZIP holds them all, under the folder
    the page's Python code and ``awd predict awd-result`` read; a share link gets it, a revoked one does not."""
    import io
    import zipfile

    from awd_studio.backend.routes.results import ARCHIVE_FOLDER
    from awd_studio.frontend.use_in_python import RESULT_FOLDER

    assert ARCHIVE_FOLDER == RESULT_FOLDER
    job_id = finished_job()
    result = next((data_dir / "jobs" / job_id).glob("attempt-*/result"))
    (result / "arrays.npz").chmod(0o600)  # as a file written through a temporary one can be on the server
    response = client.get(f"/api/results/{job_id}/archive")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert f'filename="awd-{job_id[:8]}-result.zip"' in response.headers["content-disposition"]
    listed = [f["name"] for f in client.get(f"/api/results/{job_id}/files").json()["data"]]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        # every listed file, then the results page's Python code (review 31A)
        assert archive.namelist() == [f"awd-result/{name}" for name in listed] + ["awd-result/use_in_python.py"]
        assert archive.read("awd-result/arrays.npz") == client.get(f"/api/results/{job_id}/files/arrays.npz").content
        # every file readable by whoever unpacks it (review 39A: use_in_python.py was 0600, the others 0644)
        assert {oct(member.external_attr >> 16) for member in archive.infolist()} == {"0o100644"}
    link = client.post(f"/api/jobs/{job_id}/share").json()
    shared = client.get(f"/api/results/{link['token']}/archive")
    assert shared.content[:2] == b"PK"
    with zipfile.ZipFile(io.BytesIO(shared.content)) as archive:
        assert {oct(member.external_attr >> 16) for member in archive.infolist()} == {"0o100644"}
        assert archive.testzip() is None
    # review 20: a share link's downloads were named after the link's first 8 characters, part of the secret
    named = shared.headers["content-disposition"]
    assert 'filename="awd-shared-' in named and link["token"][:6] not in named, named
    # the page's links and figure buttons name their files as the API does (two layers, one rule)
    from awd_studio.backend.routes.results import run_file_name as api_name
    from awd_studio.frontend.components import run_file_name as page_name

    for key in (job_id, link["token"]):
        assert page_name(key, "result.zip") == api_name(key, "result.zip")
    assert client.delete(f"/api/shares/{link['id']}").status_code == 204
    assert client.get(f"/api/results/{link['token']}/archive").status_code == 410


def test_share_tokens_expire_and_are_revocable(client, finished_job):
    job_id = finished_job()
    short = client.post(f"/api/jobs/{job_id}/share", json={"expires_in_hours": 1.0 / 3600}).json()
    revoked = client.post(f"/api/jobs/{job_id}/share").json()
    assert client.get(f"/api/results/{revoked['token']}").status_code == 200
    assert client.delete(f"/api/shares/{revoked['id']}").status_code == 204
    assert client.get(f"/api/results/{revoked['token']}").status_code == 410
    assert client.get(f"/api/results/{revoked['token']}/files/arrays.npz").status_code == 410
    time.sleep(1.2)
    assert client.get(f"/api/results/{short['token']}").status_code == 410
    listed = {s["id"]: s for s in client.get(f"/api/jobs/{job_id}/shares").json()["data"]}
    assert listed[revoked["id"]]["revoked"] is True and "token" not in listed[revoked["id"]]


# ------------------------------------------------------------------------------------------- paths
@pytest.mark.parametrize("filename", ["../../../../tmp/awd-evil.npz", "..\\..\\awd-evil.npz", "/etc/awd-evil.npz",
                                      "a/../../awd-evil.npz", "awd\x00evil.npz", "....//awd-evil.npz"])
def test_uploaded_names_cannot_traverse(client, data_dir, filename):
    response = client.post("/api/datasets", files={"file": (filename, _good_npz(), "application/octet-stream")})
    assert response.status_code in (201, 415, 422), response.text
    if response.status_code == 201:
        body = response.json()
        assert "/" not in body["original_filename"] and "\\" not in body["original_filename"]
        assert [p.name for p in (data_dir / "datasets" / body["id"]).iterdir()] == ["data.npz"]
        client.delete(f"/api/datasets/{body['id']}")
    assert not Path("/tmp/awd-evil.npz").exists() and not (data_dir.parent / "awd-evil.npz").exists()
    assert not Path("/etc/awd-evil.npz").exists()


def test_file_routes_cannot_leave_the_result(client, finished_job, data_dir):
    job_id = finished_job()
    result = data_dir / "jobs" / job_id / "attempt-1" / "result"
    (result / "link.json").symlink_to(data_dir / "awd.sqlite3")
    for name in ["../../../../awd.sqlite3", "..%2F..%2F..%2F..%2Fawd.sqlite3", "%2e%2e/%2e%2e/awd.sqlite3",
                 "/etc/passwd", "link.json", ".%2e/result.json", "~/.ssh/id_rsa", ".hidden",
                 "a/b/c/d/e", "..\\..\\awd.sqlite3"]:
        response = client.get(f"/api/results/{job_id}/files/{name}")
        assert response.status_code == 404, (name, response.status_code)
    names = [f["name"] for f in client.get(f"/api/results/{job_id}/files").json()["data"]]
    assert sorted(names) == ["arrays.npz", "result.json"]


# ------------------------------------------------------------------------------------------- limits
def test_upload_size_limit_streams_and_cleans_up(make_client, data_dir):
    client = make_client(max_upload_mb=0.05, rate_limit_per_minute=0)
    big = _npz(X=np.zeros((400, 64)), y=np.zeros(400))  # ~200 kB
    response = client.post("/api/datasets", files={"file": ("big.npz", big, "application/octet-stream")})
    assert response.status_code == 413 and "AWD_MAX_UPLOAD_MB" in response.json()["detail"]
    assert not list((data_dir / "tmp").glob("upload-*"))
    response = client.post("/api/examples/lensing", json={"n": 200_000})
    assert response.status_code == 422 and response.json()["detail"].startswith("n:")


def test_rate_limit_on_writes(make_client):
    client = make_client(rate_limit_per_minute=5)
    statuses = [client.post("/api/examples/nope").status_code for _ in range(7)]
    assert statuses[:5] == [404] * 5 and statuses[5:] == [429, 429]
    limited = client.post("/api/examples/nope")
    assert int(limited.headers["retry-after"]) >= 1 and "AWD_RATE_LIMIT_PER_MINUTE" in limited.json()["detail"]
    assert all(client.get("/api/health").status_code == 200 for _ in range(10))  # reads are never limited
    record("security", rate_limit="5/min: 6th write answered 429 with Retry-After; reads unaffected")


# ------------------------------------------------------------------------------------------- text, pickle
def test_user_text_round_trips_as_json_text(client):
    name = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;'
    response = client.post("/api/datasets", data={"name": name},
                           files={"file": ("<b>x</b>.npz", _good_npz(), "application/octet-stream")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == name and response.headers["content-type"].startswith("application/json")
    again = client.get(f"/api/datasets/{body['id']}")
    assert again.json()["name"] == name and again.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in again.text.replace("\\u003c", "<") or '"name":' in again.text  # JSON string
    client.delete(f"/api/datasets/{body['id']}")


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = (f"{func.value.id}.{func.attr}" if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                    else getattr(func, "attr", getattr(func, "id", "")))
            yield name, {k.arg: k.value for k in node.keywords}, node.lineno


def test_no_pickle_on_any_user_path():
    """No pickle.load(s), allow_pickle=True, weights_only=False or bare torch.load in backend/worker/models."""
    problems = []
    files = [p for d in ("backend", "worker", "models", "awd") for p in (ROOT / d).rglob("*.py")]
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):  # pickle's exception classes may be used; its loaders may not
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in ("pickle", "cPickle", "dill", "joblib", "shelve", "marshal")
                    and node.attr in ("load", "loads", "Unpickler", "open")):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {node.value.id}.{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module in ("pickle", "dill", "joblib", "shelve"):
                if any(a.name in ("load", "loads", "Unpickler", "open") for a in node.names):
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno} imports a pickle loader")
        for name, kwargs, line in _calls(tree):
            where = f"{path.relative_to(ROOT)}:{line}"
            if name in ("pickle.load", "pickle.loads", "joblib.load", "dill.load", "dill.loads"):
                problems.append(f"{where} calls {name}")
            value = kwargs.get("allow_pickle")
            if value is not None and not (isinstance(value, ast.Constant) and value.value is False):
                problems.append(f"{where} allow_pickle is not False")
            value = kwargs.get("weights_only")
            if value is not None and not (isinstance(value, ast.Constant) and value.value is True):
                problems.append(f"{where} weights_only is not True")
            if name == "torch.load" and "weights_only" not in kwargs:
                problems.append(f"{where} torch.load without weights_only=True")
            if name in ("np.load", "numpy.load") and "allow_pickle" not in kwargs:
                problems.append(f"{where} np.load without allow_pickle=False")
    assert not problems, "\n".join(problems)
    record("security", pickle_scan=f"{len(files)} files scanned, no unpickling call")


def test_pickles_posing_as_data_or_weights_are_refused(client, data_dir):
    import pickle

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch /tmp/awd-pwned",))

    payload = pickle.dumps(Boom())
    objects = _npz(X=np.array([np.zeros(3), np.zeros(2)], dtype=object), y=np.zeros(2))
    for name, content in (("evil.npz", payload), ("evil.npy", payload), ("objects.npz", objects)):
        response = client.post("/api/datasets", files={"file": (name, content, "application/octet-stream")})
        assert response.status_code == 422, (name, response.text)
    for name in ("evil.pt", "evil.pt2", "evil.safetensors"):
        response = client.post("/api/teachers", files={"file": (name, payload, "application/octet-stream")},
                               data={"arch": "mlp", "input_shape": "32"})
        assert response.status_code == 422, (name, response.text)
    assert not Path("/tmp/awd-pwned").exists()
    assert not list((data_dir / "tmp").glob("upload-*"))


# ------------------------------------------------------------------------------------------- deployment
def test_debug_off_strict_cors_and_secrets_from_the_environment(make_client, monkeypatch):
    from awd_studio.jobstate.config import Settings

    client = make_client()
    assert client.app.debug is False
    evil = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.get("/api/health", headers=evil).headers
    assert "access-control-allow-origin" not in client.options("/api/jobs", headers=evil).headers
    lab = make_client(cors_origins=["https://lab.example.org"])
    assert lab.get("/api/health", headers={"Origin": "https://lab.example.org"}).headers[
        "access-control-allow-origin"] == "https://lab.example.org"
    assert "access-control-allow-origin" not in lab.get("/api/health", headers=evil).headers
    for bad in ("*", "evil.example"):
        monkeypatch.setenv("AWD_CORS_ORIGINS", bad)
        with pytest.raises(ValueError, match="AWD_CORS_ORIGINS"):
            Settings()
    monkeypatch.delenv("AWD_CORS_ORIGINS")
    monkeypatch.delenv("AWD_API_TOKEN", raising=False)
    assert Settings().api_token is None  # no built-in secret
    monkeypatch.setenv("AWD_API_TOKEN", OWNER_TOKEN)
    assert Settings().api_token == OWNER_TOKEN
    monkeypatch.setenv("AWD_API_TOKEN", "short")
    with pytest.raises(ValueError, match="AWD_API_TOKEN"):
        Settings()
    # no literal secret in the code: every token/password/key setting defaults to None
    for name, field in Settings.model_fields.items():
        if re.search(r"token|secret|password|key", name):
            assert field.default is None, name
    assert client.get("/api/nope-500-probe").status_code == 404
    assert "Traceback" not in client.get("/api/jobs/not-a-uuid").text


def test_partial_uploads_of_dead_processes_are_swept(tmp_path):
    import subprocess
    import sys

    from awd_studio.jobstate.storage import Paths, sweep_temp

    paths = Paths(tmp_path)
    mine = paths.temp_file(".npz")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = mine.with_name(mine.name.replace(f"-{os.getpid()}-", f"-{dead.pid}-"))
    orphan.write_bytes(b"partial")
    foreign = paths.tmp / "upload-otherhost-1-x.npz"
    foreign.write_bytes(b"theirs")
    removed = sweep_temp(paths)
    assert orphan.name in removed and not orphan.exists()
    assert mine.exists() and foreign.exists()  # our own in-flight upload and another host's are kept
    old = time.time() - 2 * 86400
    os.utime(foreign, (old, old))
    assert foreign.name in sweep_temp(paths)
