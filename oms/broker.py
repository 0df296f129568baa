"""Handing the outbox's batches to a Redis broker with one LPUSH.

Every committed transaction that published events sends one ``oms.tasks.outbox_dispatch``
message. Through Celery's ``apply_async`` that cost many times a plain ``LPUSH`` of the same
message, even with a producer kept between calls (kombu's producer, routing and retry machinery;
the figures are bench/internals.py's and docs/ARCHITECTURE.md's). With a ``redis://`` or
``rediss://`` broker and no eager mode we therefore write the message ourselves, in Celery's
documented message protocol 2 (https://docs.celeryq.dev/en/stable/internals/protocol.html) and
the way kombu's Redis transport stores it (the JSON envelope with a base64 body, in the list named
after the queue); any other broker (the quick start's file-system one), or eager mode, goes through
``apply_async``. The task is routed to ``task_default_queue`` (the outbox task has no route of its
own).

This module is the one place that knows that format. tests/oms/test_broker.py is its contract:
it has the installed Celery send the same task with ``apply_async`` and compares the two messages
field by field, so a Celery or kombu release that changes the format fails the test, not the
workers.

The ``LPUSH`` goes through redis-py: one client per process holding one connection (no pool to
take it from and give it back to), with a socket timeout of 2 s so a frozen Redis never blocks a
request (the event stays pending and the sweep sends it). A connection found broken is opened
again once; a timeout is not retried (a frozen server: do not wait twice). A message that is then
sent twice is harmless (``outbox_dispatch`` runs each handler once per event).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import uuid
from functools import cache

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
_HOST = socket.gethostname()
TIMEOUT = 2.0


@cache
def _client(url: str, pid: int) -> redis.Redis:
    """One client per URL and process (a forked child, as a Celery worker process is, opens its
    own), holding one connection; redis-py locks it around each command, so threads may share it."""
    return redis.Redis.from_url(
        url,
        socket_timeout=TIMEOUT,
        socket_connect_timeout=TIMEOUT,
        single_connection_client=True,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    )


def client(url: str) -> redis.Redis:
    """This process's client for ``url``."""
    return _client(url, os.getpid())


def message(task: str, args: list, queue: str, limits: tuple[int | None, int | None], reply_to: str) -> bytes:
    """The broker message for ``task(*args)`` as kombu's Redis transport stores it."""
    task_id = str(uuid.uuid4())
    body = base64.b64encode(json.dumps([args, {}, _EMBED]).encode()).decode()
    envelope = {
        "body": body,
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {
            "lang": "py",
            "task": task,
            "id": task_id,
            "shadow": None,
            "eta": None,
            "expires": None,
            "group": None,
            "group_index": None,
            "retries": 0,
            "timelimit": list(limits),
            "root_id": task_id,
            "parent_id": None,
            "argsrepr": repr(args),
            "kwargsrepr": "{}",
            "origin": f"gen{os.getpid()}@{_HOST}",
            "ignore_result": True,
            "replaced_task_nesting": 0,
            "stamped_headers": None,
            "stamps": {},
        },
        "properties": {
            "correlation_id": task_id,
            "reply_to": reply_to,
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
        },
    }
    return json.dumps(envelope).encode()


def send_outbox_batch(event_ids: int | list[int]) -> None:
    """Queue ``outbox_dispatch(event_ids)``; raises when the broker cannot take it."""
    from oms.celery import app
    from oms.tasks_registry import task_named

    outbox_dispatch = task_named("oms.tasks.outbox_dispatch")

    conf = app.conf
    url = conf.broker_url or ""
    if conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
        outbox_dispatch.apply_async(args=[event_ids], retry=True)
        return
    queue = conf.task_default_queue
    limits = (conf.task_time_limit, conf.task_soft_time_limit)
    payload = message(outbox_dispatch.name, [event_ids], queue, limits, app.thread_oid)
    client(url).lpush(queue, payload)
