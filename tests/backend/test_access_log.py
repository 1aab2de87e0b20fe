"""The access log holds no secret: the owner token of a ``?token=`` link and a share link's token in a path are
replaced (review 31A: every read of a shared result wrote its token in plain text)."""

import doctest
import logging

from awd_studio.backend import accesslog
from awd_studio.backend.accesslog import AccessLogFilter
from awd_studio.backend.routes.results import run_file_name

SHARE = "hQn2xfEfNruhzNGN0roTUz4MCKuexYHgDo8PPfIIUIo"
JOB = "c59f8d23-1b2c-4d5e-8f90-123456789abc"


def _logged(path: str, status: int = 200) -> str:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", path, "1.1", status), None)
    assert AccessLogFilter().filter(record)
    return record.getMessage()


def test_share_tokens_in_paths_are_logged_by_their_label_only():
    label = run_file_name(SHARE, "x").split("-x")[0].removeprefix("awd-")  # the label the files are named by
    for path in (f"/api/results/{SHARE}", f"/api/results/{SHARE}/files/result.json", f"/results/{SHARE}",
                 f"/api/shares/{SHARE}"):
        line = _logged(path)
        assert SHARE not in line and label in line, line
    assert JOB in _logged(f"/api/results/{JOB}/archive")  # a job's id is no secret, and says which run
    owner = _logged("/?token=owner-secret-123&next=/jobs")
    assert "owner-secret-123" not in owner and "token=***" in owner


def test_the_examples_run():
    assert doctest.testmod(accesslog).failed == 0
