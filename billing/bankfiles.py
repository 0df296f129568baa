"""Reading bank statement files: ISO 20022 CAMT.053 (camt.053.001.02 to .08, the XML Dutch
banks export) and SWIFT MT940 (with the ``mt-940`` package). Pure: bytes in, a
``ParsedStatement`` out, or ``ValidationFailed`` on field ``file``; nothing is stored here.

A hostile upload is refused before and while it is read: the size is capped
(``MAX_BYTES``), XML goes through ``defusedxml`` (no entities, no DTDs, no network), and the
number of entries is capped (``MAX_LINES``). A file with several statements (several days in one
MT940 export) is read as one: the lines of all of them, the first opening and last closing
balance.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

import mt940
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from oms.errors import ValidationFailed

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 20_000
CAMT_NAMESPACE = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(0[2-8])\}Document$")
IBAN_IN_TEXT = re.compile(r"\b([A-Z]{2}[0-9]{2}[A-Z0-9]{11,30})\b")


@dataclass
class ParsedLine:
    key: str  # the bank's reference of the entry: unique per account
    booking_date: date
    amount: Decimal  # signed: > 0 money in
    value_date: date | None = None
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: str = ""
    end_to_end_id: str = ""


@dataclass
class ParsedStatement:
    format: str  # StatementFormat value
    account: str
    identifier: str
    statement_date: date | None = None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    lines: list[ParsedLine] = field(default_factory=list)


def _bad(message: str, code: str = "invalid_file") -> ValidationFailed:
    return ValidationFailed(message, code=code, field="file")


def statement_parse(content: bytes) -> ParsedStatement:
    """Read a CAMT.053 or MT940 file (told apart by its first bytes). Raises
    ``ValidationFailed`` on ``file``: ``file_too_large``, ``empty_file``, ``unknown_format``,
    ``invalid_file`` (unreadable, or a required element missing), ``too_many_lines``."""
    if not isinstance(content, bytes | bytearray):
        raise _bad("Upload a CAMT.053 or MT940 file.", "required")
    if len(content) > MAX_BYTES:
        raise _bad("The file is larger than 5 MB; export a shorter period.", "file_too_large")
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:200]
    if not head:
        raise _bad("The file is empty.", "empty_file")
    if head.startswith(b"<"):
        parsed = _camt(content)
    elif b":20:" in content[:2000]:
        parsed = _mt940(content)
    else:
        raise _bad("This is neither a CAMT.053 (XML) nor an MT940 file.", "unknown_format")
    if len(parsed.lines) > MAX_LINES:
        raise _bad(f"More than {MAX_LINES} entries; export a shorter period.", "too_many_lines")
    _dedupe_keys(parsed)
    return parsed


def _dedupe_keys(parsed: ParsedStatement) -> None:
    """An entry the file lists twice under one reference is one entry (kept once); lines without
    a reference of the bank got one from the statement and their position."""
    seen: set[str] = set()
    kept = []
    for line in parsed.lines:
        line.key = line.key[:200]
        if line.key not in seen:
            seen.add(line.key)
            kept.append(line)
    parsed.lines = kept


def _amount(text: str | None) -> Decimal:
    try:
        value = Decimal((text or "").strip().replace(",", "."))
    except InvalidOperation:
        raise _bad(f"'{(text or '')[:20]}' is not an amount.") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or abs(value) >= Decimal("1e10"):
        raise _bad(f"'{(text or '')[:20]}' is not an amount in euro cents.")
    return value.quantize(Decimal("0.01"))


def _date(text: str | None) -> date:
    try:
        return date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        raise _bad(f"'{(text or '')[:20]}' is not a date.") from None


def _fallback_key(identifier: str, index: int, *parts) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]
    return f"{identifier[:150]}#{index}:{digest}"


# --- CAMT.053 ------------------------------------------------------------------------------------


def _camt(content: bytes) -> ParsedStatement:
    try:
        root = SafeET.fromstring(content, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        raise _bad("The XML cannot be read (broken, or it declares entities).") from None
    match = CAMT_NAMESPACE.match(root.tag)
    if not match:
        raise _bad("This XML is not a CAMT.053 statement (camt.053.001.02 to .08).", "unknown_format")
    ns = {"c": root.tag[1:].split("}")[0]}
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if not statements:
        raise _bad("The CAMT.053 file holds no statement.")
    result: ParsedStatement | None = None
    for stmt in statements:
        one = _camt_statement(stmt, ns)
        result = one if result is None else _merge(result, one)
    return result


def _text(element: Element | None, path: str, ns: dict) -> str:
    found = element.find(path, ns) if element is not None else None
    return (found.text or "").strip() if found is not None and found.text else ""


def _camt_statement(stmt: Element, ns: dict) -> ParsedStatement:
    identifier = _text(stmt, "c:Id", ns)
    account = _text(stmt, "c:Acct/c:Id/c:IBAN", ns) or _text(stmt, "c:Acct/c:Id/c:Othr/c:Id", ns)
    if not identifier or not account:
        raise _bad("A CAMT.053 statement needs its Id and the account's IBAN.")
    parsed = ParsedStatement(format="camt053", account=account, identifier=identifier)
    for balance in stmt.findall("c:Bal", ns):
        kind = _text(balance, "c:Tp/c:CdOrPrtry/c:Cd", ns)
        amount = _amount(_text(balance, "c:Amt", ns))
        if _text(balance, "c:CdtDbtInd", ns) == "DBIT":
            amount = -amount
        if kind in ("OPBD", "PRCD") and parsed.opening_balance is None:
            parsed.opening_balance = amount
        elif kind == "CLBD":
            parsed.closing_balance = amount
            parsed.statement_date = _date(_text(balance, "c:Dt/c:Dt", ns) or _text(balance, "c:Dt/c:DtTm", ns))
    for index, entry in enumerate(stmt.findall("c:Ntry", ns), start=1):
        parsed.lines.append(_camt_entry(entry, ns, identifier, index))
    return parsed


def _camt_entry(entry: Element, ns: dict, identifier: str, index: int) -> ParsedLine:
    amount = _amount(_text(entry, "c:Amt", ns))
    direction = _text(entry, "c:CdtDbtInd", ns)
    if direction not in ("CRDT", "DBIT"):
        raise _bad(f"Entry {index} is neither credit nor debit.")
    if _text(entry, "c:RvslInd", ns).lower() == "true":
        direction = "DBIT" if direction == "CRDT" else "CRDT"
    if direction == "DBIT":
        amount = -amount
    if amount == 0:
        raise _bad(f"Entry {index} has no amount.")
    booked = _text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns)
    value = _text(entry, "c:ValDt/c:Dt", ns) or _text(entry, "c:ValDt/c:DtTm", ns)
    tx = entry.find("c:NtryDtls/c:TxDtls", ns)
    party = "c:RltdPties/c:Dbtr" if amount > 0 else "c:RltdPties/c:Cdtr"
    party_account = "c:RltdPties/c:DbtrAcct" if amount > 0 else "c:RltdPties/c:CdtrAcct"
    remittance = [_text(u, ".", ns) for u in (tx.findall("c:RmtInf/c:Ustrd", ns) if tx is not None else [])]
    structured = _text(tx, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)
    if structured:
        remittance.insert(0, structured)
    remittance.append(_text(entry, "c:AddtlNtryInf", ns))
    line = ParsedLine(
        key="",
        booking_date=_date(booked),
        value_date=_date(value) if value else None,
        amount=amount,
        counterparty_name=(_text(tx, f"{party}/c:Nm", ns) or _text(tx, f"{party}/c:Pty/c:Nm", ns))[:200],
        counterparty_iban=(_text(tx, f"{party_account}/c:Id/c:IBAN", ns))[:34],
        remittance=" ".join(part for part in remittance if part)[:2000],
        end_to_end_id=_text(tx, "c:Refs/c:EndToEndId", ns)[:100],
    )
    line.key = (
        _text(entry, "c:AcctSvcrRef", ns)
        or _text(tx, "c:Refs/c:AcctSvcrRef", ns)
        or _text(entry, "c:NtryRef", ns)
        or _fallback_key(identifier, index, line.booking_date, line.amount, line.counterparty_iban, line.remittance)
    )
    return line


def _merge(first: ParsedStatement, other: ParsedStatement) -> ParsedStatement:
    if other.account != first.account:
        raise _bad("The file holds statements of more than one account; import them one by one.", "several_accounts")
    first.identifier = f"{first.identifier}+{other.identifier}"
    if len(first.identifier) > 200:
        first.identifier = first.identifier[:120] + "#" + hashlib.sha256(first.identifier.encode()).hexdigest()[:40]
    first.closing_balance = other.closing_balance
    first.statement_date = other.statement_date or first.statement_date
    first.lines.extend(other.lines)
    return first


# --- MT940 ---------------------------------------------------------------------------------------

STATEMENT_START = re.compile(r"^(?=:20:)", re.MULTILINE)
TAGGED = re.compile(r"/(IBAN|NAME|REMI|EREF|BIC|CNTP)/")


def _mt940(content: bytes) -> ParsedStatement:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = [block for block in STATEMENT_START.split(text) if block.strip().startswith(":20:")]
    if not blocks:
        raise _bad("The MT940 file holds no statement (:20:).")
    result: ParsedStatement | None = None
    for block in blocks:
        one = _mt940_statement(block)
        result = one if result is None else _merge(result, one)
    return result


def _mt940_statement(block: str) -> ParsedStatement:
    transactions = mt940.models.Transactions()
    try:
        transactions.parse(block)
    except Exception as exc:  # mt-940 raises RuntimeError, ValueError, KeyError... on bad input
        logger.info("MT940 unreadable: %s", str(exc)[:200])
        raise _bad("The MT940 statement cannot be read.") from None
    data = transactions.data
    reference, account = data.get("transaction_reference"), data.get("account_identification")
    if not reference or not account:
        raise _bad("An MT940 statement needs :20: and :25:.")
    closing = data.get("final_closing_balance")
    opening = data.get("final_opening_balance")
    identifier = "/".join(
        str(part) for part in (reference, data.get("statement_number"), closing.date if closing else "") if part
    )
    parsed = ParsedStatement(
        format="mt940",
        account=str(account).strip()[:70],
        identifier=identifier[:200],
        statement_date=_mt_date(closing.date) if closing else None,
        opening_balance=_signed_balance(opening),
        closing_balance=_signed_balance(closing),
    )
    for index, transaction in enumerate(transactions, start=1):
        parsed.lines.append(_mt940_line(transaction.data, identifier, index))
    return parsed


def _mt_date(value) -> date:
    return date(value.year, value.month, value.day)


def _signed_balance(balance) -> Decimal | None:
    if balance is None:
        return None
    return _amount(str(balance.amount.amount))


def _mt940_line(data: dict, identifier: str, index: int) -> ParsedLine:
    amount = _amount(str(data["amount"].amount))
    if amount == 0:
        raise _bad(f"Entry {index} has no amount.")
    details = "".join(str(data.get("transaction_details") or "").splitlines())
    fields = _tagged_fields(details)
    iban = fields.get("IBAN", "")
    if not iban:
        found = IBAN_IN_TEXT.search(details.replace(" ", ""))
        iban = found.group(1) if found else ""
    remittance = fields.get("REMI", "").removeprefix("USTD//").removeprefix("STRD/CUR/").strip("/") or details
    entry = data.get("entry_date") or data.get("date")
    line = ParsedLine(
        key="",
        booking_date=_mt_date(entry),
        value_date=_mt_date(data["date"]) if data.get("date") else None,
        amount=amount,
        counterparty_name=fields.get("NAME", "")[:200],
        counterparty_iban=iban[:34],
        remittance=remittance[:2000],
        end_to_end_id=fields.get("EREF", "")[:100],
    )
    bank_reference = str(data.get("bank_reference") or "").strip()
    customer_reference = str(data.get("customer_reference") or "").strip()
    line.key = next(
        (ref for ref in (bank_reference, customer_reference) if ref and ref.upper() != "NONREF"),
        "",
    ) or _fallback_key(identifier, index, line.booking_date, line.amount, iban, details)
    return line


def _tagged_fields(details: str) -> dict[str, str]:
    """The SEPA sub-fields of a :86: line (``/IBAN/NL..../NAME/J. Jansen/REMI/USTD//...``)."""
    fields: dict[str, str] = {}
    parts = TAGGED.split(details)
    for name, value in zip(parts[1::2], parts[2::2], strict=False):
        fields.setdefault(name, value.strip().strip("/").strip())
    return fields
