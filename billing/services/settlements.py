"""Provider settlements: a provider's payout of many payments less its fees, booked once and
landed against the payout's bank statement line.

Storing a settlement (``_store``, inside the caller's transaction):

* it is known by provider + settlement id (``settlement_once``): a second import of it, or two
  at once, stores it once (the second finds it, or loses the unique index and finds it then);
* every item names a recorded payment of a provider method (``PROVIDER_METHODS``) by its
  reference, for exactly its amount; a payment is settled once (``SettlementLine.payment`` is
  unique), so no payment leaves the receivable twice;
* the payout must be the items less the fees and their VAT, to the cent;
* the booking (one journal entry, dated the payout date):

      Cr 1310-1340  each provider account: the payments (less refunds) settled from it
      Dr 4650       the fees (payment services are exempt from VAT, Wet OB art. 11 lid 1 sub i:
                    the fee is the whole cost and there is no VAT to reclaim)
      Dr 1520       VAT the provider did charge (on a service that is not exempt): input VAT
      Dr 1190       the payout, in transit until it is on the bank

Landing the payout (``settlement_payout_land``): the bank line of the same amount moves the payout
from 1190 to the bank (1100), in its own durable transaction that locks the line, then the
settlement. The line is found by the settlement's bank reference in its description, or as the
only open settlement of that amount whose provider the payer's name or the description names.
A bank statement import tries this for each new line before matching it to invoices
(``billing.services.bank``), and a settlement import tries it for each new settlement.

A CSV file is stored in one durable transaction: any bad row or unknown payment stores nothing.
Mollie's settlements are fetched through ``mollie-api-python`` (network outside any
transaction) and stored one per transaction: a settlement that cannot be stored yet (a payment
not recorded here, a chargeback) is reported and tried again on the next import.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import accounts, bank_matching
from billing.bank_matching import payout_rule
from billing.models import BankStatementLine, LineStatus, MatchRule, Payment, ProviderSettlement, SettlementLine
from billing.services.ledger import journal_post
from billing.settlementfiles import SettlementData, settlements_parse
from oms.errors import Conflict, OmsError, ValidationFailed
from oms.money import ZERO

# Methods whose payments a provider owes us until it pays them out (their accounts: 1310-1340).
PROVIDER_METHODS = tuple(
    m for m, code in accounts.PAYMENT_METHOD_ACCOUNTS.items() if code in accounts.PROVIDER_ACCOUNTS
)
PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,29}$")


@dataclass
class SettlementImportResult:
    created: list[ProviderSettlement] = field(default_factory=list)
    already_imported: int = 0
    payouts_landed: int = 0
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (settlement id, why not stored)


def clean_provider(value) -> str:
    provider = (value or "").strip().lower() if isinstance(value, str) else ""
    if not PROVIDER_NAME.match(provider):
        raise ValidationFailed(
            "Name the provider in lower case letters (mollie, klarna, riverty, ...).", code="invalid", field="provider"
        )
    return provider


# --- storing and booking -------------------------------------------------------------------------


def _store(provider: str, data: SettlementData, source: str, user) -> tuple[ProviderSettlement, bool]:
    """Store and book one settlement inside the caller's transaction; (settlement, False) when it
    was imported before. Raises ``ValidationFailed`` on ``payments`` (``unknown_payment``,
    ``amount_mismatch``, ``duplicate``, ``empty``) and ``amount`` (``does_not_add_up``),
    ``Conflict`` ``already_settled``, and ``journal_post``'s ``period_locked``."""
    existing = ProviderSettlement.objects.filter(provider=provider, identifier=data.identifier).first()
    if existing is not None:
        return existing, False
    found = _payments(data)
    gross = sum((amount for _, amount in data.items), ZERO)
    _check_sums_and_unsettled(data, found, gross)
    entry = journal_post(
        date=data.settled_on,
        description=f"Settlement {provider} {data.identifier}"[:200],
        lines=_legs(data, found),
        reference=f"settlement {provider} {data.identifier}"[:100],
        user=user,
    )
    settlement = ProviderSettlement.objects.create(
        provider=provider,
        identifier=data.identifier,
        bank_reference=data.bank_reference,
        settled_on=data.settled_on,
        amount=data.amount,
        payments_amount=gross,
        fees_amount=data.fees_amount,
        fees_vat=data.fees_vat,
        source=source,
        journal_entry=entry,
        created_by=user if getattr(user, "pk", None) else None,
    )
    SettlementLine.objects.bulk_create(
        [SettlementLine(settlement=settlement, payment=found[ref], amount=amount) for ref, amount in data.items]
    )
    return settlement, True


