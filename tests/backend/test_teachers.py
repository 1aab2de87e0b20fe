"""``/api/teachers``: built-ins, uploads validated by loading, malicious pickles refused."""

from __future__ import annotations

import io
import os
import re

import pytest
import torch


def _post(client, content, filename, **form):
    return client.post("/api/teachers", files={"file": (filename, content, "application/octet-stream")}, data=form)


def _state_dict_bytes(length=64) -> bytes:
    from awd_studio.models.teachers import build_teacher

    buffer = io.BytesIO()
    torch.save(build_teacher("mlp", (length,)).state_dict(), buffer)
    return buffer.getvalue()


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/awd-pwned",))


def test_builtins_are_listed(client):
    body = client.get("/api/teachers").json()
    assert {t["id"] for t in body["data"] if t["builtin"]} == {"mlp", "lstm", "cnn", "resnet18"}


def test_upload_state_dict_for_a_dataset(client, dataset, data_dir):
    response = _post(client, _state_dict_bytes(), "teacher.pt", arch="mlp", dataset_id=dataset["id"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["input_shape"] == [64] and body["n_params"] > 0 and not body["builtin"]
    assert (data_dir / "teachers" / body["id"] / "weights.pt").is_file()
    assert client.get(f"/api/teachers/{body['id']}").json()["id"] == body["id"]
    assert any(t["id"] == body["id"] for t in client.get("/api/teachers").json()["data"])


def test_the_same_weights_uploaded_again_give_back_that_teacher(client, dataset, data_dir):
    """Review 9: three uploads of one file stored three teachers. The same weights for the same architecture,
    input shape and outputs are that teacher again (200, with a note); another architecture or shape is new."""
    content = _state_dict_bytes()
    first = _post(client, content, "teacher.pt", arch="mlp", dataset_id=dataset["id"])
    again = _post(client, content, "copy.pt", arch="mlp", dataset_id=dataset["id"])
    assert first.status_code == 201 and again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and "uploaded before" in again.json()["note"]
    assert first.json().get("note") is None
    uploaded = [t for t in client.get("/api/teachers").json()["data"] if not t["builtin"]]
    assert [t["id"] for t in uploaded].count(first.json()["id"]) == 1
    assert len(list((data_dir / "teachers").iterdir())) == len(uploaded)  # no second copy on disk
    other = _post(client, _state_dict_bytes(32), "small.pt", arch="mlp", input_shape="32")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]



@pytest.mark.usefixtures("no_worker")
def test_a_teacher_of_each_target_column_or_of_one_is_accepted_and_any_column_can_be_explained(client):
    """Review 14: a 2-output network on 2-target maps was refused ("returned 2 outputs, expected 1": the browser
    has no n_outputs field), and a job on target 1 with an uploaded teacher failed at 2 %. Without n_outputs,
    one output or one per target column is accepted; a job refuses any other count at submit."""
    import numpy as np

    from awd_studio.models.teachers import build_teacher
    from tests.backend.conftest import npz_bytes

    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 64))
    two = client.post("/api/datasets", files={"file": ("two.npz", npz_bytes(X=X, y=np.c_[X[:, 0], X[:, 1]]),
                                                        "application/octet-stream")}).json()
    ids = {}
    for n_out in (1, 2, 3):
        buffer = io.BytesIO()
        torch.save(build_teacher("mlp", (64,), n_out).state_dict(), buffer)
        response = _post(client, buffer.getvalue(), f"net{n_out}.pt", arch="mlp", dataset_id=two["id"])
        if n_out == 3:
            assert response.status_code == 422 and "has 3 outputs and the dataset 2 target columns" in response.text
            continue
        assert response.status_code == 201 and response.json()["n_outputs"] == n_out, response.text
        ids[n_out] = response.json()["id"]
    for n_out, teacher in ids.items():
        job = client.post("/api/jobs", json={"dataset_id": two["id"], "teacher": teacher, "target": 1,
                                             "lambdas": [1e-3], "gammas": [0.0], "epochs": 1})
        assert job.status_code == 201, job.text
        client.post(f"/api/jobs/{job.json()['id']}/cancel")
    # a count given explicitly is still what the file must have, and a 3-output teacher for no dataset is kept
    buffer = io.BytesIO()
    torch.save(build_teacher("mlp", (64,), 3).state_dict(), buffer)
    three = _post(client, buffer.getvalue(), "net3.pt", arch="mlp", input_shape="64", n_outputs="3")
    assert three.status_code == 201, three.text
    refused = client.post("/api/jobs", json={"dataset_id": two["id"], "teacher": three.json()["id"], "target": 1,
                                             "lambdas": [1e-3], "gammas": [0.0], "epochs": 1})
    assert refused.status_code == 422 and "has 3 outputs and the data 2 target columns" in refused.text

