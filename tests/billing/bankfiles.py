"""A small builder of bank statement files for tests: CAMT.053 (camt.053.001.02 or .08) and
MT940, from a list of ``Entry`` rows. Nothing committed as fixtures: the tests build what they need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

OUR_IBAN = "NL91ABNA0417164300"


@dataclass
class Entry:
    amount: Decimal  # signed
    text: str = ""
    name: str = ""
    iban: str = ""
    ref: str = ""  # the bank's reference of the entry
    booked: date | None = None


def camt053(
    entries: list[Entry], *, statement_id: str = "STMT-1", version: str = "02", day: date | None = None
) -> bytes:
    day = day or date.today()
    total = sum((e.amount for e in entries), Decimal("0"))
    ntries = "".join(_camt_entry(e, i, day) for i, e in enumerate(entries, start=1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>{day}T06:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>{statement_id}</Id>
   <CreDtTm>{day}T06:00:00</CreDtTm>
   <Acct><Id><IBAN>{OUR_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>
   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{Decimal("1000.00") + total:.2f}</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>
   {ntries}
  </Stmt>
 </BkToCstmrStmt>
</Document>
""".encode()


def _camt_entry(e: Entry, index: int, day: date) -> str:
    credit = e.amount > 0
    party, account = ("Dbtr", "DbtrAcct") if credit else ("Cdtr", "CdtrAcct")
    booked = e.booked or day
    return f"""
   <Ntry>
    <Amt Ccy="EUR">{abs(e.amount):.2f}</Amt><CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>
    <Sts>BOOK</Sts><BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt>
    <AcctSvcrRef>{escape(e.ref or f"REF-{index}")}</AcctSvcrRef>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
    <NtryDtls><TxDtls>
     <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
     <AmtDtls><TxAmt><Amt Ccy="EUR">{abs(e.amount):.2f}</Amt></TxAmt></AmtDtls>
     <RltdPties><{party}><Nm>{escape(e.name)}</Nm></{party}>
      {f"<{account}><Id><IBAN>{e.iban}</IBAN></Id></{account}>" if e.iban else ""}</RltdPties>
     <RmtInf><Ustrd>{escape(e.text)}</Ustrd></RmtInf>
    </TxDtls></NtryDtls>
   </Ntry>"""


def mt940(entries: list[Entry], *, reference: str = "940S", number: str = "00001", day: date | None = None) -> bytes:
    day = day or date.today()
    total = sum((e.amount for e in entries), Decimal("0"))
    out = [
        f":20:{reference}",
        f":25:{OUR_IBAN}",
        f":28C:{number}/1",
        f":60F:C{day:%y%m%d}EUR1000,00",
    ]
    for index, e in enumerate(entries, start=1):
        booked = e.booked or day
        mark = "C" if e.amount > 0 else "D"
        out.append(
            f":61:{booked:%y%m%d}{booked:%m%d}{mark}{abs(e.amount):.2f}".replace(".", ",")
            + f"NTRFNONREF//{e.ref or f'B{index:05d}'}"
        )
        details = (
            f"/EREF/NOTPROVIDED/ORDP//NAME/{e.name}/" + (f"IBAN/{e.iban}/" if e.iban else "") + f"REMI/USTD//{e.text}/"
        )
        out.append(":86:" + "\n".join(details[i : i + 65] for i in range(0, len(details), 65)))
    out.append(f":62F:C{day:%y%m%d}EUR{Decimal('1000.00') + total:.2f}".replace(".", ","))
    return ("\r\n".join(out) + "\r\n").encode()
