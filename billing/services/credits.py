"""Credit notes: the only way to correct an issued invoice. A credit note has its own gapless
series (``CN-2026-000001``), refers to the invoice it corrects, and posts the reverse of the
credited amounts on its own date."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing import calc
from billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, InvoiceVat, derive_status
from billing.services.invoices import amount_fields, issued, post_document, seller_snapshot, write_lines
from billing.services.locks import lock_customer_billing
from billing.services.numbering import invoice_number_draw
from billing.services.payments import invoice_release_overpayment
from oms.errors import Conflict, ValidationFailed
from oms.money import ZERO, quantize


def invoice_credit(
    *,
    invoice: Invoice,
    lines: Iterable[Mapping[str, Any]] | None = None,
    reason: str,
    user,
    issue_date: date | None = None,
) -> Invoice:
    """Issue a credit note for ``invoice``: in full (``lines=None``: everything not yet
    credited) or for some units, ``lines=[{"line": <position>, "quantity": n}, ...]``.

    Copies the invoice's prices, discounts (pro rata) and VAT rates; VAT per rate is rounded
    over the credit note, except that the note completing the credit takes exactly what was
    left, so invoice and credit notes cancel to the cent. What the invoice was then paid beyond
    its total goes back to its payments as customer credit (to refund or to pay other invoices).
    Not durable (handlers may call it). Takes the customer's billing lock, locks the invoice
    row, then the credit-note counter. Publishes ``invoice.issued`` (kind ``credit_note``).
    Raises ``ValidationFailed`` (``reason``, ``lines.N.*``) and ``Conflict`` (``not_an_invoice``,
    ``nothing_to_credit``).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the invoice is credited.", code="required", field="reason")
    issue_date = issue_date or timezone.localdate()
    with transaction.atomic():
        lock_customer_billing(invoice.customer_id)
        original = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if original.kind != InvoiceKind.INVOICE:
            raise Conflict("Only invoices are credited, not credit notes.", code="not_an_invoice")
        if issue_date < original.issue_date:
            raise ValidationFailed("A credit note is dated after its invoice.", code="invalid", field="issue_date")
        originals = list(original.lines.order_by("position"))
        done = _credited_so_far(originals)
        wanted = _wanted_quantities(lines, originals, done)
        computed = [_credit_line(line, qty, done[line.pk], position) for position, (line, qty) in enumerate(wanted, 1)]
        completes = _completes(originals, done, dict((line.pk, qty) for line, qty in wanted))
        totals = _credit_totals(original, computed, completes)
        _check_rates(original, totals)
        note = _create_note(original, computed, totals, reason, issue_date, user)
        original.amount_credited -= note.gross_amount
        original.status = derive_status(
            gross=original.gross_amount,
            paid=original.amount_paid,
            credited=original.amount_credited,
            due_date=original.due_date,
            today=timezone.localdate(),
        )
        original.save(update_fields=["amount_credited", "status"])
        invoice_release_overpayment(invoice=original, user=user)
        issued(note)
    return note


def _credited_so_far(originals: list[InvoiceLine]) -> dict[int, tuple[int, Decimal]]:
    """Per invoice line: (units, discount) already credited, as positive numbers."""
    rows = (
        InvoiceLine.objects.filter(credits_line__in=[line.pk for line in originals])
        .values("credits_line")
        .annotate(quantity=Sum("quantity"), discount=Sum("discount_amount"))
    )
    done = {line.pk: (0, ZERO) for line in originals}
    for row in rows:
        done[row["credits_line"]] = (-row["quantity"], -row["discount"])
    return done


def _wanted_quantities(lines, originals, done) -> list[tuple[InvoiceLine, int]]:
    if lines is None:
        wanted = [(line, line.quantity - done[line.pk][0]) for line in originals]
        wanted = [(line, qty) for line, qty in wanted if qty > 0]
        if not wanted:
            raise Conflict("Everything on this invoice has been credited already.", code="nothing_to_credit")
        return wanted
    by_position = {line.position: line for line in originals}
    wanted: dict[int, int] = {}
    for index, row in enumerate(lines):
        field = f"lines.{index}"
        line = by_position.get(_int(row.get("line"), f"{field}.line"))
        if line is None:
            raise ValidationFailed("No such line on the invoice.", code="unknown_line", field=f"{field}.line")
        quantity = _int(row.get("quantity"), f"{field}.quantity")
        if quantity == 0:
            continue
        left = line.quantity - done[line.pk][0] - wanted.get(line.position, 0)
        if not 0 < quantity <= left:
            raise ValidationFailed(
                f"Line {line.position}: {left} unit(s) can still be credited.",
                code="quantity_exceeds_invoiced",
                field=f"{field}.quantity",
            )
        wanted[line.position] = wanted.get(line.position, 0) + quantity
    if not wanted:
        raise Conflict("Choose at least one unit to credit.", code="nothing_to_credit")
    return [(by_position[position], qty) for position, qty in sorted(wanted.items())]


