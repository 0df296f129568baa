"""oms.broker's LPUSH to Redis: the message is, field by field, the one Celery's own
``apply_async`` sends for the installed Celery and kombu (the contract: a release that changes the
format fails here); it lands in the queue's list, in the database the URL names; a connection
Redis dropped is opened again; a refusal is an error, not a hang."""

import base64
import json
import socket
import time
import uuid
from urllib.parse import urlparse, urlunparse

import pytest
import redis

from oms import broker, events
from tests.support.celery_worker import new_queue, use_broker
from tests.support.services import redis_url

pytestmark = pytest.mark.redis


def _url(database: int) -> str:
    return urlunparse(urlparse(redis_url())._replace(path=f"/{database}"))


@pytest.fixture
def queue():
    name = new_queue()
    yield name
    for database in (0, 7):
        redis.Redis.from_url(_url(database)).delete(name)


def _messages(database: int, queue: str) -> list[dict]:
    return [json.loads(raw) for raw in redis.Redis.from_url(_url(database)).lrange(queue, 0, -1)]


def test_the_message_lands_in_the_queue_of_the_database_the_url_names(queue):
    with use_broker(_url(7), queue):
        broker.send_outbox_batch([11, 12])
    (sent,) = _messages(7, queue)
    assert sent["headers"]["task"] == "oms.tasks.outbox_dispatch" and sent["headers"]["argsrepr"] == "[[11, 12]]"
    assert _messages(0, queue) == []


def test_a_connection_redis_dropped_is_opened_again(queue):
    with use_broker(_url(7), queue):
        broker.send_outbox_batch([1])
        ours = broker.client(_url(7)).client_id()
        killed = redis.Redis.from_url(_url(7)).client_kill_filter(_id=ours)
        broker.send_outbox_batch([2])
    assert killed and [m["headers"]["argsrepr"] for m in _messages(7, queue)] == ["[[2]]", "[[1]]"]


def test_a_refusal_is_reported_and_the_next_batch_still_goes(queue):
    client = redis.Redis.from_url(_url(7))
    client.set(queue, "not a list")
    with use_broker(_url(7), queue):
        assert events.send([1]) is False  # WRONGTYPE: logged, the sweep will send it later
        client.delete(queue)
        assert events.send([2]) is True
    assert [m["headers"]["argsrepr"] for m in _messages(7, queue)] == ["[[2]]"]


def test_a_password_in_the_url_is_sent_and_a_refusal_surfaces(queue):
    # Redis here has no such user: it refuses the login, which must surface as an error
    parts = urlparse(_url(7))
    url = urlunparse(parts._replace(netloc=f"nobody:s3cret@{parts.hostname}:{parts.port or 6379}"))
    with use_broker(url, queue), pytest.raises(redis.AuthenticationError):
        broker.send_outbox_batch([1])


# --- the contract: our message is Celery's ---------------------------------------------------------------

# Per message: a new task id (in id, root_id and correlation_id alike) and a new delivery tag.
PER_MESSAGE = {
    ("headers", "id"),
    ("headers", "root_id"),
    ("properties", "correlation_id"),
    ("properties", "delivery_tag"),
}


def _fields(message: dict, path: tuple = ()) -> dict[tuple, object]:
    """Every leaf of the envelope by its path, with the base64 body decoded to its JSON."""
    if path == ("body",):
        return {("body",): json.loads(base64.b64decode(message))}
    if isinstance(message, dict) and message:  # an empty one is a leaf: {} is a value too
        return {key: value for name, child in message.items() for key, value in _fields(child, (*path, name)).items()}
    return {path: message}


@pytest.mark.parametrize("event_ids", [[11, 12], 7])
def test_the_message_is_field_by_field_the_one_celerys_apply_async_sends(queue, event_ids):
    from oms.tasks import outbox_dispatch

    with use_broker(_url(7), queue):
        outbox_dispatch.apply_async(args=[event_ids], retry=True)  # Celery's own, through kombu
        broker.send_outbox_batch(event_ids)
    ours, celerys = _messages(7, queue)  # LPUSH: newest first
    ours_fields, celerys_fields = _fields(ours), _fields(celerys)
    assert sorted(ours_fields) == sorted(celerys_fields)  # no field missing, none extra
    for path, value in celerys_fields.items():
        if path not in PER_MESSAGE:
            assert ours_fields[path] == value, path
    for fields in (ours_fields, celerys_fields):
        task_id = fields[("headers", "id")]
        assert fields[("headers", "root_id")] == fields[("properties", "correlation_id")] == task_id
        assert uuid.UUID(task_id) and uuid.UUID(fields[("properties", "delivery_tag")])
    assert ours_fields[("headers", "id")] != celerys_fields[("headers", "id")]


def test_a_frozen_redis_is_given_up_on_after_one_timeout(queue):
    # a server that takes the connection and never answers: one wait of broker.TIMEOUT, no retry
    frozen = socket.socket()
    frozen.bind(("127.0.0.1", 0))
    frozen.listen(8)
    url = f"redis://127.0.0.1:{frozen.getsockname()[1]}/0"
    started = time.monotonic()
    try:
        with use_broker(url, queue), pytest.raises(redis.TimeoutError):
            broker.send_outbox_batch([1])
    finally:
        frozen.close()
    assert time.monotonic() - started < 2 * broker.TIMEOUT