def test_upload_safetensors_with_input_shape(client, tmp_path):
    from awd_studio.models.teachers import build_teacher, save_teacher

    path = tmp_path / "t.safetensors"
    save_teacher(build_teacher("mlp", (32,)), path)
    response = _post(client, path.read_bytes(), "t.safetensors", arch="mlp", input_shape="32")
    assert response.status_code == 201, response.text


def test_a_safetensors_teacher_of_awd_studio_shows_the_architecture_it_names(client, tmp_path, data_dir):
    """API review: AWD Studio's own LSTM .safetensors, uploaded without arch, was listed with "arch": "auto" while
    its job said "uploaded (lstm)". The architecture the file's metadata names is read at upload and stored; a
    teacher stored as "auto" before is given it when it is next shown; the OpenAPI field says where it comes from."""
    from awd_studio.backend.routes.teachers import saved_architecture
    from awd_studio.jobstate.config import get_settings
    from awd_studio.jobstate.db import Teacher, get_sessionmaker
    from awd_studio.models.teachers import build_teacher, save_teacher

    path = tmp_path / "own_lstm.safetensors"
    save_teacher(build_teacher("lstm", (24,)), path)
    assert saved_architecture(path) == "lstm"
    uploaded = _post(client, path.read_bytes(), "own_lstm.safetensors", input_shape="24")
    assert uploaded.status_code == 201, uploaded.text
    teacher = uploaded.json()
    assert teacher["arch"] == "lstm"
    assert client.get(f"/api/teachers/{teacher['id']}").json()["arch"] == "lstm"
    # the same file with arch given is the same teacher (one architecture, one row)
    again = _post(client, path.read_bytes(), "again.safetensors", arch="lstm", input_shape="24")
    assert again.status_code == 200 and again.json()["id"] == teacher["id"], again.text
    # a row stored before this was read from the file
    with get_sessionmaker(get_settings().sqlalchemy_url)() as session:
        session.get(Teacher, teacher["id"]).arch = "auto"
        session.commit()
    listed = {t["id"]: t for t in client.get("/api/teachers").json()["data"]}
    assert listed[teacher["id"]]["arch"] == "lstm"
    with get_sessionmaker(get_settings().sqlalchemy_url)() as session:
        assert session.get(Teacher, teacher["id"]).arch == "lstm"
    described = client.get("/openapi.json").json()["components"]["schemas"]["TeacherPublic"]["properties"]["arch"]
    assert "metadata" in described["description"] and "exported program" in described["description"]
    # files that name nothing: a bare state dict, a text file, another format
    bare = tmp_path / "bare.safetensors"
    from safetensors.torch import save_file

    save_file(build_teacher("mlp", (24,)).state_dict(), str(bare))
    (tmp_path / "text.safetensors").write_text("not a safetensors file")
    assert [saved_architecture(tmp_path / name) for name in ("bare.safetensors", "text.safetensors", "x.pt")] \
        == [None, None, None]


def test_an_exported_program_is_labelled_as_such_whatever_arch_is_sent(client, tmp_path):
    """A .pt2 carries its own architecture: the form's default radio (mlp) sent with an LSTM program must not name
    it (review 9: "uploaded (mlp)" on every page for a user's LSTM)."""

    class MyLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.head = torch.nn.LSTM(1, 8, batch_first=True), torch.nn.Linear(8, 1)

        def forward(self, x):
            return self.head(self.lstm(x.unsqueeze(-1))[0][:, -1])

    path = tmp_path / "my_lstm.pt2"
    torch.export.save(torch.export.export(MyLSTM().eval(), (torch.zeros(2, 24),)), str(path))
    response = _post(client, path.read_bytes(), "my_lstm.pt2", arch="mlp", input_shape="24")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["arch"] == "exported program"
    assert client.get(f"/api/teachers/{body['id']}").json()["arch"] == "exported program"


class _Affine(torch.nn.Module):
    """Predicts ``offset + scale * x[:, 0]``."""

    def __init__(self, offset, scale):
        super().__init__()
        self.offset, self.scale = offset, scale

    def forward(self, x):
        return self.offset + self.scale * x[:, :1]