def _check_sums_and_unsettled(data: SettlementData, found: dict[str, Payment], gross: Decimal) -> None:
    if data.amount != gross - data.fees_amount - data.fees_vat:
        raise ValidationFailed(
            f"Settlement {data.identifier}: the payout {data.amount} is not the payments {gross} less the fees "
            f"{data.fees_amount} and their VAT {data.fees_vat}.",
            code="does_not_add_up",
            field="amount",
        )
    settled = list(SettlementLine.objects.filter(payment__in=found.values()).select_related("settlement", "payment"))
    if settled:
        raise Conflict(
            f"Settlement {data.identifier}: payment {settled[0].payment.reference} is already in settlement "
            f"{settled[0].settlement.identifier}.",
            code="already_settled",
            field="payments",
        )


def _payments(data: SettlementData) -> dict[str, Payment]:
    """The recorded provider payments the items name, each for exactly the item's amount."""
    if not data.items:
        raise ValidationFailed(f"Settlement {data.identifier} names no payment.", code="empty", field="payments")
    references = [ref for ref, _ in data.items]
    doubles = sorted({ref for ref in references if references.count(ref) > 1})
    if doubles:
        raise ValidationFailed(
            f"Settlement {data.identifier} names {', '.join(doubles[:5])} twice.", code="duplicate", field="payments"
        )
    rows = Payment.objects.filter(reference__in=references, method__in=PROVIDER_METHODS).order_by("id")
    found: dict[str, Payment] = {}
    for payment in rows:
        if payment.reference in found:
            raise ValidationFailed(
                f"Reference {payment.reference} is used by two payment methods.", code="ambiguous", field="payments"
            )
        found[payment.reference] = payment
    unknown = [ref for ref in references if ref not in found]
    if unknown:
        raise ValidationFailed(
            f"Settlement {data.identifier}: no recorded provider payment {', '.join(unknown[:5])}"
            + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
            + ".",
            code="unknown_payment",
            field="payments",
        )
    wrong = [(ref, amount) for ref, amount in data.items if found[ref].amount != amount]
    if wrong:
        ref, amount = wrong[0]
        raise ValidationFailed(
            f"Settlement {data.identifier}: {ref} is {found[ref].amount} here, not {amount}.",
            code="amount_mismatch",
            field="payments",
        )
    return found


def _leg(account: str, debit: Decimal, memo: str) -> list[dict]:
    """A line debiting ``debit`` (negative: crediting it); none for zero."""
    if debit == 0:
        return []
    return [{"account": account, "debit" if debit > 0 else "credit": abs(debit), "memo": memo[:200]}]


def _legs(data: SettlementData, found: dict[str, Payment]) -> list[dict]:
    per_account: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for ref, amount in data.items:
        per_account[accounts.PAYMENT_METHOD_ACCOUNTS[found[ref].method]] += amount
    memo = f"settlement {data.identifier}"
    legs = []
    for code in sorted(per_account):
        legs += _leg(code, -per_account[code], memo)
    legs += _leg(accounts.PROVIDER_FEES, data.fees_amount, f"{memo}: fees (VAT-exempt payment services)")
    legs += _leg(accounts.VAT_RECEIVABLE, data.fees_vat, f"{memo}: VAT charged on fees")
    legs += _leg(accounts.PAYOUTS_IN_TRANSIT, data.amount, f"{memo}: payout")
    if len(legs) < 2:
        raise ValidationFailed(f"Settlement {data.identifier} moves no money.", code="empty", field="payments")
    return legs


def settlements_csv_import(*, provider: str, content: bytes, user) -> SettlementImportResult:
    """Import a provider's settlement CSV (``billing.settlementfiles``): every settlement in it is
    stored and booked in one durable transaction (nothing on any error), then each new payout is
    landed on its bank line if that is imported already. Raises ``ValidationFailed`` (``file``,
    ``provider``, and ``_store``'s), ``Conflict`` ``already_settled``."""
    provider = clean_provider(provider)
    parsed = settlements_parse(content)

    def store_all() -> SettlementImportResult:
        result = SettlementImportResult()
        with transaction.atomic(durable=True):
            for data in parsed:
                settlement, created = _store(provider, data, "csv", user)
                if created:
                    result.created.append(settlement)
                else:
                    result.already_imported += 1
        return result

    result = _again_after_a_race(store_all)
    result.payouts_landed = sum(1 for s in result.created if settlement_payout_find(settlement=s, user=user))
    return result


