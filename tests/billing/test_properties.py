"""Property test (reliability-security.md ACC-1): over generated invoices with 1-30 lines, any
quantities, discounts and 21/9/0 mixes, consumers and reverse-charge businesses, and credit notes:
every entry balances, VAT per rate is round_half_up(rate x net at that rate), totals add up."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Invoice, JournalEntry
from billing.services import invoice_credit
from oms.invariants import violations
from tests.factories.billing import b2b_customer, b2c_customer, issue

CATEGORIES = {"high": Decimal("21"), "low": Decimal("9"), "zero": Decimal("0")}


@st.composite
def invoice_lines(draw):
    lines = []
    for _ in range(draw(st.integers(1, 30))):
        quantity = draw(st.integers(1, 500))
        cents = draw(st.integers(1, 250_000))
        price = Decimal(cents) / 100
        discount = Decimal(draw(st.integers(0, min(quantity * cents, 5_000_000)))) / 100
        lines.append(
            {
                "description": "Artikel",
                "quantity": quantity,
                "unit_price": price,
                "discount": discount if draw(st.booleans()) else Decimal("0.00"),
                "vat_category": draw(st.sampled_from(sorted(CATEGORIES))),
                "kind": draw(st.sampled_from(["goods", "goods", "goods", "shipping"])),
            }
        )
    return lines


def _half_up(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _check_document(invoice: Invoice, *, zero_rated: bool) -> None:
    lines = list(invoice.lines.all())
    nets: dict[Decimal, Decimal] = {}
    for row in lines:
        assert row.net_amount == row.quantity * row.unit_price - row.discount_amount
        nets[row.vat_rate] = nets.get(row.vat_rate, Decimal(0)) + row.net_amount
    vat_rows = {row.rate: row for row in invoice.vat_lines.all()}
    assert set(vat_rows) == set(nets)
    for rate, net in nets.items():
        assert vat_rows[rate].net_amount == net
        if invoice.kind == "invoice":
            assert vat_rows[rate].vat_amount == _half_up(net * rate / 100)
        if zero_rated:
            assert rate == 0
    assert invoice.net_amount == sum(nets.values())
    assert invoice.vat_amount == sum(row.vat_amount for row in vat_rows.values())
    assert invoice.gross_amount == invoice.net_amount + invoice.vat_amount
    entry = invoice.journal_entry
    if entry is None:  # everything discounted to zero: nothing to post
        assert invoice.gross_amount == 0 and all(net == 0 for net in nets.values())
        return
    debit = sum(row.debit for row in entry.lines.all())
    credit = sum(row.credit for row in entry.lines.all())
    assert debit == credit == entry.total_amount == abs(invoice.gross_amount)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=invoice_lines(), reverse_charge=st.booleans(), credit=st.sampled_from(["none", "full", "part"]))
def test_invoice_issue_balances_and_rounds_vat_per_rate(lines, reverse_charge, credit, no_delivery):
    with transaction.atomic():
        customer = b2b_customer(country="DE", vat_id="DE136695976") if reverse_charge else b2c_customer()
        invoice = issue(customer, lines, supply_date=date(2026, 3, 2))
        _check_document(invoice, zero_rated=reverse_charge)
        if credit != "none":
            part = None if credit == "full" else [{"line": 1, "quantity": 1}]
            note = invoice_credit(invoice=invoice, lines=part, reason="property", user=None)
            _check_document(note, zero_rated=reverse_charge)
            invoice.refresh_from_db()
            if credit == "full":
                assert invoice.open_amount == 0 and note.gross_amount == -invoice.gross_amount
        # the database's own checks (deferred to COMMIT) must accept it too
        with transaction.get_connection().cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert not violations()
        assert JournalEntry.objects.exists() or invoice.gross_amount == 0
        transaction.set_rollback(True)
