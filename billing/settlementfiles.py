"""Reading a provider's settlement report as CSV (for providers without an API we call: Klarna,
Riverty, a card acquirer). One row per item; several settlements may share a file.

Columns (a header row with these names, in any order; comma or semicolon separated, UTF-8):

* ``settlement``: the provider's id of the settlement (required on every row);
* ``date``: the payout date, ``2026-11-30`` or ``30-11-2026``;
* ``type``: ``payment`` (a payment it contains), ``refund`` (a refund it deducts), ``fee`` (its
  fees excluding VAT), ``payout`` (exactly one per settlement: the amount transferred);
* ``reference``: for a payment or refund the provider's id, as the payment was recorded with;
  for the payout what the bank transfer's description says (optional);
* ``amount``: the payment's amount, the refund's (negative, or positive: it is deducted either
  way), the fee, the payout; ``24.94`` or ``24,94``;
* ``vat``: on a fee row, the VAT charged on it (empty: none, as payment services are exempt).

A file is read whole before anything is stored: any bad row is a ``ValidationFailed`` on
``file`` naming the row, and nothing of the file is imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from oms.errors import ValidationFailed
from oms.money import ZERO
from oms.numbers import normalize_decimal

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_SETTLEMENTS = 500
COLUMNS = ("settlement", "date", "type", "reference", "amount", "vat")
REQUIRED = ("settlement", "date", "type", "amount")
TYPES = ("payment", "refund", "fee", "payout")


@dataclass
class SettlementData:
    """One settlement as a provider reports it, from its API or a CSV file."""

    identifier: str
    settled_on: date
    amount: Decimal | None = None  # the payout
    bank_reference: str = ""
    items: list[tuple[str, Decimal]] = field(default_factory=list)  # (payment reference, amount)
    fees_amount: Decimal = ZERO
    fees_vat: Decimal = ZERO


def _bad(message: str, code: str = "invalid_file") -> ValidationFailed:
    return ValidationFailed(message, code=code, field="file")


def settlements_parse(content: bytes) -> list[SettlementData]:
    """The settlements of a CSV file, in the order they first appear. Raises ``ValidationFailed``
    on ``file``: ``empty_file``, ``file_too_large``, ``invalid_file`` (not UTF-8, a missing
    column, a bad row: the message names the row), ``too_many_rows``."""
    if len(content) > MAX_BYTES:
        raise _bad("The file is larger than 5 MB.", "file_too_large")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad("The file is not UTF-8 text.") from None
    if not text.strip():
        raise _bad("The file is empty.", "empty_file")
    first = text.splitlines()[0]
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ",")
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise _bad(f"The header lacks the column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}.")
    reader.fieldnames = header
    found: dict[str, SettlementData] = {}
    try:
        for number, row in enumerate(reader, start=2):
            _row(found, number, row)
    except csv.Error as exc:  # a NUL byte, an unclosed quote, a field beyond the csv module's limit
        raise _bad(f"Row {reader.line_num}: not readable as CSV ({exc}).") from None
    if not found:
        raise _bad("The file has no rows.", "empty_file")
    for data in found.values():
        if data.amount is None:
            raise _bad(f"Settlement {data.identifier} has no payout row.")
    return list(found.values())


def _row(found: dict[str, SettlementData], number: int, row: dict) -> None:
    if number > MAX_ROWS + 1:
        raise _bad(f"More than {MAX_ROWS} rows; split the file.", "too_many_rows")
    if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
        return
    try:
        _add(found, row)
    except ValidationFailed as exc:
        raise _bad(f"Row {number}: {exc.message}") from None
    if len(found) > MAX_SETTLEMENTS:
        raise _bad(f"More than {MAX_SETTLEMENTS} settlements in one file; split it.", "too_many_rows")


def _cell(row: dict, name: str) -> str:
    value = row.get(name)
    return value.strip() if isinstance(value, str) else ""


def _add(found: dict[str, SettlementData], row: dict) -> None:
    identifier, kind, reference = _cell(row, "settlement"), _cell(row, "type").lower(), _cell(row, "reference")
    if not identifier or len(identifier) > 100:
        raise ValidationFailed("the settlement id is missing or longer than 100 characters.")
    if kind not in TYPES:
        raise ValidationFailed(f"type must be one of {', '.join(TYPES)}.")
    day = _date(_cell(row, "date"))
    data = found.setdefault(identifier, SettlementData(identifier=identifier, settled_on=day))
    if day != data.settled_on:
        raise ValidationFailed(f"settlement {identifier} has two dates.")
    amount = _amount(_cell(row, "amount"), required=True)
    if kind in ("payment", "refund"):
        if not reference or len(reference) > 100:
            raise ValidationFailed(f"a {kind} needs the provider's reference (at most 100 characters).")
        if kind == "payment" and amount <= 0:
            raise ValidationFailed("a payment's amount is positive.")
        data.items.append((reference, amount if kind == "payment" else -abs(amount)))
    elif kind == "fee":
        vat = _amount(_cell(row, "vat"), required=False)
        if vat < 0:
            raise ValidationFailed("VAT on a fee is not negative.")
        data.fees_amount += amount
        data.fees_vat += vat
    else:
        if data.amount is not None:
            raise ValidationFailed(f"settlement {identifier} has two payout rows.")
        data.amount, data.bank_reference = amount, reference[:100]


def _date(text: str) -> date:
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValidationFailed(f"'{text[:20]}' is not a date (2026-11-30 or 30-11-2026).")


def _amount(text: str, *, required: bool) -> Decimal:
    if not text and not required:
        return ZERO
    try:
        amount = Decimal(normalize_decimal(text))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"'{text[:20]}' is not an amount.") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) or abs(amount) >= Decimal("1e9"):
        raise ValidationFailed(f"'{text[:20]}' is not an amount with at most two decimals.")
    return amount.quantize(Decimal("0.01"))
