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

After a commit the request does not push the message itself: it leaves the ids with the
process's hand-off thread (``HandOff``, below), which pushes one message for the commits of a
moment. The sweep and the quick start's broker send at once (``send_outbox_batch``).

The ``LPUSH`` goes through redis-py: one client per process holding one connection (no pool to
take it from and give it back to), with a socket timeout of 2 s so a frozen Redis never holds up
the hand-off for long (the event stays pending and the sweep sends it). A connection found broken
is opened again once; a timeout is not retried (a frozen server: do not wait twice). A message
that is then sent twice is harmless (``outbox_dispatch`` runs each handler once per event).
"""

from __future__ import annotations

import atexit
import base64
import json
import logging
import os
import socket
import threading
import uuid
from functools import cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)
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


def _destination() -> tuple[str, str, tuple[int | None, int | None], str] | None:
    """Where a message goes when we write it ourselves (a Redis broker, no eager mode): the URL,
    the queue, the task's time limits and the reply-to; None when ``apply_async`` sends it."""
    from oms.celery import app

    conf = app.conf
    url = conf.broker_url or ""
    if conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
        return None
    return url, conf.task_default_queue, (conf.task_time_limit, conf.task_soft_time_limit), app.thread_oid


def _push(destination: tuple, event_ids: int | list[int]) -> None:
    from oms.tasks_registry import task_named

    url, queue, limits, reply_to = destination
    payload = message(task_named("oms.tasks.outbox_dispatch").name, [event_ids], queue, limits, reply_to)
    client(url).lpush(queue, payload)


def send_outbox_batch(event_ids: int | list[int]) -> None:
    """Queue ``outbox_dispatch(event_ids)`` now; raises when the broker cannot take it."""
    destination = _destination()
    if destination is None:
        from oms.tasks_registry import task_named

        task_named("oms.tasks.outbox_dispatch").apply_async(args=[event_ids], retry=True)
        return
    _push(destination, event_ids)


# --- the hand-off after commit, in the background -------------------------------------------------
#
# A request that committed events used to push their message itself: a round trip to Redis on
# the request's path, and one message, so one worker task, per order. Now the request leaves the
# ids with this process's hand-off thread and answers; the thread waits
# ``OMS_OUTBOX_HANDOFF_LINGER`` seconds after the first of them, so that the commits of that moment
# join it, and pushes one message per destination (under load one for every few orders:
# bench/order_intake.py --rounds prints the messages per order; the figures are in
# docs/ARCHITECTURE.md). Nothing is lost
# that was not lost before: a process that dies holding ids leaves their events pending, and the
# outbox sweep sends them (``OMS_OUTBOX_SWEEP_GRACE_SECONDS`` after they were written); at a
# normal exit the thread is emptied first (``atexit``).


class HandOff:
    """One process's hand-off thread and the ids waiting for it, by destination."""

    def __init__(self) -> None:
        self.waiting: dict[tuple, list[int]] = {}
        self.busy = False  # ids taken from ``waiting`` and not yet pushed
        self.hurry = False  # someone waits for them (``flush``): no lingering
        self.changed = threading.Condition()
        threading.Thread(target=self._run, name="oms-outbox-handoff", daemon=True).start()

    def put(self, destination: tuple, event_ids: list[int]) -> None:
        with self.changed:
            self.waiting.setdefault(destination, []).extend(event_ids)
            self.changed.notify_all()

    def flush(self, timeout: float = TIMEOUT * 2) -> bool:
        """Push every id put so far now; False when that took longer than ``timeout``."""
        with self.changed:
            self.hurry = True
            self.changed.notify_all()
            done = self.changed.wait_for(lambda: not self.waiting and not self.busy, timeout)
            self.hurry = False
            return done

    def _run(self) -> None:
        while True:
            with self.changed:
                self.changed.wait_for(lambda: self.waiting)
                # the commits of this moment join the message, unless someone waits for it
                self.changed.wait_for(lambda: self.hurry, settings.OMS_OUTBOX_HANDOFF_LINGER)
                taken, self.waiting, self.busy = self.waiting, {}, True
            for destination, event_ids in taken.items():
                try:
                    _push(destination, event_ids)
                except Exception as exc:  # broker down or frozen: the sweep sends them later
                    logger.warning("outbox: could not hand events %s to the broker: %s", event_ids, exc)
            with self.changed:
                self.busy = False
                self.changed.notify_all()


_hand_offs: dict[int, HandOff] = {}
_starting = threading.Lock()


def _new_lock_in_child() -> None:
    # a child forked while another thread held the lock would wait for it forever
    global _starting
    _starting = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


def _hand_off() -> HandOff:
    """This process's hand-off (a forked child, as a Celery worker process is, starts its own)."""
    pid = os.getpid()
    with _starting:
        if pid not in _hand_offs:
            _hand_offs[pid] = HandOff()
            atexit.register(_hand_offs[pid].flush)
        return _hand_offs[pid]


def queue_outbox_batch(event_ids: list[int]) -> bool:
    """Leave ``outbox_dispatch(event_ids)`` to this process's hand-off thread (the destination is
    taken now, as the caller's settings have it); False, doing nothing, when the broker is not one
    we write to ourselves: then the caller sends it (``send_outbox_batch``)."""
    destination = _destination()
    if destination is None:
        return False
    _hand_off().put(destination, event_ids)
    return True


def flush_hand_offs(timeout: float = TIMEOUT * 2) -> bool:
    """Wait for this process's hand-off thread to push what it holds; True when it holds nothing."""
    hand_off = _hand_offs.get(os.getpid())
    return hand_off is None or hand_off.flush(timeout)
