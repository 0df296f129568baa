"""Issue 14 §3: the lock date (nothing is posted on or before it) and the age limit on paid_at."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import accounts
from billing.models import JournalEntry, LedgerLock, Payment
from billing.services import journal_post, ledger_lock_set
from oms.errors import ValidationFailed
from oms.roles import Role
from tests.factories.customers import CustomerFactory
from tests.factories.payments import place

pytestmark = pytest.mark.django_db


def _sale(day):
    return journal_post(
        date=day,
        description="Sale",
        lines=[
            {"account": accounts.RECEIVABLES, "debit": Decimal("121.00"), "customer": CustomerFactory()},
            {"account": accounts.REVENUE_HIGH, "credit": Decimal("100.00")},
            {"account": accounts.VAT_PAYABLE_HIGH, "credit": Decimal("21.00")},
        ],
        user=None,
    )


def test_journal_post_refuses_a_date_on_or_before_the_lock_date():
    # given
    today = timezone.localdate()
    ledger_lock_set(lock_date=today - timedelta(days=10), user=None)
    # when / then
    for day in (today - timedelta(days=10), today - timedelta(days=400)):
        with pytest.raises(ValidationFailed) as exc:
            _sale(day)
        assert exc.value.code == "period_locked" and exc.value.field == "date"
    assert not JournalEntry.objects.exists()
    assert _sale(today - timedelta(days=9)).pk


def test_ledger_lock_set_refuses_today_and_can_be_cleared(make_user):
    with pytest.raises(ValidationFailed) as exc:
        ledger_lock_set(lock_date=timezone.localdate(), user=None)
    assert exc.value.code == "in_the_future"
    user = make_user(Role.ACCOUNTING)
    ledger_lock_set(lock_date=timezone.localdate() - timedelta(days=1), user=user)
    assert LedgerLock.objects.get().updated_by == user
    ledger_lock_set(lock_date=None, user=user)
    assert _sale(timezone.localdate() - timedelta(days=30)).pk


@pytest.fixture
def api(api_client_for):
    return api_client_for(Role.API_CLIENT)


def _pay(api, order, paid_at):
    body = {"method": "ideal", "amount": str(order.gross_amount), "reference": "tr_LOCK", "paid_at": paid_at}
    return api.post(f"/api/v1/orders/{order.number}/payments/", body, format="json")


@pytest.mark.parametrize(
    "paid_at, code",
    # year 1 is outside every date field's range (hostile input) before the age limit is asked
    [("0001-01-01T00:00:00Z", "out_of_range"), ((timezone.now() - timedelta(days=61)).isoformat(), "too_old")],
    ids=["year_1", "61_days_ago"],  # stable ids: parallel workers (pytest-xdist) must collect the same tests
)
def test_payments_api_refuses_a_paid_at_long_ago(shop, api, no_delivery, paid_at, code):
    order = place(shop.consumer, ("MUG-RED", 1))
    response = _pay(api, order, paid_at)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("paid_at", code)
    assert not Payment.objects.exists() and not JournalEntry.objects.filter(reference__contains="tr_LOCK").exists()


def test_payments_api_refuses_a_paid_at_in_a_locked_period(shop, api, no_delivery):
    order = place(shop.consumer, ("MUG-RED", 1))
    ledger_lock_set(lock_date=timezone.localdate() - timedelta(days=5), user=None)
    response = _pay(api, order, (timezone.now() - timedelta(days=6)).isoformat())
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("paid_at", "period_locked")
    assert _pay(api, order, (timezone.now() - timedelta(days=4)).isoformat()).status_code == 201


def test_payment_form_shows_the_age_limit_as_a_form_error(shop, role_client, no_delivery):
    acc = role_client(Role.ACCOUNTING)
    order = place(shop.consumer, ("BOOK-1", 1))
    data = {
        "payment-method": "ideal",
        "payment-amount": str(order.gross_amount),
        "payment-reference": "tr_OLD",
        "payment-paid_at": (timezone.localtime() - timedelta(days=61)).strftime("%Y-%m-%dT%H:%M"),
    }
    response = acc.post(f"/billing/orders/{order.pk}/payments/", data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "more than 60 days ago" in response.content.decode()
    assert not Payment.objects.exists()


def test_lock_date_screen_sets_the_date_and_shows_errors(role_client):
    acc = role_client(Role.ACCOUNTING)
    day = timezone.localdate() - timedelta(days=31)
    response = acc.post("/billing/lock-date/", {"lock_date": day.isoformat()}, follow=True)
    assert response.status_code == 200 and "Lock date saved" in response.content.decode()
    assert LedgerLock.objects.get().lock_date == day
    future = acc.post("/billing/lock-date/", {"lock_date": timezone.localdate().isoformat()})
    assert future.status_code == 200 and "must be before today" in future.content.decode()
    assert LedgerLock.objects.get().lock_date == day
    assert role_client(Role.CUSTOMER_SERVICE).get("/billing/lock-date/").status_code == 403
