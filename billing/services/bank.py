"""Bank statements: import a CAMT.053 or MT940 file, match its credit lines to invoices, and the
matching screen's actions (accept, split over invoices, book to another account).

The import is two steps. First the statement and all its lines are stored in one durable
transaction, keyed by the bank's identifiers (``bank_statement_once`` on account + statement
id, ``bank_line_once`` on account + entry reference): a file imported again, or twice at once,
stores nothing new, and a broken file stores nothing at all. Then each new credit line is
matched in a transaction of its own (``bank_line_match_auto``): a matched line becomes one
``bank_transfer`` payment through ``payments.receive`` (so the ledger, the allocation to invoices,
customer credit and the lock date rules are the ones every payment follows), with the reference
``BANK-<line id>`` (unique per method: a line is paid once). A line that cannot be matched, or
whose match fails (the books are locked for its date, the invoice was paid meanwhile), waits on
the matching screen. Before that, a line that is the payout of an imported provider settlement
(by its bank reference, or its amount and the provider's name) lands against that settlement
(``billing.services.settlements``). Other debit lines are stored as ``debit``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import accounts, bank_matching
from billing.bankfiles import ParsedStatement, statement_parse
from billing.models import Account, BankStatement, BankStatementLine, Invoice, LineStatus, MatchRule
from billing.services import payments, settlements
from billing.services.ledger import journal_post
from billing.services.locks import lock_customer_billing
from customers.models import Customer, IbanSource, PaymentMethod
from customers.services import customer_iban_add
from oms.errors import Conflict, OmsError, ValidationFailed
from oms.money import ZERO

REFERENCE_PREFIX = "BANK-"


@dataclass(frozen=True)
class ImportResult:
    statement: BankStatement
    lines: int
    matched: int
    unmatched: int
    already_imported: int
    created: bool  # False: the statement was imported before


def bank_statement_import(*, content: bytes, file_name: str = "", user) -> ImportResult:
    """Import a CAMT.053 or MT940 file and match its new credit lines.

    Durable steps: one transaction stores the statement and its lines (nothing on any error),
    then one per credit line for its match. Locks: see ``bank_line_match_auto``. Publishes
    ``payment.received`` per matched line (through ``payments.receive``). Raises
    ``ValidationFailed`` on ``file`` for a file that is too large, empty or unreadable."""
    parsed = statement_parse(content)
    sha = hashlib.sha256(content).hexdigest()
    try:
        statement, new_lines, created = _store(parsed, file_name, sha, user)
    except IntegrityError:
        # A concurrent import of an overlapping statement stored some of these lines first:
        # again, now seeing them as imported.
        statement, new_lines, created = _store(parsed, file_name, sha, user)
    payouts = settlements.bank_lines_payout_find(lines=new_lines, user=user)
    matched = len(payouts) + sum(
        1
        for line in new_lines
        if line.amount > 0 and line.pk not in payouts and bank_line_match_auto(line_id=line.pk, user=user)
    )
    return ImportResult(
        statement=statement,
        lines=len(parsed.lines),
        matched=matched,
        unmatched=len(new_lines) - matched,
        already_imported=len(parsed.lines) - len(new_lines),
        created=created,
    )


def _store(parsed: ParsedStatement, file_name: str, sha: str, user) -> tuple[BankStatement, list, bool]:
    with transaction.atomic(durable=True):
        statement, created = BankStatement.objects.get_or_create(
            account=parsed.account,
            identifier=parsed.identifier,
            defaults={
                "format": parsed.format,
                "statement_date": parsed.statement_date,
                "opening_balance": parsed.opening_balance,
                "closing_balance": parsed.closing_balance,
                "file_name": (file_name or "")[:200],
                "file_sha256": sha,
                "line_count": len(parsed.lines),
                "created_by": user if getattr(user, "pk", None) else None,
            },
        )
        if not created:
            return statement, [], False
        keys = [line.key for line in parsed.lines]
        known = set(
            BankStatementLine.objects.filter(account=parsed.account, key__in=keys).values_list("key", flat=True)
        )
        rows = [
            BankStatementLine(
                statement=statement,
                account=parsed.account,
                key=line.key,
                position=position,
                booking_date=line.booking_date,
                value_date=line.value_date,
                amount=line.amount,
                counterparty_name=line.counterparty_name,
                counterparty_iban=line.counterparty_iban.replace(" ", "").upper(),
                remittance=line.remittance,
                end_to_end_id=line.end_to_end_id,
                status=LineStatus.UNMATCHED if line.amount > 0 else LineStatus.DEBIT,
            )
            for position, line in enumerate(parsed.lines, start=1)
            if line.key not in known
        ]
        return statement, BankStatementLine.objects.bulk_create(rows), True


# --- matching ------------------------------------------------------------------------------------


def bank_line_match_auto(*, line_id: int, user) -> bool:
    """Match one unmatched credit line by the automatic rules (``bank_matching``); True when it
    became a payment. A rule that gives no answer, or a payment that is refused, leaves the line
    unmatched with a note. Durable; locks as ``_pay``."""
    line = BankStatementLine.objects.get(pk=line_id)
    if line.status != LineStatus.UNMATCHED:
        return False
    proposal, why = bank_matching.auto_proposal(line)
    if proposal is not None:
        try:
            _pay(line, proposal.customer_id, [(i.pk, None) for i in proposal.invoices], proposal.rule, user)
            return True
        except OmsError as exc:
            why = exc.message
    BankStatementLine.objects.filter(pk=line.pk, status=LineStatus.UNMATCHED).update(note=why[:300])
    return False


def _pay(line: BankStatementLine, customer_id: int, pay: list[tuple[int, Decimal | None]], rule: str, user):
    """The line becomes a bank transfer payment of ``customer_id`` paying ``pay``. Durable. Takes
    the customer's billing lock, then locks the line (a line is paid once: a second attempt
    finds it matched and raises ``Conflict`` ``line_not_open``), then the invoices."""
    paid_at = _paid_at(line)
    with transaction.atomic(durable=True):
        lock_customer_billing(customer_id)
        line = _lock_open_line(line.pk)
        customer = Customer.objects.get(pk=customer_id)
        payment = payments.receive(
            customer=customer,
            order=None,
            method=PaymentMethod.BANK_TRANSFER,
            amount=line.amount,
            reference=f"{REFERENCE_PREFIX}{line.pk}",
            paid_at=paid_at,
            user=user,
            pay=pay,
        )
        _close(line, LineStatus.MATCHED, rule, user, customer_id=customer_id, payment=payment)
        if line.counterparty_iban:
            _remember_iban(customer, line.counterparty_iban)
    return payment


def _paid_at(line: BankStatementLine) -> datetime:
    """The booking date at noon (never ahead of now), checked against the lock date. Bank lines
    are history by nature: the age limit of typed payments does not apply."""
    moment = timezone.make_aware(datetime.combine(line.booking_date, time(12)))
    return payments.clean_paid_at(min(moment, timezone.now()), history=True)


def _lock_open_line(line_id: int) -> BankStatementLine:
    line = BankStatementLine.objects.select_for_update().get(pk=line_id)
    if line.status != LineStatus.UNMATCHED:
        raise Conflict("This bank line is already matched or booked.", code="line_not_open")
    return line


def _close(line: BankStatementLine, status: str, rule: str, user, **links) -> None:
    line.status, line.rule, line.note = status, rule, ""
    line.matched_at = timezone.now()
    line.matched_by = user if getattr(user, "pk", None) else None
    for name, value in links.items():
        setattr(line, name, value)
    line.save(update_fields=["status", "rule", "note", "matched_at", "matched_by", *links])


def _remember_iban(customer: Customer, iban: str) -> None:
    """Learn the payer's IBAN for the next statement (an unreadable one is simply not learned)."""
    try:
        customer_iban_add(customer=customer, iban=iban, source=IbanSource.BANK_STATEMENT)
    except ValidationFailed:
        pass


