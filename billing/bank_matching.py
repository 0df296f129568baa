"""Which open invoices a bank statement line may pay: the automatic match and the ranked
suggestions of the matching screen. Reads only; ``billing.services.bank`` acts on them.

Automatic rules, in order (the first that gives an answer wins):

1. ``reference``: invoice numbers (``2026-000123``, also written ``2026 000123`` or
   ``2026000123``) or order numbers (``SO-000123``) in the remittance text name the invoices; if
   the open ones among them belong to one customer, the line pays them oldest first (a line
   short of their total pays part of the last; one over it leaves the rest as credit). Named
   invoices that are all paid already (a customer paying twice) are left for a person.
2. ``amount_iban``: the counterparty's IBAN belongs to exactly one customer, and exactly one of
   that customer's open invoices is open for exactly the amount (or the amount is exactly what
   all of its open invoices together are).

Anything else waits on the matching screen with suggestions scored by the same signals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from billing.models import BankStatementLine, Invoice, InvoiceKind, MatchRule
from billing.models.invoices import OPEN_STATUSES
from customers import selectors as customer_selectors
from oms.money import ZERO

INVOICE_NUMBER = re.compile(r"(?<![\d-])(20\d{2})[-\s/.]?(\d{6})(?!\d)")
ORDER_NUMBER = re.compile(r"(?<![A-Za-z])SO[-\s]?(\d{6})(?!\d)", re.IGNORECASE)
SUGGESTIONS = 6


@dataclass
class Proposal:
    customer_id: int
    invoices: list[Invoice]  # paid in this order
    rule: str


@dataclass
class Suggestion:
    invoice: Invoice
    score: int
    reasons: list[str] = field(default_factory=list)


def invoice_numbers_in(text: str) -> set[str]:
    return {f"{year}-{seq}" for year, seq in INVOICE_NUMBER.findall(text or "")}


def order_numbers_in(text: str) -> set[str]:
    return {f"SO-{seq}" for seq in ORDER_NUMBER.findall(text or "")}


def _open(invoices):
    return invoices.filter(kind=InvoiceKind.INVOICE, status__in=OPEN_STATUSES)


def _named(line: BankStatementLine) -> list[Invoice]:
    """Every invoice (open or not) the remittance text names, oldest first."""
    numbers = invoice_numbers_in(line.remittance) | invoice_numbers_in(line.end_to_end_id)
    orders = order_numbers_in(line.remittance) | order_numbers_in(line.end_to_end_id)
    if not numbers and not orders:
        return []
    condition = Q(number__in=numbers) | Q(order__number__in=orders)
    return list(Invoice.objects.filter(condition, kind=InvoiceKind.INVOICE).order_by("issue_date", "id"))


def iban_customers(line: BankStatementLine) -> list[int]:
    iban = (line.counterparty_iban or "").replace(" ", "").upper()
    return customer_selectors.customer_ids_by_iban([iban]).get(iban, []) if iban else []


def auto_proposal(line: BankStatementLine) -> tuple[Proposal | None, str]:
    """What the line pays by the automatic rules, or None and why not (shown on the screen)."""
    if line.amount <= 0:
        return None, "Money out."
    named = _named(line)
    if named:
        open_ones = [i for i in named if i.status in OPEN_STATUSES]
        if not open_ones:
            return None, f"{', '.join(i.number for i in named)}: already paid or credited."
        if len({i.customer_id for i in open_ones}) > 1:
            return None, "The invoices named belong to different customers."
        return Proposal(open_ones[0].customer_id, open_ones, MatchRule.REFERENCE), ""
    customers = iban_customers(line)
    if len(customers) != 1:
        return None, "No invoice named, and the IBAN is not one customer's." if not customers else "IBAN shared."
    candidates = list(_open(Invoice.objects.filter(customer_id=customers[0])).order_by("issue_date", "id"))
    exact = [i for i in candidates if i.open_amount == line.amount]
    if len(exact) == 1:
        return Proposal(customers[0], exact, MatchRule.AMOUNT_IBAN), ""
    if len(candidates) > 1 and sum((i.open_amount for i in candidates), ZERO) == line.amount:
        return Proposal(customers[0], candidates, MatchRule.AMOUNT_IBAN), ""
    return None, "No open invoice of the IBAN's customer is open for this amount."


def suggestions(line: BankStatementLine, *, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """Open invoices the line may pay, best first: named in the text (+100), the customer's
    IBAN (+50), open for exactly the amount (+40) or invoiced for it (+10), the payer's name
    on the invoice (+20)."""
    found: dict[int, Suggestion] = {}

    def add(invoice: Invoice, points: int, reason: str) -> None:
        entry = found.setdefault(invoice.pk, Suggestion(invoice, 0))
        if reason not in entry.reasons:
            entry.score += points
            entry.reasons.append(reason)

    for invoice in _named(line):
        if invoice.status in OPEN_STATUSES:
            add(invoice, 100, "named in the description")
    customers = iban_customers(line)
    for invoice in _open(Invoice.objects.filter(customer_id__in=customers)).order_by("issue_date", "id")[:50]:
        add(invoice, 50, "customer's IBAN")
    for invoice in _open(Invoice.objects.filter(gross_amount=line.amount)).order_by("issue_date", "id")[:20]:
        add(invoice, 0, "")
    name = _name_token(line.counterparty_name)
    if name:
        by_name = _open(Invoice.objects.filter(Q(buyer_name__icontains=name) | Q(buyer_company__icontains=name)))
        for invoice in by_name.order_by("issue_date", "id")[:20]:
            add(invoice, 20, "payer's name")
    for entry in found.values():
        if entry.invoice.open_amount == line.amount:
            entry.score += 40
            entry.reasons.append("open amount equal")
        elif entry.invoice.gross_amount == line.amount:
            entry.score += 10
            entry.reasons.append("invoice total equal")
        entry.reasons = [r for r in entry.reasons if r]
    ranked = sorted(found.values(), key=lambda s: (-s.score, s.invoice.issue_date, s.invoice.pk))
    return [s for s in ranked if s.score > 0][:limit]


LEGAL_FORMS = {"bv", "nv", "vof", "cv", "bvba", "gmbh", "ltd", "de", "van", "der", "den", "het"}


def _name_token(name: str) -> str:
    """The longest word of the payer's name, without legal forms and initials ("A. Smit" ->
    "smit", "Bakkerij Brood BV" -> "bakkerij"): what the invoice's buyer name is searched for."""
    words = re.sub(r"[^\w\s]", "", (name or "").lower()).split()
    words = [w for w in words if len(w) >= 3 and w not in LEGAL_FORMS]
    return max(words, key=len) if words else ""


def planned_parts(invoices: list[Invoice], amount: Decimal) -> list[tuple[Invoice, Decimal]]:
    """How ``amount`` pays ``invoices`` in order (what ``receive`` will do): for display."""
    parts, left = [], amount
    for invoice in invoices:
        part = min(invoice.open_amount, left)
        if part > 0:
            parts.append((invoice, part))
            left -= part
    return parts
