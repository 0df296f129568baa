"""A voucher or discount line (a negative line) on a document priced incl. VAT lowers the taxable
base of its own VAT rate by its share (``oms.money.spread``, docs/ARCHITECTURE.md "Money"): in
the ledger, on the UBL lines and, mirrored, on the credit note."""

from decimal import Decimal

import pytest

from billing.models import InvoiceLine
from billing.services import invoice_credit
from billing.ubl import line_nets
from oms.errors import ValidationFailed
from tests.factories.billing import b2c_customer, issue, line

# A consumer's order: a mug and its shipping at 21 %, a book at 9 %, a voucher of 5.00 at 21 %.
LINES = [
    line(1, "24.78", "high", description="Mok"),
    line(1, "21.80", "low", description="Kookboek"),
    line(1, "4.95", "high", kind="shipping", description="Verzending"),
    line(1, "-5.00", "high", description="Tegoedbon"),
]


def _by_account(document):
    rows = document.journal_entry.lines.select_related("account")
    return {row.account.code: row.credit - row.debit for row in rows if row.customer_id is None}


@pytest.mark.django_db
def test_a_voucher_lowers_its_rate_s_revenue_by_its_share_and_shipping_keeps_its_own():
    # when a consumer's invoice with a voucher at 21 % is issued
    invoice = issue(b2c_customer(), lines=LINES, prices_include_vat=True)
    # then the 21 % rate holds 24.73 incl. VAT: 4.29 VAT, 20.44 net
    assert [(r.rate, r.net_amount, r.vat_amount) for r in invoice.vat_lines.order_by("-rate")] == [
        (Decimal("21.00"), Decimal("20.44"), Decimal("4.29")),
        (Decimal("9.00"), Decimal("20.00"), Decimal("1.80")),
    ]
    # and the voucher's share of that net is its own 5.00 less VAT, negative (it used to get
    # nothing, so the goods and the shipping shared the whole net and the shipping revenue
    # came to 3.40 instead of its 4.09)
    lines = list(invoice.lines.order_by("position"))
    nets = line_nets(invoice, lines, list(invoice.vat_lines.all()))
    assert nets == [Decimal("20.48"), Decimal("20.00"), Decimal("4.09"), Decimal("-4.13")]
    assert _by_account(invoice) == {
        "8000": Decimal("16.35"),  # the mug's 20.48 less the voucher's 4.13
        "8010": Decimal("20.00"),
        "8100": Decimal("4.09"),
        "1500": Decimal("4.29"),
        "1510": Decimal("1.80"),
    }


@pytest.mark.django_db
def test_the_credit_note_of_an_invoice_with_a_voucher_mirrors_it_to_the_cent(accountant):
    invoice = issue(b2c_customer(), lines=LINES, prices_include_vat=True)
    # when it is credited in full
    note = invoice_credit(invoice=invoice, reason="order cancelled", user=accountant)
    # then every line's net and every account is the invoice's, negated
    note_lines = list(note.lines.order_by("position"))
    nets = line_nets(note, note_lines, list(note.vat_lines.all()))
    assert nets == [Decimal("-20.48"), Decimal("-20.00"), Decimal("-4.09"), Decimal("4.13")]
    assert _by_account(note) == {account: -amount for account, amount in _by_account(invoice).items()}
    assert note.gross_amount == -invoice.gross_amount


@pytest.mark.django_db
def test_a_voucher_as_large_as_its_rate_s_goods_leaves_the_rate_nil_and_each_line_its_net():
    # a voucher of 24.78 at 21 % cancels the mug: the rate is nil, yet the mug's revenue and the
    # voucher's are each the 20.48 net the 24.78 holds (not nil and nil)
    lines = [line(1, "24.78", "high"), line(1, "21.80", "low"), line(1, "-24.78", "high")]
    invoice = issue(b2c_customer(), lines=lines, prices_include_vat=True)
    nets = line_nets(invoice, list(invoice.lines.order_by("position")), list(invoice.vat_lines.all()))
    assert nets == [Decimal("20.48"), Decimal("20.00"), Decimal("-20.48")]
    assert invoice.gross_amount == Decimal("21.80")


@pytest.mark.django_db
@pytest.mark.parametrize("prices_include_vat", [False, True])
def test_a_voucher_larger_than_the_goods_of_its_rate_is_refused(prices_include_vat):
    # a voucher at 21 % on an invoice of books at 9 % would lower the VAT owed on the books
    lines = [line(2, "21.80", "low"), line(1, "-5.00", "high", description="Tegoedbon")]
    with pytest.raises(ValidationFailed) as exc:
        issue(b2c_customer(), lines=lines, prices_include_vat=prices_include_vat)
    assert (exc.value.code, exc.value.field) == ("negative_rate_total", "lines")
    assert not InvoiceLine.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "credited",
    [[{"line": 4, "quantity": 1}], [{"line": 1, "quantity": 1}, {"line": 3, "quantity": 1}]],
    ids=["the voucher alone", "the goods of its rate without it"],
)
def test_a_voucher_is_credited_with_the_goods_of_its_rate_not_apart(credited, accountant):
    invoice = issue(b2c_customer(), lines=LINES, prices_include_vat=True)
    # crediting the voucher alone would charge the customer; the goods of its rate without it
    # would leave the invoice's 21 % below nil
    with pytest.raises(ValidationFailed) as exc:
        invoice_credit(invoice=invoice, lines=credited, reason="retour", user=accountant)
    assert (exc.value.code, exc.value.field) == ("voucher_credited_apart", "lines")
    # the book (9 %) may go alone, and the shipping: the mug's 24.78 still covers the voucher
    note = invoice_credit(
        invoice=invoice,
        lines=[{"line": 2, "quantity": 1}, {"line": 3, "quantity": 1}],
        reason="retour",
        user=accountant,
    )
    assert note.gross_amount == Decimal("-26.75")
