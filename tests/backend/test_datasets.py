"""``/api/datasets``: ok, 404 and every kind of bad upload (4xx, clear message, nothing left on disk)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from awd_studio.models.data import load_dataset
from awd_studio.models.pipeline.prepare import source_sha256
from tests.backend.conftest import example_npz, npz_bytes


def test_upload_list_get_delete(client, upload, data_dir):
    content = example_npz(seed=4711)  # bytes no other test uploads: a file seen before is reused, not created
    response = upload(content, "series.npz", name="  my <b>data</b>  ")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "timeseries" and body["shape"] == [64] and body["n"] == 60
    assert body["name"] == "my <b>data</b>" and body["original_filename"] == "series.npz"
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["summary"]["targets"]
    assert (data_dir / "datasets" / body["id"] / "data.npz").is_file()
    assert any(d["id"] == body["id"] for d in client.get("/api/datasets").json()["data"])
    assert client.get(f"/api/datasets/{body['id']}").json()["id"] == body["id"]
    assert client.delete(f"/api/datasets/{body['id']}").status_code == 204
    assert not (data_dir / "datasets" / body["id"]).exists()
    assert client.get(f"/api/datasets/{body['id']}").status_code == 404
    assert client.delete(f"/api/datasets/{body['id']}").status_code == 404


@pytest.mark.parametrize("dataset_id", ["nope", "00000000-0000-4000-8000-000000000000", "..%2F..%2Fetc"])
def test_unknown_dataset_is_404(client, dataset_id):
    response = client.get(f"/api/datasets/{dataset_id}")
    assert response.status_code == 404 and "not found" in response.json()["detail"].lower()


def _bad_uploads():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 32))
    y = X.sum(axis=1)
    good = npz_bytes(X=X, y=y)
    nan = X.copy()
    nan[3, 5] = np.nan
    return [
        ("empty", b"", "data.npz", 422, "empty"),
        ("truncated npz", good[: len(good) // 2], "data.npz", 422, ""),
        ("pickled object array", npz_bytes(X=np.array([X[0], "x"], dtype=object), y=y[:2]), "data.npz", 422, ""),
        ("NaN", npz_bytes(X=nan, y=y), "data.npz", 422, "X"),
        ("wrong ndim", npz_bytes(X=X.reshape(40, 2, 4, 4), y=y), "data.npz", 422, "X"),
        ("mismatched X/y", npz_bytes(X=X, y=y[:-3]), "data.npz", 422, "y"),
        ("constant target", npz_bytes(X=X, y=np.ones(40)), "data.npz", 422, "nothing to predict"),
        ("every target column constant", npz_bytes(X=X, y=np.tile([0.3, 0.8], (40, 1))), "data.npz", 422,
         "nothing to predict"),
        ("unknown extension", good, "data.exe", 415, "unsupported"),
        ("no extension", good, "data", 415, "unsupported"),
        ("random bytes", bytes(rng.integers(0, 256, 5000, dtype=np.uint8)), "data.npz", 422, ""),
        ("text posing as npz", b"hello,world\n1,2\n", "data.npz", 422, ""),
    ]


@pytest.mark.parametrize("label,content,filename,code,word", _bad_uploads(), ids=[b[0] for b in _bad_uploads()])
def test_bad_upload_is_refused_and_leaves_nothing(client, upload, stored_files, label, content, filename, code,
                                                  word):
    before = stored_files()
    count = client.get("/api/datasets").json()["count"]
    response = upload(content, filename)
    assert response.status_code == code, (label, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, str) and len(detail) > 10
    assert word.lower() in detail.lower()
    if code == 422:  # every 422 of the upload is an UploadProblem, the empty file's too (API review)
        assert isinstance(response.json()["remedies"], list), response.json()
    assert stored_files() - before == set(), "a refused upload left files behind"
    assert client.get("/api/datasets").json()["count"] == count


def test_tab_separated_and_plain_text_files_are_taken(client, upload):
    rng = np.random.default_rng(6060)
    X = rng.normal(size=(30, 16))
    rows = ["\t".join(str(v) for v in [*X[i], X[i, :3].sum()]) for i in range(30)]
    response = upload("\n".join(rows).encode(), "traces.tsv")
    assert response.status_code == 201, response.text
    assert response.json()["shape"] == [16]
    response = upload("\n".join(r.replace("\t", " ") for r in rows).encode() + b"\n", "traces.txt")
    assert response.status_code in (200, 201), response.text


def test_an_excel_unicode_text_export_is_taken(client, upload):
    """Review 39B: Excel's "Unicode Text" (UTF-16 after a byte-order mark, tabs, CRLF) was refused as damaged."""
    rng = np.random.default_rng(3939)
    X = rng.normal(size=(30, 16))
    lines = ["\t".join([f"t{i}" for i in range(16)] + ["durée"])]
    lines += ["\t".join(str(v) for v in [*X[i], X[i, :3].sum()]) for i in range(30)]
    text = "\r\n".join(lines) + "\r\n"
    response = upload(b"\xff\xfe" + text.encode("utf-16-le"), "excel_unicode.txt")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["shape"] == [16] and body["n"] == 30 and body["summary"]["target_names"] == ["durée"]