class _InfiniteAbove(torch.nn.Module):
    """Infinite where ``x[:, 2] > 0.89`` (float32's exp overflows: a fifth of normal data)."""

    def forward(self, x):
        return x[:, :1] + torch.exp(100.0 * x[:, 2:3])


def _program_bytes(tmp_path, module, length) -> bytes:
    path = tmp_path / "program.pt2"
    torch.export.save(torch.export.export(module.eval(), (torch.zeros(2, length),)), str(path))
    return path.read_bytes()


def test_weights_predicting_at_another_scale_than_the_dataset_get_a_warning_at_upload(client, tmp_path):
    """Review 21: a teacher trained on standardised targets, without that standardisation inside it, was caught
    only by the finished job's trust note. An upload for a dataset runs the weights on a sample of it and warns
    (the weights are kept); weights in the target's units get no warning."""
    import numpy as np

    from tests.backend.conftest import npz_bytes

    X = np.random.default_rng(3).normal(size=(300, 32))
    stored = client.post("/api/datasets", files={"file": ("omega.npz", npz_bytes(X=X, y=0.3 + 0.06 * X[:, 0]),
                                                           "application/octet-stream")}).json()
    standardised = _post(client, _program_bytes(tmp_path, _Affine(0.0, 1.0), 32), "standardised.pt2",
                         dataset_id=stored["id"])
    assert standardised.status_code == 201, standardised.text
    warning = standardised.json()["warning"]
    assert warning.startswith("On 256 samples of “omega”, this teacher predicts at another scale than the target")
    assert "where the target averages 0.3" in warning and "x_mean, x_std, y_mean and y_std" in warning
    again = _post(client, _program_bytes(tmp_path, _Affine(0.0, 1.0), 32), "again.pt2", dataset_id=stored["id"])
    assert again.status_code == 200 and "uploaded before" in again.json()["note"]  # the same weights: warned again
    assert again.json()["id"] == standardised.json()["id"] and again.json()["warning"] == warning
    right = _post(client, _program_bytes(tmp_path, _Affine(0.3, 0.06), 32), "right.pt2", dataset_id=stored["id"])
    assert right.status_code == 201 and right.json()["warning"] is None, right.text
    # infinite on some of the data, finite on the random sample input of every upload: refused, nothing stored
    inf = _post(client, _program_bytes(tmp_path, _InfiniteAbove(), 32), "inf.pt2", dataset_id=stored["id"])
    assert inf.status_code == 422 and re.search(r"NaN or infinite outputs on \d+ of 256 samples", inf.text), inf.text
    assert not [t for t in client.get("/api/teachers").json()["data"] if t["name"] == "inf"]


@pytest.mark.parametrize("case", ["malicious pickle", "wrong architecture", "wrong shape", "garbage",
                                  "missing arch", "bad extension", "unknown dataset"])
def test_bad_teacher_upload_is_refused_and_leaves_nothing(client, dataset, stored_files, case):
    evil = io.BytesIO()
    torch.save({"weight": _Evil()}, evil)
    cases = {
        "malicious pickle": (evil.getvalue(), "t.pt", {"arch": "mlp", "dataset_id": dataset["id"]}, 422),
        "wrong architecture": (_state_dict_bytes(), "t.pt", {"arch": "lstm", "dataset_id": dataset["id"]}, 422),
        "wrong shape": (_state_dict_bytes(16), "t.pt", {"arch": "mlp", "dataset_id": dataset["id"]}, 422),
        "garbage": (b"\x80\x04not a pickle at all", "t.pt", {"arch": "mlp", "input_shape": "64"}, 422),
        "missing arch": (_state_dict_bytes(), "t.pt", {"dataset_id": dataset["id"]}, 422),
        "bad extension": (_state_dict_bytes(), "t.pkl", {"arch": "mlp", "input_shape": "64"}, 415),
        # 404, as POST /api/jobs answers an unknown dataset_id (API review: 422 here, 404 there)
        "unknown dataset": (_state_dict_bytes(), "t.pt", {"arch": "mlp", "dataset_id": "nope"}, 404),
    }
    content, filename, form, code = cases[case]
    before = stored_files()
    response = _post(client, content, filename, **form)
    assert response.status_code == code, response.text
    assert len(response.json()["detail"]) > 10
    assert stored_files() - before == set()
    assert not os.path.exists("/tmp/awd-pwned")
    if case == "unknown dataset":
        job = client.post("/api/jobs", json={"dataset_id": "nope"})
        assert job.status_code == 404 and job.json()["detail"] == response.json()["detail"]
        assert response.json()["detail"].startswith("dataset_id: no dataset 'nope'; upload the data first")


