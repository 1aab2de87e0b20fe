"""Review 24A on uploads: parallel uploads of one file make one dataset (or teacher), and a display name taken from
the client's file name has no folders in it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import io

import httpx
import torch

from tests.backend.conftest import example_npz


def _parallel_posts(app, path: str, requests: list[dict]) -> list[httpx.Response]:
    """Send ``requests`` (keyword arguments of ``httpx.AsyncClient.post``) to ``path`` at once, on one event loop, as
    a web process receives them."""

    async def send_all():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://awd.test", timeout=120) as client:
            return await asyncio.gather(*(client.post(path, **request) for request in requests))

    # in a thread of its own: a test before this one in the same process may leave an event loop running in
    # this thread (asyncio.run refuses to start beside it)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, send_all()).result()


def _unique_mlp_weights(offset: float) -> bytes:
    """An MLP's state dict as bytes no other test uploads (a built teacher's weights are the same every time, and
    the database is shared by the tests of one process)."""
    from awd_studio.models.teachers import build_teacher

    state = build_teacher("mlp", (64,)).state_dict()
    first = next(iter(state))
    state[first] = state[first] + offset
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def test_parallel_uploads_of_one_file_make_one_dataset(app, client):
    """Six parallel uploads of the same bytes answered 201, 201, 200, 201, 200, 200 and stored three datasets: the
    look-up of the content and its storing are one step for each content now."""
    content = example_npz(n=80, seed=2401)
    before = client.get("/api/datasets", params={"limit": 1000}).json()["data"]
    upload = {"files": {"file": ("same.npz", content, "application/octet-stream")}}
    responses = _parallel_posts(app, "/api/datasets", [upload] * 6)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert all("uploaded before" in r.json()["note"] for r in responses if r.status_code == 200)
    after = client.get("/api/datasets", params={"limit": 1000}).json()["data"]
    assert len(after) == len(before) + 1


def test_parallel_uploads_of_one_teacher_make_one_teacher(app, client):
    upload = {"files": {"file": ("w.pt", _unique_mlp_weights(0.2401), "application/octet-stream")},
              "data": {"arch": "mlp", "input_shape": "64"}}
    responses = _parallel_posts(app, "/api/teachers", [upload] * 3)
    assert sorted(r.status_code for r in responses) == [200, 200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1


def test_the_name_of_an_upload_drops_the_folders_of_its_file_name(upload, client):
    """``filename=../../../../tmp/x/pwn.npz`` gave the dataset the name ``../../../../tmp/x/pwn``."""
    sent = upload(example_npz(seed=2402), "../../../../tmp/x/pwn.npz")
    assert sent.status_code == 201, sent.text
    assert sent.json()["name"] == "pwn" and sent.json()["original_filename"] == "pwn.npz"
    windows = upload(example_npz(seed=2403), "C:\\Users\\lab\\run 3.npz")
    assert windows.status_code == 201 and windows.json()["name"] == "run 3", windows.text
    named = upload(example_npz(seed=2404), "../x/data.npz", name="my/own name")
    assert named.json()["name"] == "my/own name"  # the user's own words stay as typed
    for response in (sent, windows, named):
        client.delete(f"/api/datasets/{response.json()['id']}")


def test_the_name_of_a_teacher_upload_drops_the_folders_of_its_file_name(client):
    response = client.post("/api/teachers", data={"arch": "mlp", "input_shape": "64"},
                           files={"file": ("..\\..\\etc/weights.pt", _unique_mlp_weights(0.2402),
                                           "application/octet-stream")})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "weights"
    client.delete(f"/api/teachers/{response.json()['id']}")


def test_the_examples_of_the_new_helpers_hold():
    """The docstring examples of the upload's display name and of the limit's exemptions."""
    import doctest

    from awd_studio.backend import ratelimit, uploads

    for module in (uploads, ratelimit):
        assert doctest.testmod(module).failed == 0, module.__name__
