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

Anything else waits on the matching screen with suggestions scored by the same signals. A line
may also be a provider's payout: ``payout_candidates`` and ``payout_rule`` (used by
``billing.services.settlements``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import CharField, F, Q, Value, Window
from django.db.models.functions import RowNumber

from billing.models import BankStatementLine, Invoice, InvoiceKind, MatchRule, ProviderSettlement
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
    return suggestions_for([line], limit=limit)[line.pk]


def suggestions_for(lines: list[BankStatementLine], *, limit: int = SUGGESTIONS) -> dict[int, list[Suggestion]]:
    """For each line, open invoices it may pay, best first: named in the text (+100), the
    customer's IBAN (+50), open for exactly the amount (+40) or invoiced for it (+10), the payer's
    name on the invoice (+20). A fixed number of queries for any number of lines (the matching
    screen): the candidates of all lines are read together and shared out here."""
    if not lines:
        return {}
    pool = _Pool(lines)
    return {line.pk: _ranked(line, pool, limit) for line in lines}


class _Pool:
    """The candidate invoices of many lines, read set-wise: five queries."""

    def __init__(self, lines: list[BankStatementLine]) -> None:
        self.numbers = {line.pk: _references(line) for line in lines}
        numbers = set().union(*(n for n, _ in self.numbers.values()))
        orders = set().union(*(o for _, o in self.numbers.values()))
        self.named = (
            list(
                Invoice.objects.filter(Q(number__in=numbers) | Q(order__number__in=orders), kind=InvoiceKind.INVOICE)
                .annotate(order_number=F("order__number"))
                .order_by("issue_date", "id")
            )
            if numbers or orders
            else []
        )
        ibans = {_iban(line) for line in lines} - {""}
        self.by_iban = customer_selectors.customer_ids_by_iban(ibans) if ibans else {}
        customers = {c for ids in self.by_iban.values() for c in ids}
        self.of_customer = _grouped(
            _first_per(_open(Invoice.objects.filter(customer_id__in=customers)), "customer_id", 50), "customer_id"
        )
        amounts = {line.amount for line in lines if line.amount > 0}
        self.of_amount = _grouped(
            _first_per(_open(Invoice.objects.filter(gross_amount__in=amounts)), "gross_amount", 20), "gross_amount"
        )
        self.tokens = {line.pk: _name_token(line.counterparty_name) for line in lines}
        self.of_name = _by_name(set(self.tokens.values()) - {""})


def _references(line: BankStatementLine) -> tuple[set[str], set[str]]:
    numbers = invoice_numbers_in(line.remittance) | invoice_numbers_in(line.end_to_end_id)
    return numbers, order_numbers_in(line.remittance) | order_numbers_in(line.end_to_end_id)


def _iban(line: BankStatementLine) -> str:
    return (line.counterparty_iban or "").replace(" ", "").upper()


def _first_per(invoices, column: str, n: int) -> list[Invoice]:
    """The oldest ``n`` invoices per value of ``column``, in one query (a window function)."""
    ranked = invoices.annotate(
        rank=Window(RowNumber(), partition_by=[F(column)], order_by=[F("issue_date").asc(), F("id").asc()])
    )
    return list(ranked.filter(rank__lte=n).order_by("issue_date", "id"))


def _grouped(invoices: list[Invoice], attribute: str) -> dict:
    found: dict = {}
    for invoice in invoices:
        found.setdefault(getattr(invoice, attribute), []).append(invoice)
    return found


def _by_name(tokens: set[str]) -> dict[str, list[Invoice]]:
    """The oldest 20 open invoices whose buyer name or company contains each token: one query
    (a UNION of one part per token)."""
    if not tokens:
        return {}
    parts = [
        _open(Invoice.objects.filter(Q(buyer_name__icontains=t) | Q(buyer_company__icontains=t)))
        .annotate(token=Value(t, output_field=CharField()))
        .order_by("issue_date", "id")[:20]
        for t in sorted(tokens)
    ]
    found: dict[str, list[Invoice]] = {}
    for invoice in parts[0].union(*parts[1:], all=True):
        found.setdefault(invoice.token, []).append(invoice)
    return found


def _ranked(line: BankStatementLine, pool: _Pool, limit: int) -> list[Suggestion]:
    found: dict[int, Suggestion] = {}

    def add(invoice: Invoice, points: int, reason: str) -> None:
        entry = found.setdefault(invoice.pk, Suggestion(invoice, 0))
        if reason not in entry.reasons:
            entry.score += points
            entry.reasons.append(reason)

    numbers, orders = pool.numbers[line.pk]
    for invoice in pool.named:
        if invoice.status in OPEN_STATUSES and (invoice.number in numbers or invoice.order_number in orders):
            add(invoice, 100, "named in the description")
    customers = pool.by_iban.get(_iban(line), [])
    for invoice in sorted(
        (i for c in customers for i in pool.of_customer.get(c, [])), key=lambda i: (i.issue_date, i.pk)
    )[:50]:
        add(invoice, 50, "customer's IBAN")
    for invoice in pool.of_amount.get(line.amount, [])[:20] if line.amount > 0 else []:
        add(invoice, 0, "")
    for invoice in pool.of_name.get(pool.tokens[line.pk], []):
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


# --- provider payouts ----------------------------------------------------------------------------


def _normal(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", (text or "").lower())


def payout_rule(line: BankStatementLine, settlement: ProviderSettlement) -> str | None:
    """The rule by which ``line`` is the payout of ``settlement``: its bank reference in the
    description (``reference``), or the provider's name in the payer's name or the description
    (``amount``); None when the amounts differ or nothing names it."""
    if line.amount != settlement.amount:
        return None
    text = _normal(f"{line.remittance} {line.end_to_end_id}")
    if settlement.bank_reference and _normal(settlement.bank_reference) in text:
        return MatchRule.REFERENCE
    if _normal(settlement.provider) in _normal(line.counterparty_name) + text:
        return MatchRule.PAYOUT_AMOUNT
    return None


def payout_candidates(lines: list[BankStatementLine]) -> dict[int, list[ProviderSettlement]]:
    """For each line, the open settlements (payout not yet on the bank) of exactly its amount,
    those the line names first. One query for all lines."""
    amounts = {line.amount for line in lines}
    open_ones = list(
        ProviderSettlement.objects.filter(bank_entry__isnull=True, amount__in=amounts).order_by("settled_on", "id")
    )
    found: dict[int, list[ProviderSettlement]] = {}
    for line in lines:
        same = [s for s in open_ones if s.amount == line.amount]
        found[line.pk] = sorted(same, key=lambda s: payout_rule(line, s) is None)
    return found


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
