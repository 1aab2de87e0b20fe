"""``POST /api/results/{id}/predict`` on a job the real worker ran: the pipeline's test predictions, the
datasets' errors, and share links refused."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from awd_studio.models.pipeline.predict import recommended_model
from tests.conftest import terminal_state, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_predict_route_gives_the_pipelines_test_predictions(client, worker, tiny_job):
    from awd_studio.models.data import make_example

    data = make_example("synthetic", n=160, seed=23)
    X_all, y_all = np.concatenate([data.X, data.X_test]), np.concatenate([data.y, data.y_test])
    X, y, X_test, y_test = X_all[:120], y_all[:120], X_all[120:], y_all[120:]  # a fixed test split
    files = {"file": ("fixed-split.npz", _npz(X=X, y=y, X_test=X_test, y_test=y_test), "application/octet-stream")}
    dataset = client.post("/api/datasets", files=files).json()
    job = client.post("/api/jobs", json={"dataset_id": dataset["id"], **tiny_job}).json()
    done = wait_for(lambda: terminal_state(client, job["id"]), timeout=240, what="the job to end")
    assert done["state"] == "succeeded", done.get("error")
    stored = np.load(io.BytesIO(client.get(f"/api/results/{job['id']}/files/arrays.npz").content), allow_pickle=False)
    recommended = recommended_model(client.get(f"/api/results/{job['id']}").json())  # the default model

    new = {"file": ("new.npz", _npz(X=X_test, y=y_test), "application/octet-stream")}
    response = client.post(f"/api/results/{job['id']}/predict", files=new)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == recommended
    np.testing.assert_allclose(body["y_pred"], stored[f"y_pred_{recommended}"], rtol=0, atol=1e-10)
    awd = client.post(f"/api/results/{job['id']}/predict", files=new, params={"model": "awd"}).json()
    np.testing.assert_allclose(awd["y_pred"], stored["y_pred_awd"], rtol=0, atol=1e-10)
    assert body["scores"]["X"]["n"] == len(X_test)
    from awd_studio.models.pipeline.predict import TRAINING_FILE_WARNING

    assert TRAINING_FILE_WARNING not in body["warnings"]
    # the file the job was distilled from, recognised by the hash taken as it was uploaded (review 19)
    again = client.post(f"/api/results/{job['id']}/predict", files=files)
    assert again.status_code == 200 and TRAINING_FILE_WARNING in again.json()["warnings"]
    as_csv = client.post(f"/api/results/{job['id']}/predict", files=new, params={"format": "csv"})
    assert as_csv.status_code == 200 and as_csv.text.startswith("split,row,y_pred,y_true")
    # named after the run, as the result's files are (review 11: two runs' predictions overwrote each other)
    assert as_csv.headers["content-disposition"] == f'attachment; filename="awd-{job["id"][:8]}-predictions.csv"'

    csv_text = "\n".join(",".join(repr(float(v)) for v in row) for row in X_test)  # no target column
    unscored = client.post(f"/api/results/{job['id']}/predict", files={"file": ("new.csv", csv_text, "text/csv")})
    assert unscored.status_code == 200, unscored.text
    assert unscored.json()["has_targets"] is False and unscored.json()["scores"] == {}
    np.testing.assert_allclose(unscored.json()["y_pred"], stored[f"y_pred_{recommended}"], rtol=0, atol=1e-10)
    # a track's name stays with its prediction (review 11: matching them back by row order was left to the user)
    named = "\n".join(["track_id," + ",".join(f"t{i}" for i in range(X_test.shape[1]))] + [
        f"trk{i}," + ",".join(repr(float(v)) for v in row) for i, row in enumerate(X_test)])
    with_ids = client.post(f"/api/results/{job['id']}/predict", files={"file": ("named.csv", named, "text/csv")})
    assert with_ids.status_code == 200, with_ids.text
    assert with_ids.json()["ids"][:2] == ["trk0", "trk1"] and with_ids.json()["id_name"] == "track_id"
    as_csv = client.post(f"/api/results/{job['id']}/predict", files={"file": ("named.csv", named, "text/csv")},
                         params={"format": "csv"})
    assert as_csv.text.splitlines()[:2] == ["split,row,track_id,y_pred",
                                            f"file,0,trk0,{with_ids.json()['y_pred'][0]!r}"], as_csv.text[:200]

    # a new file with a gap: refused with the remedy the route takes; with it the row is left out, named, and every
    # other prediction keeps its row in the file and its track (cell biologist's review: never shifted)
    lines = named.splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[5], "", 1)  # trk2: a blank inside its trace
    gapped = {"file": ("gapped.csv", "\n".join(lines), "text/csv")}
    refused = client.post(f"/api/results/{job['id']}/predict", files=gapped)
    assert refused.status_code == 422 and refused.json()["remedies"] == ["drop_incomplete"], refused.text
    assert "awd predict --drop-incomplete" in refused.json()["detail"]
    left = client.post(f"/api/results/{job['id']}/predict", files=gapped, params={"drop_incomplete": "true"})
    assert left.status_code == 200, left.text
    kept = [i for i in range(len(X_test)) if i != 2]
    assert left.json()["rows"] == kept and left.json()["ids"] == [f"trk{i}" for i in kept]
    assert left.json()["dropped_rows"] == {"count": 1, "rows": ["line 4 (trk2)"], "of": len(X_test),
                                          "row_numbers": [2]}
    assert any(w.startswith("Left out 1 of") and "as asked: row 2 (line 4, trk2)." in w
               for w in left.json()["warnings"]), left.json()["warnings"]
    np.testing.assert_allclose(left.json()["y_pred"], stored[f"y_pred_{recommended}"][kept], rtol=0, atol=1e-10)
    left_csv = client.post(f"/api/results/{job['id']}/predict", files=gapped,
                           params={"drop_incomplete": "true", "format": "csv"}).text.splitlines()
    assert [line.split(",")[1:3] for line in left_csv[1:4]] == [["0", "trk0"], ["1", "trk1"], ["3", "trk3"]]

    wrong = {"file": ("short.npz", _npz(X=X_test[:, :32], y=y_test), "application/octet-stream")}
    bad = client.post(f"/api/results/{job['id']}/predict", files=wrong)
    assert bad.status_code == 422 and "X" in bad.json()["detail"] and "64" in bad.json()["detail"]
    pickled = {"file": ("evil.npz", _npz(X=np.array([object()], dtype=object), y=np.zeros(1)), "application/octet-stream")}
    assert client.post(f"/api/results/{job['id']}/predict", files=pickled).status_code == 422
    unknown = client.post(f"/api/results/{job['id']}/predict", files=new, params={"model": "nope"})
    assert unknown.status_code == 422 and "awd_no_interp" in unknown.json()["detail"]

    token = client.post(f"/api/jobs/{job['id']}/share").json()["token"]
    shared = client.post(f"/api/results/{token}/predict", files=new)
    assert shared.status_code == 403 and "read-only" in shared.json()["detail"]
    short = client.post(f"/api/results/{job['id'][:8]}/predict", files=new)  # the id in a result's file names
    assert short.status_code == 404 and "the job's full id" in short.json()["detail"]


def test_a_trace_lacking_only_its_target_is_predicted_with_drop_incomplete(client, worker, tiny_job):
    """With drop_incomplete a trace with every value but a blank target cell was left out like one with a gap; it is
    predicted now: its y_true null in the JSON (valid JSON, no NaN), an empty cell in the CSV, named in
    unscored_rows and a warning, the scores on the other rows; the trace with a gap is still left out."""
    import json

    from awd_studio.models.data import make_example

    data = make_example("synthetic", n=160, seed=29)
    files = {"file": ("data.npz", _npz(X=data.X, y=data.y), "application/octet-stream")}
    job = client.post("/api/jobs", json={"dataset_id": client.post("/api/datasets", files=files).json()["id"],
                                         **tiny_job}).json()
    done = wait_for(lambda: terminal_state(client, job["id"]), timeout=240, what="the job to end")
    assert done["state"] == "succeeded", done.get("error")
    X, y = data.X_test[:5], data.y_test[:5]
    cells = [["track_id"] + [f"t{i}" for i in range(X.shape[1])] + ["y"]]
    cells += [[f"trk{i}"] + [repr(float(v)) for v in x] + [repr(float(t))] for i, (x, t) in enumerate(zip(X, y))]
    cells[3][-1] = ""  # trk2: no target
    cells[4][8] = ""  # trk3: a gap inside its trace
    upload = {"file": ("new.csv", "\n".join(",".join(c) for c in cells) + "\n", "text/csv")}
    refused = client.post(f"/api/results/{job['id']}/predict", files=upload)
    assert refused.status_code == 422 and refused.json()["remedies"] == ["drop_incomplete"], refused.text
    answer = client.post(f"/api/results/{job['id']}/predict", files=upload, params={"drop_incomplete": "true"})
    assert answer.status_code == 200, answer.text
    body = json.loads(answer.text, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    kept = [0, 1, 2, 4]
    assert body["rows"] == kept and body["ids"] == [f"trk{i}" for i in kept]
    assert body["dropped_rows"] == {"count": 1, "rows": ["line 5 (trk3)"], "of": 5, "row_numbers": [3]}
    assert body["y_true"][2] is None
    np.testing.assert_allclose([body["y_true"][i] for i in (0, 1, 3)], y[[0, 1, 4]], rtol=0, atol=1e-12)
    assert body["unscored_rows"] == {"count": 1, "rows": ["line 4 (trk2)"], "of": 4, "row_numbers": [2]}
    assert body["scores"]["X"]["n"] == 3 and body["scores"]["X"]["of"] == 4 and body["has_targets"]
    assert any(w.startswith("Scored on 3 of 4 rows; 1 has no target") and "row 2 (line 4, trk2)" in w
               for w in body["warnings"]), body["warnings"]
    as_csv = client.post(f"/api/results/{job['id']}/predict", files=upload,
                         params={"drop_incomplete": "true", "format": "csv"}).text
    header, *lines = as_csv.splitlines()
    assert header == "split,row,track_id,y_pred,y_true" and "nan" not in as_csv.lower()
    assert [line.split(",")[1] for line in lines] == ["0", "1", "2", "4"]
    assert [line.split(",")[-1] == "" for line in lines] == [False, False, True, False]


def test_the_archive_holds_the_pages_python_code_and_it_runs(client, worker, tiny_job, tmp_path, capsys):
    """Review 31A: the results page's "Use in Python" code could not be reached without a browser; the archive
    carries it, and it runs as unpacked, reproducing the stored test predictions."""
    import subprocess
    import sys
    import zipfile

    from awd_studio.models.data import make_example, save_npz

    save_npz(make_example("synthetic", n=160, seed=5), tmp_path / "data.npz")
    files = {"file": ("data.npz", (tmp_path / "data.npz").read_bytes(), "application/octet-stream")}
    job = client.post("/api/jobs", json={"dataset_id": client.post("/api/datasets", files=files).json()["id"],
                                         **tiny_job}).json()
    done = wait_for(lambda: terminal_state(client, job["id"]), timeout=240, what="the job to end")
    assert done["state"] == "succeeded", done.get("error")
    with zipfile.ZipFile(io.BytesIO(client.get(f"/api/results/{job['id']}/archive").content)) as archive:
        assert "awd-result/use_in_python.py" in archive.namelist()
        archive.extractall(tmp_path / "unpacked")
    for where, script in (("unpacked", "awd-result/use_in_python.py"), ("unpacked/awd-result", "use_in_python.py")):
        ran = subprocess.run([sys.executable, script], cwd=tmp_path / where, capture_output=True, text=True,
                             timeout=120)  # from the unpack folder, and from inside awd-result/ (review 31B)
        assert ran.returncode == 0, ran.stderr
        assert float(ran.stdout.split("stored test predictions:")[1].split()[0]) <= 1e-10
    # review 44: the archive leaves out .explain/ (the teacher's weights), and awd explain on it said the result was
    # old and to rerun the job; it says where the job ran explains it
    from awd_studio.cli import main

    assert main(["explain", str(tmp_path / "unpacked" / "awd-result"), "--example", "0"]) == 2
    said = capsys.readouterr().err
    assert "unpacked from the result's archive" in said and "POST /api/results/<job id>/explain" in said, said
    assert "written before" not in said, said


def test_a_damaged_result_answers_with_what_the_command_says(client, settings):
    """Review 39B: an arrays.npz lacking a student's arrays was a KeyError; the route answers 422 with the file, the
    student and the fix, as ``awd predict`` prints them (models.pipeline.predict.load_student)."""
    from awd_studio.jobstate import crud
    from awd_studio.jobstate.db import get_sessionmaker

    X = np.random.default_rng(0).normal(size=(40, 16))
    upload = {"file": ("small.npz", _npz(X=X, y=X[:, 0]), "application/octet-stream")}
    dataset = client.post("/api/datasets", files=upload).json()
    with get_sessionmaker(settings.sqlalchemy_url)() as session:  # a job row with a result of one student
        job = crud.create_job(session, dataset_id=dataset["id"], teacher_id=None, config={})
        attempt = crud.claim_job(session, job_id=job.id, worker="test@host")
        result = settings.data_dir / "jobs" / job.id / f"attempt-{attempt}" / "result"
        result.mkdir(parents=True)
        (result / "result.json").write_text(json.dumps({  # the sections every result has, and one student
            "schema": "awd-result/1", **{key: {} for key in ("data", "teacher", "models", "wavelet", "provenance")},
            "students": {"awd": {"arrays": {"h": "student__awd__h"}}}}))
        (result / "arrays.npz").write_bytes(_npz(y_pred_awd=np.zeros(3)))  # without the student's arrays
        assert crud.finish_job(session, job_id=job.id, attempt=attempt, state="succeeded",
                               result_dir=str(result.relative_to(settings.data_dir)))
    answer = client.post(f"/api/results/{job.id}/predict", files=upload)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == (f"result: arrays.npz in {result} lacks the arrays of student awd "
                                       "(student__awd__h); download the result again (the results page's Download, "
                                       "or GET /api/results/<job id>/archive, unpacked), or run the job again")
