"""Issue 17: a refund of a payment that came in through Mollie goes back through Mollie's refunds
API once (Idempotency-Key), and is recorded as confirmed when Mollie says it is refunded."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Payment, PaymentLink, ProviderRefund, RefundStatus
from billing.services import payment_record, payment_refund, provider_refunds
from oms import exceptions
from oms.models import ExceptionItem
from tests.factories.payments import dispatch_pending, place

pytestmark = pytest.mark.django_db

WEBHOOK = "/webhooks/payments/mollie/"


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def call(step, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = step(*args, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_pending()
        return result

    return call


@pytest.fixture
def paid(shop, fake_mollie, run, client, no_delivery):
    """A phone order paid through its Mollie link."""
    order = run(place, shop.consumer, ("MUG-RED", 2), method="ideal", channel="phone")
    link = PaymentLink.objects.get(order=order)
    fake_mollie.pay(link.provider_payment_id)
    run(client.post, WEBHOOK, {"id": link.provider_payment_id})
    return Payment.objects.get(order=order, reference=link.provider_payment_id)


def _due_now() -> None:
    ProviderRefund.objects.update(next_try_at=timezone.now())


def test_a_refund_goes_through_mollie_and_is_confirmed_when_mollie_has_refunded_it(paid, fake_mollie, run, client):
    # when accounting refunds 5.00 of the payment
    run(payment_refund, payment=paid, amount="5.00", reference="RF-1", user=None)
    # then it is sent to Mollie once, with its own Idempotency-Key, and waits for Mollie
    row = ProviderRefund.objects.get()
    assert (row.provider_payment_id, row.amount, row.status) == (paid.reference, 5, RefundStatus.PENDING)
    (body,) = [b for b in fake_mollie.bodies if "metadata" in b and "refund_reference" in (b["metadata"] or {})]
    assert body["amount"] == {"currency": "EUR", "value": "5.00"}
    posts = [r for r in fake_mollie.requests if r[0] == "POST" and r[1].endswith("/refunds")]
    assert [key for _, _, key in posts] == [f"oms-refund-{row.pk}"]
    (made,) = fake_mollie.refunds[paid.reference].values()
    assert row.provider_refund_id == made["id"]
    # when the sweep asks while Mollie is still busy, nothing changes
    _due_now()
    run(provider_refunds.provider_refunds_sweep)
    row.refresh_from_db()
    assert row.status == RefundStatus.PENDING and row.confirmed_at is None
    # when Mollie has carried it out and calls the payment's webhook
    fake_mollie.settle_refunds()
    run(client.post, WEBHOOK, {"id": paid.reference})
    # then it is confirmed, and asking again changes nothing
    row.refresh_from_db()
    assert row.status == RefundStatus.REFUNDED and row.confirmed_at is not None
    _due_now()
    assert run(provider_refunds.provider_refunds_sweep) == 0
    assert provider_refunds.provider_refund_run(refund_id=row.pk) == "duplicate"
    assert len(fake_mollie.refunds[paid.reference]) == 1


def test_a_refund_is_confirmed_by_polling_without_a_webhook(paid, fake_mollie, run):
    run(payment_refund, payment=paid, amount=paid.amount, reference="RF-ALL", user=None)
    fake_mollie.settle_refunds()
    _due_now()
    run(provider_refunds.provider_refunds_sweep)
    assert ProviderRefund.objects.get().status == RefundStatus.REFUNDED


@pytest.mark.parametrize("trouble", ["down", "fail_next"])
def test_a_refund_while_mollie_is_away_is_sent_later_once(paid, fake_mollie, run, trouble):
    setattr(fake_mollie, trouble, True if trouble == "down" else 1)
    run(payment_refund, payment=paid, amount="3.00", reference="RF-2", user=None)
    row = ProviderRefund.objects.get()
    assert row.status == RefundStatus.REQUESTED and row.error and row.next_try_at > timezone.now()
    fake_mollie.down = False
    _due_now()
    run(provider_refunds.provider_refunds_sweep)
    row.refresh_from_db()
    assert row.status == RefundStatus.PENDING and len(fake_mollie.refunds[paid.reference]) == 1


def test_a_refund_mollie_refuses_is_shown_with_its_reason(paid, fake_mollie, run, role_client, htmx_headers):
    # Mollie knows less of the payment than we do (refunded elsewhere in its dashboard)
    fake_mollie.refunds[paid.reference] = {
        "re_Dash": {"id": "re_Dash", "amount": {"currency": "EUR", "value": f"{paid.amount:.2f}"}, "status": "refunded"}
    }
    run(payment_refund, payment=paid, amount="4.00", reference="RF-3", user=None)
    row = ProviderRefund.objects.get()
    assert row.status == RefundStatus.FAILED and "higher than what is left" in row.error
    page = role_client("accounting").get(reverse("billing:order_panel", args=[paid.order_id]), **htmx_headers)
    html = page.content.decode()
    assert 'data-testid="provider-refund"' in html and "higher than what is left" in html
    # and accounting finds it in the exception inbox
    exceptions.refresh_exceptions(only=["billing.provider_refund_failed"])
    (item,) = ExceptionItem.objects.filter(rule="billing.provider_refund_failed", closed_at__isnull=True)
    assert item.subject == f"provider_refund:{row.pk}" and "RF-3" in item.title and "failed" in item.title


def test_refunds_of_money_that_did_not_come_through_mollie_stay_here(shop, fake_mollie, run, no_delivery):
    order = run(place, shop.consumer, ("MUG-RED", 1), method="ideal", channel="web")
    taken = payment_record(order=order, method="ideal", amount="5.00", reference="elsewhere-1", user=None).payment
    run(payment_refund, payment=taken, amount="5.00", reference="RF-4", user=None)
    assert not ProviderRefund.objects.exists()
    assert not [r for r in fake_mollie.requests if r[1].endswith("/refunds")]


def test_stale_claims_are_taken_over(paid, fake_mollie, run, settings):
    """A worker killed while sending: its claim is taken over once a task could no longer run."""
    run(payment_refund, payment=paid, amount="2.00", reference="RF-5", user=None)
    row = ProviderRefund.objects.get()
    stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    ProviderRefund.objects.filter(pk=row.pk).update(started_at=stale, next_try_at=timezone.now())
    fake_mollie.settle_refunds()
    assert run(provider_refunds.provider_refunds_sweep) == 1
    assert ProviderRefund.objects.get().status == RefundStatus.REFUNDED
