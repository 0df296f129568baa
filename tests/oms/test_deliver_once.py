"""The send-once record every e-mail, document and carrier hand-off goes through: one try at a
time however often it is queued, doubling back-off after a failure, given up after the kind's
last try into the exception inbox, where *Retry* starts it again; the sweep queues what a lost
task left behind (real threads on PostgreSQL, Celery inline)."""

from datetime import timedelta
from functools import partial

import pytest
from celery import shared_task
from django.utils import timezone

from oms import deliver_once, exceptions
from oms.models import Delivery, ExceptionItem
from tests.shipping.test_concurrency import _race

KIND = "tests.scratch"
SENT: list[str] = []
FAILING: list[bool] = []


@shared_task(name="tests.oms.test_deliver_once.scratch_send")
def scratch_send(key: str) -> str:
    """The kind's task: one try, as an app's service makes it."""
    claim = deliver_once.claim(KIND, key)
    if claim is None:
        return "skipped"
    if FAILING:
        deliver_once.fail(claim, "ConnectionRefusedError: mail server down")
        return "failed"
    SENT.append(key)
    deliver_once.succeed(claim, {"message_id": f"<{key}@test>"})
    return "sent"


@pytest.fixture(autouse=True)
def scratch_kind(monkeypatch):
    SENT.clear()
    FAILING.clear()
    monkeypatch.setattr(exceptions, "RULES", dict(exceptions.RULES))
    monkeypatch.setattr(deliver_once, "KINDS", dict(deliver_once.KINDS))
    return deliver_once.register(
        deliver_once.Kind(
            code=KIND,
            task="tests.oms.test_deliver_once.scratch_send",
            label="Scratch letter",
            inbox_label="Scratch letters not sent",
            max_attempts=3,
            first_retry_seconds=30.0,
        )
    )


def row(key="1") -> Delivery:
    return Delivery.objects.get(kind=KIND, key=key)


@pytest.mark.django_db
def test_deliver_writes_one_row_per_key_and_sends_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_once.deliver(KIND, 1) is not None
        assert deliver_once.deliver(KIND, 1) is None
        assert SENT == []  # nothing before commit
    assert SENT == ["1"]
    assert (row().state, row().attempts, row().result) == ("sent", 1, {"message_id": "<1@test>"})
    assert scratch_send("1") == "skipped"
    assert SENT == ["1"]


@pytest.mark.django_db
def test_failed_tries_back_off_doubling_then_die_into_the_inbox_and_retry_sends(
    django_capture_on_commit_callbacks, make_user
):
    deliver_once.deliver(KIND, 1, queue=False)
    FAILING.append(True)
    waits = []
    for _ in range(2):
        before = timezone.now()
        assert scratch_send("1") == "failed"
        assert row().state == "pending" and row().last_error.startswith("ConnectionRefusedError")
        waits.append(round((row().next_attempt_at - before).total_seconds()))
    assert waits == [30, 60]
    with django_capture_on_commit_callbacks(execute=True):
        scratch_send("1")  # the third and last try
    assert (row().state, row().attempts) == ("dead", 3)
    assert scratch_send("1") == "skipped"  # dead: no more tries by themselves
    item = ExceptionItem.objects.get(rule=f"{KIND}.dead", closed_at__isnull=True)
    assert item.title == "Scratch letter 1 not sent after 3 tries"
    assert item.detail["error"] == "ConnectionRefusedError: mail server down"
    # the mail server is back: Retry from the inbox sends it (after commit)
    FAILING.clear()
    with django_capture_on_commit_callbacks(execute=True):
        exceptions.exception_retry(item_id=item.pk, user=make_user("customer_service"))
    assert SENT == ["1"] and row().state == "sent"
    exceptions.refresh_exceptions()
    assert not ExceptionItem.objects.filter(rule=f"{KIND}.dead", closed_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_try_that_lost_its_expired_claim_records_nothing():
    deliver_once.deliver(KIND, 1, queue=False)
    stale = deliver_once.claim(KIND, 1)
    Delivery.objects.filter(pk=stale.delivery_id).update(claimed_until=timezone.now() - timedelta(seconds=1))
    fresh = deliver_once.claim(KIND, 1)  # the dead worker's claim is taken over
    assert fresh is not None and fresh.attempts == 2
    assert not deliver_once.succeed(stale) and not deliver_once.fail(stale, "late").recorded
    assert deliver_once.succeed(fresh) and row().state == "sent"


@pytest.mark.django_db
def test_sweep_queues_due_rows_and_expired_claims_but_not_fresh_or_running_ones():
    now = timezone.now()
    old = now - timedelta(minutes=10)
    Delivery.objects.bulk_create(
        [
            Delivery(kind=KIND, key="due", next_attempt_at=old),
            Delivery(kind=KIND, key="fresh", next_attempt_at=now),
            Delivery(kind=KIND, key="expired", state="claimed", claimed_until=now - timedelta(seconds=1)),
            Delivery(kind=KIND, key="running", state="claimed", claimed_until=now + timedelta(minutes=5)),
            Delivery(kind=KIND, key="dead", state="dead", next_attempt_at=old),
            Delivery(kind=KIND, key="sent", state="sent", next_attempt_at=old),
        ]
    )
    assert deliver_once.sweep(KIND) == 2
    assert sorted(SENT) == ["due", "expired"]
    assert deliver_once.sweep(KIND) == 0


@pytest.mark.django_db(transaction=True)
def test_four_tries_at_once_make_one_claim():
    deliver_once.deliver(KIND, 1, queue=False)
    outcomes = _race(*[partial(deliver_once.claim, KIND, 1)] * 4)
    claims = [outcome for outcome in outcomes if isinstance(outcome, deliver_once.Claim)]
    assert len(claims) == 1 and outcomes.count(None) == 3
    assert row().attempts == 1