def test_unknown_teacher_is_404(client):
    assert client.get("/api/teachers/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/api/teachers/mlp").status_code == 404


def test_delete_an_uploaded_teacher(client, dataset, data_dir):
    """Review 9: uploaded weights could not be deleted. Not while a job uses them (409 naming it); then the row
    and the file go, the job that used them names the teacher as deleted and refuses a rerun; built-ins are not
    stored (409), an unknown id is 404."""
    teacher = _post(client, _state_dict_bytes(), "teacher.pt", arch="mlp", dataset_id=dataset["id"]).json()
    job = client.post("/api/jobs", json={"dataset_id": dataset["id"], "teacher": teacher["id"], "lambdas": [1e-3],
                                         "gammas": [0.0], "epochs": 1}).json()
    busy = client.delete(f"/api/teachers/{teacher['id']}")
    assert busy.status_code == 409 and job["id"] in busy.json()["detail"] and "cancel it" in busy.json()["detail"]
    assert client.post(f"/api/jobs/{job['id']}/cancel").status_code == 200
    assert client.delete(f"/api/teachers/{teacher['id']}").status_code == 204
    assert client.get(f"/api/teachers/{teacher['id']}").status_code == 404
    assert not (data_dir / "teachers" / teacher["id"]).exists()
    assert all(t["id"] != teacher["id"] for t in client.get("/api/teachers").json()["data"])
    assert client.get(f"/api/jobs/{job['id']}").json()["teacher_name"] == "uploaded (mlp, deleted)"
    rerun = client.post(f"/api/jobs/{job['id']}/rerun")
    assert rerun.status_code == 409 and "teacher of this job was deleted" in rerun.json()["detail"]
    assert client.delete(f"/api/teachers/{teacher['id']}").status_code == 404
    builtin = client.delete("/api/teachers/lstm")
    assert builtin.status_code == 409 and "built-in" in builtin.json()["detail"]


@pytest.mark.usefixtures("no_worker")
def test_a_job_names_its_uploaded_teacher_by_the_owners_file_name_and_the_uploads_hash(client, tmp_path, data_dir):
    """Review 39A: the result of a job with an uploaded .pt2 named neither the file nor its hash. The config the
    worker runs (:func:`jobstate.jobconfig.job_config`) carries the name the owner's file had, and the weights file
    it points to hashes to the sha256 ``GET /api/teachers`` shows, which the pipeline records; the job row keeps
    neither the path nor the name (its teacher row has both), and "auto" is not resolved to a built-in network."""
    import numpy as np

    from awd_studio.jobstate.config import get_settings
    from awd_studio.jobstate.db import Job, Teacher, get_sessionmaker
    from awd_studio.jobstate.jobconfig import job_config
    from awd_studio.jobstate.storage import Paths
    from awd_studio.models.files import sha256_file
    from awd_studio.models.pipeline import resolve_config
    from tests.backend.conftest import npz_bytes

    rng = np.random.default_rng(39)
    X = rng.normal(size=(60, 32))
    maps = client.post("/api/datasets", files={"file": ("own.npz", npz_bytes(X=X, y=X[:, 0] + 0.3),
                                                        "application/octet-stream")}).json()
    uploaded = _post(client, _program_bytes(tmp_path, _Affine(0.3, 1.0), 32), "folder/mynet.pt2",
                     dataset_id=maps["id"])
    assert uploaded.status_code == 201, uploaded.text
    teacher = uploaded.json()
    job = client.post("/api/jobs", json={"dataset_id": maps["id"], "teacher": teacher["id"], "lambdas": [1e-3],
                                         "gammas": [0.0], "epochs": 1}).json()
    try:
        assert "teacher_file_name" not in job["config"] and "teacher_path" not in job["config"]
        with get_sessionmaker(get_settings().sqlalchemy_url)() as session:
            row, stored = session.get(Teacher, teacher["id"]), session.get(Job, job["id"]).config
            config = job_config(stored, row, Paths(data_dir))  # as the worker builds it
        assert config.teacher_file_name == "mynet.pt2" and config.teacher == "auto"
        assert sha256_file(config.teacher_path) == teacher["sha256"]
        assert resolve_config(config, "timeseries", (32,), 60)[0].teacher == "auto"
    finally:
        client.post(f"/api/jobs/{job['id']}/cancel")