def test_rows_with_missing_values_are_left_out_when_asked(client, upload, stored_files, data_dir):
    """Review 11: traces that ended early (blank trailing cells) refused the file; the upload can leave those rows
    out, and the dataset says which, by line and identifier."""
    rng = np.random.default_rng(6161)
    X = rng.normal(size=(40, 16))
    rows = [",".join(["track_id"] + [f"t={2 * i}s" for i in range(16)] + ["y"])]
    rows += [",".join([f"trk{i:04d}"] + [str(v) for v in X[i]] + [str(X[i, :3].sum())]) for i in range(40)]
    for i in (3, 8):  # two traces that ended early
        rows[i + 1] = ",".join(rows[i + 1].split(",")[:-4] + ["", "", "", rows[i + 1].split(",")[-1]])
    content = "\n".join(rows).encode()
    before = stored_files()
    refused = upload(content, "ended_early.csv")
    assert refused.status_code == 422 and "drop_incomplete=true" in refused.json()["detail"]
    # the remedies as a field the page reads (it matched the message's words: a rewording hid its buttons)
    assert refused.json()["remedies"] == ["drop_incomplete", "pad_ends"]
    assert stored_files() == before
    taken = upload(content, "ended_early.csv", drop_incomplete="true")
    assert taken.status_code == 201, taken.text
    body = taken.json()
    assert body["n"] + (body.get("n_test") or 0) == 38
    assert body["summary"]["meta"]["dropped_rows"] == {"count": 2, "rows": ["line 5 (trk0003)", "line 10 (trk0008)"],
                                                       "of": 40}
    assert body["original_filename"] == "ended_early.csv"
    # the stored copy names the file sent: a result records that file's SHA-256, which awd predict can match
    # (review 44A), and the same rows sent again are still the same dataset
    stored = load_dataset(data_dir / "datasets" / body["id"] / "data.npz")
    assert stored.meta["source_file"] == {"name": "ended_early.csv", "sha256": hashlib.sha256(content).hexdigest()}
    assert source_sha256(stored, "copy.npz") == hashlib.sha256(content).hexdigest()
    assert upload(content, "renamed.csv", drop_incomplete="true").json()["id"] == body["id"]
    # the stored file is what was read (the raw CSV would be refused when a job reads it)
    job = client.post("/api/jobs/estimate", json={"dataset_id": body["id"]})
    assert job.status_code == 200, job.text
    # 38 series: the job's split, and a caution before it runs (review 18: 14 and 4 ran without a word)
    guess = job.json()
    assert (guess["n_train"], guess["n_test"]) == (30, 8)
    assert guess["few_samples"].startswith("Only 30 training and 8 test series")
    assert upload(content, "ended_early.csv", drop_incomplete="maybe").status_code == 422
    # or every trace kept, each one's end filled with zeros (review 18: dropping was the only remedy)
    filled = upload(content, "ended_early.csv", pad_ends="true")
    assert filled.status_code == 201, filled.text
    body = filled.json()
    assert body["n"] + (body.get("n_test") or 0) == 40
    assert body["summary"]["meta"]["padded_rows"] == {"count": 2, "of": 40, "shortest": 13, "length": 16,
                                                      "rows": ["line 5 (trk0003)", "line 10 (trk0008)"]}
    again = upload(content, "ended_early.csv", pad_ends="true")  # the same filled rows: the dataset stored before
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    # both together on traces that merely ended early: the same filled rows, so the dataset stored before
    both = upload(content, "ended_early.csv", pad_ends="true", drop_incomplete="true")
    assert both.status_code == 200 and both.json()["id"] == body["id"], both.text
    # a gap inside a trace: filling the ends alone cannot help, leaving the row out can (with the ends filled or not)
    gap = content.replace(rows[2].split(",")[5].encode(), b"", 1)
    gapped = upload(gap, "gap.csv", pad_ends="true")
    assert gapped.status_code == 422, gapped.text
    assert gapped.json()["remedies"] == ["drop_incomplete", "pad_ends+drop_incomplete"], gapped.text