def _again_after_a_race(store):
    """Run ``store`` (a durable transaction); once more if a concurrent import committed the same
    settlement (its journal reference) or one of its payments first: the second run sees what
    that import stored, and answers "imported before" or ``already_settled``."""
    try:
        return store()
    except IntegrityError:
        return store()
    except Conflict as exc:
        # already_settled too: a concurrent import of this same settlement may have committed its
        # lines after this run looked for the settlement; the second run then finds the settlement
        if exc.code not in ("duplicate_reference", "already_settled"):
            raise
        return store()


def settlement_import_one(*, provider: str, data: SettlementData, source: str, user) -> tuple[ProviderSettlement, bool]:
    """Store and book one settlement in a durable transaction of its own (the API import). A
    concurrent import of the same settlement makes this one find it. Raises as ``_store``."""

    def store() -> tuple[ProviderSettlement, bool]:
        with transaction.atomic(durable=True):
            return _store(provider, data, source, user)

    return _again_after_a_race(store)


# --- the payout on the bank ----------------------------------------------------------------------


def bank_lines_payout_find(*, lines: list[BankStatementLine], user) -> set[int]:
    """Land the settlement whose payout each line is, where exactly one open settlement is named
    by reference (or, failing that, exactly one by amount and provider name); the ids of the
    lines landed. One query for the candidates, then a transaction per line landed."""
    candidates, landed, used = bank_matching.payout_candidates(lines), set(), set()
    for line in lines:
        for rule in (MatchRule.REFERENCE, MatchRule.PAYOUT_AMOUNT):
            named = [s for s in candidates[line.pk] if payout_rule(line, s) == rule and s.pk not in used]
            if len(named) == 1 and _try_land(line, named[0], rule, user):
                landed.add(line.pk)
                used.add(named[0].pk)
            if named:
                break
    return landed


def settlement_payout_find(*, settlement: ProviderSettlement, user) -> bool:
    """The other way: a new settlement looks for its payout among the open bank lines."""
    lines = list(
        BankStatementLine.objects.filter(
            amount=settlement.amount, status__in=[LineStatus.UNMATCHED, LineStatus.DEBIT]
        ).order_by("booking_date", "id")[:50]
    )
    for rule in (MatchRule.REFERENCE, MatchRule.PAYOUT_AMOUNT):
        named = [line for line in lines if payout_rule(line, settlement) == rule]
        if len(named) == 1:
            return _try_land(named[0], settlement, rule, user)
        if named:
            return False
    return False


def _try_land(line: BankStatementLine, settlement: ProviderSettlement, rule: str, user) -> bool:
    try:
        settlement_payout_land(line_id=line.pk, settlement_id=settlement.pk, rule=rule, user=user)
    except OmsError:
        return False  # the books are locked for its date, or it was landed meanwhile: left to a person
    return True


def settlement_payout_land(*, line_id: int, settlement_id: int, user, rule: str = MatchRule.MANUAL) -> None:
    """The bank line is the payout of the settlement: Dr bank, Cr payouts in transit (mirrored
    for a negative payout), dated the line's booking date. Durable. Locks the line, then the
    settlement. Raises ``Conflict`` ``line_not_open`` / ``payout_landed``, ``ValidationFailed``
    ``amount_mismatch`` and ``journal_post``'s ``period_locked``."""
    with transaction.atomic(durable=True):
        line = BankStatementLine.objects.select_for_update().get(pk=line_id)
        if line.status not in (LineStatus.UNMATCHED, LineStatus.DEBIT):
            raise Conflict("This bank line is already matched or booked.", code="line_not_open")
        settlement = ProviderSettlement.objects.select_for_update().get(pk=settlement_id)
        if settlement.bank_entry_id is not None:
            raise Conflict(f"The payout of {settlement.identifier} is on the bank already.", code="payout_landed")
        if line.amount != settlement.amount:
            raise ValidationFailed(
                f"The line is {line.amount}, the payout {settlement.amount}.", code="amount_mismatch", field="line"
            )
        memo = f"payout {settlement.provider} {settlement.identifier}"[:200]
        settlement.bank_entry = journal_post(
            date=line.booking_date,
            description=f"Bank {line.booking_date:%Y-%m-%d} {memo}"[:200],
            lines=_leg(accounts.BANK, line.amount, memo) + _leg(accounts.PAYOUTS_IN_TRANSIT, -line.amount, memo),
            reference=f"bank line {line.pk}",
            user=user,
        )
        settlement.save(update_fields=["bank_entry"])
        line.status, line.rule, line.note, line.settlement = LineStatus.SETTLED, rule, "", settlement
        line.matched_at = timezone.now()
        line.matched_by = user if getattr(user, "pk", None) else None
        line.save(update_fields=["status", "rule", "note", "settlement", "matched_at", "matched_by"])
