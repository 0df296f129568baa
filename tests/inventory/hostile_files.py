"""Hostile spreadsheets for the import tests (issue 14 §2), built in memory: a header row
``sku,name,list_price`` and then as many rows as asked, or one very long cell."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
TAIL = "</sheetData></worksheet>"


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header() -> str:
    return '<row r="1">' + _cell("A1", "sku") + _cell("B1", "name") + _cell("C1", "list_price") + "</row>"


def xlsx(rows: int = 0, *, long_cell: int = 0) -> bytes:
    """An XLSX whose first sheet has ``rows`` product rows (``B-<n>``, ``Product``, ``1.00``), or
    one row whose name is ``long_cell`` characters long. The sheet is written in chunks, so a
    200 MB sheet is built without holding it as one string."""
    template = io.BytesIO()
    Workbook().save(template)
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dest:
        for info in source.infolist():
            if info.filename != SHEET:
                dest.writestr(info, source.read(info.filename))
        with dest.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write((HEAD + _header()).encode())
            if long_cell:
                sheet.write(f'<row r="2">{_cell("A2", "LONG")}<c r="B2" t="inlineStr"><is><t>'.encode())
                chunk = b"x" * (1024 * 1024)
                for _ in range(long_cell // len(chunk)):
                    sheet.write(chunk)
                sheet.write(b"x" * (long_cell % len(chunk)))
                sheet.write(f"</t></is></c>{_cell('C2', '1.00')}</row>".encode())
            batch = []
            for n in range(2, rows + 2):
                batch.append(
                    f'<row r="{n}">{_cell(f"A{n}", f"B-{n}")}{_cell(f"B{n}", "Product")}{_cell(f"C{n}", "1.00")}</row>'
                )
                if len(batch) == 5000:
                    sheet.write("".join(batch).encode())
                    batch = []
            sheet.write(("".join(batch) + TAIL).encode())
    return out.getvalue()


def bomb(unpacked_mb: int) -> bytes:
    """An XLSX whose sheet is the same row over and over: a few hundred KB that unpack to
    ``unpacked_mb`` MB (the 694 KB file of the issue unpacked to 204 MB, 2 million rows)."""
    row = "<row>" + _cell("A", "BOMB") + _cell("B", "Product") + _cell("C", "1.00") + "</row>"
    chunk = (row * (1024 * 1024 // len(row))).encode()
    template = io.BytesIO()
    Workbook().save(template)
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dest:
        for info in source.infolist():
            if info.filename != SHEET:
                dest.writestr(info, source.read(info.filename))
        with dest.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write((HEAD + _header()).encode())
            for _ in range(unpacked_mb):
                sheet.write(chunk)
            sheet.write(TAIL.encode())
    return out.getvalue()


def unpacked_size(content: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return sum(info.file_size for info in archive.infolist())