def test_ended_traces_filled_and_rows_with_gaps_left_out_in_one_upload(client, upload, stored_files):
    """Cell biologist's review: traces that ended early and a few rows with a gap or a missing target could not be
    uploaded without editing the file (the two remedies were exclusive). The refusal offers both together; with both
    fields the ended traces are filled, the other rows left out, and the dataset's summary says both."""
    rng = np.random.default_rng(6363)
    cells = [["track_id"] + [f"t{i}" for i in range(16)] + ["y"]]
    cells += [[f"trk{i:04d}"] + [f"{v:.6f}" for v in x] + [f"{x[:3].sum():.6f}"]
              for i, x in enumerate(rng.normal(size=(40, 16)))]
    cells[4][13:17], cells[9][11:17] = [""] * 4, ["NaN"] * 6  # two traces that ended early
    cells[20][6] = ""  # a gap inside a trace
    cells[31][17] = "NA"  # a missing target
    content = "\n".join(",".join(row) for row in cells).encode()
    before = stored_files()
    refused = upload(content, "plate.csv")
    assert refused.status_code == 422, refused.text
    assert refused.json()["remedies"] == ["drop_incomplete", "pad_ends+drop_incomplete"]
    assert "pad_ends=true with drop_incomplete=true" in refused.json()["detail"]
    assert stored_files() == before
    taken = upload(content, "plate.csv", pad_ends="true", drop_incomplete="true")
    assert taken.status_code == 201, taken.text
    body = taken.json()
    assert body["n"] + (body.get("n_test") or 0) == 38
    meta = body["summary"]["meta"]
    assert meta["dropped_rows"] == {"count": 2, "rows": ["line 21 (trk0019)", "line 32 (trk0030)"], "of": 40}
    assert meta["padded_rows"] == {"count": 2, "of": 38, "shortest": 10, "length": 16,
                                   "rows": ["line 5 (trk0003)", "line 10 (trk0008)"]}
    # the stored data is what was read: a job can use it, and the same upload again finds it
    assert client.post("/api/jobs/estimate", json={"dataset_id": body["id"]}).status_code == 200
    again = upload(content, "plate_copy.csv", drop_incomplete="true", pad_ends="true")
    assert again.status_code == 200 and again.json()["id"] == body["id"] and "plate" in again.json()["note"]
    # leaving the rows out alone is another dataset: the ended traces went too
    dropped = upload(content, "plate.csv", drop_incomplete="true")
    assert dropped.status_code == 201 and dropped.json()["summary"]["meta"]["dropped_rows"]["count"] == 4


