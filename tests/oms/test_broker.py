"""oms.broker's own LPUSH to Redis: the message lands in the queue's list, in the database the
URL names; a connection Redis dropped is opened again; a refusal is an error, not a hang."""

import json
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
        ours = broker._local.held[1].getsockname()
        killed = redis.Redis.from_url(_url(7)).client_kill(f"{ours[0]}:{ours[1]}")
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


def test_a_password_is_sent_before_the_command(queue, monkeypatch):
    # Redis here has no password: it answers AUTH with an error, which must surface as one
    sent = []
    real_call = broker._call
    monkeypatch.setattr(broker, "_call", lambda sock, command: sent.append(command) or real_call(sock, command))
    parts = urlparse(_url(7))
    url = urlunparse(parts._replace(netloc=f":s3cret@{parts.hostname}:{parts.port or 6379}"))
    broker._drop()
    with pytest.raises(RuntimeError, match="AUTH|password"):
        broker._lpush(url, queue.encode(), b"x")
    assert sent[0] == b"*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n" and len(sent) == 1