def bank_line_accept(*, line: BankStatementLine, invoice_ids: list[int], user):
    """The matching screen's "accept": the line pays these invoices (oldest named first), the
    rest is the customer's credit. See ``_pay`` for locks; raises ``ValidationFailed``
    ``required``, ``Conflict`` ``line_not_open`` / ``invoice_not_open``."""
    if not invoice_ids:
        raise ValidationFailed("Choose an invoice.", code="required", field="invoices")
    return bank_line_split(line=line, parts=[(invoice_id, None) for invoice_id in invoice_ids], user=user)


def bank_line_split(*, line: BankStatementLine, parts: list[tuple[int, Decimal | None]], user):
    """Split the line over invoices of one customer: ``(invoice id, amount)`` pairs (None: what
    is open), together no more than the line; the rest is the customer's credit. Locks as
    ``_pay``. Raises ``ValidationFailed`` (``invoices``: none, twice, several customers;
    ``amount``: more than the line), ``Conflict`` ``line_not_open`` / ``invoice_not_open``."""
    ids = [invoice_id for invoice_id, _ in parts]
    if not ids:
        raise ValidationFailed("Choose at least one invoice.", code="required", field="invoices")
    if len(set(ids)) != len(ids):
        raise ValidationFailed("An invoice is named twice.", code="duplicate", field="invoices")
    amounts = [payments.clean_amount(str(amount)) for _, amount in parts if amount is not None]
    if any(amount < 0 for amount in amounts) or sum(amounts, ZERO) > line.amount:
        raise ValidationFailed(f"The parts may add up to at most {line.amount}.", code="exceeds_line", field="amount")
    customers = set(Invoice.objects.filter(pk__in=ids).values_list("customer_id", flat=True))
    if len(customers) != 1:
        raise ValidationFailed("Split over invoices of one customer.", code="several_customers", field="invoices")
    cleaned = [(invoice_id, None if amount is None else Decimal(str(amount))) for invoice_id, amount in parts]
    return _pay(line, customers.pop(), cleaned, MatchRule.MANUAL, user)


def bank_line_book(*, line: BankStatementLine, account_code: str, memo: str, user):
    """Book a credit line to another ledger account (interest, a supplier's refund, a grant):
    debit bank, credit ``account_code``. Durable; locks the line. Raises ``ValidationFailed``
    (``account``: unknown, the bank itself, or one that needs a customer; ``memo``),
    ``Conflict`` ``line_not_open``, and ``journal_post``'s ``period_locked``."""
    memo = (memo or "").strip()
    if not memo:
        raise ValidationFailed("Say what the money is.", code="required", field="memo")
    account = Account.objects.filter(code=account_code).first()
    if account is None or account.code == accounts.BANK or account.subledger:
        raise ValidationFailed(
            "Choose a ledger account other than the bank and the customer accounts.",
            code="invalid_account",
            field="account",
        )
    paid_at = _paid_at(line)
    with transaction.atomic(durable=True):
        line = _lock_open_line(line.pk)
        entry = journal_post(
            date=timezone.localdate(paid_at),
            description=f"Bank {line.booking_date:%Y-%m-%d} {memo}"[:200],
            lines=[
                {"account": accounts.BANK, "debit": line.amount, "memo": memo[:200]},
                {"account": account.code, "credit": line.amount, "memo": memo[:200]},
            ],
            reference=f"bank line {line.pk}",
            user=user,
        )
        _close(line, LineStatus.BOOKED, MatchRule.MANUAL, user, journal_entry=entry)
    return entry