def test_a_gap_inside_a_trace_is_offered_only_the_remedy_that_can_help(client, upload):
    """Review 38: a blank (or NaN) inside a trace offered both buttons, and "fill the ends with zeros" was refused on
    the second try; only traces that ended early (every missing cell after the row's last value, the target still
    there) are offered it."""
    rng = np.random.default_rng(6262)
    cells = [["track_id"] + [f"t{i}" for i in range(16)] + ["y"]]
    cells += [[f"trk{i}"] + [f"{v:.5f}" for v in x] + [f"{x[:3].sum():.5f}"]
              for i, x in enumerate(rng.normal(size=(40, 16)))]

    def refused(edit):
        rows = [list(row) for row in cells]
        edit(rows)
        response = upload("\n".join(",".join(row) for row in rows).encode(), "traces.csv")
        assert response.status_code == 422, response.text
        return response.json()

    def ends(rows):  # two traces that ended early, blank and NaN after their last value
        rows[4][14:17], rows[9][12:17] = ["", "", ""], ["NaN"] * 5

    def gap(rows):  # and one trace with a NaN inside it
        ends(rows)
        rows[20][6] = "NaN"

    def target(rows):  # a trace that ended early without its target
        rows[4][14:18] = [""] * 4

    assert refused(ends)["remedies"] == ["drop_incomplete", "pad_ends"]
    inside = refused(gap)  # the other traces ended early: filling them and leaving the gapped row out is offered
    assert inside["remedies"] == ["drop_incomplete", "pad_ends+drop_incomplete"], inside
    assert "drop_incomplete=true" in inside["detail"] and "pad_ends=true with drop_incomplete" in inside["detail"]
    assert "filling the ends alone cannot help here" in inside["detail"], inside["detail"]

    def gap_alone(rows):  # a gap and nothing that ended early: leaving the row out is the one remedy
        rows[20][6] = "NaN"

    alone = refused(gap_alone)
    assert alone["remedies"] == ["drop_incomplete"], alone
    assert "drop_incomplete=true" in alone["detail"] and "pad_ends" not in alone["detail"], alone["detail"]
    assert "not every cell named is a missing value after its trace's last value" in alone["detail"], alone["detail"]
    assert refused(target)["remedies"] == ["drop_incomplete"]


