"""Which ``run_job`` message runs a queued job: its latest (``jobstate.crud.is_stale_message``).

The end-to-end case (a restart keeps the queue's order) is
``tests/integration/test_serve.py::test_a_planned_stop_requeues_the_running_job_without_counting_it_lost``."""

from awd_studio.jobstate.crud import is_stale_message
from awd_studio.jobstate.db import Job


def test_an_older_message_of_a_queued_job_sent_again_is_stale():
    queued = Job(id="j", state="queued", task_id="j.new")
    assert is_stale_message(queued, "j.old") and not is_stale_message(queued, "j.new")
    # without a recorded message (a send failed, or the job went back to the queue) any message runs it
    assert not is_stale_message(Job(id="j", state="queued", task_id=None), "j.old")
    # a running job's message is the claim's business (a lost worker's redelivery, a duplicate)
    assert not is_stale_message(Job(id="j", state="running", task_id="j.new"), "j.old")
    assert not is_stale_message(queued, None)
