"""Issue 14 §4: a worker killed mid-task is recovered within minutes. The broker's visibility
timeout fits the tasks' time limits and the longest countdown, which oms.celery caps."""

from datetime import datetime

from django.conf import settings

from oms.celery import app
from tests.support.celery_worker import use_broker
from tests.support.services import require


def test_visibility_timeout_covers_the_longest_countdown_and_time_limit_and_is_minutes():
    # the settings take the Redis broker's options only when REDIS_URL names one (else a folder)
    require(None if settings.REDIS_URL else "no REDIS_URL: the broker is a folder, no visibility timeout")
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    longest_unacked = settings.OMS_TASK_MAX_COUNTDOWN + settings.CELERY_TASK_TIME_LIMIT
    assert longest_unacked < options["visibility_timeout"] <= 300
    assert options["unacked_restore_interval"] * options["unacked_restore_throttle"] <= 10


def test_a_countdown_longer_than_the_cap_is_capped():
    from billing.tasks import payment_fetch

    with use_broker("memory://", "oms-test-countdown"):
        payment_fetch.apply_async(kwargs={"provider": "mollie", "payment_id": "tr_1"}, countdown=3600)
        with app.connection_for_read() as connection:
            queue = connection.SimpleQueue("oms-test-countdown")
            message = queue.get(timeout=2)
            eta = datetime.fromisoformat(message.headers["eta"])
            message.ack()
            queue.close()
    wait = (eta - datetime.now(eta.tzinfo)).total_seconds()
    assert settings.OMS_TASK_MAX_COUNTDOWN - 5 < wait <= settings.OMS_TASK_MAX_COUNTDOWN