def _ended_early_csv(seed: int) -> bytes:
    """40 traces of 16 samples with a track id and a target; two of them end three samples early."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 16))
    rows = [",".join(["track_id"] + [f"t{i}" for i in range(16)] + ["y"])]
    rows += [",".join([f"trk{i:04d}"] + [str(v) for v in X[i]] + [str(X[i, :3].sum())]) for i in range(40)]
    for i in (3, 8):
        cells = rows[i + 1].split(",")
        rows[i + 1] = ",".join(cells[:-4] + ["", "", "", cells[-1]])
    return "\n".join(rows).encode()


def test_the_same_data_under_another_name_is_the_dataset_stored_before(client, upload, stored_files):
    """A CSV read with ``pad_ends`` (or ``drop_incomplete``, or cut into tiles) is stored as the .npz of the data
    read, and that file holds the name: the same CSV under another name was stored a second time. The data and
    the options that change it identify a dataset: the second upload gets the first, under its first name."""
    content = _ended_early_csv(6363)
    first = upload(content, "ended_early.csv", pad_ends="true")
    assert first.status_code == 201, first.text
    body = first.json()
    before = stored_files()
    for form in ({"name": "plate 2"}, {}):  # another name typed, or another file name
        again = upload(content, "plate_2.csv", pad_ends="true", **form)
        assert again.status_code == 200, again.text
        assert again.json()["id"] == body["id"] and again.json()["name"] == "ended_early"
        assert again.json()["sha256"] == body["sha256"]
        note = again.json()["note"]
        assert "uploaded before" in note and "as “ended_early”" in note
        assert f"“{form.get('name', 'plate_2')}” is not kept" in note, note
    same_name = upload(content, "ended_early.csv", pad_ends="true")  # as before: the note names no other name
    assert same_name.status_code == 200 and "not kept" not in same_name.json()["note"]
    assert stored_files() == before
    # another option changes the data: another dataset
    dropped = upload(content, "plate_2.csv", drop_incomplete="true")
    assert dropped.status_code == 201 and dropped.json()["id"] != body["id"]
    assert upload(content, "plate_3.csv", drop_incomplete="true").json()["id"] == dropped.json()["id"]
    # tiles: the same file cut alike under another name
    maps = npz_bytes(X=np.random.default_rng(6364).normal(size=(6, 64, 64)), y=np.repeat([0.2, 0.3, 0.4], 2))
    tiles = upload(maps, "survey.npz", tile="32")
    assert tiles.status_code == 201, tiles.text
    renamed = upload(maps, "survey.npz", tile="32", name="survey B")
    assert renamed.status_code == 200 and renamed.json()["id"] == tiles.json()["id"]
    assert renamed.json()["name"] == "survey (32 px tiles)"
    assert "“survey B (32 px tiles)” is not kept" in renamed.json()["note"]


def test_rows_filled_by_an_earlier_release_are_found_again(client, upload, settings, data_dir):
    """Earlier releases identified data read with ``pad_ends`` by the SHA-256 of its .npz (name included): the same
    upload under the same name still finds such a dataset after the upgrade."""
    from awd_studio.jobstate.db import Dataset, get_sessionmaker
    from awd_studio.models.data import save_npz
    from awd_studio.models.files import sha256_file

    content = _ended_early_csv(6464)
    first = upload(content, "older.csv", pad_ends="true").json()
    # the .npz as an earlier release wrote it: without the name of the file sent (review 44A added it)
    dataset = load_dataset(data_dir / "datasets" / first["id"] / "data.npz")
    dataset.meta.pop("source_file")
    save_npz(dataset, data_dir / "older.npz")
    with get_sessionmaker(settings.sqlalchemy_url)() as session:  # the row as an earlier release wrote it
        session.get(Dataset, first["id"]).sha256 = sha256_file(data_dir / "older.npz")
        session.commit()
    (data_dir / "older.npz").unlink()
    again = upload(content, "older.csv", pad_ends="true")
    assert again.status_code == 200 and again.json()["id"] == first["id"], again.text


def test_large_maps_are_cut_into_tiles_with_whole_maps_held_out(client, upload, stored_files):
    rng = np.random.default_rng(5150)
    X = rng.normal(size=(6, 96, 96))  # six maps: too few to distil on, 54 tiles of 32 px
    content = npz_bytes(X=X, y=np.repeat([0.25, 0.3, 0.35], 2))
    refused = upload(content, "suite.npz")
    assert refused.status_code == 422 and "tiles" in refused.json()["detail"]
    before = stored_files()
    for bad, words in [("8", "16 to 96"), ("many", "whole number")]:
        response = upload(content, "suite.npz", tile=bad)
        assert response.status_code == 422 and words in response.json()["detail"], response.text
    assert stored_files() == before
    response = upload(content, "suite.npz", tile="32")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["shape"] == [32, 32] and body["n"] + body["n_test"] == 54 and body["n_test"] % 9 == 0
    assert body["summary"]["meta"]["tiles"]["per_map"] == 9
    again = upload(content, "suite.npz", tile="32")  # the same tiles: that dataset again
    assert again.status_code == 200 and again.json()["id"] == body["id"] and "tiles" in again.json()["note"]
    other = upload(content, "suite.npz", tile="48")  # the same file, other tiles: a new dataset
    assert other.status_code == 201 and other.json()["id"] != body["id"] and other.json()["shape"] == [48, 48]
    # the lists tell two tilings of one file apart by name
    assert (body["name"], other.json()["name"]) == ("suite (32 px tiles)", "suite (48 px tiles)")


def test_example_larger_than_the_upload_limit_is_refused_before_it_is_made(make_client, stored_files):
    """POST /api/examples/{name} sizes the request by the example's sample shape and default size
    (models.data.examples.EXAMPLE_INFO), before simulating: 0.1 MiB holds 204 series of 64 values in float64."""
    small = make_client(max_upload_mb=0.1)
    before = stored_files()
    response = small.post("/api/examples/synthetic")  # the default 3000 series
    assert response.status_code == 422, response.text
    assert "3000 samples" in response.json()["detail"] and "n <= 204" in response.json()["detail"]
    response = small.post("/api/examples/lensing", json={"n": 20})  # 20 maps of 64 x 64: 655 kB
    assert response.status_code == 422 and "n <= 3" in response.json()["detail"], response.text
    assert small.post("/api/examples/synthetic", json={"n": 100}).status_code == 201
    assert len(stored_files() - before) == 1


def test_too_large_upload_is_413_while_streaming(make_client, stored_files):
    small = make_client(max_upload_mb=0.01)  # about 10 kB
    before = stored_files()
    big = npz_bytes(X=np.zeros((400, 64)), y=np.zeros(400))
    response = small.post("/api/datasets", files={"file": ("big.npz", big, "application/octet-stream")})
    assert response.status_code == 413 and "AWD_MAX_UPLOAD_MB" in response.json()["detail"]
    # a lying (absent) Content-Length is caught while streaming too
    def chunks():
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.npz\"\r\n\r\n"
        for _ in range(20):
            yield b"\0" * 1024
        yield b"\r\n--b--\r\n"
    response = small.post("/api/datasets", content=chunks(),
                          headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413
    assert stored_files() - before == set()


def test_not_multipart_and_missing_file(client):
    assert client.post("/api/datasets", json={"X": [1]}).status_code == 415
    response = client.post("/api/datasets", files={"other": ("a.npz", b"123")})
    assert response.status_code == 422 and "file" in response.json()["detail"]


def test_storage_quota_is_507(make_client, data_dir):
    tiny = make_client(max_storage_mb=0.001)
    response = tiny.post("/api/datasets", files={"file": ("a.npz", example_npz(), "application/octet-stream")})
    assert response.status_code == 507 and "AWD_MAX_STORAGE_MB" in response.json()["detail"]


def test_examples_list_and_create(client):
    listed = client.get("/api/examples").json()
    assert {e["name"] for e in listed["data"]} >= {"synthetic", "cme", "lensing"}
    # the science's one table of the examples, served as it is (the route kept words of its own, which said the
    # CME target was "the auxilin signal" and the lensing one "the matter density")
    from awd_studio.models.data.examples import EXAMPLE_INFO

    assert listed["data"] == [{"name": name, "label": info.label, "kind": info.kind, "description": info.description}
                              for name, info in EXAMPLE_INFO.items()]
    assert "mean auxilin amplitude" in EXAMPLE_INFO["cme"].description
    made = client.post("/api/examples/synthetic", json={"n": 100, "seed": 1})
    assert made.status_code == 201, made.text
    assert made.json()["source"] == "example" and made.json()["n"] + (made.json()["n_test"] or 0) >= 80
    # the same example again is the same dataset, not a copy (each click on "Use" made one before)
    again = client.post("/api/examples/synthetic", json={"n": 100, "seed": 1})
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    assert "made before" in again.json()["note"]
    other = client.post("/api/examples/synthetic", json={"n": 100, "seed": 2})
    assert other.status_code == 201 and other.json()["id"] != made.json()["id"]
    assert client.post("/api/examples/nope").status_code == 404
    assert client.post("/api/examples/synthetic", json={"n": 5}).status_code == 422


def test_the_lensing_example_takes_shape_noise_and_smoothing(client):
    """Review 32A: the example maps were all noiseless, and the API refused the simulator's own noise options."""
    noisy = client.post("/api/examples/lensing", json={"n": 40, "galaxy_density": 30, "smoothing_arcmin": 1})
    assert noisy.status_code == 201, noisy.text
    plain = client.post("/api/examples/lensing", json={"n": 40})
    assert plain.status_code == 201 and plain.json()["id"] != noisy.json()["id"]
    refused = client.post("/api/examples/cme", json={"n": 40, "galaxy_density": 30})
    assert refused.status_code == 422 and "lensing example only" in refused.json()["detail"]
    assert client.post("/api/examples/lensing", json={"galaxy_density": 0}).status_code == 422
    assert client.post("/api/examples/lensing", json={"smoothing_arcmin": 100}).status_code == 422


