"""Handing the outbox's batches to a Redis broker with one LPUSH.

Every committed transaction that published events sends one ``oms.tasks.outbox_dispatch``
message. Through Celery's ``apply_async`` that cost about 1.1 ms of CPU and 1.9 ms of wall time
per order (kombu's producer pool, routing and retry machinery; bench/order_intake.py), about
twenty times a plain ``LPUSH`` of the same message. With a ``redis://`` broker and no eager
mode we therefore write the message ourselves, in Celery's documented message protocol 2
(https://docs.celeryq.dev/en/stable/internals/protocol.html) and the way kombu's Redis
transport stores it (the JSON envelope with a base64 body, in the list named after the queue);
any other broker, or eager mode, goes through ``apply_async``. The task is routed to
``task_default_queue`` (the outbox task has no route of its own). Sockets time out after 2 s so
a frozen Redis never blocks a request: the event stays pending and the sweep sends it.

The ``LPUSH`` itself goes over a socket of our own, one per process and thread, in Redis's
wire protocol (RESP): the command is one write and its answer one line, and redis-py's
connection pool, retry and reply parsing around it cost twice the CPU of that (82 against 37
us per order). A ``rediss://`` (TLS) or socket URL still goes through redis-py. A connection
found broken when reused is opened again once; a message that is then sent twice is harmless
(``outbox_dispatch`` runs each handler once per event).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import uuid
from functools import cache
from urllib.parse import unquote, urlsplit

import redis

_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
_HOST = socket.gethostname()


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def message(task: str, args: list, queue: str, limits: tuple[int | None, int | None]) -> bytes:
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
    from oms.tasks import outbox_dispatch

    conf = app.conf
    url = conf.broker_url or ""
    if conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
        outbox_dispatch.apply_async(args=[event_ids], retry=True)
        return
    queue = conf.task_default_queue
    limits = (conf.task_time_limit, conf.task_soft_time_limit)
    payload = message(outbox_dispatch.name, [event_ids], queue, limits)
    if url.startswith("redis://"):
        _lpush(url, queue.encode(), payload)
    else:
        _client(url).lpush(queue, payload)


# --- LPUSH over a socket of our own ----------------------------------------------------------------

TIMEOUT = 2.0
_local = threading.local()


def _lpush(url: str, key: bytes, value: bytes) -> None:
    command = b"*3\r\n$5\r\nLPUSH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value)
    sock, reused = _connection(url)
    try:
        _call(sock, command)
    except OSError as exc:
        _drop()
        if not reused or isinstance(exc, TimeoutError):  # a frozen server: do not wait twice
            raise
        _call(_connection(url)[0], command)  # a connection the server closed while we idled


def _connection(url: str) -> tuple[socket.socket, bool]:
    """This thread's socket to ``url`` and whether it was open already (a forked child, as a
    Celery worker process is, opens its own)."""
    held = getattr(_local, "held", None)
    if held is not None and held[0] == (url, os.getpid()):
        return held[1], True
    _drop()
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=TIMEOUT)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if parts.password is not None:
            login = [parts.username, parts.password] if parts.username else [parts.password]
            _call(sock, _command(b"AUTH", *(unquote(part).encode() for part in login)))
        database = parts.path.strip("/") or "0"
        if database != "0":
            _call(sock, _command(b"SELECT", database.encode()))
    except BaseException:
        sock.close()
        raise
    _local.held = ((url, os.getpid()), sock)
    return sock, False


def _command(*parts: bytes) -> bytes:
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in parts)


def _call(sock: socket.socket, command: bytes) -> bytes:
    """Send one command and read its one-line answer (``:n`` or ``+OK``; ``-ERR ...`` raises)."""
    sock.sendall(command)
    answer = b""
    while not answer.endswith(b"\r\n"):
        chunk = sock.recv(256)
        if not chunk:
            raise ConnectionResetError("Redis closed the connection")
        answer += chunk
    if answer.startswith(b"-"):
        raise RuntimeError(f"Redis refused: {answer[1:].strip().decode(errors='replace')}")
    return answer


def _drop() -> None:
    held = getattr(_local, "held", None)
    _local.held = None
    if held is not None:
        held[1].close()