def _int(value, field: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("A whole number is expected.", code="invalid", field=field) from exc


def _credit_line(line: InvoiceLine, quantity: int, done: tuple[int, Decimal], position: int) -> calc.Line:
    # The last units credited take whatever discount is left, so the discounts add up exactly.
    if quantity == line.quantity - done[0]:
        discount = line.discount_amount - done[1]
    else:
        discount = quantize(line.discount_amount * quantity / line.quantity)
    return calc.Line(
        position=position,
        kind=line.kind,
        sku=line.sku,
        description=line.description,
        quantity=-quantity,
        unit_price=line.unit_price,
        discount_amount=-discount,
        vat_category=line.vat_category,
        vat_rate=line.vat_rate,
        net_amount=-(quantity * line.unit_price - discount),
        credits_line_id=line.pk,
    )


def _completes(originals, done, wanted: dict[int, int]) -> bool:
    return all(line.quantity - done[line.pk][0] == wanted.get(line.pk, 0) for line in originals)


def _credit_totals(original: Invoice, computed: list[calc.Line], completes: bool) -> calc.Totals:
    totals = calc.totals_for(computed, prices_include_vat=original.prices_include_vat)
    if not completes:
        return totals
    # The closing credit note takes the VAT still left per rate instead of rounding afresh.
    left = {row.rate: row.vat_amount for row in original.vat_lines.all()}
    for row in InvoiceVat.objects.filter(invoice__credit_of=original):
        left[row.rate] = left.get(row.rate, ZERO) + row.vat_amount
    return totals.with_vat({rate: -left[quantize(rate)] for rate in totals.breakdown if quantize(rate) in left})


def _check_rates(original: Invoice, totals: calc.Totals) -> None:
    """A credit note lowers each VAT rate of its invoice, to nil at most and never above: a
    voucher line (negative) is credited with or after the goods it discounts, not alone, and the
    goods of a rate not all without their voucher (either would leave the invoice's rate below
    nil or the note owing the customer's money the other way)."""
    left = {row.rate: row.net_amount + row.vat_amount for row in original.vat_lines.all()}
    for row in InvoiceVat.objects.filter(invoice__credit_of=original):
        left[row.rate] = left.get(row.rate, ZERO) + row.net_amount + row.vat_amount
    for rate, row in totals.breakdown.items():
        if row["gross"] > 0 or left.get(quantize(rate), ZERO) + row["gross"] < 0:
            raise ValidationFailed(
                "A voucher is credited together with the goods of its VAT rate: this credit note "
                "would leave a rate of the invoice below nil or credit a voucher alone.",
                code="voucher_credited_apart",
                field="lines",
            )


def _create_note(original: Invoice, computed, totals, reason: str, issue_date: date, user) -> Invoice:
    year, sequence, number = invoice_number_draw(kind=InvoiceKind.CREDIT_NOTE, issue_date=issue_date)
    entry = post_document(
        number,
        issue_date,
        computed,
        totals,
        original.customer_id,
        original.reverse_charge,
        original.export,
        user,
        credit=True,
        vat_country=original.vat_country,
    )
    buyer = {f.name: getattr(original, f.name) for f in Invoice._meta.fields if f.name.startswith("buyer_")}
    note = Invoice.objects.create(
        number=number,
        kind=InvoiceKind.CREDIT_NOTE,
        year=year,
        sequence=sequence,
        credit_of=original,
        credit_reason=reason[:300],
        customer_id=original.customer_id,
        order_id=original.order_id,
        reference=original.reference,
        issue_date=issue_date,
        supply_date=original.supply_date,
        due_date=issue_date,
        payment_terms_days=0,
        **buyer,
        seller=seller_snapshot(),
        reverse_charge=original.reverse_charge,
        export=original.export,
        prices_include_vat=original.prices_include_vat,
        vat_country=original.vat_country,
        **amount_fields(computed, totals),
        status=InvoiceStatus.ISSUED,
        journal_entry=entry,
        created_by=user if getattr(user, "pk", None) else None,
    )
    write_lines(note, computed, totals)
    return note