def test_a_remedy_that_changes_nothing_finds_the_file_stored_before(client, upload):
    """drop_incomplete or pad_ends on a file with no missing value (or on a format that ignores them) reads the
    file as it is: it is stored as it came, so the same file is the dataset stored before, not a copy per upload."""
    rng = np.random.default_rng(6565)
    X = rng.normal(size=(40, 16))
    rows = [",".join([f"t{i}" for i in range(16)] + ["y"])]
    rows += [",".join([str(v) for v in X[i]] + [str(X[i, :3].sum())]) for i in range(40)]
    content = "\n".join(rows).encode()
    first = upload(content, "complete.csv")
    assert first.status_code == 201, first.text
    for form in ({"pad_ends": "true"}, {"drop_incomplete": "true"}, {"pad_ends": "true"}):
        again = upload(content, "complete.csv", **form)
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"], (form, again.text)
        assert again.json()["note"].startswith("this file was uploaded before"), again.json()["note"]
    fresh = example_npz(seed=6566)  # an .npz ignores pad_ends: first stored with it, then found without and with
    with_flag = upload(fresh, "ignored.npz", pad_ends="true")
    assert with_flag.status_code == 201, with_flag.text
    for form in ({}, {"pad_ends": "true"}):
        assert upload(fresh, "ignored.npz", **form).json()["id"] == with_flag.json()["id"], form


