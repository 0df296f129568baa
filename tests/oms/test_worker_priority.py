"""A Celery worker runs below the web processes' CPU priority (``OMS_WORKER_NICE``): on a host
that serves both, a request does not wait for a core while a worker renders PDFs."""

import os
from pathlib import Path

import pytest

from tests.support.celery_worker import Worker, new_queue
from tests.support.services import redis_url


def _nice(pid: int) -> int:
    # /proc/<pid>/stat: after the command in parentheses, the 17th field is the nice value
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


@pytest.mark.django_db
@pytest.mark.redis
@pytest.mark.worker
def test_a_worker_runs_ten_nice_steps_below_the_process_that_started_it():
    worker = Worker(new_queue(), redis_url()).start()
    try:
        started_at, runs_at = _nice(os.getpid()), _nice(worker.proc.pid)
    finally:
        worker.stop()
    assert runs_at == min(started_at + 10, 19), (started_at, runs_at)