def test_an_npz_of_traces_that_ended_early_is_offered_and_takes_the_remedies(client, upload, stored_files):
    """Cell biologist's review: an .npz whose traces end early (trailing NaN, the export of tracking tools) was refused
    with ``"remedies": []`` (no button), and pad_ends was ignored for it; a CSV of the same data had both."""
    rng = np.random.default_rng(17)
    X = rng.normal(size=(40, 16))
    y = X[:, :3].sum(axis=1)
    X[3, 13:], X[8, 12:] = np.nan, np.nan  # two traces that ended early
    content = npz_bytes(X=X, y=y)
    before = stored_files()
    refused = upload(content, "ended_early.npz")
    assert refused.status_code == 422, refused.text
    assert refused.json()["remedies"] == ["drop_incomplete", "pad_ends"]
    assert "2 of 40 samples end early" in refused.json()["detail"]
    assert stored_files() == before
    filled = upload(content, "ended_early.npz", pad_ends="true")
    assert filled.status_code == 201, filled.text
    body = filled.json()
    assert body["n"] + (body.get("n_test") or 0) == 40
    assert body["summary"]["meta"]["padded_rows"] == {"count": 2, "of": 40, "shortest": 12, "length": 16,
                                                      "rows": ["sample 4", "sample 9"]}
    # the stored file is what was read: a job takes it (the raw npz would be refused when a job reads it)
    assert client.post("/api/jobs/estimate", json={"dataset_id": body["id"]}).status_code == 200
    taken = upload(content, "ended_early.npz", drop_incomplete="true")
    assert taken.status_code == 201, taken.text
    assert taken.json()["summary"]["meta"]["dropped_rows"] == {"count": 2, "rows": ["sample 4", "sample 9"], "of": 40}


def test_an_npz_whose_test_split_ended_early_takes_the_remedies_for_both_splits(client, upload, stored_files):
    """The fixed test split's traces that end early are refused with the training split's buttons, and the options
    fill them or leave them out (with their targets), named ``test sample k``."""
    rng = np.random.default_rng(23)
    X, X_test = rng.normal(size=(40, 16)), rng.normal(size=(12, 16))
    y, y_test = X[:, :3].sum(axis=1), X_test[:, :3].sum(axis=1)
    X_test[2, 13:], X_test[7, 11:] = np.nan, np.nan  # two test traces that ended early
    content = npz_bytes(X=X, y=y, X_test=X_test, y_test=y_test)
    before = stored_files()
    refused = upload(content, "test_ended.npz")
    assert refused.status_code == 422, refused.text
    assert refused.json()["remedies"] == ["drop_incomplete", "pad_ends"]
    assert "2 of 12 test samples end early" in refused.json()["detail"]
    assert stored_files() == before
    filled = upload(content, "test_ended.npz", pad_ends="true")
    assert filled.status_code == 201, filled.text
    assert (filled.json()["n"], filled.json()["n_test"]) == (40, 12)
    assert filled.json()["summary"]["meta"]["padded_rows"] == {"count": 2, "of": 52, "shortest": 11, "length": 16,
                                                               "rows": ["test sample 3", "test sample 8"]}
    taken = upload(content, "test_ended.npz", drop_incomplete="true")
    assert taken.status_code == 201, taken.text
    assert taken.json()["n_test"] == 10 and taken.json()["summary"]["n_test"] == 10
    assert taken.json()["summary"]["meta"]["dropped_rows"] == {"count": 2, "rows": ["test sample 3", "test sample 8"],
                                                               "of": 52}


def test_an_npz_of_single_channel_series_is_taken_and_several_channels_refused(client, upload):
    """PyTorch's (n, 1, L) is n series, the dropped channel axis said in the summary; (n, C, L) with C > 1 is refused
    with what to pass."""
    rng = np.random.default_rng(29)
    X = rng.normal(size=(40, 1, 16))
    y = X[:, 0, :3].sum(axis=1)
    taken = upload(npz_bytes(X=X, y=y), "torch.npz")
    assert taken.status_code == 201, taken.text
    assert taken.json()["kind"] == "timeseries" and taken.json()["shape"] == [16]
    assert taken.json()["summary"]["meta"]["channel_axis"] == {"X": [40, 1, 16]}
    # the stored file is what a job reads: it takes it
    assert client.post("/api/jobs/estimate", json={"dataset_id": taken.json()["id"]}).status_code == 200
    refused = upload(npz_bytes(X=np.repeat(X, 3, axis=1), y=y), "three_channels.npz")
    assert refused.status_code == 422, refused.text
    assert "multichannel series are not supported" in refused.json()["detail"]
    assert "X[:, 0]" in refused.json()["detail"]


def test_a_dataset_without_a_fixed_test_split_says_null_in_both_places(client, dataset):
    """API review: ``n_test`` was null while ``summary.n_test`` was 0. Null, in both, is "no fixed test split" (the
    job holds out test_fraction); the OpenAPI field says so."""
    assert dataset["n_test"] is None and dataset["summary"]["n_test"] is None
    listed = next(d for d in client.get("/api/datasets").json()["data"] if d["id"] == dataset["id"])
    assert listed["n_test"] is None and listed["summary"]["n_test"] is None
    assert client.get(f"/api/datasets/{dataset['id']}").json()["summary"]["n_test"] is None
    described = client.get("/openapi.json").json()["components"]["schemas"]["DatasetPublic"]["properties"]["n_test"]
    assert "null when it has none" in described["description"] and "summary.n_test" in described["description"]


def test_a_refusal_of_the_uploads_form_has_remedies_as_any_other(upload):
    """API review: the empty file's 422 had no ``remedies`` key, unlike the other 422s of the upload; an unknown
    field's neither. Both are an UploadProblem, with no remedy."""
    for refused in (upload(b"", "empty.npz"), upload(b"x", "data.npz", tile_size="8")):
        assert refused.status_code == 422 and set(refused.json()) == {"detail", "remedies"}, refused.text
        assert refused.json()["remedies"] == []
